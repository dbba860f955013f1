"""A cell in a long-lived worker, after other cells, gives exactly the metrics of the same cell run alone as
model_training.py with the same thread count."""

import os
import shutil
import subprocess
import sys
import time

from activellm.sweep.local_backend import Worker
from activellm.training.metrics import METRIC_NAMES
from activellm.training.results import read_results
from tests.conftest import REPO

SCRIPT = REPO / "model_training.py"


def _cells(tiny_model):
    common = ["--model", tiny_model, "--seeds", "1 7", "--epochs", "10", "--train-batch-size", "4",
              "--learning-rate", "3e-3"]  # enough for the tiny BERT to learn, differently per seed
    return [["--task", "tiny_16", "--run", "1", *common],
            ["--task", "tiny_16", "--run", "2", "--activelearning", "random_filtering", *common],
            ["--task", "tiny_16", "--run", "3", *common]]


def _metrics(root):
    rows = [row for path in sorted((root / "logs" / "run").rglob("run_*.csv")) for row in read_results(path)]
    return sorted(tuple(row[k] for k in ("task", "run", "activelearning", "seed", *METRIC_NAMES)) for row in rows)


def _environment(root):
    return {**os.environ, "ACTIVELLM_ROOT": str(root), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_three_cells_in_one_worker_equal_their_standalone_runs(tiny_task, tiny_model, project_root, tmp_path):
    alone = tmp_path / "alone"
    shutil.copytree(project_root / "data", alone / "data")
    for argv in _cells(tiny_model):
        done = subprocess.run([sys.executable, str(SCRIPT), *argv], env=_environment(alone), capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
    worker = Worker(_environment(project_root), tmp_path / "worker.log")
    try:
        for i, argv in enumerate(_cells(tiny_model)):
            worker.submit(SCRIPT, argv, tmp_path / f"cell_{i}.log")
            deadline = time.time() + 300
            while (code := worker.poll()) is None and time.time() < deadline:
                time.sleep(0.1)
            assert code == 0, (tmp_path / f"cell_{i}.log").read_text()
    finally:
        worker.close()
    in_worker = _metrics(project_root)
    assert len(in_worker) == 6 and in_worker == _metrics(alone)
    assert len({row[4:] for row in in_worker}) > 2  # the models learnt different things: a comparison that can fail



def _answer(worker, timeout=120):
    deadline = time.time() + timeout
    while (code := worker.poll()) is None and time.time() < deadline:
        time.sleep(0.05)
    return code


def test_a_stray_line_on_a_workers_stdout_does_not_hang_the_sweep(tmp_path):
    """A worker (here a stand-in) that prints a line outside the protocol before its answer: the answer still
    arrives, and the stray line lands in the worker's log."""
    fake = ("import json, sys\n"
            "for line in sys.stdin:\n"
            "    print('a library says hello', flush=True)\n"
            "    print(json.dumps({'returncode': 0}), flush=True)\n")
    worker = Worker(dict(os.environ), tmp_path / "worker.log", command=[sys.executable, "-c", fake])
    try:
        for cell in range(2):
            worker.submit(SCRIPT, [], tmp_path / f"cell_{cell}.log")
            assert _answer(worker, 30) == 0
    finally:
        worker.close()
    assert "a library says hello" in (tmp_path / "worker.log").read_text()


def test_each_cell_in_a_worker_logs_what_its_own_process_would(tmp_path):
    """Notes, warnings and transformers' warning_once said once per process appear in every cell's log; every cell
    records the commit its worker recorded when it imported the code."""
    script = tmp_path / "says_once.py"
    script.write_text(
        "import os, warnings\n"
        "from transformers.utils import logging\n"
        "from activellm.data.loading import note_once\n"
        "def main(argv):\n"
        "    note_once('the pool was cut')\n"
        "    warnings.warn('a deprecated option')\n"
        "    logging.get_logger('transformers').warning_once('a transformers warning')\n"
        "    print('git:', os.environ.get('ACTIVELLM_GIT'))\n"
        "    return 0\n")
    worker = Worker(dict(os.environ), tmp_path / "worker.log")
    try:
        for cell in range(2):
            worker.submit(script, [], tmp_path / f"cell_{cell}.log")
            assert _answer(worker) == 0, (tmp_path / f"cell_{cell}.log").read_text()
    finally:
        worker.close()
    for cell in range(2):
        log = (tmp_path / f"cell_{cell}.log").read_text()
        assert "note: the pool was cut" in log and "a deprecated option" in log and "a transformers warning" in log
        assert "git: {" in log  # recorded at the worker's start, not looked up per cell
