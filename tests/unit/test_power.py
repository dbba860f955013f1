"""Runs needed for 80% power, and the stopping rule simulated under no difference."""

import numpy as np
import pytest

from activellm.reporting import power
from activellm.reporting.comparison import paired_comparison
from activellm.reporting.power import (ALPHA, MIN_RUNS_TO_STOP, add_runs_needed, nominal_level, open_differences,
                                       paired_t_statistics, runs_needed, sequential_level, simulated_error_rate,
                                       stopping_looks, t_test_power)


def test_runs_needed_matches_the_textbook_paired_t_sample_size():
    # One-sample / paired t-test, two-sided 5%, 80% power: effect size 1 needs 10 pairs, 0.5 needs 34 (Cohen 1988's
    # tables, as G*Power computes them).
    assert runs_needed(1.0, 1.0) == 10
    assert runs_needed(0.05, 0.1) == 34
    assert runs_needed(-0.05, 0.1) == 34  # two-sided: the sign does not matter
    needed = runs_needed(0.03, 0.04, tests=3)
    assert t_test_power(0.03, 0.04, needed, 0.05 / 3) >= 0.8 > t_test_power(0.03, 0.04, needed - 1, 0.05 / 3)
    assert needed > runs_needed(0.03, 0.04)  # Holm's strictest level asks for more runs


def test_runs_needed_is_none_where_nothing_can_be_said():
    assert runs_needed(0.0, 0.1) is None and runs_needed(0.05, None) is None and runs_needed(0.05, 0.0) is None
    assert runs_needed(1e-4, 1.0) is None  # beyond RUNS_LIMIT


def test_the_summary_gets_runs_for_the_observed_and_the_named_difference():
    summary = [{"baseline_runs": 5, "diff_mean": 0.0366, "diff_sd": 0.0286, "p_paired_t": 0.046},
               {"baseline_runs": 5, "diff_mean": -0.0447, "diff_sd": 0.0195, "p_paired_t": 0.007},
               {"baseline_runs": 5, "diff_mean": 0.0001, "diff_sd": 0.5, "p_paired_t": 0.99},
               {"baseline_runs": None, "diff_mean": None}]
    add_runs_needed(summary, min_effect=0.02)
    assert summary[0]["runs_needed"] == runs_needed(0.0366, 0.0286, tests=3)
    assert summary[0]["runs_needed_min_effect"] == runs_needed(0.02, 0.0286, tests=3)
    assert summary[0]["min_effect"] == 0.02 and summary[2]["runs_needed"] == f"> {power.RUNS_LIMIT}"
    assert summary[3]["runs_needed"] == ""


def test_the_sequential_level_is_pococks():
    """Pocock's (1977) nominal levels for 2, 3 and 5 equally spaced looks at an overall 5%: 0.0294, 0.0221, 0.0158."""
    assert [round(nominal_level(tuple(range(1, k + 1))), 4) for k in (2, 3, 5)] == [0.0294, 0.0221, 0.0158]
    assert nominal_level((10,)) == 0.05  # one look: no adjustment
    assert sequential_level((10, 15), tests=3) == 3 * nominal_level((10, 15), 0.05 / 3)


def test_the_rule_may_stop_at_every_round_from_min_runs_to_stop_and_at_max_runs():
    assert stopping_looks(5, 5, 30) == [10, 15, 20, 25, 30]
    assert stopping_looks(3, 3, 20) == [12, 15, 18, 20]
    assert stopping_looks(10, 10, 10) == [10]


def test_stopping_on_the_intervals_width_keeps_the_error_rate_at_five_percent():
    """One arm, W = 0.5 sd, rounds of 5 up to 40 runs: a verdict at the fixed-sample 5% declares a difference that is
    not there in 6.9% of 5,000 sweeps; at the sequential level in 2.0%. The bound: 5% plus two standard errors."""
    sweeps = 5000
    bound = ALPHA + 2 * (ALPHA * (1 - ALPHA) / sweeps) ** 0.5
    assert simulated_error_rate(sweeps, arms=1, width=0.5, max_runs=40) <= bound
    assert simulated_error_rate(sweeps, arms=3, width=0.5, max_runs=40) <= bound


def test_the_vectorised_statistics_are_the_paired_comparisons():
    differences = np.random.default_rng(3).standard_normal((4, 12))
    mean, half, p = paired_t_statistics(differences, 10)
    for row, m, h, q in zip(differences, mean, half, p):
        compared = paired_comparison(list(row[:10]), [0.0] * 10)
        assert compared.mean_difference == pytest.approx(m) and compared.p_paired_t == pytest.approx(q)
        assert compared.interval[1] - compared.mean_difference == pytest.approx(h)


def test_the_rule_waits_for_enough_runs_and_looks_at_widths_only():
    narrow = {"baseline_runs": MIN_RUNS_TO_STOP, "diff_ci_low": 0.01, "diff_ci_high": 0.03, "p_paired_t_holm": 0.9}
    assert open_differences([narrow], width=0.01) == []
    wide = {**narrow, "diff_ci_low": -0.1, "diff_ci_high": 0.3, "p_paired_t_holm": 1e-6}
    assert open_differences([narrow, wide], width=0.01) == [wide]  # significant, but not yet answered
    few = {**narrow, "baseline_runs": MIN_RUNS_TO_STOP - 1}
    assert open_differences([few], width=0.01) == [few]
    single = {"baseline_runs": 1, "diff_ci_low": None, "diff_ci_high": None}
    assert open_differences([single, {"baseline_runs": None}], width=1.0) == [single]


def test_the_simulation_tells_a_rule_that_stops_on_p_values():
    """The check above can fail: stopping as soon as a difference is Holm-significant at 5% is caught by it."""
    def once_significant(_runs, _half, adjusted, _width):
        return ~(adjusted < ALPHA).any(axis=1)

    assert simulated_error_rate(600, arms=2, width=0.7, rule=once_significant, level=ALPHA) > 0.1
