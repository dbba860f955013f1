"""Selection diagnostics in real runs: in every row's CSV and .log, never changing a pick or a result; for LLM
lists, position bias and the parser's drops; in the summary, the table, the overlap and the plot."""

import automatic_run
import model_training
import prompt_generation
from activellm import paths
from activellm.training.results import DIAGNOSTIC_COLUMNS, read_results

FAST = ["--seeds", "1", "--epochs", "1"]


def _rows(project_root, mode="baseline"):
    return [r for p in sorted((project_root / "logs" / "run").rglob("run_*.csv")) for r in read_results(p)
            if r["mode"] == mode]


def test_diagnostics_change_no_pick_and_no_result(tiny_task, tiny_model, project_root):
    argv = ["--task", "tiny_8", "--activelearning", "embedding_kmeans", "--selector-pool", "40", "--model", tiny_model,
            *FAST]  # k-means: picks in no sorted order, so a diagnostic that reordered them would show
    assert model_training.main([*argv, "--no-diagnostics"]) == 0
    assert model_training.main(argv) == 0
    without, with_ = sorted(_rows(project_root), key=lambda r: r["diag_typicality"] != "")
    for column in ("selected", "accuracy", "f1", "precision_per_class"):
        assert without[column] == with_[column]
    assert all(without[c] == "" for c in DIAGNOSTIC_COLUMNS)
    counts = [int(c) for c in with_["diag_class_counts"].split()]
    assert sum(counts) == 8 and len(counts) == 2 and int(with_["diag_classes_covered"]) == sum(c > 0 for c in counts)
    assert float(with_["diag_majority_share"]) == max(counts) / 8
    assert 0 < float(with_["diag_coverage"]) <= 1 and float(with_["diag_typicality"]) > 0
    assert with_["diag_position_mean"] == ""  # no LLM list
    (log,) = [p.with_suffix(".log") for p in (project_root / "logs" / "run").rglob("run_*.csv")
              if read_results(p)[0]["diag_typicality"]]
    assert "selection diagnostics: class_counts " in log.read_text()


def test_an_llm_lists_position_bias_and_drops(tiny_task, tiny_model, project_root):
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "8"]) == 0
    answer = paths.answer_file("tiny_4", "8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 0, 1, 1, 7, 99, 6")  # 1 repeated, 99 not shown
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    assert model_training.main(["--task", "tiny_4", "--mode", "8", "--model", tiny_model, *FAST]) == 0
    (row,) = _rows(project_root, "8")
    # picks 0, 1, 7, 6 of 8 shown: relative ranks 0, 1/7, 1, 6/7; first quarter (rank < 2): two; last (>= 6): two
    assert float(row["diag_position_mean"]) == round((0 + 1 / 7 + 1 + 6 / 7) / 4, 6)
    assert (row["diag_position_first_quarter"], row["diag_position_last_quarter"]) == ("0.5", "0.5")
    assert (row["diag_llm_repeated"], row["diag_llm_not_shown"], row["diag_llm_already_labelled"]) == ("1", "1", "0")


def test_the_summary_prints_the_diagnostics_and_plots_them(tiny_task, tiny_model, project_root, capsys):
    assert automatic_run.main(["--tasks", "tiny_8", "--modes", "baseline", "--runs", "1", "2", "--modelclasses",
                               "default", "--activelearning", "None", "typiclust", "--models", tiny_model, "--seeds",
                               "1", "--epochs", "1", "--extra", "--selector-pool", "40"]) == 0
    out = capsys.readouterr().out
    assert "Selection diagnostics, means over runs" in out and "| tiny_8 | TypiClust | 8 | 2 |" in out
    assert "| tiny_8 | 8 | random (baseline) | TypiClust | 2 |" in out  # the overlap
    plot = project_root / "logs" / "run" / "plots" / "diagnostics.png"
    assert f"plot: {plot}" in out and plot.read_bytes()[:4] == b"\x89PNG"
    assert automatic_run.main(["--summary", "--diagnostics", "--no-plot", "--all-results"]) == 0
    only = capsys.readouterr().out
    assert "Selection diagnostics" in only and "Unit: the run" not in only
    header = (project_root / "logs" / "run" / "summary.csv").read_text().splitlines()[0]
    assert "diag_typicality" in header and "diag_class_counts" not in header
