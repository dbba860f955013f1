"""Long-lived cell workers: a sweep's cells run one after another in a process that has imported torch and
transformers once, instead of a new process per cell.

A cell in a worker is the script's ``main(argv)`` (model_training.py's, the code path of a standalone run) called
in-process, with file descriptors 1 and 2 pointing at the cell's log, so everything it prints (tqdm, transformers'
logging, C libraries) lands there as a new process's output would. Each cell starts as a new process would:

* a run seeds everything it draws from itself (the pool shuffle, the selectors, small-text, every seed's
  classifier and Trainer), so what earlier cells drew changes nothing; a new process's global generators are
  seeded from entropy anyway (torch's too), so no result may depend on their state;
* no model is kept: every seed loads its classifier anew (from the page cache, not the disk); what is kept are
  imported modules and read-only caches (tokenizers, the sentence encoder).

A cell writes its results atomically itself, so a cell that fails or kills its worker loses that cell only: the
sweep records it failed with its log and replaces the worker. Protocol of the worker process (``python -m
activellm.sweep.cell_worker``): one JSON line per cell on stdin, ``{"script": path, "argv": [...], "log": path}``; one
JSON line per cell on its stdout, ``{"returncode": n}``; stdin closed ends it; SIGINT interrupts the cell in flight,
which is answered with 130, and ends the worker.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

INTERRUPTED = 130


class CellRunner:
    """Runs scripts' ``main(argv)`` in this process, one cell after another, each as a new process would."""

    def __init__(self) -> None:
        self.scripts: dict[str, ModuleType] = {}

    def script(self, path: str) -> ModuleType:
        """The script at ``path`` as a module, loaded once (it is not run as __main__)."""
        if path not in self.scripts:
            spec = importlib.util.spec_from_file_location(f"_cell_script_{len(self.scripts)}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self.scripts[path] = module
        return self.scripts[path]

    def run(self, script: str, argv: list[str], log: str | Path) -> int:
        """The exit code of ``script``'s ``main(argv)``, its output written to ``log``. KeyboardInterrupt passes."""
        main = self.script(script).main
        forget_what_was_said()
        with open(log, "w", encoding="utf-8", buffering=1) as stream, output_to(stream), warnings.catch_warnings():
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse's errors and sys.exit() in a script
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
                if not isinstance(exit_.code, (int, type(None))):
                    print(exit_.code, file=sys.stderr)
            except KeyboardInterrupt:
                raise
            except BaseException:  # a cell's traceback goes to its log, as a new process's would
                import traceback

                traceback.print_exc()
                code = 1
        gc.collect()  # the cell's models and tensors, before the next cell allocates its own
        return int(code or 0)


def forget_what_was_said() -> None:
    """What a process says once is said again in the next cell, so that each cell's log holds what a process of its
    own would have written: the project's notes, transformers' warning_once and info_once, and Python's "once"
    warnings (the per-module registries of "default" warnings are renewed by catch_warnings around the cell)."""
    from activellm.data.loading import note_once

    note_once.cache_clear()
    warnings.onceregistry.clear()
    transformers_logging = sys.modules.get("transformers.utils.logging")
    for name in ("warning_once", "info_once"):
        cache_clear = getattr(getattr(transformers_logging, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()


def record_code_version() -> None:
    """The commit of the code this worker imports, recorded once at its start (ACTIVELLM_GIT): every cell it runs
    records that commit, not the one checked out when the cell starts (a commit made during a sweep). A Ray actor
    has the driver's record there already."""
    from activellm.training.environment import GIT_ENV, git_commit

    if not os.environ.get(GIT_ENV):
        os.environ[GIT_ENV] = json.dumps(git_commit())


@contextlib.contextmanager
def output_to(stream):
    """File descriptors 1 and 2 (C libraries, subprocesses) and sys.stdout, sys.stderr point at ``stream`` inside
    the block."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(stream.fileno(), 1)
        os.dup2(stream.fileno(), 2)
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            yield
    finally:
        stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def serve() -> int:
    """The worker process: cells from stdin, exit codes to the original stdout (see the module docstring)."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)  # before fd 1 is pointed at cell logs
    os.dup2(2, 1)  # what is printed outside a cell goes to the worker's log, never into the answers
    record_code_version()
    from activellm.training import startup

    startup.import_model_stack()
    from activellm.training import experiment  # noqa: F401  (the project's code, imported beside the commit recorded)
    runner = CellRunner()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            code = runner.run(request["script"], request["argv"], request["log"])
        except KeyboardInterrupt:
            answers.write(json.dumps({"returncode": INTERRUPTED}) + "\n")
            return INTERRUPTED
        answers.write(json.dumps({"returncode": code}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(serve())
