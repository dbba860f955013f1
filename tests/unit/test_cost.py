"""What a selection costs beside what it is worth: tokens and seconds per selection from the answers' metadata, money
only where the user gives prices."""

from __future__ import annotations

import pytest

from activellm.reporting.cost import Prices, add_llm_costs, cost_phrase
from activellm.reporting.verdict import verdict_line

USAGE = [{"task": "rotten_tomatoes", "arm": "gpt-4o_10", "answers": 10, "prompt_tokens": 45_000,
          "cached_tokens": 1_000, "completion_tokens": 6_000, "seconds": 142.0}]


def _entry(**extra):
    return {"task": "rotten_tomatoes", "mode": "gpt-4o_10", "llm_model": "gpt-4o", "n_train": "32",
            "diff_mean": 0.03, "p_paired_t_holm": 0.2, "baseline_runs": 10, "random_equivalent": "43.2",
            "random_equivalent_ci_low": "39.8", "random_equivalent_ci_high": "47.0", "random_equivalent_runs": 10,
            **extra}


def test_an_llm_arm_carries_its_tokens_and_seconds_per_selection_and_money_only_with_prices():
    entry = _entry()
    add_llm_costs([entry], USAGE, Prices())
    assert (entry["llm_prompt_tokens"], entry["llm_cached_tokens"], entry["llm_completion_tokens"],
            entry["llm_seconds"]) == (4_500, 100, 600, 14.2)
    assert "llm_dollars" not in entry and "labels_saved" not in entry  # no prices, no money
    assert cost_phrase(entry) == "4,500 + 600 tokens (100 cached) and 14.2 s"
    priced = _entry()
    add_llm_costs([priced], USAGE, Prices(2.5, 10.0, 0.05))
    assert priced["llm_dollars"] == pytest.approx((4_500 * 2.5 + 600 * 10.0) / 1e6, abs=1e-4)
    assert (priced["labels_saved"], priced["labels_saved_dollars"]) == (11.2, 0.56)
    line = verdict_line(priced, "LLM 10")
    assert "Its 32 picks are worth 43.2 random labels [39.8, 47.0] over 10 runs. A selection took 4,500 + 600 " \
           "tokens (100 cached) and 14.2 s; at $0.05 a label, 11.2 labels saved ($0.56) for $0.0173 of tokens." in line


def test_no_labels_saved_without_a_number_of_random_labels_and_no_cost_for_other_arms():
    above = _entry(random_equivalent="above 64")
    other = {**_entry(), "llm_model": "", "mode": "baseline"}
    add_llm_costs([above, other], USAGE, Prices(2.5, 10.0, 0.05))
    assert "labels_saved" not in above and above["llm_dollars"] > 0
    assert cost_phrase(above).endswith(", $0.0173 of tokens") and cost_phrase(other) == ""
    assert "A selection took" not in verdict_line(other, "k-means")
