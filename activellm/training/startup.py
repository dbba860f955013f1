"""A script's start-up and exit without the garbage collector's waste.

Importing torch and transformers creates about a million long-lived objects (modules, functions, classes). While
they are being created, Python's cyclic garbage collector runs again and again over the growing heap (about 1,200
walks, about 1 s on a 2-core CPU), and at exit the interpreter's last collection walks all of them once more (about
1.4 s), although none of them is garbage: the operating system reclaims the memory anyway.
``import_model_stack`` imports the model stack with the collector paused, which is harmless in any process. Inside
``run_script``, a script's own process, it then freezes what exists (``gc.freeze``: kept, never walked again), and
``run_script`` freezes again when ``main`` returns, so that the exit skips the final walk. Objects created in
between are collected as usual. Freezing is for a script's process only: in a test run or a library user's
process, frozen objects would stay alive.

Measured by ``benchmarks/fewshot_cell.py``, which runs model_training.py as a user does.
"""

from __future__ import annotations

import gc
from typing import Callable

MODEL_CLASSES = ("AutoModelForSequenceClassification", "AutoTokenizer", "Trainer", "TrainingArguments")
_in_script = False  # set by run_script: only a script's own process may freeze


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
    if _in_script:
        gc.freeze()


def run_script(main: Callable[[], int]) -> int:
    """``main()``'s exit code, with the model stack frozen once imported and the exit's final collection skipped."""
    global _in_script
    _in_script = True
    code = main()
    gc.freeze()  # everything alive now is reclaimed by the OS at exit, not walked by the collector first
    return code
