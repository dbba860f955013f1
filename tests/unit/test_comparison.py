"""Intervals and paired tests over runs against values computed by hand, and their place in the summary."""

import math

import pytest

from activellm.reporting.comparison import holm, paired_comparison, seed_spread, t_interval
from activellm.reporting.summary import latest_rows, markdown_table, result_files, summarize, write_summary
from activellm.training.results import write_results

T_975_1 = 12.706205  # Student's t, 97.5% quantile, 1 degree of freedom (a printed table)
T_975_3 = 3.182446  # ... 3 degrees of freedom


def test_t_interval_by_hand():
    low, high = t_interval([0.5, 0.7, 0.8, 0.6])
    half = T_975_3 * 0.1290994 / 2  # sample sd of the four values over sqrt(4)
    assert (low, high) == (pytest.approx(0.65 - half, abs=1e-6), pytest.approx(0.65 + half, abs=1e-6))
    assert t_interval([0.5]) is None


def test_paired_comparison_by_hand():
    compared = paired_comparison([0.6, 0.7, 0.65, 0.8], [0.5, 0.55, 0.6, 0.6])
    # differences 0.1, 0.15, 0.05, 0.2: mean 0.125, sample sd sqrt(0.0125 / 3)
    sd = (0.0125 / 3) ** 0.5
    assert compared.pairs == 4 and compared.mean_difference == pytest.approx(0.125)
    assert compared.interval == (pytest.approx(0.125 - T_975_3 * sd / 2, abs=1e-6),
                                 pytest.approx(0.125 + T_975_3 * sd / 2, abs=1e-6))
    # t = 0.125 / (sd / 2) = 3.873; two-sided p for 3 degrees of freedom: 0.0305 (a printed table gives 0.03 - 0.04)
    assert compared.p_paired_t == pytest.approx(0.0305, abs=5e-4)
    # Wilcoxon, exact: all four differences positive, the most extreme of 2^4 sign patterns, two-sided: 2/16
    assert compared.p_wilcoxon == pytest.approx(0.125)


def test_undefined_tests_are_none_not_invented():
    one = paired_comparison([0.7], [0.5])
    assert one.pairs == 1 and one.interval is None and one.p_paired_t is None and one.p_wilcoxon is None
    same = paired_comparison([0.5, 0.6], [0.5, 0.6])
    assert same.mean_difference == 0 and same.p_paired_t is None and same.p_wilcoxon is None
    assert paired_comparison([], []) is None


def test_float_noise_is_not_spread():
    # 0.3-0.2, 0.8-0.7 and 0.9-0.8 are 0.1 up to 1e-16; a t-test over that "spread" reports p = 1e-31
    compared = paired_comparison([0.3, 0.8, 0.9], [0.2, 0.7, 0.8])
    assert compared.p_paired_t is None and compared.mean_difference == pytest.approx(0.1)
    assert compared.interval == (pytest.approx(0.1), pytest.approx(0.1))
    assert compared.p_wilcoxon == pytest.approx(0.25)  # three positive differences, exact: 2/8


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 of three tests: 3*0.01, 2*0.03, max(0.06, 1*0.04)
    assert holm([0.01, 0.04, 0.03, None]) == [pytest.approx(0.03), pytest.approx(0.06), pytest.approx(0.06), None]
    assert holm([0.6, 0.9]) == [1.0, 1.0]


def test_seed_spread_pools_the_runs_and_needs_two_seeds():
    assert seed_spread({"1": [0.7, 0.8, 0.9], "2": [0.6, 0.65, 0.7]}) == pytest.approx(math.sqrt(0.00625))
    assert seed_spread({"1": [0.7], "2": [0.6]}) is None


# 2 runs x 3 seeds, by hand. Selection: run 1 seeds 0.70 0.80 0.90 (mean 0.80), run 2 0.60 0.65 0.70 (0.65).
# Baseline: run 1 0.60 0.70 0.80 (0.70), run 2 0.50 0.60 0.70 (0.60).
SELECTION = {1: [0.70, 0.80, 0.90], 2: [0.60, 0.65, 0.70]}
BASELINE = {1: [0.60, 0.70, 0.80], 2: [0.50, 0.60, 0.70]}


def _rows(mode, activelearning, by_run, learning_rate=5e-05, seeds=(1, 2, 3)):
    return [{"task": "rotten_tomatoes", "tag": "rotten_tomatoes", "mode": mode, "modelclass": "default",
             "activelearning": activelearning, "warmstart": False, "run": run, "seed": seed, "n_train": 32,
             "model": "minilm", "epochs": 25, "learning_rate": learning_rate, "train_batch_size": 8,
             "accuracy": accuracy, "status": "ok"}
            for run, values in by_run.items() for seed, accuracy in zip(seeds, values)]


def _write(folder, name, rows):
    write_results(folder / name / "run_1_2026-01-01_00-00-00.csv", rows, "h")


def test_two_runs_of_three_seeds_by_hand(project_root):
    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", BASELINE))
    _write(folder, "b", _rows("baseline", "vote_k", SELECTION))
    summary = summarize(latest_rows(result_files()))
    voted = next(e for e in summary if e["activelearning"] == "vote_k")
    assert voted["runs"] == 2 and voted["seeds_per_run"] == "3"
    # mean of the run means 0.80, 0.65; their sd 0.15 / sqrt(2); the interval with 1 degree of freedom
    run_sd = 0.15 / math.sqrt(2)
    assert voted["accuracy_mean"] == pytest.approx(0.725)
    assert voted["accuracy_run_sd"] == pytest.approx(run_sd)
    assert voted["accuracy_ci_low"] == pytest.approx(0.725 - T_975_1 * run_sd / math.sqrt(2), abs=1e-5)
    assert voted["accuracy_ci_high"] == pytest.approx(0.725 + T_975_1 * run_sd / math.sqrt(2), abs=1e-5)
    # within-run variances 0.01 and 0.0025, two degrees of freedom each
    assert voted["accuracy_seed_sd"] == pytest.approx(math.sqrt((0.01 * 2 + 0.0025 * 2) / 4))
    # run differences 0.10, 0.05: mean 0.075, sd 0.05 / sqrt(2), t = 0.075 / 0.025 = 3 with 1 degree of freedom:
    # two-sided p = 1 - (2 / pi) atan(3); Wilcoxon, exact: both positive, 2 of 2^2 sign patterns as extreme: 0.5
    assert voted["baseline_runs"] == 2 and voted["diff_mean"] == pytest.approx(0.075)
    assert voted["diff_ci_low"] == pytest.approx(0.075 - T_975_1 * 0.025, abs=1e-5)
    assert voted["p_paired_t"] == pytest.approx(1 - 2 / math.pi * math.atan(3))
    assert voted["p_wilcoxon"] == pytest.approx(0.5)
    assert voted["p_paired_t_holm"] == pytest.approx(voted["p_paired_t"])  # one tested row: nothing to adjust
    table = markdown_table(summary)
    assert "Unit: the run (one selection)" in table and "over the 1 tested rows of this table" in table
    assert "| 2 | 3 | 0.7250 ± 0.1061 [-0.2280, 1.6780] | 0.0791 |" in table
    header = write_summary(summary).read_text().splitlines()[0].split(",")
    assert {"runs", "seeds_per_run", "accuracy_run_sd", "accuracy_seed_sd", "p_paired_t_holm",
            "p_wilcoxon_holm"} <= set(header)


def test_one_run_has_no_interval_and_no_test(project_root):
    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", {1: BASELINE[1]}))
    _write(folder, "b", _rows("baseline", "vote_k", {1: SELECTION[1]}))
    voted = next(e for e in summarize(latest_rows(result_files())) if e["activelearning"] == "vote_k")
    assert voted["runs"] == 1 and voted["accuracy_seed_sd"] == pytest.approx(0.1)
    assert voted["accuracy_run_sd"] is None and voted["accuracy_ci_low"] is None
    assert voted["baseline_runs"] == 1 and voted["diff_mean"] == pytest.approx(0.1)
    assert voted["diff_ci_low"] is None and voted["p_paired_t"] is None and voted["p_wilcoxon"] is None
    assert "| 1 | 3 | 0.8000 | 0.1000 |" in markdown_table([voted])


def test_holm_adjusts_over_the_rows_of_the_table(project_root):
    folder = project_root / "logs" / "run"
    baseline = {run: [0.5] for run in range(1, 6)}
    _write(folder, "a", _rows("baseline", "", baseline, seeds=(1,)))
    _write(folder, "b", _rows("baseline", "vote_k", {r: [0.5 + 0.01 * r] for r in baseline}, seeds=(1,)))
    _write(folder, "c", _rows("baseline", "embedding_kmeans", {r: [0.5 + 0.02 * r + 0.01 * (r % 2)]
                                                                 for r in baseline}, seeds=(1,)))
    summary = summarize(latest_rows(result_files()))
    compared = [e for e in summary if e["baseline_runs"]]
    assert len(compared) == 2
    for test in ("p_paired_t", "p_wilcoxon"):
        assert [e[f"{test}_holm"] for e in compared] == pytest.approx(holm([e[test] for e in compared]))
    smaller = min(compared, key=lambda e: e["p_paired_t"])
    assert smaller["p_paired_t_holm"] == pytest.approx(2 * smaller["p_paired_t"])


def test_summary_pairs_each_selection_with_the_baseline_of_the_same_settings(project_root):
    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", BASELINE))
    _write(folder, "b", _rows("baseline", "vote_k", SELECTION))
    # another learning rate: no baseline with its settings, so no comparison
    _write(folder, "c", _rows("baseline", "vote_k", SELECTION, learning_rate=1e-3))
    summary = summarize(latest_rows(result_files()))
    by = {(e["activelearning"], e["learning_rate"]): e for e in summary}
    assert by[("vote_k", "5e-05")]["baseline_runs"] == 2
    assert by[("", "5e-05")]["baseline_runs"] is None and by[("vote_k", "0.001")]["baseline_runs"] is None


def test_pairs_use_the_seeds_both_have(project_root):
    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", {1: [0.5, 0.9], 2: [0.5, 0.9]}, seeds=(1, 2)))
    _write(folder, "b", _rows("baseline", "vote_k", {1: [0.6], 2: [0.7]}, seeds=(1,)))
    voted = next(e for e in summarize(latest_rows(result_files())) if e["activelearning"] == "vote_k")
    assert voted["diff_mean"] == pytest.approx(0.15)  # against seed 1's 0.5, not the run mean 0.7


def test_bar_chart_with_intervals_and_the_majority_class(project_root):
    from activellm.data.loading import load_splits
    from activellm.data.tasks import TASKS
    from activellm.reporting.summary import majority_accuracy, plot_summary

    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", BASELINE))
    _write(folder, "b", _rows("baseline", "vote_k", SELECTION))
    _, _, test = load_splits(TASKS["rotten_tomatoes"])
    assert majority_accuracy("rotten_tomatoes") == max((test["label"] == c).mean() for c in (0, 1))
    (png,) = plot_summary(summarize(latest_rows(result_files())))
    assert png.name == "fewshot.png" and png.read_bytes()[:4] == b"\x89PNG"


def test_the_bar_chart_reads_on_its_own(project_root, monkeypatch):
    """Title with task, model, k and runs; the baseline marked; run-level intervals; the majority-class line."""
    from activellm.reporting import summary as summary_module

    folder = project_root / "logs" / "run"
    _write(folder, "a", _rows("baseline", "", BASELINE))
    _write(folder, "b", _rows("baseline", "vote_k", SELECTION))
    figures = []
    monkeypatch.setattr(summary_module, "save_figure", lambda figure, path: figures.append(figure) or path)
    entries = summarize(latest_rows(result_files()))
    summary_module.plot_summary(entries)
    (axis,) = figures[0].axes
    assert axis.get_title() == "rotten_tomatoes: minilm, k = 32, 2 runs × 3 seed(s) each"
    assert [t.get_text() for t in axis.get_xticklabels()] == ["random (baseline)", "vote-k"]
    legend = [t.get_text() for t in axis.get_legend().get_texts()]
    assert legend[0] == "random baseline: the first k rows of each run's pool"
    assert legend[1].startswith("majority class of the test set (0.5")
    assert "95% CI over runs" in axis.get_ylabel()
    baseline_bar, voted_bar = axis.patches[:2]
    assert baseline_bar.get_facecolor() != voted_bar.get_facecolor()
    (errorbars,) = [c for c in axis.containers if hasattr(c, "has_yerr") and c.has_yerr]
    segments = errorbars.lines[2][0].get_segments()  # one vertical segment per bar: the run-level interval
    voted = next(e for e in entries if e["activelearning"] == "vote_k")
    assert segments[1][0][1] == pytest.approx(voted["accuracy_ci_low"])
    assert segments[1][1][1] == pytest.approx(voted["accuracy_ci_high"])
