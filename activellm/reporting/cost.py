"""What an LLM's selection costs beside what it is worth.

Per LLM arm (an answers folder of a task), from its answers' metadata (activellm.llm.usage): the tokens in (and of
them cached) and out, and the seconds, each per selection (one answer; follow-ups included). Where the user gives
prices, never from a built-in list that goes stale (``--llm-price IN OUT`` in dollars per million tokens,
``--label-price P`` per human label): the tokens' money per selection, and the labels the selection saves (its worth
in random labels less its k) with what they would have cost. The unit is the selection, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from activellm.data.tasks import TaskError, parse_task_name

COST_COLUMNS = ("llm_selections", "llm_prompt_tokens", "llm_cached_tokens", "llm_completion_tokens", "llm_seconds",
                "llm_dollars", "label_price", "labels_saved", "labels_saved_dollars")


@dataclass(frozen=True)
class Prices:
    """Prices the user gives: dollars per million prompt and completion tokens, and per human label."""

    prompt_tokens: float | None = None
    completion_tokens: float | None = None
    label: float | None = None


def add_llm_costs(summary: list[dict[str, object]], usage: Sequence[dict[str, object]], prices: Prices) -> None:
    """Each LLM arm's cost per selection (COST_COLUMNS) from ``usage`` (activellm.llm.usage.llm_usage's rows), with
    money where ``prices`` has them; the random-equivalent labels must be added first (labels saved)."""
    by_arm = {(str(row["task"]), str(row["arm"])): row for row in usage}
    for entry in summary:
        if not entry.get("llm_model"):
            continue
        try:
            tag = parse_task_name(str(entry["task"])).tag
        except TaskError:
            continue
        row = by_arm.get((tag, str(entry["mode"])))
        if not row or not row.get("answers"):
            continue
        answers = int(row["answers"])
        prompt, completion = float(row["prompt_tokens"]) / answers, float(row["completion_tokens"]) / answers
        entry.update(llm_selections=answers, llm_prompt_tokens=round(prompt),
                     llm_cached_tokens=round(float(row.get("cached_tokens") or 0) / answers),
                     llm_completion_tokens=round(completion), llm_seconds=round(float(row["seconds"]) / answers, 1))
        if prices.prompt_tokens is not None and prices.completion_tokens is not None:
            entry["llm_dollars"] = round((prompt * prices.prompt_tokens + completion * prices.completion_tokens) / 1e6,
                                         4)
        worth = _number(entry.get("random_equivalent"))
        if prices.label is not None and worth is not None:
            saved = worth - int(str(entry["n_train"]))
            entry.update(label_price=prices.label, labels_saved=round(saved, 1),
                         labels_saved_dollars=round(saved * prices.label, 2))


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:  # "above 64", "below 16", empty
        return None


def cost_phrase(entry: dict[str, object]) -> str:
    """What a selection took: "4,512 + 604 tokens (4,100 cached) and 14.2 s; at $0.05 a label, 11.2 labels saved
    ($0.56) for $0.0024 of tokens", or empty where the entry is no LLM arm with usage."""
    if entry.get("llm_prompt_tokens") in (None, ""):
        return ""
    cached = int(entry.get("llm_cached_tokens") or 0)
    phrase = (f"{int(entry['llm_prompt_tokens']):,} + {int(entry['llm_completion_tokens']):,} tokens"
              + (f" ({cached:,} cached)" if cached else "") + f" and {float(entry['llm_seconds']):g} s")
    dollars = entry.get("llm_dollars")
    tokens = f"${float(dollars):.4f} of tokens" if dollars not in (None, "") else ""
    if entry.get("labels_saved") not in (None, ""):
        phrase += (f"; at ${float(entry['label_price']):g} a label, {float(entry['labels_saved']):g} labels saved "
                   f"(${float(entry['labels_saved_dollars']):.2f})" + (f" for {tokens}" if tokens else ""))
    elif tokens:
        phrase += f", {tokens}"
    return phrase
