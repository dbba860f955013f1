"""Across tasks: does an arm that wins on one task win on the others? One table and one picture.

Where a summary compares arms with random on two or more tasks, the table has a row per arm and k and a column per
task: the paired difference to random with its 95% interval over runs, the Holm-adjusted p-value (Holm over every
compared row of the summary: the whole family of arms, tasks and budgets) and the worth in random labels. The
picture has a panel per task with each arm's difference and interval, coloured by the verdict. The unit of every
interval and test is the run (one selection), as in activellm.reporting.verdict.
"""

from __future__ import annotations

from pathlib import Path

from activellm.data.tasks import task_family
from activellm.reporting.power import ALPHA
from activellm.reporting.summary import group_key, labels_within_tasks, save_figure, task_metric
from activellm.reporting.verdict import BETTER, COLOURS, UNDECIDED, WORSE, decision

Arm = tuple[str, int]  # the selection's label (without the task) and k


def arms_by_task(summary: list[dict[str, object]]) -> tuple[list[str], list[Arm], dict[tuple[str, Arm], dict]]:
    """The task families compared with random (in the summary's order), the arms (label, k) found on any of them
    (in order of label and k), and each (task, arm)'s summary row; no tasks where fewer than two have comparisons."""
    rows = [e for e in summary if e.get("baseline_runs")]
    labels = labels_within_tasks(rows)

    def arm(entry: dict) -> Arm:
        return labels[group_key(entry)].replace("\n", ", "), int(str(entry["n_train"]))

    # a column per task family; a family whose tasks hold the same arm and k twice (rotten_tomatoes and
    # rotten_tomatoes_32 both listed) gets a column per task, so that no row hides another
    seen: dict[tuple[str, Arm], int] = {}
    for entry in rows:
        key = (task_family(str(entry["task"])), arm(entry))
        seen[key] = seen.get(key, 0) + 1
    split = {family for (family, _), count in seen.items() if count > 1}
    cells: dict[tuple[str, Arm], dict] = {}
    for entry in rows:
        family = task_family(str(entry["task"]))
        cells[(str(entry["task"]) if family in split else family, arm(entry))] = entry
    tasks = list(dict.fromkeys(task for task, _ in cells))
    if len(tasks) < 2:
        return [], [], {}
    return tasks, sorted({arm for _, arm in cells}, key=lambda arm: (arm[0].lower(), arm[1])), cells


def _cell(entry: dict | None, level: float) -> str:
    if entry is None:
        return "–"
    low, high, p = entry.get("diff_ci_low"), entry.get("diff_ci_high"), entry.get("p_paired_t_holm")
    difference = f"{float(entry['diff_mean']):+.4f}"
    verdict = decision(entry, level)
    shown = f"**{difference}**" if verdict == BETTER else f"*{difference}*" if verdict == WORSE else difference
    interval = f" [{float(low):+.4f}, {float(high):+.4f}]" if low is not None else ""
    worth = str(entry.get("random_equivalent") or "")
    priced = f"; {worth} random labels" if worth else ""
    return f"{shown}{interval}, Holm p {float(p):.3f}{priced}" if p is not None else f"{shown}{interval}{priced}"


def cross_task_markdown(summary: list[dict[str, object]], level: float = ALPHA) -> str:
    """The table across tasks, with its caption; empty where fewer than two tasks have comparisons."""
    tasks, arms, cells = arms_by_task(summary)
    if not tasks:
        return ""
    metrics = "/".join(sorted({task_metric(str(e["task"])) for e in cells.values()}))
    caption = (f"Across tasks (unit: the run; {metrics} minus random at the same run and k, mean [95% CI over runs], "
               f"Holm-adjusted paired t-test over every compared row of the table, its {len(cells)} rows; bold: "
               f"better than random, italics: worse, at Holm p < {level:.4g}; then the worth of the picks in random "
               "labels, read off each task's random curve):")
    header = ["selection", "k", *tasks]
    lines = [caption, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, k in arms:
        lines.append("| " + " | ".join([label, str(k), *(_cell(cells.get((task, (label, k))), level)
                                                         for task in tasks)]) + " |")
    return "\n".join(lines)


def plot_cross_task(summary: list[dict[str, object]], path: Path, level: float = ALPHA,
                    title: str | None = None) -> Path | None:
    """A panel per task: each arm's difference to random with its 95% interval over runs, coloured by the verdict,
    the arms in the same rows on every panel; None where fewer than two tasks have comparisons."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    tasks, arms, cells = arms_by_task(summary)
    if not tasks:
        return None
    figure, axes = plt.subplots(1, len(tasks), figsize=(2.2 + 2.6 * len(tasks), 1.4 + 0.4 * len(arms)), sharey=True,
                                squeeze=False)
    for axis, task in zip(axes[0], tasks):
        for y, arm in enumerate(reversed(arms)):
            entry = cells.get((task, arm))
            if entry is None:
                continue
            mean = float(entry["diff_mean"])
            low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
            error = [[mean - float(low)], [float(high) - mean]] if low is not None else None
            axis.errorbar(mean, y, xerr=error, fmt="o", capsize=3, color=COLOURS[decision(entry, level)])
        axis.axvline(0, color="black", linewidth=1)
        axis.set_title(task, fontsize=9)
        axis.grid(axis="x", alpha=0.3)
        axis.tick_params(labelsize=8)
    axes[0][0].set_yticks(range(len(arms)), [f"{label}, k = {k}" for label, k in reversed(arms)], fontsize=8)
    metrics = "/".join(sorted({task_metric(str(e["task"])) for e in cells.values()}))
    figure.supxlabel(f"{metrics} minus random (same run and k): mean, 95% CI over runs", fontsize=8)
    present = {decision(e, level) for e in cells.values()}
    figure.legend(handles=[Line2D([], [], marker="o", linestyle="", color=c, label=f"{v} (Holm p < {level:.4g})"
                                  if v != UNDECIDED else v) for v, c in COLOURS.items() if v in present],
                  fontsize=8, loc="upper center", ncol=3, frameon=False)
    figure.suptitle(title or "", fontsize=9, y=0.02 if title else None)
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    return save_figure(figure, path)
