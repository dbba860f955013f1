"""The script start-up without the garbage collector's waste (activellm.training.startup), each in a fresh interpreter:
freezing objects inside the test process would keep them alive for the rest of the run."""

import json
import subprocess
import sys

from tests.conftest import REPO


def _run(code: str) -> dict:
    finished = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_the_model_stack_is_imported_without_a_collection_and_outside_a_script_nothing_is_frozen():
    result = _run("""
import gc, json, sys
from activellm.training import startup
collections = []
gc.callbacks.append(lambda phase, info: collections.append(info["generation"]) if phase == "start" else None)
startup.import_model_stack()
print(json.dumps({"collections": len(collections), "frozen": gc.get_freeze_count(), "enabled": gc.isenabled(),
                  "trainer": "transformers.trainer" in sys.modules, "torch": "torch" in sys.modules}))
""")
    assert result["torch"] and result["trainer"]
    assert result["collections"] == 0  # the import made hundreds of thousands of objects without a single walk
    assert result["enabled"]  # collection goes on as usual for what the run creates
    assert result["frozen"] == 0  # a test run or a library user's process keeps its objects collectable


def test_in_a_script_the_stack_is_frozen_once_imported_and_what_main_left_alive_at_the_end():
    result = _run("""
import gc, json
from activellm.training import startup
kept, frozen_after_import = [], []
def main():
    startup.import_model_stack()
    frozen_after_import.append(gc.get_freeze_count())
    kept.extend([i] for i in range(5000))
    return 3
code = startup.run_script(main)
print(json.dumps({"code": code, "after_import": frozen_after_import[0], "after_main": gc.get_freeze_count(),
                  "enabled": gc.isenabled()}))
""")
    assert result["code"] == 3
    assert result["after_import"] > 100_000  # later collections during the run skip the model stack
    assert result["after_main"] >= result["after_import"] + 5000  # and the exit's final collection skips it all
    assert result["enabled"]

