"""The LLM inside a sweep: before a cell trains on an LLM's list, make sure the list holds its picks.

A grid names LLMs, prompt modes, wordings (templates) and candidate rules; each combination is one answers
folder (``gpt-4o_10``, as ``prompt_generation.py --ask`` names it) and so one mode of the grid. A cell with such a
mode needs the list ``answers/<tag>/<folder>/list_<run>.txt``: for a few-shot task one answer; for a continuous task
(``…_cont…_<i>``) the answers of iterations 1..i, asked in order, each prompt built from the picks before it. The
same holds for warm-start cells. An answered iteration is never asked again, so a sweep killed mid-loop resumes at
the first missing iteration. All asks go through activellm.llm.prompt_jobs (retries, follow-ups, metadata, no key on
disk), in the sweep's own process: keys never reach the cells.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from activellm import paths
from activellm.data.tasks import parse_task_name
from activellm.errors import UserError
from activellm.llm.client import LLMSettings
from activellm.llm.prompt_jobs import ContextFit, answers_folder_name, ask, generate, plan
from activellm.prompts.answers import read_numbers
from activellm.prompts.build import FIRST_ROWS, iteration_suffix
from activellm.prompts.templates import PromptTemplate
from activellm.prompts.token_budget import CUT, DEFAULT_PROMPT_TOKENS
from activellm.training.experiment import RunConfig, reads_llm_list


@dataclass(frozen=True)
class LLMArm:
    """One LLM with one prompt mode, wording and candidate rule: an answers folder of the grid."""

    model: str
    prompt_mode: str
    candidates: str = FIRST_ROWS
    template: PromptTemplate | None = None  # None: the mode's own wording
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS  # the prompt's token budget (activellm.prompts.token_budget)
    prompt_fit: str = CUT

    @property
    def folder(self) -> str:
        return answers_folder_name(self.model, self.prompt_mode, self.candidates, template=self.template,
                                   prompt_tokens=self.prompt_tokens, prompt_fit=self.prompt_fit)


@dataclass(frozen=True)
class ListRequest:
    """The answers a cell needs: iterations 1..iterations of one LLM folder, task tag and run."""

    base_task: str  # the task name without its iteration (a continuous task) or the task itself
    tag: str
    arm: LLMArm
    run: int
    iterations: int
    continuous: bool
    examples: int  # k, the picks per answer

    @property
    def key(self) -> tuple[str, str, int]:
        return self.tag, self.arm.folder, self.run

    def iteration_task(self, iteration: int) -> str:
        return f"{self.base_task}_{iteration}" if self.continuous else self.base_task

    def missing(self) -> list[int]:
        """The iterations still to ask, in order: from the first whose answer is not saved, or whose picks the list
        does not hold yet, to the last (later prompts are built from the earlier picks)."""
        folder = paths.answer_dir(self.tag, self.arm.folder)
        listed = len(read_numbers(paths.list_file(self.tag, self.arm.folder, self.run)))
        for iteration in range(1, self.iterations + 1):
            answer = folder / f"answer_{self.run}{iteration_suffix(iteration if self.continuous else None)}.txt"
            if not answer.is_file() or listed < self.examples * iteration:
                return list(range(iteration, self.iterations + 1))
        return []


def list_request(config: RunConfig, arms: dict[str, LLMArm]) -> ListRequest | None:
    """What ``config`` needs asked, or None when its mode is not an LLM folder of the grid."""
    arm = arms.get(config.mode)
    if arm is None or not reads_llm_list(config):
        return None
    name = parse_task_name(config.task)
    continuous = name.continuous is not None
    base = config.task.rsplit("_", 1)[0] if continuous else config.task
    return ListRequest(base, name.tag, arm, config.run, name.iteration, continuous, name.examples)


def merge(requests: list[ListRequest]) -> dict[tuple, ListRequest]:
    """One request per list: the most iterations any cell needs."""
    merged: dict[tuple, ListRequest] = {}
    for request in requests:
        known = merged.get(request.key)
        if known is None or request.iterations > known.iterations:
            merged[request.key] = request
    return merged


def _job(request: ListRequest, iteration: int):
    arm = request.arm
    return plan(request.iteration_task(iteration), arm.prompt_mode, request.run, folder=arm.folder,
                candidates=arm.candidates, template=arm.template, prompt_tokens=arm.prompt_tokens,
                prompt_fit=arm.prompt_fit)


def check_prompts(requests: Iterable[ListRequest]) -> None:
    """Build the first prompt still to ask of each arm and task (its first run's) before anything is asked, so that a
    prompt that cannot be built, one over its token budget above all, stops the sweep with its error and the fix
    before any LLM is paid (prompts are written as generating them writes them, never asked here)."""
    checked: set[tuple[str, str]] = set()
    for request in sorted(requests, key=lambda r: r.run):
        if (request.tag, request.arm.folder) in checked or not (missing := request.missing()):
            continue
        checked.add((request.tag, request.arm.folder))
        generate(_job(request, missing[0]))


def parse_saved_answers(configs: Iterable[RunConfig], arms: dict[str, LLMArm],
                        report: Callable[[str], None] = print) -> None:
    """Before a sweep runs: every answer saved (pasted by hand, or asked earlier) beside a list that lacks its picks
    is parsed into the list, through its prompt's sidecar and recorded as ``prompt_generation.py --parse-answer``
    does, iterations in order; the grid's own LLM arms are asked instead. An answer that cannot be parsed stops the
    sweep once, naming every such answer and the command that parses one.

    Raises:
        AnswerError: answers that cannot be parsed (all of them in one message).
    """
    from activellm.llm.prompt_jobs import parse_answer_file
    from activellm.prompts.answers import AnswerError

    failed: list[str] = []
    done: set[tuple[str, str, int]] = set()
    for config in configs:
        if config.mode in arms or not reads_llm_list(config):
            continue
        name = parse_task_name(config.task)
        key = (name.tag, config.mode, config.run)
        if key in done:
            continue
        done.add(key)
        folder = paths.answer_dir(name.tag, config.mode)
        list_path = paths.list_file(name.tag, config.mode, config.run)
        last = name.iteration if name.continuous else 1
        for iteration in range(1, last + 1):
            answer = folder / f"answer_{config.run}{iteration_suffix(iteration if name.continuous else None)}.txt"
            if not answer.is_file() or len(read_numbers(list_path)) >= name.examples * iteration:
                continue
            try:
                parsed = parse_answer_file(answer)
            except AnswerError as error:
                failed.append(str(error))
                break
            report(f"parsed {paths.recorded_path(answer)} into {paths.recorded_path(parsed.list_path)} "
                   f"({len(parsed.numbers)} numbers), as --parse-answer would")
    if failed:
        raise AnswerError(f"{len(failed)} saved answer(s) cannot be parsed into their lists, so their cells cannot "
                          f"run: {' | '.join(failed)}. Fix each answer (or its list by hand) and check it with "
                          "python prompt_generation.py --parse-answer answers/<task>/<folder>/answer_<run>.txt")


def fulfil(request: ListRequest, settings: LLMSettings, fill: str | None = None,
           report: Callable[[str], None] = print, context: ContextFit | None = None) -> list[int]:
    """Ask every missing iteration of ``request`` in order (``settings`` as for ``--ask``; the model is the
    request's; ``context``: an embedded model's, which each prompt must fit); returns the iterations asked."""
    asked = request.missing()
    for iteration in asked:
        job = _job(request, iteration)
        generated = generate(job, context=context)
        ask(job, generated, replace(settings, model=request.arm.model), fill=fill)
        report(f"asked {request.arm.model} (prompt mode {request.arm.prompt_mode}) for {request.tag} run "
               f"{request.run}" + (f", iteration {iteration}" if request.continuous else ""))
    return asked


def fulfil_embedded(requests: Sequence[ListRequest], llm, settings: LLMSettings, fill: str | None = None,
                    budget_given: bool = False) -> None:
    """Ask an embedded model (activellm.llm.embedded; ``settings`` as its ask_settings made them) for what is missing
    of each of ``requests`` (the lists found missing), one after another on all the cores, before any cell trains:
    llama.cpp beside busy workers would crawl, and so would they. A list whose ask fails is said and left missing (its
    cells fail); the others are asked."""
    from tqdm.auto import tqdm

    context = llm.context_fit(adapt=not budget_given)
    with tqdm(requests, desc=f"asking {llm.model}", unit="list", dynamic_ncols=True) as progress:
        for request in progress:
            try:
                fulfil(request, settings, fill, progress.write, context)
            except UserError as error:  # its cells fail for want of the list; the other lists are asked
                progress.write(f"LLM list {request.arm.folder} for {request.tag} run {request.run} failed: {error}")


class ListKeeper:
    """Asks for the lists of a sweep, up to ``jobs`` lists at once; cells that share a list share its future."""

    def __init__(self, settings: LLMSettings, fill: str | None = None, jobs: int = 1,
                 report: Callable[[str], None] = print):
        self.settings, self.fill, self.report = settings, fill, report
        self.executor = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="llm")
        self.futures: dict[tuple, Future] = {}

    def future(self, request: ListRequest) -> Future:
        if request.key not in self.futures:
            self.futures[request.key] = self.executor.submit(fulfil, request, self.settings, self.fill,
                                                            self.report)
        return self.futures[request.key]

    def close(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
