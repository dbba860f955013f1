"""A sweep over budgets on the tiny model: random-equivalent labels, runs needed, the verdict and its plots; the
stopping rule adding rounds of runs."""

import csv

import automatic_run
from activellm.reporting import power


def _budget_sweep(tiny_model, *extra):
    return automatic_run.main(["--tasks", "tiny", "--budgets", "4", "8", "--random-budgets", "16", "--runs", "1", "2",
                               "3", "--modelclasses", "default", "--activelearning", "None", "random_filtering",
                               "--models", tiny_model, "--seeds", "3", "--epochs", "1", "--min-effect", "0.02",
                               *extra, "--extra"])


def test_a_sweep_over_budgets_ends_in_a_verdict(tiny_task, tiny_model, project_root, capsys):
    assert _budget_sweep(tiny_model) == 0
    out = capsys.readouterr().out
    logs = project_root / "logs" / "run"
    assert "sweep: 15 ran, 0 skipped, 0 failed of 15 cells" in out
    with open(logs / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"random_equivalent", "random_equivalent_ci_low", "random_equivalent_ci_high", "runs_needed",
            "min_effect", "runs_needed_min_effect"} <= set(rows[0])
    random_rows = [r for r in rows if r["activelearning"] == ""]
    assert sorted(int(r["n_train"]) for r in random_rows) == [4, 8, 16]
    filtered = [r for r in rows if r["activelearning"] == "random_filtering"]
    assert sorted(int(r["n_train"]) for r in filtered) == [4, 8]
    for row in filtered:
        assert row["random_equivalent"] and row["baseline_runs"] == "3" and row["min_effect"] == "0.02"
    verdict = (logs / "verdict.md").read_text()
    assert verdict.startswith("# Verdict") and "random rows, k = 4: **" in verdict
    assert "random rows, k = 8: **" in verdict and "Verdict (unit: the run" in out
    for name in ("budgets_tiny.png", "differences.png"):
        assert (logs / "plots" / name).read_bytes()[:4] == b"\x89PNG" and f"plot: {logs / 'plots' / name}" in out


def test_the_stopping_rule_adds_rounds_of_runs(tiny_task, tiny_model, project_root, monkeypatch, capsys):
    monkeypatch.setattr(power, "MIN_RUNS_TO_STOP", 3)
    assert automatic_run.main(["--tasks", "tiny_4", "--runs", "1", "2", "--modelclasses", "default",
                               "--activelearning", "None", "random_filtering", "--models", tiny_model, "--seeds", "3",
                               "--epochs", "1", "--until-width", "10", "--max-runs", "6", "--extra"]) == 0
    captured = capsys.readouterr()
    assert "adding runs 3-4" in captured.err and "adding runs 5" not in captured.err
    assert "every difference's 95% interval is within ±10.0 after 4 runs" in captured.out
    runs = {path.name.split("_")[1] for path in (project_root / "logs" / "run").rglob("run_*.csv")}
    assert runs == {"1", "2", "3", "4"}


def test_the_stopping_rule_needs_a_difference_to_random(tiny_task, tiny_model, project_root, monkeypatch, capsys):
    monkeypatch.setattr(power, "MIN_RUNS_TO_STOP", 3)
    assert automatic_run.main(["--tasks", "tiny_4", "--runs", "1", "--modelclasses", "default", "--activelearning",
                               "random_filtering", "--models", tiny_model, "--seeds", "3", "--epochs", "1",
                               "--until-width", "0.1", "--max-runs", "3", "--extra"]) == 2
    assert "--until-width needs differences to random" in capsys.readouterr().err
    assert len(list((project_root / "logs" / "run").rglob("run_1_*.csv"))) == 1  # the finished cell is kept


def test_the_stopping_rule_waits_for_this_grids_arms_only(tiny_task, tiny_model, project_root, monkeypatch, capsys):
    """An older arm left in logs/run on 2 runs does not keep the rule adding runs for the grid's own arms."""
    monkeypatch.setattr(power, "MIN_RUNS_TO_STOP", 3)
    common = ["--tasks", "tiny_4", "--modelclasses", "default", "--models", tiny_model, "--seeds", "3", "--epochs",
              "1"]
    assert automatic_run.main([*common, "--runs", "1", "2", "--activelearning", "None", "random_filtering",
                               "--extra", "--train-batch-size", "4"]) == 0
    assert automatic_run.main([*common, "--runs", "1", "2", "3", "--activelearning", "None", "random_filtering",
                               "--until-width", "10", "--max-runs", "6", "--extra"]) == 0
    captured = capsys.readouterr()
    assert "adding runs" not in captured.err
    assert "every difference's 95% interval is within ±10.0 after 3 runs" in captured.out
