"""The selection diagnostics read back: a table beside the accuracies, the overlap of selections, and a plot of
accuracy against class balance and typicality (one point per run and selection).

The table's values are means over runs (the unit, as in activellm.reporting.comparison); the overlap is the Jaccard
similarity of the training rows of two selections of the same task, size and run, averaged over runs.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from activellm import paths
from activellm.reporting.summary import (PAIRING_KEYS, group_key, labels_within_tasks, number, save_figure,
                                         selection_labels, task_metric)

TABLE_COLUMNS = (  # summary key, header
    ("diag_majority_share", "majority share"), ("diag_label_entropy", "label entropy"),
    ("diag_classes_covered", "classes"), ("diag_prior_distance", "prior distance"),
    ("diag_rarest_share", "rarest class share"), ("diag_pool_rarest_share", "pool's rarest share"),
    ("diag_typicality", "typicality"), ("diag_diversity", "diversity"), ("diag_coverage", "coverage"),
    ("diag_near_duplicates", "near-dup pairs"), ("diag_position_mean", "shown rank"),
    ("diag_position_first_quarter", "first quarter"), ("diag_position_last_quarter", "last quarter"),
    ("diag_llm_repeated", "repeated"), ("diag_llm_not_shown", "not shown"),
)
RAREST_COLUMNS = ("diag_rarest_share", "diag_pool_rarest_share")
CAPTION = ("Selection diagnostics, means over runs: majority share and label entropy (1: balanced) of the picks' "
           "classes, classes covered, total variation distance to the pool's class shares (with more than two "
           "classes also the share of the pool's rarest class among the picks and in the pool); typicality (picks' "
           "density over the pool's, above 1: dense regions), diversity (mean pairwise cosine distance), coverage "
           "(share of the pool within cosine distance 0.5 of a pick), near-duplicate pairs; for LLM lists the mean "
           "rank in the shown order (0 first, 1 last), the shares from the first and last quarter, and the numbers "
           "the parser dropped.")


def diagnostics_markdown(summary: list[dict[str, object]]) -> str:
    """The diagnostics of every summary row that has them, beside its main metric; empty without any."""
    rows = [e for e in summary if e.get("diag_typicality") is not None or e.get("diag_majority_share") is not None]
    if not rows:
        return ""
    many_classes = any((e.get("diag_classes_covered") or 0) > 2 for e in rows)  # binary: the majority share says it
    columns = [(key, title) for key, title in TABLE_COLUMNS if any(e.get(key) is not None for e in rows)
               and (many_classes or key not in RAREST_COLUMNS)]
    labels = labels_within_tasks(rows)
    header = ["task", "selection", "n_train", "runs", "main metric mean", *(title for _, title in columns)]
    lines = [CAPTION, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in rows:
        metric = task_metric(str(entry["task"]))
        mean = entry.get(f"{metric}_mean")
        cells = [str(entry["task"]), labels[group_key(entry)].replace("\n", ", "), str(entry["n_train"]),
                 str(entry["runs"]),
                 "" if mean is None else f"{mean:.4f} ({metric})"]
        cells += ["" if entry.get(key) is None else f"{entry[key]:.3f}" for key, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _by_run(rows: Iterable[dict[str, str]], shown_apart: Sequence[str]) -> dict[tuple, dict[str, list[dict[str, str]]]]:
    """(task, n_train, what a selection is compared under: model and training settings, run) -> selection label ->
    its rows (the seeds of a run share its selection). Labels come from selection_labels over every configuration,
    so two models or two settings are never one selection."""
    groups: dict[tuple, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[group_key(row)].append(row)
    firsts = [members[0] for members in groups.values()]
    # a table that shows the task apart labels within each task; a legend across tasks names the task too
    labels = labels_within_tasks(firsts) if "task" in shown_apart else selection_labels(firsts, shown_apart)
    found: dict[tuple, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for key, members in groups.items():
        context = (members[0]["task"], members[0]["n_train"],
                   *(str(members[0].get(k, "")) for k in PAIRING_KEYS if k not in ("task", "n_train")))
        for row in members:
            found[(*context, row["run"])][labels[key].replace("\n", ", ")].append(row)
    return found


def overlap_markdown(rows: Iterable[dict[str, str]]) -> str:
    """Mean Jaccard similarity over runs of the training rows of each pair of selections; empty with fewer than
    two selections."""
    pairs: dict[tuple, list[float]] = defaultdict(list)
    for (*context, _), selections in _by_run(rows, shown_apart=("task", "n_train")).items():
        ordered = sorted(selections.items(), key=lambda item: item[0].lower())  # as the verdict orders its arms
        for (a, rows_a), (b, rows_b) in itertools.combinations(ordered, 2):
            ids_a, ids_b = set(rows_a[0].get("selected", "").split()), set(rows_b[0].get("selected", "").split())
            pairs[(*context, a, b)].append(len(ids_a & ids_b) / len(ids_a | ids_b) if ids_a | ids_b else 1.0)
    if not pairs:
        return ""
    lines = ["Overlap of the selections (Jaccard similarity of their training rows in the same run, mean over runs):",
             "", "| task | n_train | selection | selection | runs | Jaccard |", "|---|---|---|---|---|---|"]
    for (task, n_train, *_, a, b), values in sorted(pairs.items()):
        lines.append(f"| {task} | {n_train} | {a} | {b} | {len(values)} | {statistics.fmean(values):.3f} |")
    return "\n".join(lines)


def diagnostic_points(rows: Iterable[dict[str, str]]) -> dict[str, list[tuple[float | None, float | None, float]]]:
    """Per selection (labelled apart from every other configuration): one point per run, (majority share,
    typicality, the main metric's mean over the run's seeds)."""
    points: dict[str, list[tuple[float | None, float | None, float]]] = defaultdict(list)
    for (task, *_), selections in _by_run(rows, shown_apart=()).items():
        metric = task_metric(task)
        for label, seeds in selections.items():
            balance, typical = number(seeds[0].get("diag_majority_share")), number(seeds[0].get("diag_typicality"))
            values = [v for v in (number(r.get(metric)) for r in seeds) if v is not None]
            if values and (balance is not None or typical is not None):
                points[label].append((balance, typical, statistics.fmean(values)))
    return dict(points)


def plot_diagnostics(rows: Iterable[dict[str, str]], folder: Path | None = None) -> Path | None:
    """Main metric against majority share and against typicality, one point per run and selection."""
    rows = list(rows)
    points = diagnostic_points(rows)
    metrics = {task_metric(str(row["task"])) for row in rows}
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for label, values in sorted(points.items()):
        for axis, index in zip(axes, (0, 1)):
            xs = [v[index] for v in values if v[index] is not None]
            ys = [v[2] for v in values if v[index] is not None]
            axis.scatter(xs, ys, label=label, alpha=0.8)
    axes[0].set(xlabel="majority share of the picks' classes (lower: more balanced)",
                ylabel=" / ".join(sorted(metrics)) + " (mean over the run's seeds)")
    axes[1].set(xlabel="typicality of the picks (density relative to the pool's)")
    for axis in axes:
        axis.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    figure.suptitle("Does a gain follow balance or typicality? One point per run and selection", fontsize=10)
    folder = folder or paths.logs_dir() / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    return save_figure(figure, folder / "diagnostics.png")
