"""The script start-up without the garbage collector's waste (activellm.startup), each in a fresh interpreter:
freezing objects inside the test process would keep them alive for the rest of the run."""

import json
import subprocess
import sys

from tests.conftest import REPO


def _run(code: str) -> dict:
    finished = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_the_model_stack_is_imported_without_a_collection_and_then_frozen():
    result = _run("""
import gc, json, sys
from activellm import startup
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
startup.import_model_stack()
print(json.dumps({"collections": len(collections), "frozen": gc.get_freeze_count(), "enabled": gc.isenabled(),
                  "trainer": "transformers.trainer" in sys.modules, "torch": "torch" in sys.modules}))
""")
    assert result["torch"] and result["trainer"]
    assert result["collections"] == 0  # the import made hundreds of thousands of objects without a single walk
    assert result["frozen"] > 100_000
    assert result["enabled"]  # collection goes on as usual for what the run creates


def test_run_script_returns_mains_code_and_freezes_what_main_left_alive():
    result = _run("""
import gc, json
from activellm import startup
startup.import_model_stack = lambda: None  # the stack itself is the test above; here only main's part
kept = []
def main():
    kept.extend([i] for i in range(5000))
    return 3
code = startup.run_script(main)
print(json.dumps({"code": code, "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}))
""")
    assert result["code"] == 3
    assert result["frozen"] >= 5000  # the exit's final collection skips them
    assert result["enabled"]
