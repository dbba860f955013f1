"""The labelling budget k in reports: random-equivalent labels and learning curves.

A task named without its k (``rotten_tomatoes``) is run at every budget of the grid (``rotten_tomatoes_16``,
``rotten_tomatoes``, ``rotten_tomatoes_64``: 32 is the name without a suffix, as in the paper's folders; the names
come from activellm.data.tasks.budget_task, the cells from the sweep's grid). The random
baseline may run at more budgets than the other arms: its curve is the reference that turns a selection's score into
**random-equivalent labels**, the number of random labels that reach the same mean.

How that number is read off: the random baseline's run means at each budget measured give its curve, interpolated
linearly in log k; the worth is the fewest labels at which that curve meets the arm's mean (where random dips at a
larger k, the first meeting counts). A mean below the whole curve is "below the smallest budget measured", one above
it "above the largest": never extrapolated. The interval below inverts the test along the same curve, so a point
where the curve meets the arm lies within it; where random's curve falls and the arm lies beyond all of it (a worth
"below 16" whose test rejects 16), the interval is widened to hold the point. (A running maximum of the curve, used
before, could put the point outside its interval.)

Its 95% interval inverts the paired t-test over runs (Fieller's construction): between two budgets the random curve
at k is, per run, the interpolation of that run's two random scores, so each run gives a difference "arm minus
random at k"; k belongs to the interval where the paired t-test over runs does not reject that difference being 0.
Within a pair of budgets that is a quadratic inequality in the interpolation share, solved exactly. Where the
interval reaches the smallest (largest) budget measured, its end is "below" ("above") it. It rests on the runs the
arm shares with its random baseline at its own k, and on every budget of the curve that has all of those runs; a
budget that lacks some is left out and named (``random_equivalent_note``); with fewer than two budgets there is no
curve and no worth. (A percentile bootstrap over runs, used before, covered the true value in 90% of simulated
sweeps of 10 runs; this interval in at least 94%: benchmarks/worth_coverage.py, docs/statistics.md.)
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from activellm.data.tasks import TaskError, parse_task_name, task_family
from activellm.reporting.comparison import CONFIDENCE, run_means
from activellm.reporting.summary import (PAIRING_KEYS, baseline_key, group_key, interval_points, is_random_baseline,
                                         save_figure, selection_labels, task_metric, values_by_run)

if TYPE_CHECKING:
    import numpy as np

EQUIVALENT_COLUMNS = ("random_equivalent", "random_equivalent_ci_low", "random_equivalent_ci_high",
                      "random_equivalent_runs", "random_equivalent_note")
BELOW, ABOVE = -math.inf, math.inf


def _between(k0: float, k1: float, share: float) -> float:
    """The labels at ``share`` of the way from ``k0`` to ``k1``, linear in log k (how the random curve is read)."""
    return math.exp(math.log(k0) + share * (math.log(k1) - math.log(k0)))


def random_equivalent(budgets: Sequence[int], random_means: Sequence[float], value: float) -> float:
    """The fewest random labels at which the random curve (its means, linear in log k between the budgets measured)
    meets ``value``; BELOW (-inf) where the whole curve lies above it, ABOVE (+inf) where it lies below. The curve is
    the one the interval inverts (equivalent_interval): where the curve meets the arm's mean the paired t statistic
    is 0, so the point always lies within its interval."""
    points = sorted(zip(budgets, random_means))
    for (k0, y0), (k1, y1) in zip(points, [*points[1:], (None, None)]):
        if y0 == value:
            return float(k0)
        if y1 is not None and (y0 - value) * (y1 - value) < 0:  # the curve crosses value between k0 and k1
            return _between(k0, k1, (value - y0) / (y1 - y0))
    return ABOVE if value > max(y for _, y in points) else BELOW


def format_equivalent(value: float | None, budgets: Sequence[int]) -> str:
    """``51.3``, ``below 16`` or ``above 64`` (the budgets measured); empty for None."""
    if value is None:
        return ""
    if value == BELOW:
        return f"below {min(budgets)}"
    if value == ABOVE:
        return f"above {max(budgets)}"
    return f"{value:.1f}"


def _segment_shares(arm: "np.ndarray", low: "np.ndarray", high: "np.ndarray", critical: float) -> tuple | None:
    """The interpolation shares s in [0, 1] between two budgets (random scores ``low`` and ``high`` per run) at which
    the paired t-test of arm - ((1 - s) low + s high) over runs does not reject 0: mean^2 <= critical^2 var / n, a
    quadratic in s (Fieller). Returns (first, last) share of that set within [0, 1], or None where it is empty."""
    import numpy as np

    u, v = arm - low, low - high  # the difference at share s, per run: u + s v
    runs = len(arm)
    q = critical ** 2 / runs
    su, sv = np.var(u, ddof=1), np.var(v, ddof=1)
    suv = float(np.cov(u, v, ddof=1)[0, 1])
    a, b, c = v.mean() ** 2 - q * sv, 2 * (u.mean() * v.mean() - q * suv), u.mean() ** 2 - q * su
    value = lambda s: a * s * s + b * s + c  # noqa: E731
    candidates = [0.0, 1.0]
    if abs(a) > 1e-15:
        disc = b * b - 4 * a * c
        if disc < 0 and disc > -1e-9 * (b * b + abs(4 * a * c)):  # a double root lost to rounding: the runs agree
            disc = 0.0
        if disc >= 0:
            candidates += [(-b - disc ** 0.5) / (2 * a), (-b + disc ** 0.5) / (2 * a)]
    elif abs(b) > 1e-15:
        candidates.append(-c / b)
    tolerance = 1e-12 * (abs(a) + abs(b) + abs(c))
    inside = sorted(s for s in candidates if 0.0 <= s <= 1.0 and value(s) <= tolerance)
    return (inside[0], inside[-1]) if inside else None


def equivalent_interval(budgets: Sequence[int], arm: "np.ndarray", curve: "np.ndarray",
                        confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The ``confidence`` interval of the random-equivalent labels by inverting the paired t-test over runs along the
    random curve (see the module docstring); ``arm`` per run, ``curve`` budget x run, ``budgets`` ascending."""
    from scipy.stats import t

    critical = float(t.ppf(0.5 + confidence / 2, len(arm) - 1))
    ends = []
    for i in range(len(budgets) - 1):
        shares = _segment_shares(arm, curve[i], curve[i + 1], critical)
        if shares is not None:
            ends += [(i, share) for share in shares]
    if not ends:  # the arm differs from random everywhere: above the whole curve, or below it
        return (ABOVE, ABOVE) if arm.mean() > curve[-1].mean() else (BELOW, BELOW)
    (first_i, first_s), (last_i, last_s) = min(ends), max(ends)
    low = BELOW if (first_i, first_s) == (0, 0.0) else _between(budgets[first_i], budgets[first_i + 1], first_s)
    high = ABOVE if (last_i, last_s) == (len(budgets) - 2, 1.0) else _between(budgets[last_i], budgets[last_i + 1],
                                                                             last_s)
    return low, high


@dataclass(frozen=True)
class Worth:
    """What a selection is worth in random labels: the point, its interval over runs (None for one run), the runs
    it rests on, the budgets of its curve and those left out for lacking some of the runs (budget, runs lacking)."""

    point: float | None  # None: fewer than two budgets have the runs
    low: float | None
    high: float | None
    runs: int
    budgets: tuple[int, ...]
    left_out: tuple[tuple[int, int], ...] = ()


def equivalent_with_interval(arm: dict[str, float], curve: dict[int, dict[str, float]],
                             paired: Iterable[str] | None = None) -> Worth | None:
    """The random-equivalent labels of ``arm`` (run -> run mean) on ``curve`` (budget -> run -> run mean) over the
    arm's runs that ``paired`` also has (the runs of its comparison with random; default: all of the arm's), with the
    interval over runs, using every budget that has all of those runs (a point of None where fewer than two do);
    None where no budget has any of them."""
    import numpy as np

    runs = sorted(set(arm) & set(paired if paired is not None else arm))
    if not any(set(runs) & set(means) for means in curve.values()):  # nothing to compare with
        return None
    kept = sorted(k for k, means in curve.items() if set(runs) <= set(means))
    left_out = tuple((k, len(set(runs) - set(curve[k]))) for k in sorted(curve) if k not in kept)
    if len(kept) < 2:
        return Worth(None, None, None, len(runs), tuple(kept), left_out)
    arm_values = np.array([arm[r] for r in runs])
    curve_values = np.array([[curve[k][r] for r in runs] for k in kept])
    point = random_equivalent(kept, curve_values.mean(axis=1).tolist(), float(arm_values.mean()))
    low, high = equivalent_interval(kept, arm_values, curve_values) if len(runs) >= 2 else (None, None)
    if low is not None:  # a falling curve with the arm beyond it: the interval widened to hold its point
        low, high = min(low, point), max(high, point)
    return Worth(point, low, high, len(runs), tuple(kept), left_out)


def _left_out_note(left_out: Sequence[tuple[int, int]], runs: int) -> str:
    """"random at 64 lacks 7 of the 10 runs" for each budget left out of a curve."""
    return "; ".join(f"random at {k} lacks {lacking} of the {runs} runs" for k, lacking in left_out)


MAIN_JOB_CURVE = {16: 0.545, 32: 0.605, 64: 0.656}  # the main job's random curve (README), for simulations


def simulated_worth_coverage(repetitions: int, runs: int = 10, arm_mean: float = 0.637,
                             curve: dict[int, float] = MAIN_JOB_CURVE, run_sd: float = 0.02, noise_sd: float = 0.03,
                             seed: int = 0) -> float:
    """The share of simulated sweeps whose 95% interval of random-equivalent labels (equivalent_with_interval) holds
    the true value: per run a shared effect ~ N(0, run_sd) (a run's pool is easier or harder for every arm) and per
    cell noise ~ N(0, noise_sd) around ``curve`` (random's true means per budget) and ``arm_mean``."""
    import numpy as np

    truth = random_equivalent(list(curve), list(curve.values()), arm_mean)
    draw = np.random.default_rng(seed)
    covered = 0
    for _ in range(repetitions):
        shared = draw.normal(0, run_sd, runs)
        arm = dict(enumerate(arm_mean + shared + draw.normal(0, noise_sd, runs)))
        means = {k: dict(enumerate(mean + shared + draw.normal(0, noise_sd, runs))) for k, mean in curve.items()}
        found = equivalent_with_interval(arm, means)
        covered += found.low <= truth <= found.high
    return covered / repetitions


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
        means = {k: run_means(values_by_run(members, metric)) for k, members in curve.items()}
        own_k = int(str(entry["n_train"]))
        found = equivalent_with_interval(run_means(values_by_run(groups[group_key(entry)], metric)), means,
                                         means.get(own_k))
        if found is None:
            continue
        note = _left_out_note(found.left_out, found.runs)
        if found.point is None:
            entry["random_equivalent_note"] = f"{note}: fewer than two budgets of random left, so no curve" if note \
                else "random is measured at one budget only, so no curve"
            continue
        values = (format_equivalent(v, found.budgets) for v in (found.point, found.low, found.high))
        entry.update(zip(EQUIVALENT_COLUMNS, (*values, found.runs, note)))


def equivalent_phrase(entry: dict[str, object]) -> str:
    """"worth 51.3 random labels [38.0, 64.0] over 10 runs" (the 95% interval over runs), or empty without a random
    curve; outside the budgets measured it says so instead of a number; budgets left out of the curve are named."""
    value = str(entry.get("random_equivalent") or "")
    note = str(entry.get("random_equivalent_note") or "")
    if not value:
        return f"not priced in random labels ({note})" if note else ""
    low, high = entry.get("random_equivalent_ci_low"), entry.get("random_equivalent_ci_high")
    interval = f" [{low}, {high}]" if low else ""
    basis = f" over {entry['random_equivalent_runs']} runs" + (f" ({note}: left out of the curve)" if note else "")
    if value.startswith("above"):
        return f"worth more random labels than the largest budget measured ({value}){interval}{basis}"
    if value.startswith("below"):
        return f"worth fewer random labels than the smallest budget measured ({value}){interval}{basis}"
    return f"worth {value} random labels{interval}{basis}"


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

