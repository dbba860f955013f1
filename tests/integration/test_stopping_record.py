"""A report after the stopping rule says what the sweep said: the rule's record beside the reports (its rounds, its
confirmation runs, its looks) is read by --summary, byte for byte, with a stand-in for training."""

from __future__ import annotations

import json
import math

import pytest

import automatic_run
from activellm.reporting import power
from activellm.sweep import local_backend
from activellm.training import experiment
from activellm.training.fine_tuning import FitResult
from activellm.training.metrics import METRIC_NAMES

# Paired differences to random over the 15 runs the rule reaches: t = 2.34 on 14 df, p = 0.035, between the
# sequential level of three looks (0.0221) and 0.05. Each run's difference is fixed by its run number.
SHAPE = [0.3, -1.2, 0.8, 1.5, -0.4, 0.0, -0.9, 1.1, 0.6, -1.6, 0.2, -0.3, 1.3, -0.7, -0.7]


def _differences() -> list[float]:
    mean = sum(SHAPE) / len(SHAPE)
    sd = math.sqrt(sum((z - mean) ** 2 for z in SHAPE) / (len(SHAPE) - 1))
    return [0.01 * ((z - mean) / sd + 2.34 / math.sqrt(len(SHAPE))) for z in SHAPE]


class StandInBackend:
    """Runs each cell in this process at once, as model_training.py would, with ``fit`` stood in for."""

    slots = 1

    def __init__(self, jobs: int = 1, workers: bool = True):
        pass

    def start(self, cell, slot, log):
        experiment.run_experiment(cell.config, report=lambda line: None)
        return 0

    def poll(self, handle, log):
        return handle

    def stop(self, handle):
        return None

    def close(self):
        pass


@pytest.fixture
def stand_in_training(monkeypatch):
    runs_in_order: list[int] = []
    differences = _differences()

    def fit(config, spec, train_df, test, seed):
        if config.run not in runs_in_order:
            runs_in_order.append(config.run)
        accuracy = 0.6 + 0.01 * (config.run % 7)
        if config.activelearning:
            accuracy += differences[runs_in_order.index(config.run) % len(differences)]
        return FitResult(dict.fromkeys(METRIC_NAMES[:3], accuracy), 0.0, 0.0)

    monkeypatch.setattr(experiment, "fit", fit)
    monkeypatch.setattr(experiment, "encode_test_set", lambda *args: None)
    monkeypatch.setattr(local_backend, "LocalBackend", StandInBackend)
    monkeypatch.setattr(power, "MIN_RUNS_TO_STOP", 5)


GRID = ["--tasks", "tiny_4", "--modelclasses", "default", "--activelearning", "None", "random_filtering", "--models",
        "minilm", "--seeds", "3", "--epochs", "1", "--jobs", "1", "--no-plot"]


def test_summary_after_the_stopping_rule_prints_the_sweeps_verdict(tiny_task, stand_in_training, project_root,
                                                                   capsys):
    rule = ["--until-width", "0.0001", "--max-runs", "15"]
    assert automatic_run.main([*GRID, "--runs", "1", "2", "3", "4", "5", "--confirm", "6", "7", "8", *rule,
                               "--extra", "--no-diagnostics"]) == 0
    swept = capsys.readouterr()
    assert "adding runs 9-13" in swept.err and "adding runs 14-18" in swept.err
    logs = project_root / "logs" / "run"
    verdict = (logs / "verdict.md").read_text()
    assert "over the 3 looks at which the stopping rule could stop (5, 10, 15 runs" in verdict
    assert "random rows, k = 4: **undecided**" in verdict and "## Confirmation on runs 6-8" in verdict
    record = json.loads((logs / "stopping_rule.json").read_text())
    assert record["rounds"] == [[1, 2, 3, 4, 5], list(range(9, 14)), list(range(14, 19))]
    assert record["confirm"] == [6, 7, 8] and record["looks"] == [5, 10, 15]
    assert record["stopped"].startswith("stopped at --max-runs 15")

    (logs / "verdict.md").unlink()
    for runs in ([], ["--runs", "1", "2", "3", "4", "5"]):  # the grid as it was swept, with or without its runs
        assert automatic_run.main([*GRID, *runs, "--summary", "--extra", "--no-diagnostics"]) == 0
        assert (logs / "verdict.md").read_text() == verdict
        assert "note: the stopping rule ran this grid to runs 1-5, 9-18" in capsys.readouterr().err

    # runs 1-15 hold the confirmation's 6-8: refused, and the verdict kept
    with pytest.raises(SystemExit) as refused:
        automatic_run.main([*GRID, "--runs", *map(str, range(1, 16)), *rule, "--summary", "--extra",
                            "--no-diagnostics"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "--runs 1-15 --until-width 0.0001 --max-runs 15 is not what the stopping rule ran for this grid" in err
    assert "runs 1-5, 9-18, confirmation runs 6-8" in err and (logs / "verdict.md").read_text() == verdict


def test_a_record_of_another_grid_is_not_read(tiny_task, stand_in_training, project_root, capsys):
    assert automatic_run.main([*GRID, "--runs", "1", "2", "3", "4", "5", "--until-width", "0.0001", "--max-runs",
                               "10", "--extra", "--no-diagnostics"]) == 0
    capsys.readouterr()
    assert automatic_run.main([*GRID, "--runs", "1", "2", "--summary", "--extra", "--no-diagnostics",
                               "--train-batch-size", "4"]) == 0
    assert "stopping rule" not in capsys.readouterr().err
