"""Statistics a reviewer accepts: the run (one selection) is the unit of replication.

The seeds of one run train on the same selection, so they are not independent evidence about it: with 5 seeds x 5
runs only 5 selections were drawn. Every interval and test here is therefore over runs. A run's seeds are averaged
first (:func:`run_means`); the mean over runs comes with its 95% t-interval; a selection is compared with the random
baseline of the same run by the differences of the run means (over the seeds both have), with their t-interval, the
paired t-test and, as a check that needs no normality (accuracies at few shots are often bimodal: a run that learns
and one stuck at the majority class), the Wilcoxon signed-rank test. All are two-sided. A grid compares many
selections with one baseline, so :func:`holm` adjusts the p-values of one table together (Holm 1979, which controls
the family-wise error rate without assuming independence).

The seed-to-seed spread within runs (:func:`seed_spread`) is training noise, reported on its own.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

CONFIDENCE = 0.95
# Results are written with 6 significant digits, so differences closer than this are the same number: averaging
# 0.7 three times can give 0.7000000000000001, and a t-test over such "spread" reports p = 1e-14.
TOLERANCE = 1e-9


def _clean(values: Sequence[float]) -> list[float]:
    """Values rounded to TOLERANCE, so that float noise is neither spread nor a difference."""
    return [round(v / TOLERANCE) * TOLERANCE for v in values]


def has_spread(values: Sequence[float]) -> bool:
    cleaned = _clean(values)
    return len(cleaned) >= 2 and max(cleaned) - min(cleaned) > TOLERANCE / 2


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The two-sided t confidence interval of the mean; None for fewer than two values. Values without spread
    give an interval of zero width around their mean."""
    from scipy.stats import t

    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    if not has_spread(values):
        return mean, mean
    half = t.ppf(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return float(mean - half), float(mean + half)


def run_means(values_by_run: Mapping[object, Sequence[float]]) -> dict[object, float]:
    """The mean over seeds of each run that has values."""
    return {run: statistics.fmean(values) for run, values in values_by_run.items() if values}


def seed_spread(values_by_run: Mapping[object, Sequence[float]]) -> float | None:
    """The pooled within-run standard deviation (training noise): the square root of the within-run variances
    averaged with their degrees of freedom as weights; None where no run has two seeds."""
    squares = degrees = 0.0
    for values in values_by_run.values():
        if len(values) >= 2:
            squares += statistics.variance(values) * (len(values) - 1)
            degrees += len(values) - 1
    return math.sqrt(squares / degrees) if degrees else None


@dataclass(frozen=True)
class PairedComparison:
    """``values - baseline`` over matched runs."""

    pairs: int
    mean_difference: float
    sd: float | None  # of the differences over runs (None for one pair)
    interval: tuple[float, float] | None
    p_paired_t: float | None
    p_wilcoxon: float | None


def paired_comparison(values: Sequence[float], baseline: Sequence[float]) -> PairedComparison | None:
    """Compare ``values[i]`` with ``baseline[i]`` (each a run's mean); None without pairs. The tests are None where
    they are undefined: one pair, differences without spread (t), all differences zero (Wilcoxon)."""
    from scipy.stats import ttest_1samp, wilcoxon

    if len(values) != len(baseline):
        raise ValueError("paired values need the same length")
    if not values:
        return None
    differences = _clean([a - b for a, b in zip(values, baseline)])
    p_t = p_w = None
    if has_spread(differences):
        p_t = float(ttest_1samp(differences, 0.0).pvalue)
    if len(differences) >= 2 and any(differences):
        p_w = float(wilcoxon(differences).pvalue)
    sd = statistics.stdev(differences) if len(differences) >= 2 else None
    return PairedComparison(len(differences), statistics.fmean(differences), sd, t_interval(differences), p_t, p_w)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the p-values of one family (None stays None and does not count)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (len(present) - rank) * p))
        adjusted[i] = running
    return adjusted
