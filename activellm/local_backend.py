"""The local sweep backend: cells on this machine, up to N at once, in long-lived workers (activellm.cell_worker)
or, with ``workers=False``, each as a new model_training.py process.

On GPUs each slot gets its own device (CUDA_VISIBLE_DEVICES), on CPUs its share of the cores (OMP_NUM_THREADS).
A cell writes its results into the project root itself; a Ctrl-C reaches it as SIGINT. A worker that dies (a crash,
kill -9) loses its cell only: the cell is recorded failed and the slot's next cell starts a new worker.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from activellm import paths

AUTO = "auto"
WORKER_MEMORY_GB = 2.0  # a worker's peak on the main job was 1.4 GB; auto leaves room for that per worker


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


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def auto_jobs() -> tuple[int, str]:
    """``--jobs auto``: one worker per GPU; on CPUs one worker of one thread per core (two 1-thread cells side by
    side beat two 2-thread cells in turn, docs/speed.md), as far as memory holds WORKER_MEMORY_GB each. Returns the
    count and a sentence saying why."""
    gpus = _visible_gpus()
    if gpus:
        return len(gpus), f"{len(gpus)} worker(s), one per GPU"
    cores = os.cpu_count() or 1
    memory = _memory_gb()
    jobs = max(1, min(cores, int(memory // WORKER_MEMORY_GB))) if memory else cores
    limit = f", {memory:.0f} GB of memory" if memory else ""
    return jobs, (f"{jobs} worker(s) of {max(1, cores // jobs)} thread(s) each ({cores} cores{limit}; one 1-thread "
                  "worker per core measured fastest, docs/speed.md)")


class Worker:
    """A ``python -m activellm.cell_worker`` process and a thread that reads its answers."""

    def __init__(self, environment: dict[str, str], stderr: Path):
        path = os.pathsep.join(filter(None, [str(paths.REPOSITORY), environment.get("PYTHONPATH")]))
        with open(stderr, "a", encoding="utf-8") as errors:
            self.process = subprocess.Popen([sys.executable, "-m", "activellm.cell_worker"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=errors, text=True,
                                            env={**environment, "PYTHONPATH": path}, start_new_session=True)
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.answers.put(json.loads(line)["returncode"])
        self.answers.put(None)  # the worker is gone

    def submit(self, script: Path, argv: list[str], log: Path) -> None:
        self.process.stdin.write(json.dumps({"script": str(script), "argv": list(argv), "log": str(log)}) + "\n")
        self.process.stdin.flush()

    def poll(self) -> int | None:
        """The cell's exit code once it ended; a worker that died answers with its own (e.g. -9 for kill -9)."""
        try:
            code = self.answers.get_nowait()
        except queue.Empty:
            return None
        return code if code is not None else self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


class LocalBackend:
    """Cells on this machine, one per slot (a GPU each, or a share of the cores)."""

    def __init__(self, jobs: int = 1, workers: bool = True):
        self.environments = worker_environments(max(1, jobs))
        self.workers: dict[int, Worker] | None = {} if workers else None

    @property
    def slots(self) -> int:
        return len(self.environments)

    def start(self, cell, slot: int, log: Path):
        if self.workers is None:
            with open(log, "w", encoding="utf-8") as stream:
                return subprocess.Popen(cell.command(), stdout=stream, stderr=subprocess.STDOUT,
                                        env=self.environments[slot], start_new_session=True)
        worker = self.workers.get(slot)
        if worker is None or not worker.alive:  # first use, or the last cell killed it: a new one
            errors = log.parent / "workers" / f"worker_{slot}.log"  # what a worker says outside its cells' logs
            errors.parent.mkdir(parents=True, exist_ok=True)
            worker = self.workers[slot] = Worker(self.environments[slot], errors)
        worker.submit(cell.script, cell.argv, log)
        return worker

    def poll(self, handle, log: Path) -> int | None:
        return handle.poll()

    def stop(self, handle) -> int | None:
        """Interrupt the cell's process group like Ctrl-C would, then make sure it is gone."""
        process = handle.process if isinstance(handle, Worker) else handle
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        return process.returncode

    def close(self) -> None:
        """End the workers (their stdin closed: they finish the loop and exit)."""
        for worker in (self.workers or {}).values():
            worker.close()
