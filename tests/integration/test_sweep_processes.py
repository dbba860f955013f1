"""The sweep's processes: --jobs really runs cells side by side with their own threads or GPU, and a real
SIGINT stops the cell in flight, records it as interrupted and exits 130."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import automatic_run
from activellm.sweep import grid, local_backend
from tests.conftest import REPO

FAKE_TRAINING = '''
import json, os, signal, sys, time
from pathlib import Path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    start = time.time()
    if "random_filtering" in argv and os.environ.get("KILL_RANDOM_FILTERING"):  # the worker dies with its cell
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(1.5)
    record = {"argv": argv, "start": start, "end": time.time(), "pid": os.getpid(),
              **{k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUDA_VISIBLE_DEVICES")}}
    Path(os.environ["ACTIVELLM_ROOT"], f"cell_{os.getpid()}_{start}.json").write_text(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


@pytest.fixture
def fake_training(project_root, monkeypatch):
    """model_training.py replaced by a script that records its environment and how long it ran."""
    script = project_root / "fake_training.py"
    script.write_text(FAKE_TRAINING)
    monkeypatch.setattr(grid, "SCRIPT", script)
    return project_root


def _cells(root):
    return sorted((json.loads(p.read_text()) for p in root.glob("cell_*.json")), key=lambda r: r["start"])


def _sweep(*extra):
    return automatic_run.main(["--tasks", "rotten_tomatoes", "--random-budgets", "--modes", "baseline", "--runs", "1",
                               "--modelclasses", "default", "--activelearning", "None", "random_filtering", "--seeds",
                               "1", *extra, "--extra"])


def test_jobs_2_runs_two_cells_at_once_with_half_the_cores_each(fake_training, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(local_backend, "_visible_gpus", lambda: [])
    monkeypatch.setattr(local_backend, "usable_cpus", lambda: 8)
    assert _sweep("--jobs", "2") == 0
    first, second = _cells(fake_training)
    assert second["start"] < first["end"]  # side by side
    assert first["OMP_NUM_THREADS"] == second["OMP_NUM_THREADS"] == "4" and first["MKL_NUM_THREADS"] == "4"
    for path in fake_training.glob("cell_*.json"):
        path.unlink()
    assert _sweep("--jobs", "1", "--redo") == 0
    first, second = _cells(fake_training)
    assert second["start"] >= first["end"] and first["OMP_NUM_THREADS"] == "8"  # one after the other, all cores


def test_on_gpus_each_job_gets_its_own_device(fake_training, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert _sweep("--jobs", "2") == 0
    assert sorted(r["CUDA_VISIBLE_DEVICES"] for r in _cells(fake_training)) == ["3", "5"]


def test_a_real_sigint_stops_the_cell_records_it_and_exits_130(tiny_task, tiny_model, project_root):
    env = {**os.environ, "ACTIVELLM_ROOT": str(project_root)}
    command = [sys.executable, str(REPO / "automatic_run.py"), "--tasks", "tiny_4", "--modes", "baseline",
               "--runs", "1", "--modelclasses", "default", "--activelearning", "None", "random_filtering",
               "--models", tiny_model, "--seeds", "1", "--epochs", "100000", "--jobs", "1", "--extra"]
    # a shell may start background jobs with SIGINT ignored; restore the default so Python turns it into Ctrl-C
    sweep_process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pool = project_root / "data" / "tiny" / "df_train_full_shuffled_1.csv"  # written by the cell once it runs
    deadline = time.time() + 120
    while not pool.exists() and time.time() < deadline and sweep_process.poll() is None:
        time.sleep(0.2)
    assert pool.exists(), sweep_process.communicate()
    time.sleep(2)  # into training
    sweep_process.send_signal(signal.SIGINT)
    _, stderr = sweep_process.communicate(timeout=120)
    assert sweep_process.returncode == 130, stderr
    assert "interrupted: finished cells are kept" in stderr
    status = json.loads((project_root / "logs" / "sweep" / "status.json").read_text())
    assert [o["state"] for o in status["outcomes"]] == ["interrupted"] and status["cells"] == 2
    assert status["outcomes"][0]["returncode"] not in (0, None)
    assert not list((project_root / "logs" / "run").rglob("*.csv"))  # nothing counts as finished


def test_cells_share_a_worker_and_a_killed_worker_loses_only_its_cell(fake_training, monkeypatch):
    """Three cells on one slot: the first two in one worker process; the third kills its worker (kill -9), is
    recorded failed, and the sweep goes on in a new worker."""
    monkeypatch.setattr(local_backend, "_visible_gpus", lambda: [])
    assert _sweep("--runs", "1", "2", "--activelearning", "None", "--jobs", "1") == 0
    first, second = _cells(fake_training)
    assert first["pid"] == second["pid"]  # one worker, two cells
    for path in fake_training.glob("cell_*.json"):
        path.unlink()
    monkeypatch.setenv("KILL_RANDOM_FILTERING", "1")
    assert _sweep("--runs", "1", "2", "--redo", "--jobs", "1") == 1
    status = json.loads((fake_training / "logs" / "sweep" / "status.json").read_text())
    states = {" ".join(o["command"][2:]): (o["state"], o["returncode"]) for o in status["outcomes"]}
    killed = [state for command, state in states.items() if "random_filtering" in command]
    assert killed == [("failed", -9), ("failed", -9)]
    assert sorted(state for command, state in states.items() if "random_filtering" not in command) == \
        [("done", 0), ("done", 0)]
    assert len({cell["pid"] for cell in _cells(fake_training)}) == 2  # each kill replaced the worker
