"""Index lists: reading and writing list_<run>.txt, and mapping the numbers in them to pool rows.

A list file holds the numbers an LLM (or a small-text strategy) picked, separated by commas or white space,
in the order they were picked. A run uses the first N. The numbers are pool positions, unless the prompt that
showed them has a sidecar (see activellm.prompts) mapping each shown number to its pool row: duplicates
skipped while building the prompt make the two differ.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Mapping, Sequence

from activellm.results import atomic_write_text

_SEPARATORS = re.compile(r"[,;\s]+")
_INTEGER = re.compile(r"[+-]?\d+")


class AnswerError(ValueError):
    """An index list or an LLM answer that cannot be used; the message names the file and the fix."""


def _preview(values: Sequence[object], limit: int = 10) -> str:
    shown = ", ".join(map(str, values[:limit]))
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


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
    tokens = [t for t in _SEPARATORS.split(path.read_text(encoding="utf-8")) if t]
    not_numbers = [t for t in tokens if not _INTEGER.fullmatch(t)]
    if not_numbers:
        raise AnswerError(f"{path}: entries that are not whole numbers: {_preview(not_numbers)}. "
                          "A list file holds numbers separated by commas or white space.")
    used = [int(t) for t in tokens][:n]
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


def format_index_list(numbers: Sequence[int]) -> str:
    return ", ".join(str(v) for v in numbers)


def write_index_list(path: Path, numbers: Sequence[int]) -> None:
    atomic_write_text(Path(path), format_index_list(numbers) + "\n")
