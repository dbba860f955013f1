"""The local sweep backend: cells on this machine, up to N at once, in long-lived workers (activellm.sweep.cell_worker)
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
from typing import Sequence

from activellm import paths
from activellm.machine import available_memory_gb, usable_cpus

AUTO = "auto"
WORKER_MEMORY_GB = 2.0  # a worker's peak on the main job was 1.4 GB; auto leaves room for that per worker


CELL_SECRETS = ("OPENAI_API_KEY",)  # cells never ask an LLM (the sweep's own process does): the key stays there


def worker_environments(jobs: int) -> list[dict[str, str]]:
    """One environment per parallel job: a GPU each where there are GPUs, else a share of the usable cores; CPU
    threads are a share of the usable cores either way (a GPU cell still tokenises and collates on the CPU). The
    API key is left out."""
    base = {name: value for name, value in os.environ.items() if name not in CELL_SECRETS}
    gpus = _visible_gpus()
    if gpus:
        gpus = gpus[:jobs]
        return [{**base, "CUDA_VISIBLE_DEVICES": gpu, **_threads(usable_cpus() // len(gpus))} for gpu in gpus]
    return [{**base, **_threads(usable_cpus() // jobs)} for _ in range(jobs)]


def _threads(count: int) -> dict[str, str]:
    return dict.fromkeys(("OMP_NUM_THREADS", "MKL_NUM_THREADS"), str(max(1, count)))


def _visible_gpus() -> list[str]:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(listed.stdout.splitlines()) if line.startswith("GPU")]


def jobs_for(cpus: int, memory_gb: float | None, gpus: int, where: str) -> tuple[int, str]:
    """``--jobs auto`` for a machine or a cluster: one worker per GPU; on CPUs one worker of one thread per core
    (two 1-thread cells side by side beat two 2-thread cells in turn, docs/speed.md), as far as memory holds
    WORKER_MEMORY_GB each. Returns the count and a sentence saying why."""
    if gpus:
        return gpus, f"{gpus} worker(s), one per GPU ({where})"
    jobs = max(1, min(cpus, int(memory_gb // WORKER_MEMORY_GB))) if memory_gb else cpus
    limit = f", {memory_gb:.0f} GB of memory available" if memory_gb else ""
    return jobs, (f"{jobs} worker(s) of {max(1, cpus // jobs)} thread(s) each ({cpus} usable cores{limit}, {where}; "
                  "one 1-thread worker per core measured fastest, docs/speed.md)")


def auto_jobs() -> tuple[int, str]:
    """``--jobs auto`` on this machine (jobs_for): its visible GPUs, usable cores and available memory."""
    return jobs_for(usable_cpus(), available_memory_gb(), len(_visible_gpus()), "this machine")


WORKER_COMMAND = (sys.executable, "-m", "activellm.sweep.cell_worker")


class Worker:
    """A ``python -m activellm.sweep.cell_worker`` process and a thread that reads its answers."""

    def __init__(self, environment: dict[str, str], stderr: Path, command: Sequence[str] = WORKER_COMMAND):
        path = os.pathsep.join(filter(None, [str(paths.REPOSITORY), environment.get("PYTHONPATH")]))
        self.stderr = stderr
        with open(stderr, "a", encoding="utf-8") as errors:
            self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=errors, text=True, env={**environment, "PYTHONPATH": path},
                                            start_new_session=True)
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """Answers into the queue; a line that is not the protocol's answer (a library printing to the worker's
        stdout) goes to the worker's log instead of ending the reader, which would leave its cell waiting for ever."""
        try:
            for line in self.process.stdout:
                try:
                    self.answers.put(int(json.loads(line)["returncode"]))
                except (ValueError, KeyError, TypeError):
                    with open(self.stderr, "a", encoding="utf-8") as log:
                        log.write(f"not an answer of the cell protocol, on the worker's stdout: {line}")
        except BaseException:  # its answers can no longer be read: a worker that cannot answer is ended
            self.process.kill()
            raise
        finally:
            self.answers.put(None)  # the worker is gone: poll() gives its exit code

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
