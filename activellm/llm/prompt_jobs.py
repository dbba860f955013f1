"""prompt_generation.py's work: a prompt for a run's pool, the LLM's answer, and the index list parsed from it.

Files (``<tag>`` as in activellm.data.tasks.make_tag; continuous iteration i > 1 adds ``_cont<i>`` to the stems):

    prompts/<tag>/<folder>/prompt_<run>.txt + .json    the prompt and its sidecar (shown number → pool row)
    answers/<tag>/<folder>/answer_<run>.txt + .json    the raw reply (all turns) and its metadata
    answers/<tag>/<folder>/list_<run>.txt              the picks; cumulative over continuous iterations

``<folder>`` is the selection's name, the ``--mode`` that model_training.py trains on: the prompt mode for a
prompt answered by hand, ``<llm>_<mode>`` (e.g. ``gpt-4o_10``) for an LLM asked here, or ``--answers-name``.
One folder holds one LLM's answers: a continuous selection's later prompts depend on that LLM's earlier picks.
"""

from __future__ import annotations

import json
import random
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from activellm import paths
from activellm.data.pools import LoadedTask, load_task
from activellm.data.tasks import DEFAULT_EXAMPLES, make_tag, merged_texts
from activellm.files import atomic_write_text, file_sha256, unused_path
from activellm.llm.client import Conversation, LLMSettings, converse
from activellm.prompts.answers import AnswerError, ParsedAnswer, parse_answer, read_numbers, write_index_list
from activellm.prompts.build import (CONTINUOUS_VARIANTS, FIRST_ROWS, Prompt, PromptError, PromptRequest, build_prompt,
                                     check_answered_prompt, highest_shown_before, iteration_suffix, load_number_map,
                                     prompt_mode, prompt_stem, read_sidecar, shown_count, write_prompt)
from activellm.prompts.templates import PromptTemplate
from activellm.prompts.token_budget import (CUT, DEFAULT_PROMPT_TOKENS, FEWER, NO_LIMIT, FittedPrompt,
                                            fit_prompt, token_encoding)
from activellm.selection.label_free import (PROMPT_CANDIDATE_SETTINGS, PROMPT_CANDIDATE_THREADS, SELECTORS,
                                            select_label_free)

_ANSWER_NAME = re.compile(r"^answer_(?P<run>\d+)(?:_cont(?P<iteration>\d+))?\.txt$")


def answers_folder_name(llm_model: str | None, mode: str, candidates: str = FIRST_ROWS,
                        prompt_examples: int | None = None, template: PromptTemplate | None = None,
                        prompt_tokens: int = DEFAULT_PROMPT_TOKENS, prompt_fit: str = CUT,
                        labelled_rows: int = 0) -> str:
    """The default answers folder of an LLM, prompt mode, wording, candidate rule and token budget: ``gpt-4o_10``,
    ``meta-llama_Llama-3-8B_10``; a template adds its name, ``gpt-4o_10_mywording-1a2b3c4d``, a selector's
    candidates the rule and how many it chose, ``gpt-4o_10_typiclust200``, and a budget other than the default its
    size and way, ``gpt-4o_10_tokens8000``, ``gpt-4o_10_tokens8000fewer``, ``gpt-4o_10_fulltexts`` (no limit): two
    wordings, shown counts or budgets never share a folder. A next round after N rows labelled by people ends in
    ``_after<N>``. Without an LLM (answered by hand) ``10``, ``10_mywording-1a2b3c4d``, ``10_typiclust200``."""
    name = mode if llm_model is None else f"{paths.safe_name(llm_model) or 'llm'}_{mode}"
    if template is not None:
        name += f"_{template.name}"
    if candidates != FIRST_ROWS:
        name += f"_{candidates}{shown_count(mode, prompt_examples)}"
    return name + budget_suffix(prompt_tokens, prompt_fit) + (f"_after{labelled_rows}" if labelled_rows else "")


def budget_suffix(prompt_tokens: int, prompt_fit: str) -> str:
    """What a token budget adds to an answers folder's name: nothing for the default budget met by cutting."""
    size = "" if prompt_tokens == DEFAULT_PROMPT_TOKENS else \
        "_fulltexts" if prompt_tokens == NO_LIMIT else f"_tokens{prompt_tokens}"
    way = "" if prompt_fit == CUT or prompt_tokens == NO_LIMIT else prompt_fit
    return size + (way if size or not way else f"_{way}")


@dataclass
class PromptJob:
    """One prompt to build: the task's pool, the answers folder and, when continuous, what came before."""

    loaded: LoadedTask
    tag: str
    mode: str  # the prompt mode (1-12, representative)
    folder: str  # prompts/<tag>/<folder>/ and answers/<tag>/<folder>/
    run: int
    examples: int
    continuous: str | None
    iteration: int | None  # None for a single (non-continuous) selection
    labeled_before: list[int]
    candidates: str = FIRST_ROWS  # which rows the prompt shows: the pool's first, or a label-free selector's picks
    template: PromptTemplate | None = None  # the wording from a file; None: the mode's own
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS  # the prompt's token budget (NO_LIMIT: none)
    prompt_fit: str = CUT  # how a prompt over the budget is made to fit (activellm.prompts.token_budget)
    labelled: LabelledRound | None = None  # the rows people labelled, for the next round of your own data

    @property
    def answer_path(self) -> Path:
        return paths.answer_dir(self.tag, self.folder) / f"answer_{self.run}{iteration_suffix(self.iteration)}.txt"

    @property
    def list_path(self) -> Path:
        return paths.list_file(self.tag, self.folder, self.run)

    def training_command(self) -> str:
        """The model_training.py command that trains on this job's list (after its iteration, if continuous), or
        for a pool without labels writes its picks out for labelling."""
        task = f"{self.tag}_{self.iteration}" if self.iteration else self.tag
        rounds_before = len(self.labelled.files) if self.labelled else 0
        return list_command(task, self.folder, self.run, self.loaded.spec.labelled, rounds_before)


def list_command(task: str, folder: str, run: int, labelled: bool, rounds_before: int = 0) -> str:
    """What to run once the list of ``folder`` exists: train on it, or for a pool without labels (``labelled``
    False) export its picks to a free ``round<N>.csv`` (N: the rounds before, plus one)."""
    command = ["python", "model_training.py", "--task", task, "--mode", folder, "--run", str(run)]
    if not labelled:
        command += ["--export-labelling", str(unused_path(Path(f"round{rounds_before + 1}.csv")))]
    return shlex.join(command)


@dataclass(frozen=True)
class LabelledRound:
    """The rows people labelled (pool position -> label) and the files they came back in (path -> sha256)."""

    rows: dict[int, str]
    files: dict[str, str]


def plan(task: str, mode: str, run: int, examples: int | None = None, continuous: str | None = None,
         folder: str | None = None, candidates: str = FIRST_ROWS, template: PromptTemplate | None = None,
         prompt_tokens: int = DEFAULT_PROMPT_TOKENS, prompt_fit: str = CUT,
         labelled: LabelledRound | None = None) -> PromptJob:
    """Resolve a task name (with or without suffixes) and the options into a PromptJob; ``folder`` defaults to
    the prompt mode (and the candidate rule and budget where they are not the defaults). ``labelled``: a single
    prompt for the next round after those rows, recapped with their labels and never shown to choose from."""
    loaded = load_task(task, run)
    name = loaded.name
    k = examples or name.examples
    variant = continuous or name.continuous
    if variant is not None and variant not in CONTINUOUS_VARIANTS:
        raise PromptError(f"Unknown continuous variant {variant!r}; use false, {', '.join(CONTINUOUS_VARIANTS)}.")
    if candidates not in (FIRST_ROWS, *SELECTORS):
        raise PromptError(f"Unknown --candidates {candidates!r}; use {FIRST_ROWS} or {', '.join(SELECTORS)}.")
    if candidates != FIRST_ROWS and variant is not None:
        raise PromptError(f"--candidates {candidates} chooses the rows of a single prompt; a continuous selection "
                          "shows the pool's rows in order (use --candidates first).")
    tag = make_tag(loaded.spec.data_name, k, CONTINUOUS_VARIANTS[variant] if variant else None)
    shown_count(mode)  # an unknown mode is refused before anything is read
    folder = folder or answers_folder_name(None, mode, candidates, template=template, prompt_tokens=prompt_tokens,
                                           prompt_fit=prompt_fit)
    budget = {"prompt_tokens": prompt_tokens, "prompt_fit": prompt_fit}
    if variant is None:
        return PromptJob(loaded, tag, mode, folder, run, k, None, None, [], candidates, template, **budget,
                         labelled=labelled)
    if labelled is not None:
        raise PromptError("--labels makes the next round one prompt that recaps the labelled rows; a continuous "
                          "selection recaps the LLM's own earlier picks instead: leave out --continuous.")
    earlier = read_numbers(paths.list_file(tag, folder, run))
    # the iteration of a name like sst2_25_cont_index_recap_3, else the one after the complete iterations
    iteration = name.iteration if name.continuous else len(earlier) // k + 1
    needed = k * (iteration - 1)
    if len(earlier) < needed:
        raise PromptError(f"Iteration {iteration} needs the {needed} picks of the earlier iterations, but "
                          f"{paths.list_file(tag, folder, run)} holds {len(earlier)}. Answer the earlier "
                          "iterations first.")
    return PromptJob(loaded, tag, mode, folder, run, k, variant, iteration, earlier[:needed], template=template,
                     **budget)


@dataclass
class GeneratedPrompt:
    fitted: FittedPrompt
    text_path: Path
    sidecar_path: Path

    @property
    def prompt(self) -> Prompt:
        return self.fitted.prompt

    @property
    def token_count(self) -> int:
        return self.fitted.tokens


def answers_of_prompt(job: PromptJob, text_path: Path) -> list[Path]:
    """The saved answers to the prompt at ``text_path``: the job's own answer file, and any answer of the task whose
    metadata names that prompt (one pasted by hand into another folder)."""
    found = [job.answer_path] if job.answer_path.is_file() else []
    for metadata_path in sorted((paths.project_root() / "answers" / job.tag).glob("*/answer_*.json")):
        named = json.loads(metadata_path.read_text(encoding="utf-8")).get("prompt_file")
        if named and (paths.project_root() / named).resolve() == text_path.resolve():
            found.append(metadata_path.with_suffix(".txt"))
    return list(dict.fromkeys(found))


def _keep_answered_prompt(job: PromptJob, prompt: Prompt, replace_answer: bool) -> Path | None:
    """The prompt file when an answered prompt of this job exists and the new one is the same text (nothing is
    rewritten); None when there is nothing answered to keep. Raises where the new prompt differs: an answered
    prompt's sidecar is never overwritten, or its answer would be read through other numbers."""
    folder = paths.prompt_dir(job.tag, job.folder)
    text_path = folder / f"{prompt_stem(job.run, job.iteration)}.txt"
    answers = answers_of_prompt(job, text_path) if text_path.is_file() else []
    if not answers:
        return None
    if text_path.read_text(encoding="utf-8") == prompt.text:
        return text_path
    if replace_answer and answers == [job.answer_path]:
        return None  # --ask --force: the answer is asked again for the new prompt
    raise PromptError(f"{text_path} was answered ({', '.join(str(a) for a in answers)}), and the prompt built now "
                      "differs from it (other options, or other candidate rows): writing it would move the saved "
                      "answer's numbers onto other rows. Write the new prompt into another folder with --answers-name "
                      "NAME, or ask again with --ask --force to replace the answer as well.")


def _budget(record: dict) -> tuple[int, str]:
    """A sidecar's token budget and way of fitting; one written before budgets existed: no limit."""
    return record.get("prompt_token_budget", NO_LIMIT), record.get("prompt_fit", CUT)


def _describe_budget(record: dict) -> str:
    budget, fit = _budget(record)
    made = "with no token budget (full texts)" if budget == NO_LIMIT else f"within {budget:,} tokens ({fit})"
    return made + (f", {len(record['cut'])} instances cut" if record.get("cut") else "")


def _check_folder_budget(job: PromptJob, record: dict) -> None:
    """Prompts made under two budgets never share an answers folder (one summary arm), where either was fitted to
    its budget (cut, or shown fewer); a prompt that needed no fitting is the same under any budget."""
    def fitted(sidecar: dict) -> bool:
        return bool(sidecar.get("cut")) or _budget(sidecar)[1] == FEWER

    stem = prompt_stem(job.run, job.iteration)
    for path in sorted(paths.prompt_dir(job.tag, job.folder).glob("prompt_*.json")):
        other = read_sidecar(path)
        if path.stem != stem and _budget(other) != _budget(record) and (fitted(other) or fitted(record)):
            own = job.folder + (budget_suffix(job.prompt_tokens, job.prompt_fit) or f"_tokens{job.prompt_tokens}")
            raise PromptError(
                f"{path} was made {_describe_budget(other)}, and this prompt is made {_describe_budget(record)}: "
                f"answers under two budgets never share the folder {job.folder} (one summary arm). Write this one "
                f"into its own folder with --answers-name {own}, or make it under the folder's budget "
                "(--prompt-tokens, --prompt-fit).")


@dataclass(frozen=True)
class ContextFit:
    """An embedded model's context (activellm.llm.embedded): ``count`` gives a prompt's tokens in the model's own
    tokenizer, ``room`` the most a prompt may take; ``adapt``: whether the budget was derived from the context (then
    it shrinks until the prompt fits) or given (then a prompt that does not fit is refused)."""

    count: Callable[[str], int]
    room: int
    adapt: bool
    model: str


def fit_context(fitted: FittedPrompt, build, texts, job: PromptJob, context: ContextFit,
                tries: int = 4) -> FittedPrompt:
    """The prompt within the model's context: the token budget counts GPT-4's tokens, the model counts its own, so
    unless the budget was given, it is lowered by the ratio of the two until the prompt fits, cutting long instances
    or, where their heads would grow too short, showing fewer whole ones (the sidecar keeps the declared budget, which
    names the folder, and records the lower one, the way of fitting and the count shown); refused before asking where
    it cannot."""
    declared, budget = fitted.budget, fitted.budget
    for _ in range(tries):
        tokens = context.count(fitted.prompt.text)
        if tokens <= context.room:
            return fitted if budget == declared else replace(fitted, budget=declared, context_budget=budget)
        if not context.adapt:
            break
        budget = int((fitted.tokens if budget == NO_LIMIT else min(budget, fitted.tokens)) * context.room / tokens
                     * 0.98)
        try:
            try:
                fitted = fit_prompt(build, texts, budget, job.prompt_fit, at_least=job.examples)
            except PromptError:  # heads too short to choose by: fewer whole instances instead (the sidecar says so)
                if job.prompt_fit == FEWER:
                    raise
                fitted = fit_prompt(build, texts, budget, FEWER, at_least=job.examples)
        except PromptError as error:
            raise PromptError(f"The prompt does not fit the {context.room:,} tokens {context.model}'s context leaves "
                              f"beside the answer, neither with its instances cut to short heads nor with "
                              f"{job.examples} whole ones ({error}). Show fewer instances (--prompt-examples), or "
                              "serve a model with a larger context (--llm-context, or another GGUF).") from error
    raise PromptError(f"The prompt takes {tokens:,} tokens of {context.model}, more than the {context.room:,} its "
                      "context leaves beside the answer: show fewer instances (--prompt-examples), lower "
                      "--prompt-tokens, or serve the model with a larger context (--llm-context).")


def generate(job: PromptJob, prompt_examples: int | None = None, guidelines: str | None = None,
             replace_answer: bool = False, context: ContextFit | None = None) -> GeneratedPrompt:
    """Build the job's prompt and write it with its sidecar under prompts/; an answered prompt is kept as it is when
    the new one is the same, and refused otherwise (``replace_answer``: unless its only answer is the job's own,
    about to be asked again). ``context``: an embedded model's, which the prompt must fit (fit_context)."""
    spec, pool = job.loaded.spec, job.loaded.pool
    shown_before = highest_shown_before(job.tag, job.folder, job.run, job.iteration) if job.labeled_before else None
    request = PromptRequest(mode=job.mode, examples=job.examples, continuous=job.continuous,
                            prompt_examples=prompt_examples, guidelines=guidelines,
                            labeled_before=job.labeled_before, shown_before=shown_before, template=job.template,
                            class_names=spec.class_names, labelled_rows=job.labelled.rows if job.labelled else {})
    texts = merged_texts(pool, spec)
    selector = PROMPT_CANDIDATE_SETTINGS
    if job.candidates != FIRST_ROWS:  # the rows a label-free selector picks, shown in the pool's order
        from threadpoolctl import threadpool_limits

        with threadpool_limits(PROMPT_CANDIDATE_THREADS):
            picks = select_label_free(job.candidates, texts, spec.data_name, request.shown_count, job.run, selector,
                                      spec.num_labels)
        request = replace(request, candidate_rows=sorted(picks))
    pool_path = paths.pool_file(spec.data_name, job.run)
    number_map = load_number_map(job.tag, job.folder, job.run, pool_path) if job.labeled_before else None
    ids = pool["index"].tolist()

    def build(display, count):
        shown = request if count is None else replace(request, prompt_examples=count)
        return build_prompt(shown, texts, ids, number_map, display)

    fitted = fit_prompt(build, texts, job.prompt_tokens, job.prompt_fit, at_least=job.examples)
    if context is not None:
        fitted = fit_context(fitted, build, texts, job, context)
    prompt = fitted.prompt
    kept = _keep_answered_prompt(job, prompt, replace_answer)
    if kept is not None:
        return GeneratedPrompt(fitted, kept, kept.with_suffix(".json"))
    _check_folder_budget(job, fitted.record())
    metadata = {
        "task": job.loaded.name.full, "tag": job.tag, "mode": job.mode, "folder": job.folder, "run": job.run,
        "examples": job.examples,
        "continuous": job.continuous, "iteration": job.iteration, "prompt_examples": len(prompt.shown),
        "candidates": job.candidates, **(job.template.record() if job.template else {}),
        **({"candidate_pool": selector.candidates, "embedding_model": selector.embedding_model,
            "kmeans_restarts": selector.kmeans_restarts} if job.candidates != FIRST_ROWS else {}),
        "pool_file": paths.recorded_path(pool_path), "pool_sha256": file_sha256(pool_path),
        "token_count": fitted.tokens, "token_encoding": token_encoding()[1], **fitted.record(),
        **({"labels_files": job.labelled.files, "labelled_rows": len(job.labelled.rows)} if job.labelled else {}),
    }
    text_path, sidecar_path = write_prompt(prompt, paths.prompt_dir(job.tag, job.folder),
                                           prompt_stem(job.run, job.iteration), metadata)
    return GeneratedPrompt(fitted, text_path, sidecar_path)


# --- answers ---------------------------------------------------------------------------------------------------


def fill_randomly(parsed: ParsedAnswer, candidates: list[int], seed: int) -> list[int]:
    """Numbers drawn (seeded) from ``candidates`` not yet picked, to complete a short answer."""
    missing = parsed.expected - len(parsed.picks)
    picked = set(parsed.picks)
    free = [n for n in candidates if n not in picked]
    if missing <= 0:
        return []
    if len(free) < missing:
        raise AnswerError(f"Only {len(free)} shown instances are left to fill {missing} missing picks.")
    return random.Random(seed).sample(free, missing)


def save_list(list_path: Path, labeled_before: list[int], picks: list[int]) -> list[int]:
    """Write the run's list: earlier iterations' picks, then this answer's."""
    numbers = list(labeled_before) + list(picks)
    write_index_list(list_path, numbers)
    return numbers


def ask(job: PromptJob, generated: GeneratedPrompt, settings: LLMSettings, force: bool = False,
        fill: str | None = None, client=None) -> tuple[ParsedAnswer, list[int], Path]:
    """Ask the LLM for the job's picks (or reuse a saved answer), save reply, metadata and list.

    Returns the parsed answer, the picks written (after any fill) and the list file.
    """
    shown = {s.number for s in generated.prompt.shown}
    ids = {s.index: s.number for s in generated.prompt.shown}

    def parse(text: str) -> ParsedAnswer:
        return parse_answer(text, job.examples, shown, ids, job.labeled_before)

    metadata_path = job.answer_path.with_suffix(".json")
    saved_model = json.loads(metadata_path.read_text()).get("model") if metadata_path.is_file() else None
    if saved_model not in (None, settings.model):
        own = answers_folder_name(settings.model, job.mode, job.candidates, template=job.template,
                                  prompt_tokens=job.prompt_tokens, prompt_fit=job.prompt_fit,
                                  labelled_rows=len(job.labelled.rows) if job.labelled else 0)
        raise AnswerError(f"{job.answer_path} is {saved_model}'s answer; {settings.model} never reuses or replaces "
                          f"it. Leave out --answers-name (each LLM gets its own folder, {own} here) or name another "
                          "folder.")
    if job.answer_path.is_file() and not force:
        parsed = parse(job.answer_path.read_text(encoding="utf-8"))
        metadata = json.loads(metadata_path.read_text()) if metadata_path.is_file() else {}
        reused = True
    else:
        choices = sorted(shown - set(job.labeled_before))
        reasoning = job.template is not None or prompt_mode(job.mode).output != "list"  # a list mode asks no thinking
        conversation: Conversation = converse(generated.prompt.text, job.examples, parse, settings, client, choices,
                                              reasoning)
        parsed, metadata, reused = conversation.parsed, conversation.metadata, False
        metadata.update({"tag": job.tag, "prompt_mode": job.mode, "run": job.run, "iteration": job.iteration,
                         "prompt_file": paths.recorded_path(generated.text_path),
                         "prompt_sha256": file_sha256(generated.text_path),
                         "prompt_tokens_counted": generated.token_count, **generated.fitted.record(),
                         **(job.template.record() if job.template else {})})
        atomic_write_text(job.answer_path, conversation.transcript)
    picks = parsed.picks[: job.examples]
    if len(picks) < job.examples:
        if fill != "random":
            raise AnswerError(
                f"{job.answer_path}: {'; '.join(parsed.notes())}. Ask again with --force, complete the answer "
                f"by hand and run --parse-answer, or pass --fill random to fill from unpicked shown instances.")
        filled = fill_randomly(parsed, sorted(shown - set(job.labeled_before)), job.run)
        metadata["filled_randomly"] = filled
        picks = picks + filled
    metadata.update({"parse_notes": parsed.notes(), "picks": picks, "reused_answer": reused})
    atomic_write_text(metadata_path, json.dumps(metadata, indent=1) + "\n")
    save_list(job.list_path, job.labeled_before, picks)
    return parsed, picks, job.list_path


@dataclass
class ParsedFile:
    parsed: ParsedAnswer
    list_path: Path
    numbers: list[int]  # the whole list written (earlier iterations included)
    notes: list[str]  # how the numbers were mapped, where that needs saying
    next_command: str  # what to run with the list (list_command)


def answered_sidecar(answer_path: Path, run: int, iteration: int, prompt: Path | None = None) -> Path | None:
    """The sidecar of the prompt that ``answer_path`` answers: the one of ``prompt`` (``--prompt``), else the one
    its metadata names, else ``prompts/<tag>/<its folder>/``, else the one prompt of that task and run under
    any folder of ``prompts/<tag>/`` (several are fine when they all showed the same rows); None when none is."""
    root, tag, folder = paths.project_root(), answer_path.parent.parent.name, answer_path.parent.name
    stem = prompt_stem(run, iteration)
    if prompt is not None:
        sidecar = Path(prompt).with_suffix(".json")
        if not sidecar.is_file():
            raise AnswerError(f"--prompt {prompt}: no sidecar {sidecar} beside it; name a prompt generated or imported "
                              "here (prompts/<task>/<folder>/prompt_<run>.txt).")
        return sidecar
    metadata_path = answer_path.with_suffix(".json")
    named = json.loads(metadata_path.read_text()).get("prompt_file") if metadata_path.is_file() else None
    if named and (root / named).with_suffix(".json").is_file():
        return (root / named).with_suffix(".json")
    if (paths.prompt_dir(tag, folder) / f"{stem}.json").is_file():
        return paths.prompt_dir(tag, folder) / f"{stem}.json"
    candidates = sorted((root / "prompts" / tag).glob(f"*/{stem}.json"))
    if len({json.dumps(read_sidecar(c)["shown"]) for c in candidates}) > 1:
        raise AnswerError(f"{answer_path}: the prompts {', '.join(str(c.relative_to(root)) for c in candidates)} of "
                          f"run {run} showed different instances; name the one that was answered with --prompt FILE.")
    return candidates[0] if candidates else None


def _record_prompt(answer_path: Path, sidecar_path: Path) -> None:
    """Name the answered prompt and its sha256 in the answer's metadata, where training looks for its sidecar and
    checks that the prompt is still the one answered; refuse where the metadata names another prompt, or this one
    as it was before it was generated again."""
    metadata_path = answer_path.with_suffix(".json")
    metadata = json.loads(metadata_path.read_text()) if metadata_path.is_file() else {}
    prompt_path = sidecar_path.with_suffix(".txt")
    prompt_file = paths.recorded_path(prompt_path)
    if metadata.get("prompt_file") not in (None, prompt_file):
        raise AnswerError(f"{metadata_path} names the prompt {metadata['prompt_file']}, not {prompt_file}; leave out "
                          "--prompt, or correct the metadata if it names the wrong prompt.")
    check_answered_prompt(metadata_path, metadata)
    recorded = {"prompt_file": prompt_file, "prompt_sha256": file_sha256(prompt_path)}
    if any(metadata.get(key) != value for key, value in recorded.items()):
        atomic_write_text(metadata_path, json.dumps({**metadata, **recorded}, indent=1) + "\n")


def plain_numbers_are_pool_rows(tag: str, run: int, iteration: int, highest: int) -> bool | None:
    """Whether a prompt made here would have numbered the pool's first rows 0..``highest`` as their positions
    (no near-duplicate skipped among them); None where the task's pool cannot be loaded."""
    from activellm.data.tasks import TaskError
    from activellm.prompts.build import choose_shown

    try:
        loaded = load_task(f"{tag}_{iteration}" if "_cont" in tag else tag, run)
    except TaskError:
        return None
    shown = choose_shown(merged_texts(loaded.pool, loaded.spec), loaded.pool["index"].tolist(), 0, 0, highest + 1)
    return all(s.number == s.position for s in shown) and len(shown) == highest + 1


def parse_answer_file(answer_path: Path, examples: int | None = None, shown_count: int | None = None,
                      prompt: Path | None = None) -> ParsedFile:
    """Parse a saved answer (pasted by hand or asked) into list_<run>.txt beside it.

    The sidecar of the answered prompt (see :func:`answered_sidecar`) supplies the shown numbers, the dataset
    ids, k and the earlier iterations' picks, and is recorded in the answer's metadata for training. Without one,
    numbers are pool positions (``shown_count``: numbers 0..N-1 were shown), which is refused where a prompt made
    here would have skipped a near-duplicate before the highest number picked.
    """
    answer_path = Path(answer_path).absolute()  # relative to the current folder: its folders name task and selection
    match = _ANSWER_NAME.match(answer_path.name)
    if not answer_path.is_file():
        raise AnswerError(f"Missing answer file {answer_path}.")
    if match is None:
        raise AnswerError(f"{answer_path.name}: answer files are named answer_<run>.txt (or answer_<run>_cont<i>.txt "
                          "for iteration i of a continuous selection); rename it so the list gets its run number.")
    run, iteration = int(match["run"]), int(match["iteration"] or 1)
    tag = answer_path.parent.parent.name
    sidecar_path = answered_sidecar(answer_path, run, iteration, prompt)
    sidecar = read_sidecar(sidecar_path) if sidecar_path else {}
    k = examples or sidecar.get("examples") or DEFAULT_EXAMPLES
    list_path = answer_path.parent / f"list_{run}.txt"
    labeled_before = sidecar.get("labeled_before")
    if labeled_before is None:
        labeled_before = read_numbers(list_path)[: k * (iteration - 1)]
    if sidecar:
        shown = {int(s["number"]) for s in sidecar["shown"]}
        ids = {int(s["index"]): int(s["number"]) for s in sidecar["shown"]}
    else:
        shown, ids = (set(range(shown_count)) if shown_count else None), None
    parsed = parse_answer(answer_path.read_text(encoding="utf-8"), k, shown, ids, labeled_before)
    if not parsed.picks:
        raise AnswerError(f"{answer_path}: no picks found ({'; '.join(parsed.notes())}). The answer should end "
                          "with the chosen numbers as a comma-separated list.")
    notes = []
    if sidecar_path is not None:
        _record_prompt(answer_path, sidecar_path)
        notes.append(f"numbers mapped through the sidecar {paths.recorded_path(sidecar_path)}")
    else:
        highest = max([*parsed.picks, *labeled_before])
        plain = plain_numbers_are_pool_rows(tag, run, iteration, highest)
        if plain is False:
            raise AnswerError(f"{answer_path}: no sidecar of the answered prompt was found (looked in the answer's "
                              f"metadata and under prompts/{tag}/), and a prompt made here skips near-duplicates "
                              f"among the pool's first {highest + 1} rows, so reading the numbers as pool rows "
                              "would shift picks. Name the prompt with --prompt FILE, or generate it again here.")
        notes.append("no sidecar of the prompt found: numbers read as pool positions" +
                     (" (no near-duplicate among the rows they reach)" if plain else
                      f" (the pool of {tag} could not be loaded to check them)"))
    continuous = bool(sidecar.get("continuous")) or "_cont" in tag
    # a continuous list is cumulative: extra picks would shift every later iteration
    picks = parsed.picks[:k] if continuous else parsed.picks
    numbers = save_list(list_path, labeled_before, picks)
    return ParsedFile(parsed, list_path, numbers, notes, _next_after_parse(sidecar, tag, answer_path.parent.name,
                                                                            run, iteration if continuous else None))


def _next_after_parse(sidecar: dict, tag: str, folder: str, run: int, iteration: int | None) -> str:
    """The command to run after parsing (list_command), for the task the answered prompt was made for."""
    from activellm.data.loading import load_splits
    from activellm.data.tasks import TaskError, parse_task_name

    task = f"{tag}_{iteration}" if iteration else tag
    try:
        labelled = load_splits(parse_task_name(task).spec)[0].labelled
    except TaskError:  # the task cannot be read here: the command trains, as for any labelled task
        labelled = True
    return list_command(task, folder, run, labelled, len(sidecar.get("labels_files") or {}))
