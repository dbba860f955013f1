import pytest

from activellm.reporting.summary import (latest_rows, markdown_table, plot_summary, result_files, summarize,
                                         write_summary)
from activellm.training.results import write_results


def _rows(task, mode, run, accuracies, n_train=32, activelearning=""):
    return [{"task": task, "tag": task, "mode": mode, "modelclass": "default", "activelearning": activelearning,
             "warmstart": False, "run": run, "seed": seed, "n_train": n_train, "model": "minilm", "epochs": 25,
             "accuracy": accuracy, "f1": accuracy / 2, "status": "ok"} for seed, accuracy in zip((1, 2), accuracies)]


@pytest.fixture
def logs(project_root):
    folder = project_root / "logs" / "run"
    write_results(folder / "a" / "run_1_2026-01-01_00-00-00.csv", _rows("rotten_tomatoes", "baseline", 1, [0.5, 0.7]), "h")
    write_results(folder / "b" / "run_2_2026-01-01_00-00-00.csv", _rows("rotten_tomatoes", "baseline", 2, [0.9, 0.9]), "h")
    # a redo of run 2: the newer file wins
    write_results(folder / "b" / "run_2_2026-01-02_00-00-00.csv", _rows("rotten_tomatoes", "baseline", 2, [0.8, 0.6]), "h")
    for i, acc in ((1, 0.55), (2, 0.65)):
        write_results(folder / f"c{i}" / "run_1_2026-01-01_00-00-00.csv",
                      _rows(f"rotten_tomatoes_25_cont_index_recap_{i}", "10", 1, [acc, acc], n_train=25 * i), "h")
    return folder


def test_summary_averages_seeds_within_runs_newest_file_winning(logs):
    summary = summarize(latest_rows(result_files()))
    baseline = next(e for e in summary if e["task"] == "rotten_tomatoes")
    # run 1: seeds 0.5, 0.7 (mean 0.6); run 2's redo: 0.8, 0.6 (mean 0.7) replaces 0.9, 0.9
    assert baseline["runs"] == 2 and baseline["seeds_per_run"] == "2"
    assert baseline["accuracy_mean"] == pytest.approx(0.65)
    assert baseline["accuracy_run_sd"] == pytest.approx(0.1 / 2 ** 0.5)
    assert baseline["accuracy_seed_sd"] == pytest.approx((0.02 + 0.02) ** 0.5 / 2 ** 0.5)  # pooled: sqrt(0.02)
    assert baseline["mcc_mean"] is None
    assert [e["n_train"] for e in summary if "cont" in e["task"]] == ["25", "50"]
    table = markdown_table(summary)
    # t(0.975, 1) = 12.706205: 0.65 ± 12.706205 * 0.0707107 / sqrt(2)
    (row,) = [line for line in table.splitlines() if line.startswith("| rotten_tomatoes | baseline")]
    assert row.startswith("| rotten_tomatoes | baseline | default |  | False | minilm | 32 | 2 | 2 | "
                          "0.6500 ± 0.0707 [0.0147, 1.2853] |") and row.endswith("| 0.1414 |")  # f1 between
    path = write_summary(summary)
    assert path == logs / "summary.csv" and "accuracy_mean" in path.read_text() and "mcc_mean" not in path.read_text()


def test_a_redo_started_in_the_same_second_wins_over_the_first(project_root):
    # claim_results_path names the second run_1_<time>-1.csv, which plain name order puts first
    folder = project_root / "logs" / "run" / "b"
    for suffix, accuracies in (("", [0.9, 0.9]), ("-1", [0.8, 0.6]), ("-2", [0.5, 0.5]), ("-10", [0.7, 0.7])):
        write_results(folder / f"run_2_2026-01-01_00-00-00{suffix}.csv",
                      _rows("rotten_tomatoes", "baseline", 2, accuracies), "h")
    (entry,) = summarize(latest_rows(result_files()))
    assert entry["accuracy_mean"] == pytest.approx(0.7)


def test_summary_skips_iteration_rows_and_failed_rows(project_root):
    folder = project_root / "logs" / "run" / "x"
    rows = _rows("rotten_tomatoes", "baseline", 1, [0.5, 0.7])
    rows[1]["status"] = "failed"
    rows.append({**rows[0], "iteration": 3, "accuracy": 0.99})
    write_results(folder / "run_1_2026-01-01_00-00-00.csv", rows, "h")
    (entry,) = summarize(latest_rows(result_files()))
    assert entry["seeds_per_run"] == "1" and entry["accuracy_mean"] == 0.5


def test_plots_are_png_files(logs):
    written = plot_summary(summarize(latest_rows(result_files())))
    assert sorted(p.name for p in written) == ["curve_rotten_tomatoes_25_cont_index_recap.png", "fewshot.png"]
    for png in written:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_warm_starts_of_different_sizes_are_different_lines():
    from activellm.reporting.summary import _line_label

    entry = {"mode": "gpt-4o_10", "modelclass": "smalltext", "activelearning": "BALD", "warmstart": "True",
             "model": "minilm", "warmstart_size": "k*i", "task": "rotten_tomatoes_25_cont_index_recap_3"}
    assert "warm from 75" in _line_label(entry)
    assert "warm from 40" in _line_label({**entry, "warmstart_size": "40"})
