"""--jobs auto counts what this process may use: CPU affinity, cgroup quotas, available memory; GPUs get threads."""

import shutil
import subprocess
import sys

import pytest

from activellm.sweep import local_backend
from activellm.machine import available_memory_gb, usable_cpus
from activellm.sweep.local_backend import jobs_for, worker_environments
from tests.conftest import REPO


@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset (util-linux) is not installed")
def test_a_process_pinned_to_one_core_gets_one_worker():
    code = "from activellm.sweep.local_backend import auto_jobs; print(auto_jobs()[0])"
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert pinned.stdout.strip() == "1"


def test_a_cgroup_cpu_quota_caps_the_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert usable_cpus(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cpus(tmp_path) == usable_cpus(tmp_path / "none")
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # cgroup v1
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == 1


def test_memory_is_what_is_available_not_the_total(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       67108864 kB\nMemFree:         1000000 kB\nMemAvailable:    3000000 kB\n")
    assert available_memory_gb(tmp_path / "none", meminfo) == pytest.approx(3.072)
    assert jobs_for(2, available_memory_gb(tmp_path / "none", meminfo), 0, "here")[0] == 1  # 2 GB a worker
    (tmp_path / "memory.max").write_text("4000000000\n")
    (tmp_path / "memory.current").write_text("3000000000\n")
    assert available_memory_gb(tmp_path, meminfo) == pytest.approx(1.0)


def test_gpu_workers_get_a_share_of_the_cores_as_threads(monkeypatch):
    monkeypatch.setattr(local_backend, "_visible_gpus", lambda: ["0", "1"])
    monkeypatch.setattr(local_backend, "usable_cpus", lambda: 8)
    environments = worker_environments(2)
    assert [(e["CUDA_VISIBLE_DEVICES"], e["OMP_NUM_THREADS"]) for e in environments] == [("0", "4"), ("1", "4")]
    assert jobs_for(8, 100.0, 2, "here")[0] == 2


def test_the_api_key_never_reaches_a_cell(monkeypatch):
    """The sweep's own process asks the LLM; its cells (local workers or processes) never see the key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-in-a-cell")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for environment in worker_environments(2):
        assert "OPENAI_API_KEY" not in environment and environment["HF_HUB_OFFLINE"] == "1"
