"""Index lists: reading and writing list_<run>.txt, and mapping the numbers in them to pool rows.

A list file holds the numbers an LLM (or a small-text strategy) picked, separated by commas or white space,
in the order they were picked. A run uses the first N. The numbers are pool positions, unless the prompt that
showed them has a sidecar (see activellm.prompts.build) mapping each shown number to its pool row: duplicates
skipped while building the prompt make the two differ.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Container, Mapping, Sequence

from activellm import paths
from activellm.errors import UserError
from activellm.files import atomic_write_text

_SEPARATORS = re.compile(r"[,;\s]+")
_INTEGER = re.compile(r"[+-]?\d+")


class AnswerError(UserError, ValueError):
    """An index list or an LLM answer that cannot be used; the message names the file and the fix."""


def _preview(values: Sequence[object], limit: int = 10) -> str:
    shown = ", ".join(map(str, values[:limit]))
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def read_numbers(path: Path) -> list[int]:
    """Every number of a list file, in order ([] when there is no file).

    Raises:
        AnswerError: a token is not a whole number.
    """
    path = Path(path)
    if not path.is_file():
        return []
    tokens = [t for t in _SEPARATORS.split(path.read_text(encoding="utf-8")) if t]
    not_numbers = [t for t in tokens if not _INTEGER.fullmatch(t)]
    if not_numbers:
        raise AnswerError(f"{path}: entries that are not whole numbers: {_preview(not_numbers)}. "
                          "A list file holds numbers separated by commas or white space.")
    return [int(t) for t in tokens]


def read_index_list(path: Path, n: int) -> list[int]:
    """The first ``n`` numbers of a list file.

    Raises:
        AnswerError: the file is missing, holds a token that is not a whole number, holds fewer than ``n``
            numbers, or has a negative or repeated number among the first ``n``.
    """
    path = Path(path)
    if not path.is_file():
        raise AnswerError(
            f"Missing index list {path}. Write the picked numbers there (comma-separated), or parse an LLM "
            "answer into it with: python prompt_generation.py --parse-answer <answer file>."
        )
    used = read_numbers(path)[:n]
    if len(used) < n:
        raise AnswerError(f"{path} holds {len(used)} numbers but {n} are needed. Add picks to the list, "
                          "or ask for fewer examples (the k in the task name, e.g. sst2_16).")
    negative = [v for v in used if v < 0]
    if negative:
        raise AnswerError(f"{path}: negative numbers among the first {n}: {_preview(negative)}.")
    repeated = [v for v, count in Counter(used).items() if count > 1]
    if repeated:
        raise AnswerError(f"{path}: numbers repeated among the first {n}: {_preview(repeated)}. "
                          "Each instance can be labelled once; remove the repeats.")
    return used


def numbers_to_positions(numbers: Sequence[int], path: Path, pool_size: int,
                         number_map: Mapping[int, int] | None = None) -> list[int]:
    """Pool positions of the listed numbers: through ``number_map`` (a prompt's sidecar) when given.

    Raises:
        AnswerError: a number was not shown in the prompt, or lies beyond the pool.
    """
    if number_map is not None:
        unknown = [v for v in numbers if v not in number_map]
        if unknown:
            raise AnswerError(f"{path}: numbers that the prompt did not show: {_preview(unknown)} "
                              f"(it showed {len(number_map)} instances). Remove them from the list.")
        numbers = [number_map[v] for v in numbers]
    beyond = [v for v in numbers if v >= pool_size]
    if beyond:
        raise AnswerError(f"{path}: numbers beyond the pool of {pool_size} rows: {_preview(beyond)}.")
    return list(numbers)


def answer_metadata_files(tag: str, folder: str, run: int) -> list[Path]:
    """The metadata files of every saved answer of a run in ``answers/<tag>/<folder>/``, iteration 1 first."""
    found = []
    for path in paths.answer_dir(tag, folder).glob(f"answer_{run}*.json"):
        match = re.fullmatch(rf"answer_{run}(?:_cont(\d+))?\.json", path.name)
        if match:
            found.append((int(match.group(1) or 1), path))
    return [path for _, path in sorted(found)]


def answer_metadata(tag: str, folder: str, run: int) -> list[dict]:
    """The metadata of every saved LLM answer of a run in ``answers/<tag>/<folder>/``, iteration 1 first."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in answer_metadata_files(tag, folder, run)]


def answer_values(tag: str, folder: str, run: int, key: str) -> str:
    """The distinct values of ``key`` in a run's answers' metadata, in order, space-separated; empty without any."""
    return " ".join(dict.fromkeys(str(m[key]) for m in answer_metadata(tag, folder, run) if m.get(key)))


def llm_models(tag: str, folder: str, run: int) -> str:
    """Which LLM(s) made a run's list, from its answers' metadata; empty for lists without metadata."""
    return answer_values(tag, folder, run, "model")


def format_index_list(numbers: Sequence[int]) -> str:
    return ", ".join(str(v) for v in numbers)


def write_index_list(path: Path, numbers: Sequence[int]) -> None:
    atomic_write_text(Path(path), format_index_list(numbers) + "\n")


# --- parsing LLM answers ---------------------------------------------------------------------------------

USER_TURN = "##### USER"
ASSISTANT_TURN = "##### ASSISTANT"
_USER_BLOCK = re.compile(rf"^{USER_TURN}\n.*?(?=^{ASSISTANT_TURN}\n|\Z)", re.MULTILINE | re.DOTALL)
_MARKUP = re.compile(r"\*\*|__|`")

# The forms in which LLMs name picks, most specific first; each match is masked before the next form runs.
_PICK_FORMS: list[tuple[str, re.Pattern[str]]] = [
    # an instance line echoed from the prompt: "12. some text [ID: 3456]"
    ("echo", re.compile(r"^[ \t]*(?:[-*•][ \t]*)?(\d{1,6})\.[ \t].*\[ID:[ \t]*\d+\]", re.MULTILINE)),
    # a comma-separated list: "0, 4, 5", "#1, #4, and #5", "1, 4 and 5", also wrapped over lines
    ("list", re.compile(r"(?<![\w.#-])#?\d{1,6}(?:\s*,\s*(?:and\s+)?#?\d{1,6})+(?:[ \t]+and[ \t]+#?\d{1,6})?"
                        r"(?![\w]|\.\d)")),
    # "Instance 12", "Index 3", "instance number 125", "Instance #7"
    ("named", re.compile(r"\b(?:instance|index)[ \t]*(?:number|no\.?|nr\.?)?[ \t]*#?[ \t]*(\d{1,6})\b", re.IGNORECASE)),
    # "(#4)" anywhere, or "(41)" / "(85: why)" closing a line
    ("parenthesised", re.compile(r"\([ \t]*#[ \t]*(\d{1,6})[ \t]*\)|\((\d{1,6})(?::[^)\n]*)?\)[\s\"'”.]*$",
                                 re.MULTILINE)),
    # "13: reason" at the start of a line
    ("labelled", re.compile(r"^[ \t]*(?:[-*•][ \t]*)?#?(\d{1,6})[ \t]*:", re.MULTILINE)),
    # one number per line, at least three lines in a row (a lone number line is too often something else)
    ("column", re.compile(r"(?:^[ \t]*(?:[-*•][ \t]*)?#?\d{1,6}[ \t]*[.,]?[ \t]*(?:\n|\Z)){3,}", re.MULTILINE)),
]
_MULTI_NUMBER_FORMS = ("list", "column")  # one match holds a whole group of picks
_ID_FORM = re.compile(r"\bID:[ \t]*(\d{1,9})\b")


@dataclass
class ParsedAnswer:
    """The picks found in an answer, and what was dropped on the way (never silently)."""

    picks: list[int]
    expected: int
    duplicates: list[int] = field(default_factory=list)
    not_shown: list[int] = field(default_factory=list)
    already_labeled: list[int] = field(default_factory=list)
    ids_as_numbers: list[int] = field(default_factory=list)  # "ID: n" read as shown numbers (no sidecar)

    def notes(self) -> list[str]:
        """Human-readable remarks: every drop, and a count that differs from the one asked for."""
        notes = []
        if self.ids_as_numbers:
            notes.append(f"no prompt sidecar maps dataset ids here, so 'ID: n' was read as the shown number n: "
                         f"{_preview(self.ids_as_numbers)}")
        if self.duplicates:
            notes.append(f"dropped repeated numbers: {_preview(self.duplicates)}")
        if self.not_shown:
            notes.append(f"dropped numbers that were not shown: {_preview(self.not_shown)}")
        if self.already_labeled:
            notes.append(f"dropped numbers labeled in earlier iterations: {_preview(self.already_labeled)}")
        if len(self.picks) < self.expected:
            notes.append(f"found {len(self.picks)} picks, fewer than the {self.expected} asked for")
        elif len(self.picks) > self.expected:
            notes.append(f"found {len(self.picks)} picks, more than the {self.expected} asked for "
                         f"(a run uses the first {self.expected})")
        return notes


def strip_user_turns(text: str) -> str:
    """Remove the follow-up messages of a saved conversation, keeping the assistant's replies."""
    return _USER_BLOCK.sub("", text).replace(f"{ASSISTANT_TURN}\n", "")


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def pick_runs(text: str, id_to_number: Mapping[int, int] | None = None) -> list[list[int]]:
    """Groups of picks in the order they appear: each comma list is one group, and consecutive picks of
    another form (lines of "Instance N", one number per line, ...) form one group.

    ``ID: n`` is mapped through ``id_to_number`` (a prompt's sidecar); without one (None), n is read as a
    shown number, as in a reply pasted by hand for a prompt generated elsewhere.
    """
    return _read_picks(text, id_to_number)[0]


def json_picks(text: str) -> list[tuple[int, int, list[int]]]:
    """Each JSON object in ``text`` whose ``picks`` is a list of integers (a structured answer, perhaps after
    reasoning text): its start, its end and its picks."""
    decoder, found = json.JSONDecoder(), []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value, end = None, start + 1
        picks = value.get("picks") if isinstance(value, dict) else None
        if isinstance(picks, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in picks):
            found.append((start, end, picks))
        else:
            end = start + 1  # a nested object may hold the picks
        start = text.find("{", end)
    return found


def _read_picks(text: str, id_to_number: Mapping[int, int] | None) -> tuple[list[list[int]], list[int]]:
    """pick_runs, and the ``ID: n`` values read as numbers for want of a sidecar."""
    text = _MARKUP.sub(lambda m: " " * len(m.group()), strip_user_turns(text))
    events: list[tuple[int, str, int]] = []  # (position, form, number)
    for start, end, picks in json_picks(text):  # one group each, read before the free-text forms
        events.extend((start + i / 1e6, f"json@{start}", number) for i, number in enumerate(picks))
        text = _mask(text, start, end)
    for form, pattern in _PICK_FORMS:
        for match in pattern.finditer(text):
            if form in _MULTI_NUMBER_FORMS:
                numbers = [int(n) for n in re.findall(r"\d+", match.group())]
                events.extend((match.start() + i / 1e6, f"{form}@{match.start()}", n) for i, n in enumerate(numbers))
            else:
                number = next(g for g in match.groups() if g is not None)
                events.append((match.start(), form, int(number)))
        for match in pattern.finditer(text):
            text = _mask(text, match.start(), match.end())
    ids = [(m.start(), int(m.group(1))) for m in _ID_FORM.finditer(text)]
    if id_to_number is None:
        events += [(start, "id", value) for start, value in ids]
    else:
        events += [(start, "id", id_to_number[value]) for start, value in ids if value in id_to_number]
    runs: list[list[int]] = []
    last_form = None
    for _, form, number in sorted(events):
        if form != last_form:
            runs.append([])
            last_form = form
        runs[-1].append(number)
    return runs, ([value for _, value in ids] if id_to_number is None else [])


def parse_answer(text: str, expected: int, shown: Container[int] | None = None,
                 id_to_number: Mapping[int, int] | None = None, labeled_before: Sequence[int] = ()) -> ParsedAnswer:
    """The LLM's final list of picks in ``text``, in its order.

    Groups of picks are read in order. A group of at least ``expected`` numbers, or one that holds every
    number collected so far, (re)states the list and replaces what came before (partial or hypothetical lists,
    a first attempt); any other group adds to it (follow-up turns such as "one more": "Instance 80"). Repeats, numbers not ``shown`` and numbers labeled
    before are dropped and reported.
    """
    collected: list[int] = []
    runs, ids_as_numbers = _read_picks(text, id_to_number)
    for run in runs:
        restates = len(run) >= expected or (collected and set(run) >= set(collected))
        collected = list(run) if restates else collected + run
    result = ParsedAnswer(picks=[], expected=expected, ids_as_numbers=ids_as_numbers)
    seen: set[int] = set()
    earlier = set(labeled_before)
    for number in collected:
        if number in seen:
            result.duplicates.append(number)
        elif number in earlier:
            result.already_labeled.append(number)
        elif shown is not None and number not in shown:
            result.not_shown.append(number)
        else:
            result.picks.append(number)
        seen.add(number)
    return result
