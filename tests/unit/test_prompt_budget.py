"""A prompt's token budget: long instances cut to a common head with a marker, or fewer shown; refused where it
cannot fit."""

from __future__ import annotations

import pytest

from activellm.llm.prompt_jobs import answers_folder_name
from activellm.prompts.build import PromptError, PromptRequest, build_prompt
from activellm.prompts.token_budget import (CUT_MARKER, FEWER, MIN_KEPT_TOKENS, NO_LIMIT, common_length, count_tokens,
                                            fit_prompt)

SHORT = "a short review ."


def _pool() -> list[str]:
    long = [" ".join(f"word{i}x{j}" for j in range(400)) for i in range(6)]
    return [SHORT + f" {i}" if i % 2 else long[i // 2] for i in range(12)]


def _build(texts, mode="10", shown=12):
    request = PromptRequest(mode=mode, prompt_examples=shown)
    ids = list(range(100, 100 + len(texts)))

    def build(display, count):
        asked = request if count is None else PromptRequest(mode=mode, prompt_examples=count)
        return build_prompt(asked, texts, ids, None, display)
    return build


def test_a_prompt_within_its_budget_is_left_as_it_is():
    texts = _pool()
    whole = _build(texts)({}, None)
    fitted = fit_prompt(_build(texts), texts, count_tokens(whole.text)[0])
    assert fitted.prompt.text == whole.text and fitted.cut == []
    assert fit_prompt(_build(texts), texts, NO_LIMIT).prompt.text == whole.text


def test_cutting_keeps_every_instance_with_its_head_and_a_marker_and_short_ones_whole():
    texts = _pool()
    whole_tokens = count_tokens(_build(texts)({}, None).text)[0]
    budget = whole_tokens // 3
    fitted = fit_prompt(_build(texts), texts, budget)
    assert fitted.tokens == count_tokens(fitted.prompt.text)[0] <= budget
    assert len(fitted.prompt.shown) == 12  # nothing dropped
    assert sorted(c.number for c in fitted.cut) == [0, 2, 4, 6, 8, 10]  # the long ones, by the number shown
    text = fitted.prompt.text
    assert text.count(CUT_MARKER + " [ID:") == 6 and text.count(SHORT) == 6  # short instances whole
    for cut in fitted.cut:
        assert MIN_KEPT_TOKENS <= cut.kept < cut.tokens
        head = texts[cut.number].split()[:5]
        assert " ".join(head) in text  # the head, from the start
    assert fitted.record()["cut"][0] == {"number": 0, "tokens": fitted.cut[0].tokens, "kept": fitted.cut[0].kept}


def test_showing_fewer_keeps_instances_whole():
    texts = _pool()
    budget = count_tokens(_build(texts)({}, None).text)[0] // 3
    fitted = fit_prompt(_build(texts), texts, budget, FEWER)
    assert fitted.tokens <= budget and fitted.cut == [] and CUT_MARKER not in fitted.prompt.text
    shown = len(fitted.prompt.shown)
    assert 0 < shown < 12
    one_more = count_tokens(_build(texts)({}, shown + 1).text)[0]
    assert one_more > budget  # the most that fit


def test_a_prompt_that_cannot_fit_is_refused_naming_the_fix():
    texts = _pool()
    with pytest.raises(PromptError, match=r"cannot fit --prompt-tokens 400: .*Raise --prompt-tokens .*--prompt-fit "
                                          r"fewer"):
        fit_prompt(_build(texts), texts, 400)
    with pytest.raises(PromptError, match="not even one whole instance fits"):
        fit_prompt(_build(texts), texts, 300, FEWER)


def test_common_length_fills_the_budget_from_the_shortest_up():
    assert common_length([10, 100, 100], 10 + 2 * (40 + 3), marker=3) == 40
    assert common_length([10, 20], 100, marker=3) == 20  # everything fits whole
    assert common_length([100, 100], 4, marker=3) == 0


def test_the_answers_folder_tells_budgets_apart():
    assert answers_folder_name("gpt-4o", "10") == "gpt-4o_10"  # the default budget: today's names
    assert answers_folder_name("gpt-4o", "10", prompt_tokens=8000) == "gpt-4o_10_tokens8000"
    assert answers_folder_name("gpt-4o", "10", prompt_tokens=8000, prompt_fit=FEWER) == "gpt-4o_10_tokens8000fewer"
    assert answers_folder_name("gpt-4o", "10", prompt_fit=FEWER) == "gpt-4o_10_fewer"
    assert answers_folder_name(None, "10", prompt_tokens=NO_LIMIT) == "10_fulltexts"
    assert answers_folder_name("gpt-4o", "10", "embedding_kmeans", prompt_tokens=8000) == \
        "gpt-4o_10_embedding_kmeans200_tokens8000"


def test_showing_fewer_never_shows_fewer_than_the_k_asked_for():
    texts = _pool()
    budget = count_tokens(_build(texts)({}, None).text)[0] // 3
    most = len(fit_prompt(_build(texts), texts, budget, FEWER).prompt.shown)
    assert len(fit_prompt(_build(texts), texts, budget, FEWER, at_least=most).prompt.shown) == most
    with pytest.raises(PromptError, match=f"fewer than the {most + 1} whole instances the LLM is asked to choose from "
                                          "fit"):
        fit_prompt(_build(texts), texts, budget, FEWER, at_least=most + 1)


@pytest.mark.parametrize("text", [" ".join(f"word1x{j}" for j in range(400)),
                                  " ".join("internationalisation" for _ in range(100))], ids=["numbered", "long-word"])
def test_a_head_ended_at_a_word_keeps_the_least_tokens_promised(text):
    """Ending a 24-token head at its last word boundary can drop it to 20 tokens: then it ends mid-word instead."""
    from activellm.prompts.token_budget import head, token_encoding

    tokens = token_encoding()[0].encode(text)
    assert count_tokens(head(tokens, MIN_KEPT_TOKENS))[0] < MIN_KEPT_TOKENS  # what a word boundary alone gives
    assert count_tokens(head(tokens, MIN_KEPT_TOKENS, MIN_KEPT_TOKENS))[0] >= MIN_KEPT_TOKENS


def test_the_tightest_cut_keeps_at_least_the_least_tokens_promised():
    texts = [" ".join("internationalisation" for _ in range(100)) for _ in range(6)]
    build = _build(texts, shown=6)

    def fits(budget):
        try:
            return fit_prompt(build, texts, budget)
        except PromptError:
            return None

    low, high = 1, count_tokens(build({}, None).text)[0]  # the smallest budget that fits, by bisection
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fits(middle) else (middle + 1, high)
    assert min(c.kept for c in fits(low).cut) >= MIN_KEPT_TOKENS
