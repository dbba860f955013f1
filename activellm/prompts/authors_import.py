"""Importing the authors' published prompts, so that their LLMs' lists train on exactly the rows those LLMs saw.

The authors' prompts (``prompts/<task>/<mode>/prompt_50000_<run>.txt``) list instances as ``N. text [ID: idx]``,
separated by ``\\n ##### \\n``, where ``idx`` is the row of the dataset's train split; their pools were never
published. An import reads such a prompt, checks every shown text against the train row with that id (after
collapsing white space, the only difference the authors' files show), and writes our sidecar for this run's pool:
every shown ``N`` with its dataset id and the pool row holding that id. ``model_training.py --mode <answers folder>``
then maps the authors' ``list_<run>.txt`` through it. A folder of continuous prompts (one timestamped file per
iteration, ``prompt_50000_<run><YYYY-MM-DD_hh-mm-ss>.txt``) imports as iterations 1..n in time order.
Nothing is written unless every prompt of the import checks out.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

from activellm import paths
from activellm.data.loading import load_splits
from activellm.data.pools import load_task
from activellm.data.tasks import merged_texts
from activellm.errors import UserError
from activellm.files import file_sha256
from activellm.prompts.build import SEPARATOR, Prompt, ShownInstance, prompt_stem, write_prompt

_INSTANCE = re.compile(r"^(?P<number>\d+)\. (?P<text>.*?)\s*\[ID: (?P<id>\d+)\]", re.DOTALL)
_RECAP = re.compile(r"already been labeled[^:]*:\s*(?P<numbers>[\d,\s]+)\s*$")
_CONTINUOUS_FILE = re.compile(r"^prompt_\d+_(?P<run>\d+?)(?P<time>\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)\.txt$")
_SINGLE_FILE = re.compile(r"^prompt_\d+_(?P<run>\d+)\.txt$")
MISMATCHES_SHOWN = 3


class PromptImportError(UserError, ValueError):
    """A prompt that does not fit the task's data; the message names the ids and both texts."""


@dataclass
class AuthorsPrompt:
    path: Path
    text: str
    shown: list[tuple[int, int, str]]  # (number, dataset id, text)
    labeled_before: list[int]


def read_authors_prompt(path: Path) -> AuthorsPrompt:
    """The numbered instances of one prompt in the authors' format, and the numbers it lists as labelled."""
    text = Path(path).read_text(encoding="utf-8")
    shown = []
    for chunk in text.split(SEPARATOR)[1:]:
        match = _INSTANCE.match(chunk.lstrip("\n"))
        if match:
            shown.append((int(match["number"]), int(match["id"]), match["text"]))
    if not shown:
        raise PromptImportError(f"{path}: no instance lines 'N. text [ID: idx]' separated by '\\n ##### \\n' found; is "
                                "this one of the authors' prompts?")
    recap = _RECAP.search(text)
    labeled = [int(n) for n in re.findall(r"\d+", recap["numbers"])] if recap else []
    return AuthorsPrompt(Path(path), text, shown, labeled)


def prompt_files(source: Path, run: int) -> list[Path]:
    """The file itself, or the run's prompts in a folder: a single one, or continuous ones in time order."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise PromptImportError(f"{source} is neither a prompt file nor a folder of prompts.")
    timed = sorted((m["time"], p) for p in source.iterdir()
                   if (m := _CONTINUOUS_FILE.match(p.name)) and int(m["run"]) == run)
    if timed:
        return [p for _, p in timed]
    single = [p for p in source.iterdir() if (m := _SINGLE_FILE.match(p.name)) and int(m["run"]) == run]
    if not single:
        raise PromptImportError(f"{source} holds no prompt of run {run} (prompt_50000_{run}.txt, or "
                                f"prompt_50000_{run}<date>_<time>.txt for continuous iterations).")
    return single


def _normalised(text: str) -> str:
    return " ".join(text.split())


def check_against_train(prompts: list[AuthorsPrompt], train_texts: list[str], task: str) -> None:
    """Every shown id must lie in the train split and hold the shown text."""
    for prompt in prompts:
        beyond = sorted({i for _, i, _ in prompt.shown if i >= len(train_texts)})
        if beyond:
            raise PromptImportError(f"{prompt.path}: ids beyond the {len(train_texts)} rows of {task}'s train split: "
                                    f"{', '.join(map(str, beyond[:10]))}. Is it the right task (or split)?")
        differing = [(i, shown, train_texts[i]) for _, i, shown in prompt.shown
                     if _normalised(shown) != _normalised(train_texts[i])]
        if differing:
            examples = "; ".join(f"ID {i}: prompt {shown[:80]!r} vs train split {train[:80]!r}"
                                 for i, shown, train in differing[:MISMATCHES_SHOWN])
            raise PromptImportError(f"{prompt.path}: {len(differing)} of {len(prompt.shown)} shown texts differ from "
                                    f"{task}'s train split at their ids ({examples}). Wrong task, wrong split, or "
                                    "another version of the dataset; nothing was written.")


def import_prompts(source: Path, task: str, run: int, folder: str, mode: str) -> list[Path]:
    """Check the authors' prompt(s) at ``source`` against ``task`` and write our sidecars for run ``run`` under
    ``prompts/<tag>/<folder>/``; returns the sidecars written (iteration order)."""
    loaded = load_task(task, run)
    _, train, _ = load_splits(loaded.spec)
    prompts = [read_authors_prompt(path) for path in prompt_files(source, run)]
    check_against_train(prompts, merged_texts(train, loaded.spec), task)
    position_of = {int(index): position for position, index in enumerate(loaded.pool["index"])}
    missing = sorted({i for p in prompts for _, i, _ in p.shown if i not in position_of})
    if missing:
        raise PromptImportError(f"The pool {paths.pool_file(loaded.spec.data_name, run)} lacks the dataset ids "
                                f"{', '.join(map(str, missing[:10]))}; delete it to rebuild it from the whole "
                                "train split.")
    pool_path = paths.pool_file(loaded.spec.data_name, run)
    continuous = len(prompts) > 1 or loaded.name.continuous is not None
    written = []
    for iteration, prompt in enumerate(prompts, start=1):
        shown = [ShownInstance(number, position_of[i], i) for number, i, _ in prompt.shown]
        metadata = {
            "task": task, "tag": loaded.name.tag, "mode": mode, "folder": folder, "run": run,
            "examples": loaded.name.examples, "continuous": loaded.name.continuous if continuous else None,
            "iteration": iteration if continuous else None, "prompt_examples": len(shown),
            "pool_file": paths.recorded_path(pool_path), "pool_sha256": file_sha256(pool_path),
            "imported_from": paths.recorded_path(prompt.path), "imported_sha256": file_sha256(prompt.path),
            "imported": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        stem = prompt_stem(run, iteration if continuous else None)
        _, sidecar = write_prompt(Prompt(prompt.text, shown, prompt.labeled_before),
                                  paths.prompt_dir(loaded.name.tag, folder), stem, metadata)
        written.append(sidecar)
    return written
