"""Statistics a reviewer asks for: 95% confidence intervals of a mean, and paired comparisons.

At 32 shots the differences between selections are small and noisy, so every mean comes with a t-interval and
every selection is compared with the random baseline on the same (task, run, seed, settings): the mean of the
paired differences with its t-interval, the paired t-test and, as a check that needs no normality (accuracies
at few shots are often bimodal: a seed that learns and one stuck at the majority class), the Wilcoxon
signed-rank test. All are two-sided.

Seeds of one run share its selection, so the pairs of one run are not independent draws of a selection: the
intervals cover training-seed and selection noise together. Claims about selections need several runs.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Sequence

CONFIDENCE = 0.95


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The two-sided t confidence interval of the mean; None for fewer than two values."""
    from scipy.stats import t

    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = t.ppf(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return float(mean - half), float(mean + half)


@dataclass(frozen=True)
class PairedComparison:
    """``values - baseline`` over matched pairs."""

    pairs: int
    mean_difference: float
    interval: tuple[float, float] | None
    p_paired_t: float | None
    p_wilcoxon: float | None


def paired_comparison(values: Sequence[float], baseline: Sequence[float]) -> PairedComparison | None:
    """Compare ``values[i]`` with ``baseline[i]``; None without pairs."""
    from scipy.stats import ttest_rel, wilcoxon

    if len(values) != len(baseline):
        raise ValueError("paired values need the same length")
    if not values:
        return None
    differences = [a - b for a, b in zip(values, baseline)]
    p_t = p_w = None  # undefined for a single pair, and for differences without spread (t) or all zero (Wilcoxon)
    if len(differences) >= 2 and len(set(differences)) > 1:
        p_t = float(ttest_rel(values, baseline).pvalue)
    if len(differences) >= 2 and any(differences):
        p_w = float(wilcoxon(differences).pvalue)
    return PairedComparison(len(differences), statistics.fmean(differences), t_interval(differences), p_t, p_w)
