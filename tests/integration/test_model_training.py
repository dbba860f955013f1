"""model_training.py end to end, on the tiny BERT and small local CSV tasks (and once on MiniLM)."""

import subprocess
import sys

import pandas as pd
import pytest

import model_training
from activellm import paths
from activellm.data.pools import load_task
from activellm.training.results import read_results
from tests.conftest import REPO


def _run(*args):
    return model_training.main([*map(str, args)])


def _only_csv(project_root):
    found = sorted((project_root / "logs" / "run").rglob("*.csv"))
    assert len(found) == 1, found
    return found[0], read_results(found[0])


def test_baseline_run_writes_csv_log_and_prints_means(tiny_task, tiny_model, project_root, capsys):
    assert _run("--task", "tiny_8", "--mode", "baseline", "--run", 1, "--model", tiny_model,
                "--seeds", "42 109", "--epochs", 1) == 0
    csv_path, rows = _only_csv(project_root)
    assert csv_path.parent == project_root / "logs" / "run" / "tiny_8" / "baseline"
    assert csv_path.name.startswith("run_1_")
    assert [r["seed"] for r in rows] == ["42", "109"]
    pool = pd.read_csv(paths.pool_file("tiny", 1))
    first8 = " ".join(map(str, pool["index"][:8]))
    for row in rows:
        assert row["n_train"] == "8" and row["status"] == "ok" and row["selected"] == first8
        assert row["task"] == "tiny_8" and row["tag"] == "tiny_8" and row["model"] == tiny_model
        assert 0.0 <= float(row["accuracy"]) <= 1.0 and row["spearman"] == ""
        assert len(row["precision_per_class"].split()) == 2
    log = csv_path.with_suffix(".log").read_text()
    assert "accuracy: mean" in log and "seed 109" in log
    assert "accuracy: mean" in capsys.readouterr().out


def test_same_run_twice_gives_identical_metrics(tiny_task, tiny_model, project_root):
    for _ in range(2):
        assert _run("--task", "tiny_8", "--run", 2, "--model", tiny_model, "--seeds", "7", "--epochs", 2) == 0
    results = [read_results(p)[0] for p in sorted((project_root / "logs").rglob("*.csv"))]
    assert len(results) == 2
    assert results[0]["accuracy"] == results[1]["accuracy"] and results[0]["f1"] == results[1]["f1"]


def test_list_mode_trains_on_listed_rows_and_a_missing_class_still_evaluates(tiny_task, tiny_model, project_root):
    pool = load_task("tiny", 1).pool
    negatives = [i for i, label in enumerate(pool["label"]) if label == 0][:4]
    list_path = paths.list_file("tiny_4", "gpt_test", 1)
    list_path.parent.mkdir(parents=True)
    list_path.write_text(", ".join(map(str, negatives)) + ", 999")  # longer than needed: the first 4 count
    assert _run("--task", "tiny_4", "--mode", "gpt_test", "--model", tiny_model, "--seeds", "1", "--epochs", 1) == 0
    _, rows = _only_csv(project_root)
    assert rows[0]["selected"] == " ".join(str(pool["index"][i]) for i in negatives)
    # the classifier has the task's two classes although only class 0 was selected
    assert len(rows[0]["precision_per_class"].split()) == 2 and rows[0]["f1"] != ""


def test_bad_list_is_a_clear_error_and_writes_nothing(tiny_task, tiny_model, project_root, capsys):
    list_path = paths.list_file("tiny_4", "bad", 1)
    list_path.parent.mkdir(parents=True)
    list_path.write_text("1, 2, 3, 500")
    assert _run("--task", "tiny_4", "--mode", "bad", "--model", tiny_model, "--seeds", "1", "--epochs", 1) == 2
    error = capsys.readouterr().err
    assert "beyond the pool of 64 rows: 500" in error and str(list_path) in error
    assert not (project_root / "logs").exists()


def test_unknown_task_and_bad_warmstart_value(project_root, capsys):
    assert _run("--task", "nope", "--model", "x") == 2
    assert "Unknown task 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        model_training.main(["--task", "tiny", "--warmstart", "Ture"])
    assert "expected true or false" in capsys.readouterr().err


def test_script_runs_as_a_subprocess(tiny_task, tiny_model, project_root):
    completed = subprocess.run(
        [sys.executable, str(REPO / "model_training.py"), "--task", "tiny_4", "--activelearning",
         "random_filtering", "--model", tiny_model, "--seeds", "3", "--epochs", "1"],
        capture_output=True, text=True, cwd=project_root, timeout=300)
    assert completed.returncode == 0, completed.stderr
    _, rows = _only_csv(project_root)
    assert rows[0]["activelearning"] == "random_filtering" and rows[0]["n_train"] == "4"


def test_minilm_on_rotten_tomatoes(project_root):
    """The offline defaults end to end: packaged MiniLM, packaged Rotten Tomatoes, 1 seed, 1 epoch."""
    assert _run("--task", "rotten_tomatoes", "--mode", "baseline", "--run", 1, "--model", "minilm",
                "--seeds", 42, "--epochs", 1) == 0
    csv_path, rows = _only_csv(project_root)
    assert csv_path.parent == project_root / "logs" / "run" / "rotten_tomatoes" / "baseline"
    (row,) = rows
    assert row["model"] == "minilm" and row["n_train"] == "32" and row["epochs"] == "1" and row["seed"] == "42"
    assert 0.3 < float(row["accuracy"]) < 0.8 and row["mcc"] != ""
    assert float(row["eval_seconds"]) > 0 and len(row["selected"].split()) == 32
    # the selection diagnostics on the real pool and embeddings (the only test that embeds all 7,464 sentences)
    assert sum(int(c) for c in row["diag_class_counts"].split()) == 32
    assert 0 < float(row["diag_coverage"]) < 1 and 0.5 < float(row["diag_typicality"]) < 2
