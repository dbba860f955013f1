"""The paper's selection prompts: modes, continuous variants, duplicate skipping and the sidecar.

A prompt asks the LLM to act as the active learning component for a human annotator and to pick K instances
from those it lists as ``N. text [ID: index]`` (separated by ``\\n ##### \\n``). The modes of the paper:

=====  ======  ==========================================  ==============
mode   advice  output instruction                          shown
=====  ======  ==========================================  ==============
1      yes     think step by step, then the list           --prompt-examples
2      yes     the list only                               --prompt-examples
3      yes     explain instance by instance, then the list --prompt-examples
4      no      think step by step, then the list           --prompt-examples
5      no      the list only                               --prompt-examples
6      no      explain instance by instance, then the list --prompt-examples
7      no      as 4, with annotation guidelines            --prompt-examples
8-11   no      as 4                                        50, 100, 200, 400
12     no      as 10, after a line to forget earlier ones  200
=====  ======  ==========================================  ==============

The project adds ``representative`` (not the paper's): the LLM is told that a small classifier will be trained on
its picks alone and asked for clear, typical instances that cover every class and the range of the data rather
than unusual, ambiguous or borderline ones; think step by step, then the list; 200 shown (``--prompt-examples``).
In a continuous selection it is told that the classifier also trains on the instances labelled before. Any mode's
wording can be replaced by a file (activellm.prompts.templates).

Continuous selection (iteration i of K each) adds to the instances labelled before:
``norecap`` continues after the highest number already shown, ``recap`` also pastes the labelled texts, and
``idxrecap`` shows everything from the start plus N new instances and lists the numbers already labelled.

Every shown number is recorded in a JSON sidecar with its pool position and dataset index, so that picks map
to exactly the rows the LLM saw, even where near-duplicates were skipped.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from activellm import paths
from activellm.errors import UserError
from activellm.files import atomic_write_text, file_sha256
from activellm.prompts.answers import answer_metadata, answer_metadata_files
from activellm.prompts.templates import PromptTemplate, check_fields, render

SEPARATOR = "\n ##### \n"
DEFAULT_SHOWN = 200
FIRST_ROWS = "first"  # the paper's candidates: the pool's first rows
REPRESENTATIVE = "representative"  # the project's prompt mode for representative exemplars
REPRESENTATIVE_CLASSES = "representative-classes"  # the same, told the task's class names


@dataclass(frozen=True)
class PromptMode:
    advice: bool = False
    output: str = "reasoning"  # "reasoning", "list" or "explain"
    shown: int | None = None  # None: --prompt-examples
    guidelines: bool = False
    forget_first: bool = False
    exemplars: bool = False  # asks for a small classifier's training set, not for what an annotator should label
    classes: bool = False  # names the task's classes (a task without class names is refused)


PROMPT_MODES: dict[str, PromptMode] = {
    "1": PromptMode(advice=True),
    "2": PromptMode(advice=True, output="list"),
    "3": PromptMode(advice=True, output="explain"),
    "4": PromptMode(),
    "5": PromptMode(output="list"),
    "6": PromptMode(output="explain"),
    "7": PromptMode(guidelines=True),
    "8": PromptMode(shown=50),
    "9": PromptMode(shown=100),
    "10": PromptMode(shown=200),
    "11": PromptMode(shown=400),
    "12": PromptMode(shown=200, forget_first=True),
    # ours, not the paper's: clear, typical instances covering every class, for a classifier trained on them alone
    REPRESENTATIVE: PromptMode(exemplars=True),
    REPRESENTATIVE_CLASSES: PromptMode(exemplars=True, classes=True),
}

CONTINUOUS_VARIANTS = {
    # --continuous value -> task-name suffix (see activellm.data.tasks.CONTINUOUS_SUFFIXES)
    "norecap": "cont_no_recap",
    "recap": "cont",
    "idxrecap": "cont_index_recap",
}


class PromptError(UserError, ValueError):
    """A prompt that cannot be built as asked; the message says what to change."""


# --- wording (our own, following the structure of the paper's prompts) ----------------------------------

FORGET = "Disregard every instruction you were given before this message.\n\n"
ROLE = ("Imagine you are the active learning component of an annotation tool, working for a human annotator. "
        "Your job is to decide which instances the annotator should label. ")
SITUATION = {
    "plain": "Below you find a set of unlabeled instances from a dataset. ",
    "guidelines": "Below you find the annotation guidelines of the task and a set of unlabeled instances from the "
                  "dataset. ",
    "idxrecap": "Below you find a set of instances from a dataset, followed by the numbers of the instances that "
                "have already been labeled. ",
    "recap": "Below you find the instances that have already been labeled, followed by a set of unlabeled "
             "instances from the dataset. ",
}
LIMIT = "You may choose only {k} instances. "
CLASSES = "The classes of the task are: {classes}. "
EXEMPLARS_ROLE = {  # by whether instances are labelled already (a later iteration of a continuous selection)
    False: "You are choosing the training examples of a text classifier. A human will label the instances you "
           "choose, and a small classifier will then be trained on these instances alone, so choose them such "
           "that it learns the task as well as it can from so few. ",
    True: "You are choosing further training examples of a text classifier. A human will label the instances you "
          "choose, and a small classifier will then be trained on them and on the instances labelled before, and "
          "on nothing else, so choose them such that it learns the task as well as it can from so few. ",
}
EXEMPLARS_ADVICE = ("Choose clear and typical instances, each a good example of its class, whose label a reader "
                    "would give at once. Together they should cover every class of the task and the range of the "
                    "data (its topics, styles and lengths). Leave out unusual, ambiguous or borderline instances and "
                    "near-repeats of ones already chosen: from a handful of examples a classifier learns the typical "
                    "case, not the exceptions. ")
ADVICE = """Pick the instances that would teach a model the most. Strategies worth weighing:

Representativeness: prefer instances typical of the whole dataset, so that a model trained on them generalises.

Diversity: within what is representative, cover many different situations, including rarer ones and edge cases.

Difficulty or uncertainty: hard or ambiguous instances show a model where it is weak.

Stratified sampling: if the data falls into groups (topics, categories, ranges of a value), take instances from each.

Class balance: do not let the most frequent classes dominate the labeled set.

Temporal or spatial relevance: if time or place matters in the data, include instances from different times and places.

Avoiding bias: do not introduce bias through the selection, for example by over-representing some group of people.

"""
GUIDELINES = "\n\nAnnotation guidelines given to the human annotator:\n'''{guidelines}'''\n\n"
LIST_EXAMPLE = "For example, if you chose the instances 1, 4 and 5, the list would be: 1, 4, 5 "
OUTPUT = {
    "reasoning": "Think step by step about how you would select the instances to label. Then give the numbers of "
                 "the instances you would label as a comma-separated list. " + LIST_EXAMPLE,
    "list": "Answer with the numbers of the instances you would label as a comma-separated list, and nothing "
            "else. " + LIST_EXAMPLE,
    "explain": "Go through the instances one by one and explain why you would or would not select each for "
               "labeling. Do not stop before you have found {k} instances to suggest. Then give the numbers of "
               "the instances you would label as a comma-separated list. " + LIST_EXAMPLE,
}
PRESENTATION = 'The instances follow, separated by "\\n ##### \\n": \n'
RECAP_NUMBERS = "\n\nThese instances have already been labeled (numbers from the list above): "
RECAP_TEXTS = '\n\nThese instances have already been labeled (separated by "\\n ##### \\n"): '


# --- instances ---------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b[-a-zA-Z0-9()@:%_+.~#?&/=]*")


def duplicate_key(text: str) -> str:
    """What two instances must share to count as near-duplicates: the text without "RT ", URLs and the
    white space around it."""
    return _URL.sub("", text.replace("RT ", "")).strip()


def loose_duplicate_key(text: str) -> str:
    """A stricter test of sameness for one round's picks: the duplicate key lower-cased, its letters and digits alone
    ("WIN a prize now!!" and "win a prize now" are one text)."""
    return re.sub(r"[\W_]+", "", duplicate_key(text).lower())


@dataclass(frozen=True)
class ShownInstance:
    number: int  # the number the LLM sees
    position: int  # row in the run's pool
    index: int  # row id in the original split


def choose_shown(texts: Sequence[str], ids: Sequence[int], start_position: int, first_number: int,
                 count: int, positions: Iterable[int] | None = None,
                 known: Iterable[str] = ()) -> list[ShownInstance]:
    """``count`` instances from ``start_position`` on (or of ``positions``, in that order), skipping
    near-duplicates of each other and of the ``known`` keys (rows labelled already), numbered consecutively.

    One pass with a set of keys: linear in the rows read.
    """
    shown: list[ShownInstance] = []
    seen: set[str] = set(known)
    for position in positions if positions is not None else range(start_position, len(texts)):
        if len(shown) == count:
            break
        key = duplicate_key(texts[position])
        if key in seen:
            continue
        seen.add(key)
        shown.append(ShownInstance(first_number + len(shown), position, int(ids[position])))
    return shown


def instance_lines(shown: Iterable[ShownInstance], texts: Sequence[str],
                   display: Mapping[int, str] | None = None) -> str:
    """The shown instances as the LLM reads them; ``display`` gives a text to show in place of a pool row's (its
    head, where a token budget cut it)."""
    display = display or {}
    return "".join(f"{SEPARATOR}{s.number}. {display.get(s.position, texts[s.position])} [ID: {s.index}]"
                   for s in shown)


# --- the prompt ----------------------------------------------------------------------------------------------


@dataclass
class PromptRequest:
    """What to build; ``labeled_before`` holds the numbers picked in earlier iterations (continuous only);
    ``labelled_rows`` the pool positions people labelled, with their labels (the next round of your own data:
    recapped with their labels, never shown to choose from)."""

    mode: str
    examples: int = 32
    continuous: str | None = None
    prompt_examples: int | None = None
    guidelines: str | None = None
    labeled_before: list[int] = field(default_factory=list)
    shown_before: int | None = None  # the highest number shown in earlier iterations (None: no sidecar of them)
    candidate_rows: list[int] | None = None  # the pool rows to show (a selector's picks); None: the first rows
    template: PromptTemplate | None = None  # the wording from a file (--prompt-template); None: the mode's own
    class_names: tuple[str, ...] | None = None  # the task's, for a template's {classes}
    labelled_rows: dict[int, str] = field(default_factory=dict)  # pool position -> its label (a class name)

    @property
    def prompt_mode(self) -> PromptMode:
        return prompt_mode(self.mode)

    @property
    def shown_count(self) -> int:
        return shown_count(self.mode, self.prompt_examples)


@dataclass
class Prompt:
    text: str
    shown: list[ShownInstance]
    labeled_before: list[int]


def _situation(request: PromptRequest) -> str:
    if request.labelled_rows:
        return SITUATION["recap"]
    if request.labeled_before and request.continuous in ("idxrecap", "recap"):
        return SITUATION[request.continuous]
    return SITUATION["guidelines" if request.guidelines else "plain"]


def _instructions(request: PromptRequest) -> str:
    mode = request.prompt_mode
    if mode.guidelines and not request.guidelines:
        raise PromptError(f"Mode {request.mode} adds annotation guidelines: pass them with --guidelines FILE.")
    if mode.classes and not request.class_names:
        raise PromptError(f"Mode {request.mode} names the task's classes, and the task has none: write them into "
                          f"data/<task>/classes.txt (one a line), or use --mode {REPRESENTATIVE}.")
    parts = [
        FORGET if mode.forget_first else "",
        EXEMPLARS_ROLE[bool(request.labeled_before or request.labelled_rows)] if mode.exemplars else ROLE,
        _situation(request),
        CLASSES.format(classes=", ".join(request.class_names or ())) if mode.classes else "",
        LIMIT.format(k=request.examples),
        ADVICE if mode.advice else "",
        EXEMPLARS_ADVICE if mode.exemplars else "",
        GUIDELINES.format(guidelines=request.guidelines) if request.guidelines else "",
        OUTPUT[mode.output].format(k=request.examples),
    ]
    return "".join(parts)


def build_prompt(request: PromptRequest, texts: Sequence[str], ids: Sequence[int],
                 number_map: Mapping[int, int] | None = None, display: Mapping[int, str] | None = None) -> Prompt:
    """The prompt for ``request`` over the pool's ``texts`` (with dataset ``ids``).

    ``number_map`` maps numbers shown in earlier iterations to pool positions (their sidecars); without it
    numbers are taken as positions. ``display`` shows other texts for some pool rows (activellm.prompts.token_budget); the
    instances shown are chosen on the pool's own texts either way.
    """
    labeled = list(request.labeled_before)
    if request.continuous and request.continuous not in CONTINUOUS_VARIANTS:
        raise PromptError(f"Unknown continuous variant {request.continuous!r}; use one of "
                          f"{', '.join(CONTINUOUS_VARIANTS)}.")
    to_position = (lambda n: number_map[n]) if number_map else (lambda n: n)
    known = {duplicate_key(texts[position]) for position in request.labelled_rows}
    if not labeled:
        shown = choose_shown(texts, ids, 0, 0, request.shown_count, request.candidate_rows, known)
    elif request.continuous == "idxrecap":
        shown = choose_shown(texts, ids, 0, 0, max(labeled) + 1 + request.shown_count)
    else:  # norecap and recap continue after the highest number shown so far (without sidecars: picked)
        last = request.shown_before if request.shown_before is not None else max(labeled)
        shown = choose_shown(texts, ids, to_position(last) + 1, last + 1, request.shown_count)
    if not shown:
        raise PromptError("No instances are left in the pool to show.")
    body = PRESENTATION + instance_lines(shown, texts, display)
    labelled, labelled_first = "", False  # what is labelled already, and whether it goes before the instances
    if labeled and request.continuous == "idxrecap":
        labelled = RECAP_NUMBERS + ", ".join(map(str, labeled))
    elif labeled and request.continuous == "recap":
        labelled = RECAP_TEXTS + "\n\n" + SEPARATOR.join(texts[to_position(n)] for n in labeled) + "\n\n"
        labelled_first = True
    elif request.labelled_rows:  # what people labelled, with their labels
        labelled = RECAP_TEXTS + "\n\n" + SEPARATOR.join(
            f"{texts[position]} [label: {label}]" for position, label in request.labelled_rows.items()) + "\n\n"
        labelled_first = True
    if request.template is not None:
        check_fields(request.template, bool(request.guidelines), bool(labelled),
                     f"a {request.continuous} iteration" if request.continuous else "a round after labelled rows",
                     bool(request.class_names))
        fields = {"k": str(request.examples), "instances": body, "shown": str(len(shown)),
                  "guidelines": request.guidelines or "", "labelled": labelled,
                  "classes": ", ".join(request.class_names or ())}
        return Prompt(render(request.template, fields), shown, labeled)
    head = _instructions(request)
    text = head + labelled + body if labelled_first else head + body + labelled
    return Prompt(text, shown, labeled)


# --- files ---------------------------------------------------------------------------------------------------


def iteration_suffix(iteration: int | None) -> str:
    """``_cont<i>`` for iteration i > 1 of a continuous selection; nothing for a single one or iteration 1."""
    return "" if iteration in (None, 1) else f"_cont{iteration}"


def prompt_stem(run: int, iteration: int | None) -> str:
    """``prompt_<run>``, or ``prompt_<run>_cont<i>`` for iteration i > 1 of a continuous selection."""
    return f"prompt_{run}{iteration_suffix(iteration)}"


def shown_count(mode: str, prompt_examples: int | None = None) -> int:
    """The instances a prompt of ``mode`` shows: ``--prompt-examples``, else the mode's count (modes 8-11), else 200."""
    if prompt_examples is not None:
        return prompt_examples
    return prompt_mode(mode).shown or DEFAULT_SHOWN


def check_grid_modes(modes: Sequence[str], templated: bool) -> None:
    """The sweep's prompt modes, before anything is asked: each a built-in mode, and, where a template gives the
    wording, no two modes that render the same prompt (a template takes only the shown count and the guidelines
    from its mode), which would be asked and paid for twice and reported as two arms."""
    settings = {mode: prompt_mode(mode) for mode in dict.fromkeys(modes)}  # an unknown mode raises here
    if not templated:
        return
    by_prompt: dict[tuple, list[str]] = {}
    for mode, setting in settings.items():
        by_prompt.setdefault((setting.shown or DEFAULT_SHOWN, setting.guidelines), []).append(mode)
    for (shown, _), same in by_prompt.items():
        if len(same) > 1:
            raise PromptError(f"Prompt modes {' and '.join(same)} render the same prompt with a template (a template "
                              f"takes only the shown count, here {shown}, and the guidelines from its mode): it would "
                              "be asked twice and reported as two arms. Keep one of them in --prompt-modes/"
                              "PROMPT_MODES, or give templates modes that show different counts (8, 9, 10, 11).")


def prompt_mode(mode: str) -> PromptMode:
    """The built-in mode named ``mode``."""
    if mode not in PROMPT_MODES:
        raise PromptError(f"Unknown prompt mode {mode!r}; use the paper's 1-12 (10 is its main prompt) or "
                          f"{REPRESENTATIVE} (--prompt-mode, --prompt-modes or PROMPT_MODES).")
    return PROMPT_MODES[mode]


def check_answered_prompt(metadata_path: Path, metadata: dict) -> None:
    """Refuse an answer whose prompt has changed since it was answered (or is gone): its numbers would be read
    through another prompt's sidecar and name other pool rows. Answers without a recorded hash pass."""
    named, answered = metadata.get("prompt_file"), metadata.get("prompt_sha256")
    if not named or not answered:
        return
    prompt = paths.project_root() / named
    answer = Path(metadata_path).with_suffix(".txt")
    fix = (f"Restore the prompt that was answered; or ask again with prompt_generation.py --ask --force (which "
           f"replaces {answer.name}); or, to keep this answer, generate the new prompt into another folder "
           "(--answers-name).")
    if not prompt.is_file():
        raise PromptError(f"{answer} answers the prompt {named}, which is gone, so its numbers cannot be mapped to "
                          f"pool rows. {fix}")
    current = file_sha256(prompt)
    if current != answered:
        raise PromptError(f"{answer} answers {named} as it was when asked (sha256 {answered[:12]}…, recorded in "
                          f"{Path(metadata_path).name}), but that prompt was generated again since (sha256 now "
                          f"{current[:12]}…): its numbers would name other rows. {fix}")


def check_answered_prompts(tag: str, folder: str, run: int) -> None:
    """:func:`check_answered_prompt` for every saved answer of a run in ``answers/<tag>/<folder>/``."""
    for path in answer_metadata_files(tag, folder, run):
        check_answered_prompt(path, json.loads(path.read_text(encoding="utf-8")))


def write_prompt(prompt: Prompt, folder: Path, stem: str, metadata: dict) -> tuple[Path, Path]:
    """Write ``<stem>.txt`` and its sidecar ``<stem>.json``; returns both paths."""
    text_path, sidecar_path = folder / f"{stem}.txt", folder / f"{stem}.json"
    sidecar = {
        **metadata,
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "labeled_before": prompt.labeled_before,
        "shown": [asdict(s) for s in prompt.shown],
    }
    atomic_write_text(text_path, prompt.text)
    atomic_write_text(sidecar_path, json.dumps(sidecar, indent=1) + "\n")
    return text_path, sidecar_path


def read_sidecar(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sidecar_paths(tag: str, folder: str, run: int) -> list[Path]:
    """All sidecars of a run's prompts: those its saved answers name (their metadata's ``prompt_file``), then
    the single one and those of continuous iterations under ``prompts/<tag>/<folder>/``."""
    named = [paths.project_root() / Path(m["prompt_file"]).with_suffix(".json")
             for m in answer_metadata(tag, folder, run) if m.get("prompt_file")]
    prompts = paths.prompt_dir(tag, folder)
    found = named + [prompts / f"prompt_{run}.json"] + sorted(prompts.glob(f"prompt_{run}_cont*.json"))
    return [p for p in dict.fromkeys(found) if p.is_file()]


def highest_shown_before(tag: str, folder: str, run: int, iteration: int) -> int | None:
    """The highest number the run's prompts of iterations before ``iteration`` showed; None without sidecars."""
    numbers = [int(shown["number"]) for path in sidecar_paths(tag, folder, run)
               if ((sidecar := read_sidecar(path)).get("iteration") or 1) < iteration for shown in sidecar["shown"]]
    return max(numbers, default=None)


PROMPT_COLUMNS = {"prompt_candidates": ("candidates", FIRST_ROWS), "prompt_template": ("prompt_template", "")}


def prompt_columns(tag: str, folder: str, run: int) -> dict[str, str]:
    """What made the prompts a run's list answers, from their sidecars, as CSV columns: the rule that chose the rows
    shown (``first`` or a selector) and the template's name (empty: the mode's own wording); empty without a
    sidecar."""
    sidecars = [read_sidecar(path) for path in sidecar_paths(tag, folder, run)]
    return {column: " ".join(dict.fromkeys(str(s.get(key) or default) for s in sidecars))
            for column, (key, default) in PROMPT_COLUMNS.items()}


def shown_rows(tag: str, run: int, folder: str | None = None) -> list[int]:
    """The pool rows the run's prompt in ``prompts/<tag>/<folder>/`` showed (after near-duplicate skipping); without
    a folder, those of the prompts of that run that showed the first rows, which must agree."""
    root = paths.project_root() / "prompts" / tag
    found = [root / folder / f"prompt_{run}.json"] if folder else sorted(root.glob(f"*/prompt_{run}.json"))
    sidecars = [read_sidecar(p) for p in found if p.is_file()]
    if folder is None:
        sidecars = [s for s in sidecars if s.get("candidates", FIRST_ROWS) == FIRST_ROWS]
    rows = {tuple(int(s["position"]) for s in sidecar["shown"]) for sidecar in sidecars}
    if len(rows) != 1:
        where = root / (folder or "*") / f"prompt_{run}.json"
        problem = "does not exist: generate the prompt first." if not rows else \
            "matches prompts that showed different rows: name one with --selector-pool prompt:<folder>."
        raise PromptError(f"--selector-pool prompt needs the rows one prompt of run {run} showed; {where} {problem}")
    return list(rows.pop())


def load_number_map(tag: str, mode: str, run: int, pool_file: Path | None = None) -> dict[int, int] | None:
    """Shown number → pool position over all sidecars of the run; None when no prompt was generated here.

    Raises:
        PromptError: two sidecars disagree on a number, a sidecar was made from another pool file, or a prompt
            was generated again after it was answered.
    """
    check_answered_prompts(tag, mode, run)
    found = sidecar_paths(tag, mode, run)
    if not found:
        return None
    number_map: dict[int, int] = {}
    for path in found:
        sidecar = read_sidecar(path)
        if pool_file is not None and pool_file.is_file() and sidecar.get("pool_sha256") not in (None, file_sha256(pool_file)):
            raise PromptError(f"{path} was made from a different {pool_file.name} than the one in data/ now; "
                              "regenerate the prompt or restore the pool file.")
        for shown in sidecar["shown"]:
            number, position = int(shown["number"]), int(shown["position"])
            if number_map.setdefault(number, position) != position:
                raise PromptError(f"{path} maps number {number} to pool row {position}, an earlier sidecar to "
                                  f"{number_map[number]}.")
    return number_map
