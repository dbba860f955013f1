"""How many runs a question needs, and when to stop adding them.

``runs_needed``: the runs (selections) for 80% power to detect a difference with the two-sided paired t-test over
runs, given the standard deviation of the paired run differences, at the level Holm's correction gives the table's
strictest step (alpha / the tested rows): a conservative count, since a row that Holm tests later meets a laxer level.
It uses the noncentral t distribution, so small numbers of runs are counted exactly, not by the normal
approximation.

The stopping rule (``open_differences``) adds runs until every difference's 95% interval over runs is at most ±W
wide. Its decision looks at the interval's width, which does not depend on where the interval lies, so it does not
stop when a difference happens to look significant; stopping on p-values would (tests/unit/test_power.py simulates
both under no difference). The width still depends on the sd estimated from the runs, and a few runs estimate it
badly: stopping when it happens to come out small makes the t statistics of that moment larger. So the rule never
stops before MIN_RUNS_TO_STOP runs. Simulated with one comparison under no difference (benchmarks/stopping_rule.py:
rounds of 5 runs up to 30, W = 0.7 sd): a rule free to stop at 3 runs declared a difference in 8.6% of sweeps, at 5
runs in 7.0%, from 10 runs in 5.3%; stopping once a difference was significant declared one in 16%.
"""

from __future__ import annotations

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


def add_runs_needed(summary: list[dict[str, object]], min_effect: float | None = None) -> None:
    """Fill POWER_COLUMNS of every compared row: the runs for the observed difference and, with ``min_effect``, for
    that difference, both from the observed sd of the paired differences at Holm's strictest level of the table."""
    compared = [e for e in summary if e.get("baseline_runs")]
    tests = sum(e.get("p_paired_t") is not None for e in compared)
    for entry in summary:
        entry.update(dict.fromkeys(POWER_COLUMNS, ""))
        if not entry.get("baseline_runs"):
            continue
        sd = entry.get("diff_sd")
        observed = runs_needed(float(entry["diff_mean"]), sd, tests)
        entry["runs_needed"] = _count(observed, float(entry["diff_mean"]), sd)
        if min_effect is not None:
            entry["min_effect"] = min_effect
            entry["runs_needed_min_effect"] = _count(runs_needed(min_effect, sd, tests), min_effect, sd)


def _count(runs: int | None, difference: float, sd: float | None) -> int | str:
    if runs is not None:
        return runs
    return f"> {RUNS_LIMIT}" if difference and sd else ""


def half_width(entry: dict[str, object]) -> float | None:
    """Half the width of a row's 95% interval of the difference over runs; None without one (a single run)."""
    low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
    return None if low is None or high is None else (float(high) - float(low)) / 2


def open_differences(entries: Sequence[dict[str, object]], width: float) -> list[dict[str, object]]:
    """The compared rows whose 95% interval is not yet at most ±``width``, or that rest on fewer than
    MIN_RUNS_TO_STOP runs: the stopping rule adds runs while any is left. It looks at widths and run counts only,
    never at p-values or where an interval lies."""
    return [e for e in entries if e.get("baseline_runs")
            and (int(e["baseline_runs"]) < MIN_RUNS_TO_STOP or (wide := half_width(e)) is None or wide > width)]


Rule = Callable[[Sequence[dict[str, object]], float], list]


def _simulated_rows(differences_by_arm: list[list[float]]) -> list[dict[str, object]]:
    """Summary-like rows from paired differences per arm (against a baseline of zeros), Holm over the arms."""
    from activellm.comparison import holm, paired_comparison

    rows = []
    for differences in differences_by_arm:
        compared = paired_comparison(differences, [0.0] * len(differences))
        low, high = compared.interval or (None, None)
        rows.append({"baseline_runs": compared.pairs, "diff_mean": compared.mean_difference, "diff_ci_low": low,
                     "diff_ci_high": high, "p_paired_t": compared.p_paired_t})
    for row, adjusted in zip(rows, holm([r["p_paired_t"] for r in rows])):
        row["p_paired_t_holm"] = adjusted
    return rows


def simulated_error_rate(sweeps: int, arms: int, width: float, rule: Rule | None = None, start: int = 5,
                         step: int = 5, max_runs: int = 30, seed: int = 0) -> float:
    """The share of simulated sweeps under no difference (paired run differences ~ N(0, 1), so ``width`` is in sd
    units) that end with a Holm-significant difference either way, when runs are added in rounds of ``step`` from
    ``start`` while ``rule`` (default: open_differences) leaves a difference open, up to ``max_runs``. Every row
    goes through the project's own paired comparison and Holm."""
    import random

    rule = rule or open_differences
    draw = random.Random(seed)
    declared = 0
    for _ in range(sweeps):
        differences = [[draw.gauss(0, 1) for _ in range(max_runs)] for _ in range(arms)]
        runs = start
        while True:
            rows = _simulated_rows([d[:runs] for d in differences])
            if not rule(rows, width) or runs >= max_runs:
                break
            runs += step
        declared += any(r["p_paired_t_holm"] is not None and r["p_paired_t_holm"] < ALPHA for r in rows)
    return declared / sweeps
