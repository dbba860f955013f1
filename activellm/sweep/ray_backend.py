"""The Ray sweep backend: the same long-lived cell worker as the local backend's, as a Ray actor per slot, anywhere in
a cluster.

Results do not depend on a shared filesystem. A cell sends the files it reads (the task's data, answers and prompts
folders) with its arguments to its slot's actor, which runs model_training.py's main in a fresh project root and
returns the files the run wrote or changed, with its output; the driver writes them atomically into its own project
root, exactly where the local backend's worker would have. A cell whose actor or node dies returns nothing and is
recorded as failed. The code reaches the workers through Ray's runtime environment (the repository as
``working_dir``, without results, caches and git); LLM keys never do: LLM asks stay in the driver (activellm.sweep.llm_lists).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from activellm import paths
from activellm.errors import UserError
from activellm.files import atomic_write_bytes, atomic_write_text
from activellm.sweep.local_backend import AUTO, jobs_for
from activellm.training.environment import GIT_ENV, git_commit

# A leading "/" anchors a pattern at the repository root: "data" alone would also leave out activellm/data/.
EXCLUDES = ["/.git", "/logs", "/data", "/answers", "/prompts", "__pycache__", ".pytest_cache", ".venv", "*.pyc"]
SHIPPED_FOLDERS = ("data", "answers", "prompts")


class RayBackendError(UserError, RuntimeError):
    """Ray is missing or the cluster cannot be reached."""


def cell_inputs(cell) -> dict[str, bytes]:
    """The files a cell may read, by path relative to the project root: its task's data, answers and prompts."""
    from activellm.data.tasks import TaskError, parse_task_name

    root = paths.project_root()
    try:
        name = parse_task_name(cell.config.task)
        folders = [root / "data" / name.spec.data_name, root / "answers" / name.tag, root / "prompts" / name.tag]
    except TaskError:  # the run will say what is wrong; ship what there is under the name
        folders = [root / folder / cell.config.task for folder in SHIPPED_FOLDERS]
    return {str(path.relative_to(root)): path.read_bytes()
            for folder in folders if folder.is_dir() for path in folder.rglob("*") if path.is_file()}


class CellActor:
    """A Ray actor per slot: the same long-lived worker as the local backend's (activellm.sweep.cell_worker), in a fresh
    project root per cell on whichever node it lives."""

    def __init__(self, threads: int):
        import torch

        from activellm.sweep.cell_worker import CellRunner
        from activellm.training import startup

        for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(threads)
        torch.set_num_threads(threads)
        os.environ.pop("OPENAI_API_KEY", None)  # cells never ask an LLM
        startup.import_model_stack()
        self.runner = CellRunner()

    def run(self, argv: list[str], inputs: dict[str, bytes], git: str = "null") -> dict:
        """Lay out ``inputs`` in a fresh project root, run model_training.py's main there, return what it wrote.
        ``git`` is the driver's commit record (JSON): the worker's copy of the code has no .git."""
        with tempfile.TemporaryDirectory(prefix="activellm-cell-") as scratch:
            root = Path(scratch)
            for relative, data in inputs.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_bytes(data)
            os.environ[paths.ROOT_ENV], os.environ[GIT_ENV] = str(root), git
            log = root / "cell.log"
            script = Path(os.getcwd()) / "model_training.py"  # the runtime environment's copy of the repository
            returncode = self.runner.run(str(script), argv, log)
            output = log.read_text(encoding="utf-8", errors="replace")
            log.unlink()
            files = {}
            for path in root.rglob("*"):
                relative = str(path.relative_to(root))
                if path.is_file() and inputs.get(relative) != (data := path.read_bytes()):
                    files[relative] = data
            return {"returncode": returncode, "output": output, "files": files}


def runtime_env() -> dict:
    """The repository as every worker's working directory (results, caches and git left out)."""
    return {"working_dir": str(paths.REPOSITORY), "excludes": EXCLUDES}


class RayBackend:
    """Cells on Ray actors, one per slot, each with a resource request; ``address`` None starts a local Ray
    instance. An actor that dies (its node, a crash) fails its cell; the slot's next cell gets a new actor."""

    def __init__(self, jobs: int | str = 1, address: str | None = None, cpus_per_cell: float | None = None,
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
        if jobs == AUTO:  # the cluster's resources, not the driver's cores
            jobs, why = jobs_for(int(resources.get("CPU", 1)), resources.get("memory", 0) / 1e9 or None, int(gpus),
                                 "the Ray cluster")
            print(f"jobs auto: {why}", file=sys.stderr)
        self.gpus_per_cell = gpus_per_cell if gpus_per_cell is not None else (1 if gpus else 0)
        self.cpus_per_cell = cpus_per_cell or max(1, int(resources.get("CPU", 1)) // max(1, jobs))
        self.slots = max(1, jobs)
        self.actor_class = ray.remote(CellActor).options(num_cpus=self.cpus_per_cell, num_gpus=self.gpus_per_cell,
                                                         max_restarts=0)
        self.actors: dict[int, object] = {}
        self.ray = ray
        self.git = json.dumps(git_commit())  # once: every cell runs the code as it is now

    def start(self, cell, slot: int, log: Path):
        atomic_write_text(log, f"submitted to Ray: {' '.join(cell.argv)}\n")
        if slot not in self.actors:
            self.actors[slot] = self.actor_class.remote(max(1, int(self.cpus_per_cell)))
        return slot, self.actors[slot].run.remote(cell.argv, cell_inputs(cell), self.git)

    def poll(self, handle, log: Path) -> int | None:
        slot, reference = handle
        ready, _ = self.ray.wait([reference], timeout=0)
        if not ready:
            return None
        try:
            result = self.ray.get(reference)
        except Exception as error:  # the actor or its node died: nothing of the cell is written
            atomic_write_text(log, f"the Ray actor failed: {error}\n")
            self.actors.pop(slot, None)
            return -1
        root = paths.project_root()
        # a results CSV last: a .csv always stands for a finished run, its .log and .json beside it
        for relative, data in sorted(result["files"].items(), key=lambda item: item[0].endswith(".csv")):
            atomic_write_bytes(root / relative, data)
        atomic_write_text(log, result["output"])
        return result["returncode"]

    def stop(self, handle) -> int | None:
        slot, reference = handle
        self.ray.cancel(reference, force=True)
        self.actors.pop(slot, None)
        return None

    def close(self) -> None:
        """End the actors."""
        for actor in self.actors.values():
            self.ray.kill(actor)
        self.actors.clear()
