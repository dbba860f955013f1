import re

import pytest

from activellm.prompts.answers import ASSISTANT_TURN, USER_TURN, parse_answer, pick_runs


def test_final_comma_list_after_reasoning():
    text = ("1. **Diversity**: pick varied instances.\n2. **Balance**: both classes.\n\n"
            "The selected instances are:\n0, 4, 7, 12, and 15\n\nThey cover many styles.")
    assert parse_answer(text, 5).picks == [0, 4, 7, 12, 15]


def test_numbered_and_bulleted_lines():
    assert parse_answer("Here they are:\n- 3\n- 9\n- 1\nDone.", 3).picks == [3, 9, 1]
    assert parse_answer("1\n5\n10\n15", 4).picks == [1, 5, 10, 15]


def test_instance_forms():
    text = "Instance 12: great film\nInstance 3: awful\nIndex 40\ninstance number 7 is tricky"
    assert parse_answer(text, 4).picks == [12, 3, 40, 7]
    assert parse_answer("Who won? (#4)\nWhen? (# 35)\nWhy? (#8)", 3).picks == [4, 35, 8]


def test_a_full_restatement_replaces_partial_lists():
    text = ("Uncertain: 1, 13, 23\nComplex: 9, 22\n\nFinal list: 1, 9, 13, 22, 23, 30\n\n"
            "Instances like 1, 13 are ambiguous.")
    assert parse_answer(text, 6).picks == [1, 9, 13, 22, 23, 30]


def test_picks_spread_over_turns_are_joined():
    text = (f"0, 1, 4\n\n{USER_TURN}\nPlease choose 2 more, 5 and 6 excluded.\n\n{ASSISTANT_TURN}\n"
            "Sure: 8, 9")
    assert parse_answer(text, 5).picks == [0, 1, 4, 8, 9]
    assert parse_answer("0, 1, 4\n\nCan you give me one more?\n\nSure, instance number 125.", 4).picks == [0, 1, 4, 125]


def test_drops_are_reported_never_silent():
    parsed = parse_answer("3, 5, 3, 900, 7", 5, shown=set(range(200)), labeled_before=[7])
    assert parsed.picks == [3, 5]
    assert parsed.duplicates == [3] and parsed.not_shown == [900] and parsed.already_labeled == [7]
    notes = " | ".join(parsed.notes())
    assert "repeated numbers: 3" in notes and "not shown: 900" in notes and "earlier iterations: 7" in notes
    assert "found 2 picks, fewer than the 5" in notes
    assert "more than the 2" in " ".join(parse_answer("1, 2, 3", 2).notes())


def test_ids_map_to_numbers_when_the_sidecar_is_known():
    assert parse_answer("1, 2\nAnd one more: ID: 5555", 3, id_to_number={5555: 17}).picks == [1, 2, 17]
    assert parse_answer("1, 2\nAnd one more: ID: 5555", 3, id_to_number={}).picks == [1, 2]  # an unknown id


def test_ids_without_a_sidecar_are_read_as_shown_numbers_with_a_note():
    text = "I would label these:\n- ID: 12 (ambiguous)\n- ID: 40 (sarcasm)\n- ID: 7 (short)"
    parsed = parse_answer(text, 3, shown=set(range(50)))
    assert parsed.picks == [12, 40, 7] and parsed.ids_as_numbers == [12, 40, 7]
    assert any("'ID: n' was read as the shown number n" in note for note in parsed.notes())
    mapped = parse_answer(text, 3, id_to_number={12: 0, 40: 1, 7: 2})
    assert mapped.picks == [0, 1, 2] and mapped.ids_as_numbers == [] and not mapped.notes()


def test_no_numbers_no_picks():
    assert pick_runs("I cannot do this as a language model.") == []


# --- the authors' answers and the lists they extracted by hand ------------------------------------------------

def _numbers(path):
    return [int(n) for n in re.findall(r"\d+", path.read_text())]


def _id_map(reference, task):
    """ID -> number of the task's run-1 prompt: what a sidecar gives for prompts made here."""
    prompt = reference / "prompts" / task / "10" / "prompt_50000_1.txt"
    if not prompt.is_file():
        return None
    return {int(i): int(n) for n, i in re.findall(r"(?m)^(\d+)\. .*?\[ID: (\d+)\]", prompt.read_text())}


def test_agreement_with_the_authors_lists(reference, capsys):
    exact, same_set, misses, total = 0, 0, [], 0
    for answer in sorted((reference / "answers").glob("*/*/answer_*.txt")):
        run = re.match(r"answer_(\d+)", answer.name).group(1)
        hand = answer.parent / f"list_{run}.txt"
        if "cont" in answer.name or not hand.is_file() or not _numbers(hand):
            continue  # later iterations of cumulative continuous lists; one answer the authors never listed
        task = answer.parent.parent.name
        k = int(re.search(r"_(\d+)_cont", task).group(1)) if "_cont" in task else 32  # iteration 1 of k
        want = _numbers(hand)[:k]
        id_map = _id_map(reference, task) if run == "1" else None
        got = parse_answer(answer.read_text(), k, id_to_number=id_map).picks[:k]
        total += 1
        if got == want:
            exact += 1
        elif set(got) == set(want):
            same_set += 1
            misses.append(f"{answer.relative_to(reference)}: same picks, other order")
        else:
            misses.append(f"{answer.relative_to(reference)}: extra {sorted(set(got) - set(want))}, "
                          f"missing {sorted(set(want) - set(got))}")
    with capsys.disabled():
        print(f"\nparser agreement: {exact}/{total} exact, {exact + same_set}/{total} same set")
        print("\n".join(misses))
    assert total >= 90
    assert exact / total >= 0.93 and (exact + same_set) / total >= 0.97


@pytest.mark.parametrize("text, picks, dropped", [
    ('{"picks": [3, 1, 4]}', [3, 1, 4], {}),
    ('Thinking it over, the clearest are these.\n```json\n{"reasoning": "typical ones", "picks": [7, 2, 9]}\n```',
     [7, 2, 9], {}),
    ('{"picks": [5, 5, 40, 6]}', [5, 6], {"duplicates": [5], "not_shown": [40]}),
    ('{"answer": {"picks": [1, 2, 3]}}', [1, 2, 3], {}),
    ('{"picks": [11, 12, 13], "note": "I left out 1, 4 and 6 as unclear."}', [11, 12, 13], {}),
    ('{"picks": [true, 2]} and then 1, 2, 3', [1, 2, 3], {}),  # not a list of integers: the text is read instead
])
def test_a_json_answer_is_read_by_its_picks_and_checked_as_free_text_is(text, picks, dropped):
    parsed = parse_answer(text, 3, set(range(20)))
    assert parsed.picks == picks
    assert {"duplicates": parsed.duplicates, "not_shown": parsed.not_shown} == {
        "duplicates": dropped.get("duplicates", []), "not_shown": dropped.get("not_shown", [])}
