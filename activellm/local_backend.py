"""The local sweep backend: each cell one model_training.py process on this machine, up to N at once.

On GPUs each process gets its own device (CUDA_VISIBLE_DEVICES), on CPUs its share of the cores (OMP_NUM_THREADS).
The process writes its results into the project root itself; a Ctrl-C reaches it as SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def worker_environments(jobs: int) -> list[dict[str, str]]:
    """One environment per parallel job: a GPU each where there are GPUs, else a share of the CPU cores."""
    base = dict(os.environ)
    gpus = _visible_gpus()
    if gpus:
        return [{**base, "CUDA_VISIBLE_DEVICES": gpu} for gpu in gpus[:jobs]]
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    return [{**base, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads} for _ in range(jobs)]


def _visible_gpus() -> list[str]:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(listed.stdout.splitlines()) if line.startswith("GPU")]


class LocalBackend:
    """Cells as local processes, one per slot (a GPU each, or a share of the cores)."""

    def __init__(self, jobs: int = 1):
        self.environments = worker_environments(max(1, jobs))

    @property
    def slots(self) -> int:
        return len(self.environments)

    def start(self, cell, slot: int, log: Path) -> subprocess.Popen:
        with open(log, "w", encoding="utf-8") as stream:
            return subprocess.Popen(cell.command(), stdout=stream, stderr=subprocess.STDOUT,
                                    env=self.environments[slot], start_new_session=True)

    def poll(self, process: subprocess.Popen, log: Path) -> int | None:
        return process.poll()

    def stop(self, process: subprocess.Popen) -> int | None:
        """Interrupt the cell's process group like Ctrl-C would, then make sure it is gone."""
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        return process.returncode
