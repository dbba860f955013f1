"""The labelling budget k as a grid axis: task names per budget, random-equivalent labels, learning curves.

A task named without its k (``rotten_tomatoes``) is run at every budget of the grid (``rotten_tomatoes_16``,
``rotten_tomatoes``, ``rotten_tomatoes_64``: 32 is the name without a suffix, as in the paper's folders). The random
baseline may run at more budgets than the other arms: its curve is the reference that turns a selection's score into
**random-equivalent labels**, the number of random labels that reach the same mean.

How that number is read off: the random baseline's run means at each budget measured give its curve, made
non-decreasing by a running maximum over k (the fewest random labels that reach a score; a dip at a larger k is
noise, not a loss), and interpolated linearly in log k. A mean below the curve's first point is "below the smallest
budget measured", one above its highest point "above the largest": never extrapolated. The 95% interval resamples
runs with replacement (the same resampled runs for the arm and every budget of the random curve, so that a run's
shared pool stays paired) and takes the 2.5 and 97.5 percentiles of the equivalents, where "below" and "above" sort
as the ends of the scale.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from activellm.comparison import CONFIDENCE, run_means
from activellm.errors import UserError
from activellm.summary import (PAIRING_KEYS, baseline_key, group_key, interval_points, is_random_baseline,
                               save_figure, selection_labels, task_metric, values_by_run)
from activellm.tasks import DEFAULT_EXAMPLES, TaskError, parse_task_name, task_family

RESAMPLES = 2000
RESAMPLING_SEED = 0  # a fixed seed: the same results give the same interval on every machine
EQUIVALENT_COLUMNS = ("random_equivalent", "random_equivalent_ci_low", "random_equivalent_ci_high")
BELOW, ABOVE = -math.inf, math.inf


def names_budget(task: str) -> bool:
    """Whether a task name fixes its own k (``sst2_16``, a continuous task), so that the budget axis leaves it."""
    parsed = parse_task_name(task)
    return parsed.continuous is not None or parsed.full != parsed.spec.name


def budget_task(task: str, k: int) -> str:
    """The task name of ``task`` at budget ``k``: ``rotten_tomatoes_16``, or the bare name at the default 32."""
    name = parse_task_name(task).spec.name
    return name if k == DEFAULT_EXAMPLES else f"{name}_{k}"


def check_budgets(task_budgets: Sequence[tuple[str, int | None]], extra_args: Sequence[str]) -> None:
    """The sweep sets each cell's small-text --budget to the k of its task where the budget axis gives one: a fixed
    --budget in the extra options would train every budget's small-text cells on one and the same budget."""
    if any(k is not None for _, k in task_budgets) and "--budget" in extra_args:
        raise UserError("--budget in EXTRA_ARGS/--extra conflicts with the budget axis (BUDGETS/--budgets): the "
                        "sweep gives each cell --budget k of its task. Remove --budget from the extra options, or "
                        "name k in the task (e.g. rotten_tomatoes_16) to keep a fixed budget.")


def random_equivalent(budgets: Sequence[int], random_means: Sequence[float], value: float) -> float:
    """The random labels whose (non-decreasing) curve reaches ``value``, linear in log k between the budgets
    measured; BELOW (-inf) under the first point, ABOVE (+inf) over the highest."""
    points = sorted(zip(budgets, random_means))
    envelope, best = [], -math.inf
    for k, mean in points:
        best = max(best, mean)
        envelope.append((k, best))
    if value < envelope[0][1]:
        return BELOW
    if value > envelope[-1][1]:
        return ABOVE
    for (k0, y0), (k1, y1) in zip([(None, None), *envelope], envelope):
        if value <= y1:
            if k0 is None:
                return float(k1)
            share = (value - y0) / (y1 - y0)  # y0 < value <= y1: the envelope rises here
            return math.exp(math.log(k0) + share * (math.log(k1) - math.log(k0)))
    raise AssertionError("unreachable: value <= the envelope's last point")


def format_equivalent(value: float | None, budgets: Sequence[int]) -> str:
    """``51.3``, ``below 16`` or ``above 64`` (the budgets measured); empty for None."""
    if value is None:
        return ""
    if value == BELOW:
        return f"below {min(budgets)}"
    if value == ABOVE:
        return f"above {max(budgets)}"
    return f"{value:.1f}"


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (it keeps BELOW and ABOVE as they are, where interpolation would not)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def equivalent_with_interval(arm: dict[str, float], curve: dict[int, dict[str, float]],
                             resamples: int = RESAMPLES) -> tuple[float, float | None, float | None] | None:
    """The random-equivalent labels of ``arm`` (run -> run mean) on ``curve`` (budget -> run -> run mean) over the
    runs they all share, with the resampling interval over runs (None for one run); None without shared runs."""
    import numpy as np

    runs = sorted(set(arm).intersection(*(set(means) for means in curve.values())))
    if not runs:
        return None
    budgets = sorted(curve)
    arm_values = np.array([arm[r] for r in runs])
    curve_values = np.array([[curve[k][r] for r in runs] for k in budgets])
    point = random_equivalent(budgets, curve_values.mean(axis=1).tolist(), float(arm_values.mean()))
    if len(runs) < 2:
        return point, None, None
    rng = np.random.default_rng(RESAMPLING_SEED)
    draws = rng.integers(0, len(runs), size=(resamples, len(runs)))
    arm_draws, curve_draws = arm_values[draws].mean(axis=1), curve_values[:, draws].mean(axis=2)
    equivalents = [random_equivalent(budgets, curve_draws[:, i].tolist(), float(arm_draws[i]))
                   for i in range(resamples)]
    tail = (1 - CONFIDENCE) / 2
    return point, _percentile(equivalents, tail), _percentile(equivalents, 1 - tail)


def curve_key(entry: dict[str, object]) -> tuple:
    """What a row's random curve shares with it: its baseline key without the budget (task family, not task)."""
    shared = dict(zip(("modelclass", *PAIRING_KEYS), baseline_key(entry)))
    shared["task"] = task_family(str(shared["task"]))
    del shared["n_train"]
    return tuple(str(value) for value in shared.values())


def add_random_equivalents(summary: list[dict[str, object]], rows: list[dict[str, str]]) -> None:
    """Fill EQUIVALENT_COLUMNS of every row that is not a random baseline and has a random curve (same task family,
    model and training settings); they stay empty elsewhere. Values are numbers of labels or "below k"/"above k"."""
    groups: dict[tuple, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[group_key(row)].append(row)
    curves: dict[tuple, dict[int, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for entry in summary:
        if is_random_baseline(entry):
            curves[curve_key(entry)][int(str(entry["n_train"]))] += groups[group_key(entry)]
    for entry in summary:
        entry.update(dict.fromkeys(EQUIVALENT_COLUMNS, ""))
        curve = curves.get(curve_key(entry))
        if is_random_baseline(entry) or not curve:
            continue
        metric = task_metric(str(entry["task"]))
        found = equivalent_with_interval(run_means(values_by_run(groups[group_key(entry)], metric)),
                                         {k: run_means(values_by_run(members, metric)) for k, members in curve.items()})
        if found is not None:
            budgets = sorted(curve)
            entry.update(zip(EQUIVALENT_COLUMNS, (format_equivalent(v, budgets) for v in found)))


def equivalent_phrase(entry: dict[str, object]) -> str:
    """"worth 51.3 random labels [38.0, 64.0]" (the 95% interval over resampled runs), or empty without a random
    curve; outside the budgets measured it says so instead of a number."""
    value = str(entry.get("random_equivalent") or "")
    if not value:
        return ""
    low, high = entry.get("random_equivalent_ci_low"), entry.get("random_equivalent_ci_high")
    interval = f" [{low}, {high}]" if low else ""
    if value.startswith("above"):
        return f"worth more random labels than the largest budget measured ({value}){interval}"
    if value.startswith("below"):
        return f"worth fewer random labels than the smallest budget measured ({value}){interval}"
    return f"worth {value} random labels{interval}"


def plot_budgets(summary: list[dict[str, object]], folder: Path) -> list[Path]:
    """Per task family and model with two or more budgets: the main metric against k (log scale) for every arm,
    means over runs with their 95% t-bands over runs, the random baseline in black as the reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    few_shot = [e for e in summary if not _continuous(str(e["task"]))]
    by_family: dict[str, list[dict[str, object]]] = defaultdict(list)
    for entry in few_shot:
        by_family[task_family(str(entry["task"]))].append(entry)
    written = []
    for name, entries in sorted(by_family.items()):
        if len({e["n_train"] for e in entries}) < 2:
            continue
        metric = task_metric(str(entries[0]["task"]))
        labels = selection_labels(entries, shown_apart=("task", "n_train"))
        lines: dict[str, list[dict[str, object]]] = defaultdict(list)
        for entry in entries:
            lines[labels[group_key(entry)]].append(entry)
        figure, axis = plt.subplots(figsize=(7.5, 4.8))
        ordered = sorted(lines.items(), key=lambda item: not is_random_baseline(item[1][0]))
        for shift, (label, points) in enumerate(ordered):
            points = sorted(points, key=lambda e: int(str(e["n_train"])))
            x = [int(str(p["n_train"])) for p in points]
            y, low, high = interval_points(points, metric)
            if is_random_baseline(points[0]):  # the reference: a dashed line in a band
                axis.plot(x, y, marker="o", color="black", linestyle="--", linewidth=2, label=label.replace("\n", ", "))
                axis.fill_between(x, low, high, alpha=0.12, color="black")
                continue
            x = [k * 1.025 ** shift for k in x]  # apart from the other arms at the same k
            axis.errorbar(x, y, yerr=[[v - a for v, a in zip(y, low)], [b - v for v, b in zip(y, high)]],
                          marker="o", capsize=3, label=label.replace("\n", ", "))
        budgets = sorted({int(str(e["n_train"])) for e in entries})
        axis.set_xscale("log", base=2)
        axis.set_xticks(budgets, [str(k) for k in budgets])
        runs = "/".join(sorted({str(e["runs"]) for e in entries}, key=int))
        axis.set(xlabel="labelled instances k (log scale)", ylabel=f"{metric} (mean, 95% CI over runs)",
                 title=f"{name}: {'/'.join(sorted({str(e['model']) for e in entries}))}, {runs} runs per point")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        written.append(save_figure(figure, folder / f"budgets_{name}.png"))
    return written


def _continuous(task: str) -> bool:
    try:
        return parse_task_name(task).continuous is not None
    except TaskError:
        return False

