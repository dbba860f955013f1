"""The table and picture across tasks: an arm per row, a task per column, Holm over the whole family."""

from activellm.reporting.across_tasks import cross_task_markdown, plot_cross_task
from activellm.reporting.comparison import holm
from activellm.reporting.power import ALPHA
from activellm.reporting.verdict import decision
from tests.unit.test_verdict import _summary


def test_one_row_per_arm_and_k_one_column_per_task_with_holm_over_every_row():
    summary = _summary(tasks=("rotten_tomatoes", "trec"))
    table = cross_task_markdown(summary)
    lines = table.splitlines()
    assert lines[2] == "| selection | k | rotten_tomatoes | trec |"
    rows = {line.split(" | ")[0][2:]: line for line in lines[4:]}
    assert list(rows) == ["k-means", "TypiClust", "vote-k"]  # one row each, both tasks in it
    compared = [e for e in summary if e.get("baseline_runs")]
    assert "Holm-adjusted paired t-test over every compared row of the table, its 6 rows" in table
    assert [e["p_paired_t_holm"] for e in compared] == holm([e["p_paired_t"] for e in compared])  # one family
    kmeans = next(e for e in compared if e["activelearning"] == "embedding_kmeans" and e["task"] == "trec")
    assert decision(kmeans) == "better than random"
    cell = (f"**{kmeans['diff_mean']:+.4f}** [{kmeans['diff_ci_low']:+.4f}, {kmeans['diff_ci_high']:+.4f}], "
            f"Holm p {kmeans['p_paired_t_holm']:.3f}; {kmeans['random_equivalent']} random labels")
    assert rows["k-means"].count(cell) == 2  # the same numbers on both tasks
    assert rows["vote-k"].count("*-0.0610*") == 2 and "below 16 random labels" in rows["vote-k"]


def test_an_arm_missing_on_a_task_shows_a_dash_and_one_task_has_no_table(tmp_path):
    summary = _summary(tasks=("rotten_tomatoes", "trec"))
    without = [e for e in summary if not (e["task"] == "trec" and e["activelearning"] == "vote_k")]
    vote_k = next(line for line in cross_task_markdown(without).splitlines() if line.startswith("| vote-k |"))
    assert vote_k.endswith("| – |")
    one = _summary()
    assert cross_task_markdown(one) == "" and plot_cross_task(one, tmp_path / "a.png") is None
    png = plot_cross_task(summary, tmp_path / "across.png", ALPHA, "Benchmark")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_setting_that_differs_only_between_tasks_names_no_arm():
    """bbc_news reads 128 tokens, rotten_tomatoes 512: the task table's max length, not two arms."""
    summary = _summary(tasks=("rotten_tomatoes", "bbc_news"))
    for entry in summary:
        entry["max_length"] = "128" if entry["task"].startswith("bbc_news") else "512"
    rows = [line.split(" | ")[0][2:] for line in cross_task_markdown(summary).splitlines()[4:]]
    assert rows == ["k-means", "TypiClust", "vote-k"]


def test_a_task_listed_with_and_without_its_k_keeps_both_rows():
    """rotten_tomatoes and rotten_tomatoes_32 are one family at k = 32: a column each, no row hiding the other."""
    from activellm.reporting.summary import summarize
    from tests.unit.test_verdict import ARMS, RUNS, _row

    tasks = ("rotten_tomatoes", "rotten_tomatoes_32", "trec")
    rows = [{**_row("trec", 32, arm, run, 0.55 + 0.01 * run if not arm else accuracy(run)), "task": task}
            for task in tasks for arm, accuracy in {"": None, **ARMS}.items() for run in RUNS]
    lines = cross_task_markdown(summarize(rows)).splitlines()
    assert lines[2] == "| selection | k | rotten_tomatoes | rotten_tomatoes_32 | trec |"
    assert len(lines) == 7 and all("–" not in line for line in lines[4:])  # every arm on every task
