import re

import pandas as pd
import pytest

from activellm.data.tasks import TASKS, merged_texts
from activellm.prompts.build import (ADVICE, FORGET, OUTPUT, PROMPT_MODES, REPRESENTATIVE, REPRESENTATIVE_CLASSES,
                                     SEPARATOR, PromptError, PromptRequest, build_prompt, choose_shown, instance_lines)
from activellm.prompts.token_budget import count_tokens

TEXTS = [f"sentence number {i}" for i in range(500)]
IDS = list(range(1000, 1500))


def _prompt(mode, **kwargs):
    return build_prompt(PromptRequest(mode=mode, **kwargs), TEXTS, IDS)


def _numbers(text):
    return [int(n) for n in re.findall(r"\n ##### \n(\d+)\. ", text)]


@pytest.mark.parametrize("mode", [m for m in PROMPT_MODES if not PROMPT_MODES[m].exemplars])
def test_structure_of_each_mode(mode):
    guidelines = "Label as positive what praises the film." if mode == "7" else None
    prompt = _prompt(mode, guidelines=guidelines)
    text = prompt.text
    assert "active learning component" in text and "human annotator" in text
    assert "You may choose only 32 instances." in text
    assert (ADVICE in text) == (mode in ("1", "2", "3"))
    for strategy in ("Representativeness", "Diversity", "Difficulty or uncertainty", "Stratified sampling",
                     "Class balance", "Temporal or spatial relevance", "Avoiding bias"):
        assert (strategy in text) == (mode in ("1", "2", "3"))
    output = {"2": "list", "5": "list", "3": "explain", "6": "explain"}.get(mode, "reasoning")
    assert OUTPUT[output].format(k=32) in text
    assert "1, 4, 5" in text
    assert (guidelines in text) if guidelines else ("guidelines" not in text)
    assert text.startswith(FORGET) == (mode == "12")
    shown = {"8": 50, "9": 100, "10": 200, "11": 400, "12": 200}.get(mode, 200)
    assert _numbers(text) == list(range(shown))


def test_the_representative_mode_says_what_the_picks_are_for_and_asks_for_clear_typical_ones():
    text = _prompt(REPRESENTATIVE).text
    assert "a small classifier will then be trained on these instances alone" in text
    assert "clear and typical instances" in text and "cover every class" in text
    assert "Leave out unusual, ambiguous or borderline instances" in text
    assert "active learning component" not in text and ADVICE not in text
    assert "You may choose only 32 instances." in text and OUTPUT["reasoning"].format(k=32) in text
    assert _numbers(text) == list(range(200))
    assert _numbers(_prompt(REPRESENTATIVE, prompt_examples=60).text) == list(range(60))
    shown = _prompt(REPRESENTATIVE, prompt_examples=3, candidate_rows=[40, 7, 300]).shown  # over a selector's rows
    assert [s.position for s in shown] == [40, 7, 300]
    later = _prompt(REPRESENTATIVE, continuous="idxrecap", labeled_before=[2, 5], examples=2).text
    assert "trained on them and on the instances labelled before" in later and later.endswith(": 2, 5")


def test_the_representative_classes_mode_names_the_tasks_classes_and_is_otherwise_representative():
    named = _prompt(REPRESENTATIVE_CLASSES, class_names=("business", "sport", "tech")).text
    assert "The classes of the task are: business, sport, tech. You may choose only 32 instances." in named
    assert named.replace("The classes of the task are: business, sport, tech. ", "") == _prompt(REPRESENTATIVE).text
    assert "business" not in _prompt(REPRESENTATIVE, class_names=("business", "sport", "tech")).text  # its old wording
    with pytest.raises(PromptError, match="names the task's classes, and the task has none: write them into "
                                          "data/<task>/classes.txt"):
        _prompt(REPRESENTATIVE_CLASSES)


def test_mode_12_is_mode_10_after_a_forget_line():
    assert _prompt("12").text == FORGET + _prompt("10").text


def test_prompt_examples_override_and_k():
    prompt = _prompt("4", examples=16, prompt_examples=30)
    assert _numbers(prompt.text) == list(range(30)) and "only 16 instances" in prompt.text


def test_mode_7_without_guidelines_and_unknown_mode_are_errors():
    with pytest.raises(PromptError, match="--guidelines"):
        _prompt("7")
    with pytest.raises(PromptError, match="Unknown prompt mode '13'"):
        _prompt("13")


def test_instance_lines_format():
    prompt = _prompt("8")
    assert f"{SEPARATOR}0. sentence number 0 [ID: 1000]{SEPARATOR}1. sentence number 1 [ID: 1001]" in prompt.text
    assert prompt.text.endswith("49. sentence number 49 [ID: 1049]")


@pytest.mark.parametrize("task, first, second", [
    ("qqp", "Question 1", "Question 2"), ("rte", "Sentence 1", "Sentence 2"), ("mrpc", "Sentence 1", "Sentence 2"),
    ("stsb", "Sentence 1", "Sentence 2"), ("wnli", "Sentence 1", "Sentence 2"), ("qnli", "Question", "Sentence"),
    ("mnli_matched", "Premise", "Hypothesis")])
def test_sentence_pairs_are_merged_with_the_papers_labels(task, first, second):
    pool = pd.DataFrame({"text1": ["a?"], "text2": ["b."]})
    assert merged_texts(pool, TASKS[task]) == [f"{first}: a? \n {second}: b."]


def test_near_duplicates_are_skipped_and_numbers_stay_consecutive():
    texts = ["good film", "RT good film", "bad film http://t.co/abc", "bad film ", "bad film", "new one"]
    shown = choose_shown(texts, [10, 11, 12, 13, 14, 15], 0, 0, 10)
    # "RT good film" repeats row 0; rows 3 and 4 repeat row 2 once its URL and the spaces around are gone
    assert [(s.number, s.position, s.index) for s in shown] == [(0, 0, 10), (1, 2, 12), (2, 5, 15)]
    assert instance_lines(shown, texts).count(SEPARATOR) == 3


def test_norecap_continues_after_the_highest_number_through_the_map():
    # earlier prompt showed numbers 0..9 at positions 0..10 (one duplicate skipped): 9 -> position 10
    number_map = {n: n + (1 if n >= 5 else 0) for n in range(10)}
    prompt = build_prompt(PromptRequest(mode="8", continuous="norecap", labeled_before=[2, 9, 4]), TEXTS, IDS,
                          number_map)
    assert prompt.shown[0].number == 10 and prompt.shown[0].position == 11
    assert len(prompt.shown) == 50 and "already been labeled" not in prompt.text


def test_recap_pastes_the_labelled_texts():
    prompt = build_prompt(PromptRequest(mode="8", continuous="recap", labeled_before=[3, 7]), TEXTS, IDS)
    assert f"sentence number 3{SEPARATOR}sentence number 7" in prompt.text
    assert prompt.text.index("sentence number 3") < prompt.text.index("The instances follow")
    assert prompt.shown[0].number == 8


def test_idxrecap_shows_all_from_the_start_plus_new_and_lists_labelled_numbers():
    prompt = build_prompt(PromptRequest(mode="8", continuous="idxrecap", labeled_before=[0, 5, 20]), TEXTS, IDS)
    assert _numbers(prompt.text) == list(range(21 + 50))
    assert prompt.text.endswith("(numbers from the list above): 0, 5, 20")


def test_first_iteration_of_a_continuous_prompt_is_a_plain_prompt():
    assert build_prompt(PromptRequest(mode="10", continuous="idxrecap"), TEXTS, IDS).text == _prompt("10").text


def test_token_count_works_offline():
    count, encoding = count_tokens("hello world")
    assert count == 2 and encoding.startswith("cl100k_base")


def _reference_instances(path):
    """(number, text, id) of each instance line of a reference prompt."""
    text = path.read_text(encoding="utf-8")
    body = text[text.index(SEPARATOR):]
    parts = body.split(SEPARATOR)[1:]
    return body, [re.fullmatch(r"(\d+)\. (.*) \[ID: (\d+)\]", p, re.DOTALL).groups() for p in parts]


def test_instance_lines_rebuild_the_authors_prompt(reference):
    path = reference / "prompts" / "sst2" / "10" / "prompt_50000_1.txt"
    body, instances = _reference_instances(path)
    assert [int(n) for n, _, _ in instances] == list(range(len(instances)))
    pool = pd.DataFrame({"index": [int(i) for _, _, i in instances], "text": [t for _, t, _ in instances]})
    texts = merged_texts(pool, TASKS["sst2"])
    shown = choose_shown(texts, pool["index"].tolist(), 0, 0, len(pool))
    assert len(shown) == len(pool) and instance_lines(shown, texts) == body
