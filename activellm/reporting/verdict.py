"""The sweep's verdict: per arm and budget, better than random, worse, or undecided, in words and in one plot.

A row is better (worse) than its random baseline when the Holm-adjusted p-value of its paired t-test over runs is
below ALPHA and its mean difference is above (below) zero; otherwise it is undecided, and the line says how many runs
would decide it at the difference observed (activellm.reporting.power). Where the random baseline was measured at several
budgets the line adds what the selection is worth in random labels (activellm.reporting.budgets). The unit of every interval
and test is the run (one selection).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from activellm.data.tasks import task_family
from activellm.files import atomic_write_text
from activellm.reporting.budgets import equivalent_phrase
from activellm.reporting.cost import cost_phrase
from activellm.reporting.power import ALPHA, POWER
from activellm.reporting.summary import group_key, labels_within_tasks, save_figure, task_metric

VERDICT_FILE = "verdict.md"
BETTER, WORSE, UNDECIDED = "better than random", "worse than random", "undecided"
COLOURS = {BETTER: "tab:green", WORSE: "tab:red", UNDECIDED: "tab:gray"}


def decision(entry: dict[str, object], level: float = ALPHA) -> str:
    """BETTER, WORSE or UNDECIDED by the Holm-adjusted paired t-test over runs at ``level`` (ALPHA, or the stopping
    rule's sequential level)."""
    p = entry.get("p_paired_t_holm")
    if p is None or float(p) >= level:
        return UNDECIDED
    return BETTER if float(entry["diff_mean"]) > 0 else WORSE


def compared_arms(summary: list[dict[str, object]]) -> list[tuple[dict[str, object], str]]:
    """The rows with a paired comparison and their one-line labels without the budget (the verdict names k itself):
    the task family where there are several, then the selection and what tells it from the other rows; ordered by
    task, label and budget."""
    rows = [e for e in summary if e.get("baseline_runs")]
    labels = labels_within_tasks(rows)
    several = len({task_family(str(e["task"])) for e in rows}) > 1
    labelled = [(e, (f"{task_family(str(e['task']))}: " if several else "") + labels[group_key(e)].replace("\n", ", "))
                for e in rows]
    return sorted(labelled, key=lambda pair: (str(pair[0]["task"]), pair[1].lower(), int(str(pair[0]["n_train"]))))


def verdict_line(entry: dict[str, object], label: str, level: float = ALPHA) -> str:
    """One sentence: the arm at its budget, the decision, the difference with its interval and Holm p, and either
    its worth in random labels or the runs that would decide it."""
    verdict = decision(entry, level)
    low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
    interval = f" [{float(low):+.4f}, {float(high):+.4f}]" if low is not None else ""
    p = entry.get("p_paired_t_holm")
    evidence = f"{float(entry['diff_mean']):+.4f}{interval} {task_metric(str(entry['task']))}, Holm p " + \
        (f"{float(p):.3f}" if p is not None else "n/a") + f", {entry['baseline_runs']} runs"
    line = f"{label}, k = {entry['n_train']}: **{verdict}** ({evidence})"
    if verdict == UNDECIDED:
        needed = entry.get("runs_needed")
        line += (f"; at this difference {POWER:.0%} power needs {needed} runs" if needed not in (None, "")
                 else "; no difference or no spread over runs to size more runs by")
    if entry.get("runs_needed_min_effect"):
        line += f"; a difference of {float(entry['min_effect']):.3f} needs {entry['runs_needed_min_effect']} runs"
    worth, cost = equivalent_phrase(entry), cost_phrase(entry)
    return line + (f". Its {entry['n_train']} picks are {worth}." if worth else ".") + \
        (f" A selection took {cost}." if cost else "")


def verdict_lines(summary: list[dict[str, object]], level: float = ALPHA) -> list[str]:
    return [verdict_line(entry, label, level) for entry, label in compared_arms(summary)]


def verdict_markdown(summary: list[dict[str, object]], level: float = ALPHA, looks: Sequence[int] | None = None) -> str:
    """The verdict block: how to read it, then one line per arm and budget; empty without comparisons. After the
    stopping rule, ``level`` is its sequential level over ``looks`` (activellm.reporting.power) and the intro says so."""
    lines = verdict_lines(summary, level)
    if not lines:
        return ""
    decided = f"p < {ALPHA}" if not looks else (
        f"p < {level:.4f}, the sequential level that keeps the chance of declaring a difference that is not there "
        f"at {ALPHA:.0%} over the {len(looks)} looks at which the stopping rule could stop "
        f"({', '.join(map(str, looks))} runs; Pocock's boundary, Holm's first step over the table's tested rows)")
    intro = (f"Verdict (unit: the run, one selection; each arm against the random baseline of the same run and k on "
             f"the main metric; decided where the Holm-adjusted paired t-test over runs gives {decided}; the "
             f"runs needed are for {POWER:.0%} power at the table's strictest Holm level; the worth in random labels "
             f"is read off the random baseline's curve, its 95% interval by inverting the paired t-test over runs "
             f"along the curve):")
    return "\n".join([intro, "", *(f"- {line}" for line in lines)])


NO_COMPARISON = ("No row has a paired comparison with a random baseline yet: run the random baseline (--mode "
                 "baseline without --activelearning) on the same runs, task, model and k.")


def write_verdict(text: str, path: Path) -> Path:
    """The verdict block (verdict_markdown) as a Markdown file; without comparisons a file that says so, so that
    a verdict from an earlier sweep never outlives the comparisons it described."""
    atomic_write_text(path, f"# Verdict\n\n{text or NO_COMPARISON}\n")
    return path


def plot_differences(summary: list[dict[str, object]], path: Path, level: float = ALPHA,
                     title: str | None = None) -> Path | None:
    """Each arm's paired difference to random per budget with its 95% interval over runs, a line at 0, coloured by
    the verdict: the scale of a few points that the bar chart's 0-1 axis hides."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = compared_arms(summary)[::-1]  # the first at the top
    if not arms:
        return None
    rows = [entry for entry, _ in arms]
    figure, axis = plt.subplots(figsize=(7.5, 1.6 + 0.45 * len(rows)))
    for y, entry in enumerate(rows):
        mean = float(entry["diff_mean"])
        low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
        error = [[mean - float(low)], [float(high) - mean]] if low is not None else None
        axis.errorbar(mean, y, xerr=error, fmt="o", capsize=4, color=COLOURS[decision(entry, level)])
    axis.axvline(0, color="black", linewidth=1)
    axis.set_yticks(range(len(rows)), [f"{label}, k = {e['n_train']}" for e, label in arms], fontsize=8)
    metrics = "/".join(sorted({task_metric(str(e["task"])) for e in rows}))
    axis.set_xlabel(f"{metrics} minus random (same run and k): mean, 95% CI over runs")
    from matplotlib.lines import Line2D

    present = {decision(e, level) for e in rows}
    axis.legend(handles=[Line2D([], [], marker="o", linestyle="", color=c, label=f"{v} (Holm p < {level:.4g})"
                                if v != UNDECIDED else v) for v, c in COLOURS.items() if v in present],
                fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axis.grid(axis="x", alpha=0.3)
    if title:
        figure.suptitle(title, fontsize=9)
    return save_figure(figure, path)
