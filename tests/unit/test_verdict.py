"""The verdict in words: better, worse or undecided by Holm over runs, with the runs that would decide and the worth in
random labels; verdict.md and the differences plot."""

from activellm.data.tasks import budget_task
from activellm.reporting.budgets import add_random_equivalents
from activellm.reporting.power import add_runs_needed, runs_needed
from activellm.reporting.summary import summarize
from activellm.reporting.verdict import (BETTER, NO_COMPARISON, UNDECIDED, WORSE, decision, plot_differences,
                                         verdict_lines, verdict_markdown, write_verdict)

# Per run (1-6): random at 16, 32, 64 rises by 0.05 per doubling; three arms at 32.
RUNS = range(1, 7)
ARMS = {"embedding_kmeans": lambda run: 0.575 + 0.01 * run + 0.002 * (run % 2),  # random + 0.025 or 0.027
        "vote_k": lambda run: 0.49 + 0.01 * run - 0.002 * (run % 2),  # random - 0.06 or 0.062
        "typiclust": lambda run: 0.555 + 0.01 * run + 0.03 * (-1) ** run}  # random + 0.005 +- 0.03


def _row(task, k, activelearning, run, accuracy):
    return {"task": budget_task(task, k), "mode": "baseline", "modelclass": "default", "activelearning": activelearning,
            "warmstart": "False", "run": str(run), "seed": "42", "n_train": str(k), "model": "minilm", "epochs": "25",
            "accuracy": str(accuracy), "status": "ok"}


def _summary(tasks=("rotten_tomatoes",)):
    rows = [_row(task, k, "", run, 0.5 + 0.05 * i + 0.01 * run) for task in tasks
            for i, k in enumerate((16, 32, 64)) for run in RUNS]
    rows += [_row(task, 32, arm, run, accuracy(run)) for task in tasks for arm, accuracy in ARMS.items()
             for run in RUNS]
    summary = summarize(rows)
    add_random_equivalents(summary, rows)
    add_runs_needed(summary, min_effect=0.02)
    return summary


def test_each_arm_is_better_worse_or_undecided_in_one_line():
    summary = _summary()
    by_arm = {e["activelearning"]: e for e in summary if e.get("baseline_runs")}
    assert [decision(by_arm[arm]) for arm in ("embedding_kmeans", "vote_k", "typiclust")] == [BETTER, WORSE, UNDECIDED]
    lines = verdict_lines(summary)
    assert len(lines) == 3
    kmeans = next(line for line in lines if line.startswith("k-means"))
    assert kmeans.startswith("k-means, k = 32: **better than random** (+0.0260 [")
    # +0.026 on a curve of +0.05 per doubling: 2^0.52 times 32 labels
    assert "Holm p 0.000, 6 runs" in kmeans and "Its 32 picks are worth 45.9 random labels [" in kmeans
    worse = next(line for line in lines if line.startswith("vote-k"))
    assert "**worse than random** (-0.0610 [" in worse
    assert "worth fewer random labels than the smallest budget measured (below 16)" in worse
    undecided = next(line for line in lines if line.startswith("TypiClust"))
    needed = runs_needed(float(by_arm["typiclust"]["diff_mean"]), by_arm["typiclust"]["diff_sd"], tests=3)
    assert "**undecided** (+0.0050 [" in undecided and f"80% power needs {needed} runs" in undecided
    assert f"a difference of 0.020 needs {by_arm['typiclust']['runs_needed_min_effect']} runs" in undecided


def test_the_decision_is_holms_not_the_rows_own_p():
    row = {"diff_mean": 0.02, "p_paired_t": 0.03, "p_paired_t_holm": 0.06}
    assert decision(row) == UNDECIDED
    assert decision({**row, "p_paired_t_holm": 0.049}) == BETTER
    assert decision({**row, "diff_mean": -0.02, "p_paired_t_holm": 0.049}) == WORSE
    assert decision({**row, "p_paired_t": None, "p_paired_t_holm": None}) == UNDECIDED


def test_two_tasks_are_named_and_never_merged():
    lines = verdict_lines(_summary(tasks=("rotten_tomatoes", "imdb")))
    assert len(lines) == 6
    assert sum(line.startswith("imdb: k-means, k = 32") for line in lines) == 1
    assert sum(line.startswith("rotten_tomatoes: k-means, k = 32") for line in lines) == 1


def test_verdict_md_and_the_differences_plot(tmp_path):
    summary = _summary()
    text = write_verdict(verdict_markdown(summary), tmp_path / "verdict.md").read_text()
    assert text.startswith("# Verdict\n\nVerdict (unit: the run") and text.count("\n- ") == 3
    assert "its 95% interval by inverting the paired t-test over runs along the curve" in text
    assert plot_differences(summary, tmp_path / "differences.png").read_bytes()[:4] == b"\x89PNG"
    random_only = [e for e in summary if not e.get("baseline_runs")]
    assert NO_COMPARISON in write_verdict(verdict_markdown(random_only), tmp_path / "verdict.md").read_text()  # no stale verdict
    assert plot_differences(random_only, tmp_path / "none.png") is None


def test_after_the_stopping_rule_the_verdict_decides_at_the_sequential_level():
    from activellm.reporting.power import sequential_level, stopping_looks

    entry = {"p_paired_t_holm": 0.03, "diff_mean": 0.02}
    looks = stopping_looks(10, 10, 40)
    level = sequential_level(looks)
    assert level < 0.03 and decision(entry) == BETTER and decision(entry, level) == UNDECIDED
    text = verdict_markdown(_summary(), level, looks)
    assert f"p < {level:.4f}, the sequential level" in text and "10, 20, 30, 40 runs" in text


def test_a_continuous_task_and_the_few_shot_task_at_the_same_k_are_told_apart():
    continuous = "rotten_tomatoes_32_cont_index_recap_1"
    rows = [_row("rotten_tomatoes", k, "", run, 0.5 + 0.05 * i + 0.01 * run) for i, k in enumerate((16, 32, 64))
            for run in RUNS]
    rows += [{**_row("rotten_tomatoes", 32, "", run, 0.45 + 0.01 * run), "task": continuous} for run in RUNS]
    rows += [_row("rotten_tomatoes", 32, "embedding_kmeans", run, 0.575 + 0.01 * run) for run in RUNS]
    rows += [{**_row("rotten_tomatoes", 32, "embedding_kmeans", run, 0.575 + 0.01 * run), "task": continuous}
             for run in RUNS]
    summary = summarize(rows)
    add_random_equivalents(summary, rows)
    lines = verdict_lines(summary)
    assert len(lines) == 2 and len(set(lines)) == 2
    assert any(line.startswith("rotten_tomatoes_32_cont_index_recap: k-means, k = 32") for line in lines)
    few_shot = next(e for e in summary if e["task"] == "rotten_tomatoes" and e["activelearning"])
    assert few_shot["random_equivalent"] == "45.3"  # on the few-shot curve alone: the continuous random is not pooled
    assert next(e for e in summary if e["task"] == continuous and e["activelearning"])["random_equivalent"] == ""


def test_arms_are_named_as_a_person_would_with_no_empty_setting():
    """Random, k-means among 200 and among 3,000 rows, and an LLM asked in two ways: the verdict says what sets each
    apart and never "setting=" (an empty one least of all)."""
    rows = [_row("rotten_tomatoes", 32, "", run, 0.55 + 0.01 * run) for run in RUNS]
    for pool, gain in (("200", 0.02), ("3000", 0.03)):
        rows += [{**_row("rotten_tomatoes", 32, "embedding_kmeans", run, 0.55 + 0.01 * run + gain + 0.001 * run),
                  "selector_pool": pool} for run in RUNS]
    for folder, candidates, gain in (("gpt-4o_10", "first", -0.01),
                                     ("gpt-4o_representative_embedding_kmeans200", "embedding_kmeans", 0.05)):
        rows += [{**_row("rotten_tomatoes", 32, "", run, 0.55 + 0.01 * run + gain + 0.002 * run), "mode": folder,
                  "llm_model": "gpt-4o", "prompt_candidates": candidates} for run in RUNS]
    summary = summarize(rows)
    lines = verdict_lines(summary)
    labels = [line.split(", k = 32")[0] for line in lines]
    assert labels == ["k-means, selector pool 200", "k-means, selector pool 3000", "LLM 10",
                      "LLM representative over 200 k-means candidates"]
    assert not any("=" in label for label in labels)


def test_an_arm_of_answers_pasted_by_hand_is_named_by_its_prompt_as_an_asked_one():
    rows = [_row("rotten_tomatoes", 32, "", run, 0.55 + 0.01 * run) for run in RUNS]
    for folder, candidates, gain in (("representative_embedding_kmeans200", "embedding_kmeans", 0.05),
                                     ("10", "first", -0.01), ("my_own_list", "", 0.01)):
        rows += [{**_row("rotten_tomatoes", 32, "", run, 0.55 + 0.01 * run + gain + 0.002 * run), "mode": folder,
                  "prompt_candidates": candidates} for run in RUNS]
    labels = sorted(line.split(", k = 32")[0] for line in verdict_lines(summarize(rows)))
    assert labels == ["answers pasted by hand, 10", "answers pasted by hand, representative over 200 k-means "
                      "candidates", "my_own_list"]  # a list without a prompt's sidecar keeps its folder's name
