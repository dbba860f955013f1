"""The Ray sweep backend: each cell a Ray task that runs the same model_training.py process, anywhere in a cluster.

Results do not depend on a shared filesystem. The task gets the files its cell reads (the task's data, answers and
prompts folders) with its arguments, runs model_training.py in a fresh project root on the worker, and returns the
files the run wrote or changed, with its output; the driver writes them atomically into its own project root,
exactly where the local backend's process would have. A cell whose node dies returns nothing and is recorded as
failed. The code reaches the workers through Ray's runtime environment (the repository as ``working_dir``, without
results, caches and git); LLM keys never do: LLM asks stay in the driver (activellm.llm_loop).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from activellm import paths
from activellm.environment import GIT_ENV, git_commit
from activellm.errors import UserError
from activellm.files import atomic_write_bytes, atomic_write_text

EXCLUDES = [".git", "logs", "data", "answers", "prompts", "__pycache__", ".pytest_cache", ".venv", "*.pyc"]
SHIPPED_FOLDERS = ("data", "answers", "prompts")


class RayBackendError(UserError, RuntimeError):
    """Ray is missing or the cluster cannot be reached."""


def cell_inputs(cell) -> dict[str, bytes]:
    """The files a cell may read, by path relative to the project root: its task's data, answers and prompts."""
    from activellm.tasks import TaskError, parse_task_name

    root = paths.project_root()
    try:
        name = parse_task_name(cell.config.task)
        folders = [root / "data" / name.spec.data_name, root / "answers" / name.tag, root / "prompts" / name.tag]
    except TaskError:  # the run will say what is wrong; ship what there is under the name
        folders = [root / folder / cell.config.task for folder in SHIPPED_FOLDERS]
    return {str(path.relative_to(root)): path.read_bytes()
            for folder in folders if folder.is_dir() for path in folder.rglob("*") if path.is_file()}


def run_cell(argv: list[str], inputs: dict[str, bytes], threads: int, git: str = "null") -> dict:
    """On a worker: lay out ``inputs`` in a fresh project root, run model_training.py, return what it wrote.
    ``git`` is the driver's commit record (JSON): the worker's copy of the code has no .git."""
    with tempfile.TemporaryDirectory(prefix="activellm-cell-") as scratch:
        root = Path(scratch)
        for relative, data in inputs.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
        environment = {**os.environ, paths.ROOT_ENV: str(root), "OMP_NUM_THREADS": str(threads),
                       "MKL_NUM_THREADS": str(threads), GIT_ENV: git}
        environment.pop("OPENAI_API_KEY", None)  # cells never ask an LLM
        script = Path(os.getcwd()) / "model_training.py"  # the runtime environment's copy of the repository
        done = subprocess.run([sys.executable, str(script), *argv], env=environment, capture_output=True, text=True)
        files = {}
        for path in root.rglob("*"):
            relative = str(path.relative_to(root))
            if path.is_file() and inputs.get(relative) != (data := path.read_bytes()):
                files[relative] = data
        return {"returncode": done.returncode, "output": done.stdout + done.stderr, "files": files}


def runtime_env() -> dict:
    """The repository as every worker's working directory (results, caches and git left out)."""
    return {"working_dir": str(paths.REPOSITORY), "excludes": EXCLUDES}


class RayBackend:
    """Cells as Ray tasks with a resource request each; ``address`` None starts a local Ray instance."""

    def __init__(self, jobs: int = 1, address: str | None = None, cpus_per_cell: float | None = None,
                 gpus_per_cell: float | None = None):
        try:
            import ray
        except ImportError as error:
            raise RayBackendError("--backend ray needs Ray: pip install -r requirements.txt") from error
        if not ray.is_initialized():  # else the caller started Ray, with runtime_env() (tests do)
            try:
                ray.init(address=address, runtime_env=runtime_env(), include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError) as error:
                raise RayBackendError(f"Could not reach the Ray cluster at {address!r}: {error}") from error
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0)
        self.gpus_per_cell = gpus_per_cell if gpus_per_cell is not None else (1 if gpus else 0)
        self.cpus_per_cell = cpus_per_cell or max(1, int(resources.get("CPU", 1)) // max(1, jobs))
        self.slots = max(1, jobs)
        self.remote = ray.remote(run_cell).options(num_cpus=self.cpus_per_cell, num_gpus=self.gpus_per_cell,
                                                   max_retries=0)
        self.ray = ray
        self.git = json.dumps(git_commit())  # once: every cell runs the code as it is now

    def start(self, cell, slot: int, log: Path):
        atomic_write_text(log, f"submitted to Ray: {' '.join(cell.argv)}\n")
        return self.remote.remote(cell.argv, cell_inputs(cell), max(1, int(self.cpus_per_cell)), self.git)

    def poll(self, reference, log: Path) -> int | None:
        ready, _ = self.ray.wait([reference], timeout=0)
        if not ready:
            return None
        try:
            result = self.ray.get(reference)
        except Exception as error:  # the worker or its node died: nothing of the cell is written
            atomic_write_text(log, f"the Ray task failed: {error}\n")
            return -1
        root = paths.project_root()
        # a results CSV last: a .csv always stands for a finished run, its .log and .json beside it
        for relative, data in sorted(result["files"].items(), key=lambda item: item[0].endswith(".csv")):
            atomic_write_bytes(root / relative, data)
        atomic_write_text(log, result["output"])
        return result["returncode"]

    def stop(self, reference) -> int | None:
        self.ray.cancel(reference, force=True)
        return None

    def close(self) -> None:
        """Nothing outlives a cell here: each is its own task."""
