"""A script's start-up and exit without the garbage collector's waste.

Importing torch and transformers creates about a million long-lived objects (modules, functions, classes). While
they are being created, Python's cyclic garbage collector runs again and again over the growing heap (about 1 s on
a 2-core CPU), and at exit the interpreter's last collection walks all of them once more (about 1.4 s), although
none of them is garbage: the operating system reclaims the memory anyway. ``run_script`` imports the model stack
with the collector paused, then freezes what exists (``gc.freeze``: kept, never scanned again), and freezes again
after ``main`` so that the exit skips the final walk. Objects created while ``main`` runs are collected as usual.
Only for a script's own process: never inside a test run or a library user's process, where frozen objects would
stay alive.

Measured by ``benchmarks/fewshot_cell.py``, which runs model_training.py as a user does.
"""

from __future__ import annotations

import gc
from typing import Callable

MODEL_CLASSES = ("AutoModelForSequenceClassification", "AutoTokenizer", "Trainer", "TrainingArguments")


def import_model_stack() -> None:
    """Import torch, transformers and the classes a training run uses, with the collector paused."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        import transformers  # imports torch

        for name in MODEL_CLASSES:
            getattr(transformers, name)  # transformers' attributes are lazy: the first access imports the module
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()


def run_script(main: Callable[[], int]) -> int:
    """``main()``'s exit code, with the model stack imported first and the exit's final collection skipped."""
    import_model_stack()
    code = main()
    gc.freeze()  # everything alive now is reclaimed by the OS at exit, not walked by the collector first
    return code
