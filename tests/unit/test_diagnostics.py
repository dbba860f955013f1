"""Selection diagnostics on small cases computed by hand, and their tables."""

import math

import numpy as np
import pytest

from activellm.reporting.diagnostics import diagnostics_markdown, overlap_markdown
from activellm.selection.diagnostics import class_balance, density, embedding_diagnostics, position_bias


def _arc(angles):
    angles = np.asarray(angles, dtype=np.float64)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_class_balance_by_hand():
    """Picks of classes 0 0 0 1 among 3 classes; the pool's shares .25 .5 .25."""
    values = class_balance([0, 0, 0, 1], [0, 1, 1, 2], 3)
    assert values["diag_class_counts"] == [3, 1, 0] and values["diag_classes_covered"] == 2
    assert values["diag_majority_share"] == pytest.approx(0.75)
    assert values["diag_label_entropy"] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(3))
    assert values["diag_prior_distance"] == pytest.approx(0.5 * (0.5 + 0.25 + 0.25))
    assert class_balance([1, 0], [0, 1], 2)["diag_label_entropy"] == pytest.approx(1.0)


def test_the_rarest_class_of_the_pool_among_the_picks():
    """Pool shares .5 .3 .2 (class 2 rarest); picks 0 0 1 2 2 1 0 0 hold a quarter of class 2."""
    values = class_balance([0, 0, 1, 2, 2, 1, 0, 0], [0] * 5 + [1] * 3 + [2] * 2, 3)
    assert values["diag_rarest_share"] == pytest.approx(0.25) and values["diag_pool_rarest_share"] == pytest.approx(0.2)
    assert class_balance([0, 0], [0] * 5 + [1] * 3 + [2] * 2, 3)["diag_rarest_share"] == 0.0  # missed entirely


def test_density_by_hand():
    """Angles 0, .1, .3 and one neighbour: similarities cos .1, cos .1, cos .2."""
    assert density(_arc([0, 0.1, 0.3]), 1, block=2) == pytest.approx([math.cos(0.1), math.cos(0.1), math.cos(0.2)])


def test_typicality_diversity_coverage_and_near_duplicates_by_hand():
    """Angles 0, .1, .3, 1.1, 2.6; picks 0 and 4. Within cosine distance 0.5 of a pick: rows 0, 1, 2 (of row 0)
    and 4; row 3 is 1 - cos 1.1 = 0.546 from row 0 and 1 - cos 1.5 from row 4."""
    embeddings = _arc([0, 0.1, 0.3, 1.1, 2.6])
    pool_density = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    values = embedding_diagnostics(embeddings, [0, 4], pool_density)
    assert values["diag_typicality"] == pytest.approx(((0.9 + 0.5) / 2) / 0.7)
    assert values["diag_diversity"] == pytest.approx(1 - math.cos(2.6))
    assert values["diag_coverage"] == pytest.approx(4 / 5)
    assert values["diag_near_duplicates"] == 0
    # picks 0 and 1: similarity cos .1 = 0.995, one near-duplicate pair
    assert embedding_diagnostics(embeddings, [0, 1], pool_density)["diag_near_duplicates"] == 1


def test_position_bias_by_hand():
    """Ranks 0, 1, 3 of 4 shown: relative 0, 1/3, 1; one pick in the first quarter (rank 0), one in the last."""
    values = position_bias([(0, 4), (1, 4), (3, 4)])
    assert values["diag_position_mean"] == pytest.approx((0 + 1 / 3 + 1) / 3)
    assert values["diag_position_first_quarter"] == pytest.approx(1 / 3)
    assert values["diag_position_last_quarter"] == pytest.approx(1 / 3)
    assert position_bias([]) == {}


def _row(activelearning, run, selected, accuracy=0.6, **diagnostics):
    return {"task": "rotten_tomatoes", "mode": "baseline", "modelclass": "default", "activelearning": activelearning,
            "warmstart": "False", "model": "minilm", "n_train": "3", "run": str(run), "seed": "1",
            "selected": selected, "accuracy": str(accuracy), **{k: str(v) for k, v in diagnostics.items()}}


def test_overlap_is_the_mean_jaccard_over_runs_by_hand():
    """Run 1: {1,2,3} and {2,3,4}: 2/4; run 2: {1,2,3} and {1,2,3}: 1. Mean 0.75."""
    rows = [_row("", 1, "1 2 3"), _row("vote_k", 1, "2 3 4"), _row("", 2, "1 2 3"), _row("vote_k", 2, "3 2 1")]
    table = overlap_markdown(rows)
    assert "| rotten_tomatoes | 3 | random (baseline) | vote-k | 2 | 0.750 |" in table


def test_the_diagnostics_table_stands_beside_the_main_metric():
    summary = [{"task": "rotten_tomatoes", "mode": "baseline", "modelclass": "default", "activelearning": "vote_k",
                "warmstart": "False", "model": "minilm", "n_train": "32", "runs": 5, "accuracy_mean": 0.61,
                "diag_majority_share": 0.6, "diag_typicality": 1.2}]
    table = diagnostics_markdown(summary)
    assert "| task | selection | n_train | runs | main metric mean | majority share | typicality |" in table
    assert "| rotten_tomatoes | vote-k | 32 | 5 | 0.6100 (accuracy) | 0.600 | 1.200 |" in table
    assert diagnostics_markdown([{**summary[0], "diag_majority_share": None, "diag_typicality": None}]) == ""


def test_the_table_shows_the_rarest_class_where_a_task_has_more_than_two():
    entry = {"task": "trec", "mode": "baseline", "modelclass": "default", "activelearning": "vote_k",
             "warmstart": "False", "model": "minilm", "n_train": "32", "runs": 5, "accuracy_mean": 0.5,
             "diag_majority_share": 0.3, "diag_classes_covered": 5.6, "diag_rarest_share": 0.004,
             "diag_pool_rarest_share": 0.016}
    table = diagnostics_markdown([entry])
    assert "| classes | rarest class share | pool's rarest share |" in table and "| 5.600 | 0.004 | 0.016 |" in table
    binary = diagnostics_markdown([{**entry, "diag_classes_covered": 2.0}])
    assert "rarest class share |" not in binary and "| 2.000 |" in binary


def _continuous_run(root, tag="tiny_2_cont_index_recap", folder="10"):
    """Two answered iterations of k = 2 over numbers 0..5 (ids 100..105); iteration 2's answer repeats 3 and
    names 99, which was not shown."""
    import json

    from activellm.prompts.answers import write_index_list

    prompts, answers = root / "prompts" / tag / folder, root / "answers" / tag / folder
    prompts.mkdir(parents=True)
    answers.mkdir(parents=True)
    for iteration, stem, before, reply in ((1, "prompt_1", [], "1, 2"), (2, "prompt_1_cont2", [1, 2], "3, 3, 99, 4")):
        shown = [{"number": n, "position": n, "index": 100 + n} for n in range(6)]
        sidecar = {"iteration": iteration, "examples": 2, "continuous": "idxrecap", "labeled_before": before,
                   "shown": shown}
        (prompts / f"{stem}.json").write_text(json.dumps(sidecar))
        (answers / f"answer_1{stem[len('prompt_1'):]}.txt").write_text(f"I choose: {reply}")
    write_index_list(answers / "list_1.txt", [1, 2, 3, 4])
    return tag, folder


def test_parser_drops_are_those_of_the_iterations_the_run_trains_on(project_root):
    from activellm.selection.diagnostics import llm_list_diagnostics

    tag, folder = _continuous_run(project_root)
    first = llm_list_diagnostics(tag, folder, 1, n=2, examples=2)  # the learning-curve point after iteration 1
    assert (first["diag_llm_repeated"], first["diag_llm_not_shown"]) == (0, 0)
    both = llm_list_diagnostics(tag, folder, 1, n=4, examples=2)
    assert (both["diag_llm_repeated"], both["diag_llm_not_shown"]) == (1, 1)


def _two_models():
    """The baseline and k-means on two runs for each of two models: minilm at 0.55, bert at 0.85. Under minilm
    k-means picked {1,2,5,6} against the baseline's {1,2,3,4} (Jaccard 2/6), under bert {1,2,3,7} (3/5)."""
    rows = []
    for model, accuracy, kmeans in (("minilm", 0.55, "1 2 5 6"), ("bert-base-uncased", 0.85, "1 2 3 7")):
        for run in (1, 2):
            for activelearning, selected in (("", "1 2 3 4"), ("embedding_kmeans", kmeans)):
                rows.append({**_row(activelearning, run, selected, accuracy, diag_majority_share=0.5,
                                    diag_typicality=1.0), "model": model})
    return rows


def test_reports_keep_two_models_apart():
    from activellm.reporting.diagnostics import diagnostic_points
    from activellm.reporting.summary import bar_labels, summarize

    rows = _two_models()
    points = diagnostic_points(rows)
    assert {label: sorted(p[2] for p in values) for label, values in points.items()} == {
        "random (baseline), model minilm": [0.55, 0.55], "random (baseline), model bert-base-uncased": [0.85, 0.85],
        "k-means, model minilm": [0.55, 0.55], "k-means, model bert-base-uncased": [0.85, 0.85]}
    overlap = overlap_markdown(rows)
    assert "| rotten_tomatoes | 3 | k-means, model minilm | random (baseline), model minilm | 2 | 0.333 |" \
        in overlap
    assert "| rotten_tomatoes | 3 | k-means, model bert-base-uncased | random (baseline), " \
           "model bert-base-uncased | 2 | 0.600 |" in overlap
    summary = summarize(rows)
    table = diagnostics_markdown(summary)
    baselines = [line for line in table.splitlines() if "random (baseline)" in line]
    assert len(baselines) == 2 and len(set(baselines)) == 2 and any("bert-base-uncased" in b for b in baselines)
    labels = bar_labels(summary)
    assert len(set(labels)) == 4 and "random (baseline)\nmodel minilm" in labels


def test_selections_whose_names_read_the_same_are_told_apart():
    """A classifier trained on the cold and on the warm start's labelled list of one strategy."""
    from activellm.reporting.summary import bar_labels

    entries = [{"task": "rotten_tomatoes", "mode": mode, "modelclass": "default", "activelearning": "BALD",
                "warmstart": "False", "model": "minilm", "n_train": "32"}
               for mode in ("smalltext_coldstart", "smalltext_warmstart")]
    assert len(set(bar_labels(entries))) == 2


def test_a_setting_that_differs_only_between_tasks_names_no_selection_in_the_tables():
    entries = [{"task": task, "mode": "baseline", "modelclass": "default", "activelearning": "vote_k",
                "warmstart": "False", "model": "minilm", "n_train": "32", "runs": 5, "accuracy_mean": 0.6,
                "diag_majority_share": 0.5, "max_length": length} for task, length in (("bbc_news", "128"),
                                                                                     ("trec", "512"))]
    table = diagnostics_markdown(entries)
    assert "| bbc_news | vote-k | 32 |" in table and "| trec | vote-k | 32 |" in table and "max length" not in table
