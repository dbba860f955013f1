"""Runs needed for 80% power, and the stopping rule simulated under no difference."""

from activellm import power
from activellm.power import (MIN_RUNS_TO_STOP, add_runs_needed, open_differences, runs_needed, simulated_error_rate,
                             t_test_power)


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


def test_stopping_on_the_intervals_width_keeps_holms_error_rate_near_nominal():
    """2,500 simulated sweeps of two arms that do not differ from random: standard error of the rate about 0.44
    points: 4.8% come out. Stopping once a difference is significant declares one in 16.3% of the same sweeps."""
    sweeps = 2500
    rate = simulated_error_rate(sweeps, arms=2, width=0.7)
    assert (rate * (1 - rate) / sweeps) ** 0.5 < 0.005
    assert rate <= 0.06


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
    """The check above can fail: stopping as soon as a difference is Holm-significant is caught by it."""
    def once_significant(entries, _width):
        significant = any(e["p_paired_t_holm"] is not None and e["p_paired_t_holm"] < 0.05 for e in entries)
        return [] if significant else [e for e in entries if e.get("baseline_runs")]

    assert simulated_error_rate(600, arms=2, width=0.7, rule=once_significant) > 0.1
