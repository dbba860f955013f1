"""Intervals and paired tests against values computed by hand, and their place in the summary."""

import pytest

from activellm.comparison import paired_comparison, t_interval
from activellm.results import write_results
from activellm.summary import latest_rows, markdown_table, result_files, summarize

T_975_3 = 3.182446  # Student's t, 97.5% quantile, 3 degrees of freedom (a printed table)


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


def _rows(mode, activelearning, accuracies, learning_rate=5e-05):
    return [{"task": "rotten_tomatoes", "tag": "rotten_tomatoes", "mode": mode, "modelclass": "default",
             "activelearning": activelearning, "warmstart": False, "run": run, "seed": seed, "n_train": 32,
             "model": "minilm", "epochs": 25, "learning_rate": learning_rate, "train_batch_size": 8,
             "accuracy": accuracy, "status": "ok"}
            for (run, seed), accuracy in zip([(1, 1), (1, 2), (2, 1), (2, 2)], accuracies)]


def test_summary_pairs_each_selection_with_the_baseline_of_the_same_settings(project_root):
    folder = project_root / "logs" / "run"
    write_results(folder / "a" / "run_1_x.csv", _rows("baseline", "", [0.5, 0.55, 0.6, 0.6]), "h")
    write_results(folder / "b" / "run_1_x.csv", _rows("baseline", "vote_k", [0.6, 0.7, 0.65, 0.8]), "h")
    # another learning rate: no baseline with its settings, so no comparison
    write_results(folder / "c" / "run_1_x.csv", _rows("baseline", "vote_k", [0.9] * 4, 1e-3), "h")
    summary = summarize(latest_rows(result_files()))
    by = {(e["activelearning"], e["learning_rate"]): e for e in summary}
    voted = by[("vote_k", "5e-05")]
    assert voted["baseline_pairs"] == 4 and voted["diff_mean"] == pytest.approx(0.125)
    assert voted["p_wilcoxon"] == pytest.approx(0.125)
    assert by[("", "5e-05")]["baseline_pairs"] is None and by[("vote_k", "0.001")]["baseline_pairs"] is None
    table = markdown_table(summary)
    assert "Against the random baseline" in table
    assert "| accuracy | 4 | +0.1250 [+0.0223, +0.2277] | 0.030 | 0.125 |" in table


def test_bar_chart_with_intervals_and_the_majority_class(project_root):
    from activellm.summary import majority_accuracy, plot_summary
    from activellm.tasks import TASKS, load_splits

    folder = project_root / "logs" / "run"
    write_results(folder / "a" / "run_1_x.csv", _rows("baseline", "", [0.5, 0.55, 0.6, 0.6]), "h")
    write_results(folder / "b" / "run_1_x.csv", _rows("baseline", "vote_k", [0.6, 0.7, 0.65, 0.8]), "h")
    _, _, test = load_splits(TASKS["rotten_tomatoes"])
    assert majority_accuracy("rotten_tomatoes") == max((test["label"] == c).mean() for c in (0, 1))
    (png,) = plot_summary(summarize(latest_rows(result_files())))
    assert png.name == "fewshot.png" and png.read_bytes()[:4] == b"\x89PNG"
