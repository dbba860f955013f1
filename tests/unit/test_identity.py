"""A run's full configuration is its identity: skipping and the summary never mix two settings."""

import pytest

import automatic_run
from activellm.reporting.summary import latest_rows, markdown_table, result_files, summarize, varying_keys
from activellm.training.experiment import find_complete_results
from activellm.training.results import RUN_COLUMNS, SETTING_COLUMNS, write_results

BASE = ["--task", "rotten_tomatoes", "--mode", "baseline", "--run", "1", "--model", "minilm", "--seeds", "1 2"]
SMALLTEXT = BASE + ["--modelclass", "smalltext", "--activelearning", "PredictionEntropy"]
SETFIT = BASE + ["--modelclass", "setfit"]


def _finished(argv, accuracy=0.5, name="run_1_2026-01-01_00-00-00.csv", seeds=None):
    """Write the finished CSV a run of ``argv`` would leave (rows built from its own identity)."""
    config = automatic_run.parse_cell(argv)
    rows = [{**config.identity(), "seed": seed, "n_train": 32, "accuracy": accuracy, "status": "ok"}
            for seed in seeds or config.seeds]
    write_results(config.results_dir() / name, rows, "h")
    return config


@pytest.mark.parametrize("argv, changed", [
    (BASE, ["--learning-rate", "1e-3"]),
    (BASE, ["--train-batch-size", "8"]),
    (BASE, ["--eval-batch-size", "64"]),
    (SMALLTEXT, ["--query-size", "10"]),
    (SMALLTEXT, ["--pool-size", "2000"]),
    (SMALLTEXT, ["--al-epochs", "3"]),
    (SMALLTEXT, ["--learning-rate", "1e-3"]),  # the final classifier's training
    (SETFIT, ["--setfit-iterations", "5"]),
])
def test_a_cell_differing_in_one_setting_is_not_finished(project_root, argv, changed):
    _finished(argv)
    assert find_complete_results(automatic_run.parse_cell(argv)) is not None
    assert find_complete_results(automatic_run.parse_cell(argv + changed)) is None


def test_the_newest_of_two_finished_files_of_one_second_is_reported(project_root):
    for name in ("run_1_2026-01-01_00-00-00.csv", "run_1_2026-01-01_00-00-00-1.csv", "run_1_2026-01-01_00-00-00-2.csv"):
        _finished(BASE, name=name)
    assert find_complete_results(automatic_run.parse_cell(BASE)).name == "run_1_2026-01-01_00-00-00-2.csv"


def test_a_hand_run_of_one_seed_keeps_the_sweeps_other_seeds(project_root):
    """A sweep ran seeds 1 2; a hand run redoes seed 1: the summary has the new seed 1 and the old seed 2, and the
    sweep still counts the cell finished, from the newest file."""
    _finished(BASE, accuracy=0.5)
    _finished(BASE[:-1] + ["1"], accuracy=0.9, name="run_1_2026-01-02_00-00-00.csv")
    (entry,) = summarize(latest_rows(result_files()))
    assert entry["seeds_per_run"] == "2" and entry["accuracy_mean"] == pytest.approx((0.9 + 0.5) / 2)
    assert find_complete_results(automatic_run.parse_cell(BASE)).name == "run_1_2026-01-02_00-00-00.csv"


def test_seeds_finished_in_separate_files_finish_the_cell(project_root):
    _finished(BASE[:-1] + ["1"], name="run_1_2026-01-01_00-00-00.csv")
    assert find_complete_results(automatic_run.parse_cell(BASE)) is None  # seed 2 is missing
    _finished(BASE[:-1] + ["2"], name="run_1_2026-01-02_00-00-00.csv")
    assert find_complete_results(automatic_run.parse_cell(BASE)).name == "run_1_2026-01-02_00-00-00.csv"
    (entry,) = summarize(latest_rows(result_files()))
    assert entry["seeds_per_run"] == "2"


def test_settings_that_do_not_apply_stay_out_of_the_identity(project_root):
    """SetFit ignores the BERT learning rate; a default run ignores the active learning budget."""
    _finished(SETFIT)
    assert find_complete_results(automatic_run.parse_cell(SETFIT + ["--learning-rate", "1e-3"])) is not None
    _finished(BASE)
    assert find_complete_results(automatic_run.parse_cell(BASE + ["--budget", "50"])) is not None
    identity = automatic_run.parse_cell(BASE).identity()
    assert identity["learning_rate"] == "5e-05" and identity["train_batch_size"] == "128"
    assert identity["budget"] == "" and identity["setfit_iterations"] == ""


def test_an_old_format_csv_never_counts_as_finished(project_root):
    config = automatic_run.parse_cell(BASE)
    old = [{**{k: v for k, v in config.identity().items() if k in RUN_COLUMNS}, "seed": s, "n_train": 32,
            "accuracy": 0.5, "status": "ok"} for s in config.seeds]
    path = config.results_dir() / "run_1_2025-01-01_00-00-00.csv"
    write_results(path, old, "h")
    path.write_text(path.read_text().replace(",".join(SETTING_COLUMNS), "x," * (len(SETTING_COLUMNS) - 1) + "x"))
    assert find_complete_results(config) is None


def test_the_summary_keeps_two_learning_rates_apart(project_root):
    _finished(BASE, accuracy=0.5)
    _finished(BASE + ["--learning-rate", "1e-3"], accuracy=0.9, name="run_1_2026-01-02_00-00-00.csv")
    summary = summarize(latest_rows(result_files()))
    assert sorted((e["learning_rate"], e["accuracy_mean"]) for e in summary) == [("0.001", 0.9), ("5e-05", 0.5)]
    assert varying_keys(summary) == ["learning_rate"]
    table = markdown_table(summary)
    header = next(line for line in table.splitlines() if line.startswith("| task"))
    assert "| learning_rate |" in header and "| 0.001 |" in table and "| 5e-05 |" in table
    assert "train_batch_size" not in header  # equal in every row: not a column, but stated below
    assert "Settings of every row where they apply: epochs 25, learning_rate" not in table
    assert "train_batch_size 128" in table


def test_dry_run_after_a_finished_cell_runs_a_changed_setting(project_root, capsys):
    cell = ["--tasks", "rotten_tomatoes", "--random-budgets", "--modes", "baseline", "--runs", "1", "--modelclasses",
            "default", "--activelearning", "None", "--seeds", "1", "2"]
    _finished(BASE + ["--modelclass", "default", "--epochs", "25"])
    assert automatic_run.main([*cell, "--dry-run", "--extra"]) == 0
    assert capsys.readouterr().out.startswith("skip (finished)")
    assert automatic_run.main([*cell, "--dry-run", "--extra", "--train-batch-size", "8", "--learning-rate",
                               "1e-3"]) == 0
    assert capsys.readouterr().out.startswith("run ")
