import os

import pytest

from activellm import files
from activellm.training.results import read_results, write_results


def _row(seed, accuracy):
    return {"task": "tiny", "mode": "baseline", "run": 1, "seed": seed, "n_train": 4, "accuracy": accuracy,
            "f1": 0.5, "train_seconds": 1.0, "eval_seconds": 0.5, "status": "ok", "selected": [3, 1]}


def test_csv_and_log_are_written(tmp_path):
    path = tmp_path / "run_1_x.csv"
    write_results(path, [_row(42, 0.75), _row(109, 0.85)], "header line")
    rows = read_results(path)
    assert [r["seed"] for r in rows] == ["42", "109"] and rows[0]["selected"] == "3 1"
    assert rows[0]["mcc"] == ""  # undefined metrics stay empty
    log = path.with_suffix(".log").read_text()
    assert "header line" in log and "accuracy: [0.7500, 0.8500]" in log and "accuracy: mean 0.8000" in log


def test_a_failed_write_keeps_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "run_1_x.csv"
    write_results(path, [_row(42, 0.75)], "h")
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_results(path, [_row(42, 0.75), _row(109, 0.8)], "h")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["run_1_x.csv", "run_1_x.log"]


def test_results_names_are_claimed_once_even_in_the_same_second(project_root, monkeypatch):
    from activellm import paths
    from activellm.training.experiment import RunConfig, claim_results_path, partial_path

    monkeypatch.setattr(paths, "timestamp", lambda: "2026-01-01_00-00-00")
    config = RunConfig(task="t", mode="m", run=1)
    first = claim_results_path(config)
    second = claim_results_path(config)  # first still in flight
    partial_path(first).rename(first)  # first finished
    partial_path(second).rename(second)
    third = claim_results_path(config)
    assert len({first, second, third}) == 3
    assert [p.name for p in (first, second, third)] == [
        "run_1_2026-01-01_00-00-00.csv", "run_1_2026-01-01_00-00-00-1.csv", "run_1_2026-01-01_00-00-00-2.csv"]
