"""How many runs a question needs, and when to stop adding them.

``runs_needed``: the runs (selections) for 80% power to detect a difference with the two-sided paired t-test over
runs, given the standard deviation of the paired run differences, at the level Holm's correction gives the table's
strictest step (alpha / the tested rows): a conservative count, since a row that Holm tests later meets a laxer level.
It uses the noncentral t distribution, so small numbers of runs are counted exactly, not by the normal
approximation.

The stopping rule (``open_differences``) adds runs until every difference's 95% interval over runs is at most ±W
wide, looking at the interval's width only, never at p-values or where an interval lies. The width still rests on
the sd estimated from the runs: stopping when it happens to come out small makes the t statistics of that moment
larger, so a verdict at the usual 5% after such a stop declares a difference that is not there more often than 5%
(simulated: 6-6.5% with one arm, rounds of 5 runs up to 30-40, W 0.35-0.5 sd). So a verdict after the rule is
decided at a **sequential level** (``sequential_level``): Pocock's (1977) constant nominal level over the looks at
which the rule may stop (every round from MIN_RUNS_TO_STOP runs on, and --max-runs), chosen so that the chance that
the paired t-test of *any* look falls below it is alpha; the rule stops at one of those looks, so its verdict errs
at most that often, whatever made it stop. For a table of m tested rows the level is m times the nominal level for
alpha / m (Bonferroni over the rows at Holm's first step), and the Holm-adjusted p-values are compared with it.
benchmarks/stopping_rule.py simulates the whole procedure (the rule, the t-tests, Holm, the level) over widths,
arm counts and --max-runs; docs/statistics.md shows its table.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

ALPHA = 0.05
POWER = 0.8
RUNS_LIMIT = 10_000  # beyond this a question is not one for more runs
MIN_RUNS_TO_STOP = 10  # the stopping rule's first possible stop (see above)
POWER_COLUMNS = ("runs_needed", "min_effect", "runs_needed_min_effect")


def t_test_power(difference: float, sd: float, runs: int, alpha: float) -> float:
    """The power of the two-sided one-sample t-test over ``runs`` paired differences."""
    from scipy.stats import nct, t

    critical = t.ppf(1 - alpha / 2, runs - 1)
    shift = abs(difference) / sd * runs ** 0.5
    return float(nct.sf(critical, runs - 1, shift) + nct.cdf(-critical, runs - 1, shift))


def runs_needed(difference: float, sd: float | None, tests: int = 1, alpha: float = ALPHA,
                power: float = POWER) -> int | None:
    """The fewest runs (at least 2) whose paired t-test at level alpha/tests reaches ``power`` for ``difference``;
    None where it cannot be said (no difference, no spread known) or needs more than RUNS_LIMIT runs."""
    if not difference or not sd:
        return None
    level = alpha / max(1, tests)

    def enough(runs: int) -> bool:
        return t_test_power(difference, sd, runs, level) >= power

    high = 2
    while not enough(high):
        if high >= RUNS_LIMIT:
            return None
        high = min(RUNS_LIMIT, high * 2)
    low = high // 2 if high > 2 else 1  # enough(high); not enough(low), or low < 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


def add_runs_needed(summary: list[dict[str, object]], min_effect: float | None = None, alpha: float = ALPHA) -> None:
    """Fill POWER_COLUMNS of every compared row: the runs for the observed difference and, with ``min_effect``, for
    that difference, both from the observed sd of the paired differences at Holm's strictest level of the table
    (``alpha``: the level the verdict decides at, e.g. a sequential level, over the tested rows)."""
    tests = tested_rows(summary)
    for entry in summary:
        entry.update(dict.fromkeys(POWER_COLUMNS, ""))
        if not entry.get("baseline_runs"):
            continue
        sd = entry.get("diff_sd")
        observed = runs_needed(float(entry["diff_mean"]), sd, tests, alpha)
        entry["runs_needed"] = _count(observed, float(entry["diff_mean"]), sd)
        if min_effect is not None:
            entry["min_effect"] = min_effect
            entry["runs_needed_min_effect"] = _count(runs_needed(min_effect, sd, tests, alpha), min_effect, sd)


def _count(runs: int | None, difference: float, sd: float | None) -> int | str:
    if runs is not None:
        return runs
    return f"> {RUNS_LIMIT}" if difference and sd else ""


def half_width(entry: dict[str, object]) -> float | None:
    """Half the width of a row's 95% interval of the difference over runs; None without one (a single run)."""
    low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
    return None if low is None or high is None else (float(high) - float(low)) / 2


def still_open(runs, half, width: float):
    """Whether a difference on ``runs`` runs whose 95% interval is ±``half`` leaves the rule adding runs: an interval
    wider than ±``width``, or fewer than MIN_RUNS_TO_STOP runs (numbers or numpy arrays alike)."""
    return (runs < MIN_RUNS_TO_STOP) | (half > width)


def open_differences(entries: Sequence[dict[str, object]], width: float) -> list[dict[str, object]]:
    """The compared rows the stopping rule is still waiting for (still_open, or no interval yet). It looks at widths
    and run counts only, never at p-values or where an interval lies."""
    return [e for e in entries if e.get("baseline_runs")
            and ((wide := half_width(e)) is None or still_open(int(e["baseline_runs"]), wide, width))]


# --- the sequential level ------------------------------------------------------------------------------------------


def stopping_looks(start: int, step: int, max_runs: int) -> list[int]:
    """The run counts at which the rule may stop: rounds of ``step`` runs from ``start``, the last at ``max_runs``,
    from MIN_RUNS_TO_STOP runs on."""
    looks, runs = [], start
    while True:
        if runs >= MIN_RUNS_TO_STOP:
            looks.append(runs)
        if runs >= max_runs:
            return looks
        runs = min(runs + step, max_runs)


def crossing_probability(looks: Sequence[int], critical: float, points: int = 501) -> float:
    """P(|Z_j| > critical at some look j) for Z_j = S(n_j) / sqrt(n_j), S a sum of independent N(0, 1) run
    differences: the chance that a z-test at every look declares a difference that is not there. Computed by
    numerical integration over the looks (Armitage, McPherson and Rowe 1969): the density of S, kept inside the
    bounds, carried from look to look by a normal kernel on a grid of ``points``."""
    import numpy as np
    from scipy.stats import norm

    density = grid = weights = None
    previous = 0
    for n in looks:
        bound = critical * math.sqrt(n)
        new_grid = np.linspace(-bound, bound, points)
        spread = math.sqrt(n - previous)
        if density is None:
            density = norm.pdf(new_grid, scale=spread)
        else:
            kernel = norm.pdf(new_grid[:, None] - grid[None, :], scale=spread)
            density = kernel @ (density * weights)
        grid, previous = new_grid, n
        weights = np.full(points, grid[1] - grid[0])
        weights[[0, -1]] /= 2  # the trapezoid rule
    return float(1.0 - density @ weights)


@functools.lru_cache(maxsize=256)
def nominal_level(looks: tuple[int, ...], alpha: float = ALPHA) -> float:
    """Pocock's constant nominal two-sided level per look: a test at each of ``looks`` at this level declares a
    difference that is not there at some look with probability ``alpha`` (the level alpha itself for one look)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    if len(looks) <= 1:
        return alpha
    low, high = norm.isf(alpha / 2), norm.isf(alpha / (2 * len(looks)))  # one look; Bonferroni over the looks
    critical = brentq(lambda c: crossing_probability(looks, c) - alpha, low, high, xtol=1e-8)
    return float(2 * norm.sf(critical))


def sequential_level(looks: Sequence[int], tests: int = 1, alpha: float = ALPHA) -> float:
    """The level the Holm-adjusted p-values of a table of ``tests`` rows are compared with after the stopping rule
    stopped at one of ``looks``: tests x the nominal level for alpha / tests (see the module docstring)."""
    tests = max(1, tests)
    return tests * nominal_level(tuple(looks), alpha / tests)


def tested_rows(summary: Sequence[dict[str, object]]) -> int:
    """The rows of a summary's Holm family: those with a paired t-test."""
    return sum(e.get("p_paired_t") is not None for e in summary if e.get("baseline_runs"))


# --- the procedure simulated ---------------------------------------------------------------------------------------


def paired_t_statistics(differences, runs: int):
    """Vectorised over the leading axes: the mean, the half-width of the 95% t-interval and the two-sided paired
    t-test's p-value of the first ``runs`` paired run differences (the statistics of comparison.paired_comparison)."""
    import numpy as np
    from scipy.stats import t

    from activellm.reporting.comparison import CONFIDENCE

    first = differences[..., :runs]
    mean = first.mean(axis=-1)
    error = first.std(axis=-1, ddof=1) / math.sqrt(runs)
    p = 2 * t.sf(np.abs(mean / error), runs - 1)
    return mean, t.ppf(0.5 + CONFIDENCE / 2, runs - 1) * error, p


StopRule = Callable[[int, "object", "object", float], "object"]


def simulated_error_rate(sweeps: int, arms: int, width: float, start: int = 5, step: int = 5, max_runs: int = 30,
                         seed: int = 0, level: float | None = None, rule: StopRule | None = None) -> float:
    """The share of simulated sweeps under no difference (paired run differences ~ N(0, 1), so ``width`` is in sd
    units) that end with a difference declared either way: runs are added in rounds of ``step`` from ``start`` while
    ``rule`` leaves a difference open (default: still_open on any arm), up to ``max_runs``; then the Holm-adjusted
    p-values over the arms are compared with ``level`` (default: sequential_level of the rule's looks). ``rule``
    gets (runs, half-widths [sweeps x arms], Holm-adjusted p-values [sweeps x arms], width) and returns which sweeps
    go on."""
    import numpy as np

    from activellm.reporting.comparison import holm

    if level is None:
        level = sequential_level(stopping_looks(start, step, max_runs), arms)
    rule = rule or (lambda runs, half, _p, w: still_open(runs, half, w).any(axis=1))
    differences = np.random.default_rng(seed).standard_normal((sweeps, arms, max_runs))
    final_p = np.ones((sweeps, arms))
    going = np.ones(sweeps, dtype=bool)
    runs = start
    while going.any():
        _, half, p = paired_t_statistics(differences[going], runs)
        adjusted = np.array([holm(list(row)) for row in p], dtype=float)
        final_p[going] = adjusted
        if runs >= max_runs:
            break
        going[np.flatnonzero(going)[~rule(runs, half, adjusted, width)]] = False
        runs = min(runs + step, max_runs)
    return float((final_p < level).any(axis=1).mean())
