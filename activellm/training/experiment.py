"""One run of model_training.py: task → pool → selection → a model per seed → CSV and .log.

Model classes:

* ``default``: fine-tune a transformer classifier (BERT) on the selection;
* ``setfit``: the SetFit few-shot baseline on the same selection;
* ``smalltext``: a small-text strategy labels the pool from a cold or warm start up to the budget, its labelled
  list is saved for learning curves, and the default classifier is fine-tuned on the final labelled set.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd

from activellm import paths
from activellm.data.pools import LoadedTask, load_task
from activellm.data.tasks import TaskError, TaskSpec, merged_texts, parse_task_name
from activellm.errors import UserError
from activellm.files import atomic_write_text, file_sha256
from activellm.prompts.answers import AnswerError, answer_values, llm_models, write_index_list
from activellm.prompts.build import PROMPT_COLUMNS, load_number_map, prompt_columns, shown_rows, sidecar_paths
from activellm.selection.diagnostics import describe as describe_diagnostics
from activellm.selection.diagnostics import llm_list_diagnostics, selection_diagnostics
from activellm.selection.label_free import (PROBCOVER, SELECTORS, SelectorSettings, candidate_count, prompt_rows_folder,
                                            recorded_delta, select_label_free)
from activellm.selection.rows import BASELINE_MODE, RANDOM_FILTERING, SMALLTEXT_MODES, listed_rows, select_rows
from activellm.training.active_learning import (STRATEGIES, ActiveSettings, Iteration, cold_start, encode_pool,
                                                run_active_learning)
from activellm.training.environment import environment_record
from activellm.training.fine_tuning import (PAPER_MODEL, PAPER_SEEDS, FitResult, TrainingSettings, check_precision,
                                            describe_device, encode_test_set, fit_and_evaluate)
from activellm.training.metrics import compute_metrics
from activellm.training.results import (SETTING_COLUMNS, STATUS_OK, format_cell, format_means, format_seed_line,
                                        is_final, read_results, write_results)
from activellm.training.setfit_baseline import PAPER_SETFIT_MODEL, SetFitSettings, fit_and_evaluate_setfit

DEFAULT_MODELCLASS = "default"
MODELCLASSES = (DEFAULT_MODELCLASS, "setfit", "smalltext")
DEFAULT_MODELS = {DEFAULT_MODELCLASS: PAPER_MODEL, "smalltext": PAPER_MODEL, "setfit": PAPER_SETFIT_MODEL}


class ConfigError(UserError, ValueError):
    """Options that cannot be used (an unknown name); the message says which and why."""


class NotApplicable(ConfigError):
    """Options that do not fit together: a grid leaves such a combination out, a single run refuses it."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that identifies a run; the same fields make the identity of a sweep cell."""

    task: str
    mode: str
    run: int
    modelclass: str = DEFAULT_MODELCLASS
    activelearning: str | None = None
    warmstart: bool = False
    model: str | None = None  # None: the paper's model for the model class
    seeds: tuple[int, ...] = PAPER_SEEDS
    settings: TrainingSettings = field(default_factory=TrainingSettings)
    active: ActiveSettings = field(default_factory=ActiveSettings)
    warmstart_size: int | None = None
    warmstart_from: str | None = None  # --mode smalltext_warmstart: the warm start's source (an LLM folder, a selector)
    eval_every_iteration: bool = False
    setfit: SetFitSettings = field(default_factory=SetFitSettings)
    selector: SelectorSettings = field(default_factory=SelectorSettings)
    diagnostics: bool = True  # selection diagnostics in the CSV; never part of the identity, never of a result

    @property
    def uses_selector(self) -> bool:
        """Whether a label-free selector chooses the training rows or the warm start."""
        return self.activelearning in SELECTORS or (self.warmstart and self.mode in SELECTORS)

    @property
    def model_name(self) -> str:
        return self.model or DEFAULT_MODELS[self.modelclass]

    @property
    def epochs(self) -> int:
        return self.setfit.epochs if self.modelclass == "setfit" else self.settings.epochs

    @property
    def variant(self) -> str:
        """Sub-folder of the results that separates model classes sharing a task and mode."""
        if self.modelclass == "smalltext":
            return f"smalltext/{self.activelearning}_{'warmstart' if self.warmstart else 'coldstart'}"
        parts = [] if self.modelclass == DEFAULT_MODELCLASS else [self.modelclass]
        return "/".join(parts + ([self.activelearning] if self.activelearning else []))

    def results_dir(self) -> Path:
        return paths.run_log_dir(self.task, self.mode, self.variant)

    def setting_values(self) -> dict[str, object]:
        """Every setting besides the run columns that can change this run's result (None: not applicable)."""
        values: dict[str, object] = dict.fromkeys(SETTING_COLUMNS)
        if self.modelclass != "setfit":  # smalltext also fine-tunes the default classifier on what it labelled
            training = self.settings
            values.update(learning_rate=training.learning_rate, train_batch_size=training.train_batch_size,
                          eval_batch_size=training.eval_batch_size, warmup_steps=training.warmup_steps,
                          weight_decay=training.weight_decay, max_length=training.max_length)
        values["precision"] = self.settings.precision  # training, scoring, small-text queries and SetFit alike
        labelled = labelled_list_configuration(self)
        if labelled is not None:  # a small-text run, or a run on its labelled list: the list's making is identity
            active = self.active
            values.update(query_size=active.query_size, budget=active.budget, pool_size=active.pool_size,
                          init=labelled["init"] or None, warmstart_from=labelled["warmstart_from"] or None,
                          al_epochs=active.epochs, al_learning_rate=active.learning_rate,
                          al_train_batch_size=active.train_batch_size, labelled_list=labelled_list_folder(labelled))
            if self.modelclass == "smalltext":
                values.update(warmstart_size=(self.warmstart_size or "k*i") if self.warmstart else None,
                              eval_every_iteration=self.eval_every_iteration)
            else:
                values["warmstart_size"] = labelled["warmstart_size"] or None
        if self.modelclass == "setfit":
            setfit = self.setfit
            values.update(setfit_epochs=setfit.epochs, setfit_iterations=setfit.iterations,
                          setfit_batch_size=setfit.batch_size)
        if self.uses_selector:
            values.update(embedding_model=self.selector.embedding_model, selector_pool=self.selector.candidates)
            if PROBCOVER in (self.activelearning, self.mode):
                values["probcover_delta"] = recorded_delta(self.selector)
        return values

    def identity(self) -> dict[str, str]:
        """The CSV columns, as written, by which a finished run of this configuration is recognised."""
        run_values = {
            "task": self.task, "mode": self.mode, "run": self.run, "modelclass": self.modelclass,
            "activelearning": self.activelearning or "", "warmstart": self.warmstart,
            "model": self.model_name, "epochs": self.epochs,
        }
        return {column: format_cell(value) for column, value in {**run_values, **self.setting_values()}.items()}

    def validate(self) -> None:
        """Reject unknown names (ConfigError) and combinations that would not be what their name says
        (NotApplicable), which the original silently ran as something else."""
        if self.modelclass not in MODELCLASSES:
            raise ConfigError(f"Unknown --modelclass {self.modelclass!r}; use one of {', '.join(MODELCLASSES)}.")
        if self.activelearning not in (None, RANDOM_FILTERING, *SELECTORS, *STRATEGIES):
            raise ConfigError(f"Unknown --activelearning {self.activelearning!r}. Valid: {RANDOM_FILTERING}, the "
                              f"label-free selectors {', '.join(SELECTORS)}, or a small-text strategy: "
                              f"{', '.join(STRATEGIES)}.")
        problem = self._combination_problem()
        if problem:
            raise NotApplicable(problem)

    def _combination_problem(self) -> str | None:
        """Why these options do not fit together, or None; a missing --warmstart-from is a ConfigError, since no
        grid of its options could make it apply."""
        smalltext = self.modelclass == "smalltext" or self.mode in SMALLTEXT_MODES
        if smalltext and _is_regression(self.task):
            return (f"{self.task} is a regression task; small-text strategies query classifiers, so "
                    f"--modelclass smalltext and --mode {' / '.join(SMALLTEXT_MODES)} do not apply to it.")
        if self.modelclass == "smalltext":
            if self.activelearning not in STRATEGIES:
                return (f"--modelclass smalltext needs --activelearning with a small-text strategy, got "
                        f"{self.activelearning!r}. Valid strategies: {', '.join(STRATEGIES)}.")
            if not self.warmstart and self.mode != BASELINE_MODE:
                return (f"A small-text cold start reads no list, so --mode {self.mode} would only repeat the cold "
                        f"start of --mode {BASELINE_MODE}: use --mode {BASELINE_MODE}, or --warmstart to start "
                        "from the mode's list.")
            if self.warmstart and self.mode in (BASELINE_MODE, *SMALLTEXT_MODES):
                return (f"A warm start begins with the picks of an LLM's list or a label-free selector; --mode "
                        f"{self.mode} is neither: use --mode <LLM folder> or --mode {' / '.join(SELECTORS)}.")
            return None
        if self.warmstart:
            return ("--warmstart starts small-text strategies from the LLM's picks: use it with "
                    "--modelclass smalltext.")
        if self.activelearning in (RANDOM_FILTERING, *SELECTORS) and self.mode != BASELINE_MODE:
            return (f"--activelearning {self.activelearning} chooses the rows itself and would ignore the list of "
                    f"--mode {self.mode}: use it with --mode {BASELINE_MODE}.")
        if self.activelearning in STRATEGIES and self.mode not in SMALLTEXT_MODES:
            return (f"--activelearning {self.activelearning} queries with --modelclass smalltext, or trains on its "
                    f"saved list with --mode {' / '.join(SMALLTEXT_MODES)}.")
        if self.mode in SMALLTEXT_MODES and self.activelearning not in STRATEGIES:
            return f"--mode {self.mode} reads the list of a small-text strategy: name it with --activelearning."
        if self.mode == WARM_LIST_MODE and not self.warmstart_from:
            raise ConfigError(f"--mode {WARM_LIST_MODE} trains on the labels of a small-text warm start: name its "
                              "source with --warmstart-from (the --mode of that run: an LLM folder such as "
                              f"gpt-4o_10, or {' / '.join(SELECTORS)}), and its size with --warmstart-size.")
        if self.mode in SELECTORS:
            return (f"--mode {self.mode} names a warm start for small-text (with --warmstart); to train on "
                    f"{self.mode}'s picks use --mode {BASELINE_MODE} --activelearning {self.mode}.")
        return None


COLD_LIST_MODE, WARM_LIST_MODE = SMALLTEXT_MODES


def _is_regression(task: str) -> bool:
    try:
        return parse_task_name(task).spec.is_regression
    except TaskError:  # an unknown task: the run says so when it loads it
        return False


def labelled_list_configuration(config: RunConfig) -> dict[str, str] | None:
    """The configuration that makes the small-text labelled list ``config`` writes (``--modelclass smalltext``) or
    trains on (``--mode smalltext_coldstart|smalltext_warmstart``), as CSV values; None for any other run. Both
    sides compute the same values, so a run trains on exactly the list of the run with its settings.

    The warm start's size M is ``--warmstart-size``, else k*i of the task name for the small-text run and k (its
    first iteration's) for a run on its list."""
    if config.modelclass == "smalltext":
        warm, source = config.warmstart, config.mode
        size = (config.warmstart_size or parse_task_name(config.task).n_train) if warm else None
    elif config.mode in SMALLTEXT_MODES:
        warm, source = config.mode == WARM_LIST_MODE, config.warmstart_from
        size = (config.warmstart_size or parse_task_name(config.task).examples) if warm else None
    else:
        return None
    active = config.active
    values: dict[str, object] = {
        "start": "warm" if warm else "cold", "strategy": config.activelearning,
        "warmstart_from": source if warm else None,
        "warmstart_size": size, "init": None if warm else active.init, "query_size": active.query_size,
        "budget": active.budget, "pool_size": active.pool_size or "all", "al_epochs": active.epochs,
        "al_learning_rate": active.learning_rate, "al_train_batch_size": active.train_batch_size,
        "max_length": active.max_length, "model": config.model_name, "precision": config.settings.precision,
    }
    if warm and source in SELECTORS:
        values.update(embedding_model=config.selector.embedding_model, selector_pool=config.selector.candidates)
        if source == PROBCOVER:
            values["probcover_delta"] = recorded_delta(config.selector)
    return {key: format_cell(value) for key, value in values.items()}


def labelled_list_folder(labelled: Mapping[str, str]) -> str:
    """A readable name for a labelled list's configuration, and a hash of all of it:
    ``from_gpt-4o_10_M25_q25_b100_<hash>`` (warm) or ``first_q25_b100_<hash>`` (cold)."""
    readable = (f"from_{paths.safe_name(labelled['warmstart_from'])}_M{labelled['warmstart_size']}"
                if labelled["start"] == "warm" else labelled["init"])
    digest = hashlib.sha1(json.dumps(dict(labelled), sort_keys=True).encode()).hexdigest()[:8]
    return f"{readable}_q{labelled['query_size']}_b{labelled['budget']}_{digest}"


def labelled_list_path(config: RunConfig) -> Path | None:
    """Where the small-text labelled list of ``config`` lies (written or read); None for other runs."""
    labelled = labelled_list_configuration(config)
    if labelled is None:
        return None
    mode = WARM_LIST_MODE if labelled["start"] == "warm" else COLD_LIST_MODE
    return paths.strategy_list_file(parse_task_name(config.task).tag, mode, str(config.activelearning),
                                    labelled_list_folder(labelled), config.run)


def labelled_list_record_path(list_path: Path) -> Path:
    return list_path.with_suffix(".json")


def base_row(config: RunConfig, loaded: LoadedTask) -> dict[str, object]:
    """The columns every row of the run shares: what ran, all its settings, and which LLM made its list."""
    return {
        "task": config.task, "tag": loaded.name.tag, "mode": config.mode, "modelclass": config.modelclass,
        "activelearning": config.activelearning or "", "warmstart": config.warmstart, "run": config.run,
        "model": config.model_name, "epochs": config.epochs, **config.setting_values(),
        "llm_model": selection_llm(config, loaded),
        "llm_answer_format": answer_values(loaded.name.tag, config.mode, config.run, "answer_format")
        if reads_llm_list(config) else "",  # json or text, as the answers' metadata records it
        "class_names": " | ".join(loaded.spec.class_names or ()),  # what each class index means, in order
        **(prompt_columns(loaded.name.tag, config.mode, config.run) if reads_llm_list(config)
           else dict.fromkeys(PROMPT_COLUMNS, "")),
    }


def selection_llm(config: RunConfig, loaded: LoadedTask) -> str:
    """The LLM(s) whose answers made the list this run reads (empty for baselines and lists without metadata)."""
    return llm_models(loaded.name.tag, config.mode, config.run) if reads_llm_list(config) else ""


def reads_llm_list(config: RunConfig) -> bool:
    """Whether the run reads ``answers/<tag>/<mode>/list_<run>.txt`` (an LLM's or a hand-made list)."""
    if config.modelclass == "smalltext":
        return config.warmstart and config.mode not in SELECTORS
    return (config.mode not in (BASELINE_MODE, *SMALLTEXT_MODES)
            and config.activelearning not in (RANDOM_FILTERING, *SELECTORS))


def header(config: RunConfig, loaded: LoadedTask) -> str:
    settings = ", ".join(f"{k} {format_cell(v)}" for k, v in config.setting_values().items() if v is not None)
    llm = selection_llm(config, loaded)
    return (f"task {config.task} (tag {loaded.name.tag}), mode {config.mode}, run {config.run}, "
            f"modelclass {config.modelclass}, activelearning {config.activelearning or '-'}, "
            f"warmstart {config.warmstart}, model {config.model_name}, epochs {config.epochs}, "
            f"seeds {' '.join(map(str, config.seeds))}\nsettings: {settings}"
            + (f"\nselection by LLM: {llm}" if llm else ""))


def run_inputs(config: RunConfig, loaded: LoadedTask) -> dict[str, Path | None]:
    """The files a run reads besides the model: its pool, and the list (and prompt sidecars) it trains on."""
    tag = loaded.name.tag
    inputs: dict[str, Path | None] = {"pool": paths.pool_file(loaded.spec.data_name, config.run)}
    if reads_llm_list(config):
        inputs["list"] = paths.list_file(tag, config.mode, config.run)
        for i, sidecar in enumerate(sidecar_paths(tag, config.mode, config.run)):
            inputs[f"sidecar_{i + 1}"] = sidecar
    elif config.mode in SMALLTEXT_MODES:
        inputs["list"] = labelled_list_path(config)
    return inputs


def environment_path(csv_path: Path) -> Path:
    """``run_<run>_<time>.json`` beside the CSV: the run's configuration and environment."""
    return csv_path.with_suffix(".json")


def partial_path(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".partial")


def claim_results_path(config: RunConfig) -> Path:
    """A new ``run_<run>_<time>.csv`` name, claimed by creating its ``.partial`` file exclusively: runs started in
    the same second, even in parallel processes, never share a file."""
    folder = config.results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"run_{config.run}_{paths.timestamp()}"
    for suffix in range(1000):
        path = folder / (f"{stem}.csv" if suffix == 0 else f"{stem}-{suffix}.csv")
        try:
            with open(partial_path(path), "x"):
                pass
        except FileExistsError:  # a run in flight has it
            continue
        if not path.exists():  # else a finished run had it: its .partial was renamed before we made ours
            return path
        partial_path(path).unlink()
    raise RuntimeError(f"Could not find a free results file name in {folder}.")


_RESULTS_NAME = re.compile(r"^(?P<stem>.*_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)(?:-(?P<suffix>\d+))?\.csv$")


def results_file_order(path: Path) -> tuple[str, int]:
    """Sort key putting results files in the order :func:`claim_results_path` made them: ``run_1_<time>.csv``
    before ``run_1_<time>-1.csv`` before ``-2``, which plain name order reverses (``-`` sorts before ``.``).
    A name not made there sorts by itself."""
    match = _RESULTS_NAME.match(path.name)
    return (match["stem"], int(match["suffix"] or 0)) if match else (path.stem, 0)


def finished_seeds(csv_path: Path, config: RunConfig) -> set[str]:
    """The seeds with an ok row of a trained model of ``config``'s identity in ``csv_path``."""
    try:
        rows = read_results(csv_path)
    except (OSError, ValueError):
        return set()
    identity = config.identity()
    # a column added after the file was written reads as empty: "does not apply" for that run
    return {r.get("seed", "") for r in rows if all((r.get(k) or "") == v for k, v in identity.items())
            and r.get("status") == STATUS_OK and is_final(r)}


def find_complete_results(config: RunConfig) -> Path | None:
    """The newest finished results CSV of ``config`` when the finished CSVs together hold every seed of it, else
    None. The summary merges seeds the same way (the newest row per seed wins), so a sweep cell counts as finished
    exactly when the summary has all of its seeds."""
    folder = config.results_dir()
    if not folder.is_dir():
        return None
    wanted, covered, newest = {str(s) for s in config.seeds}, set(), None
    for csv_path in sorted(folder.glob(f"run_{config.run}_*.csv"), key=results_file_order, reverse=True):
        seeds = finished_seeds(csv_path, config) & wanted
        if seeds:
            newest = newest or csv_path
            covered |= seeds
        if covered == wanted:
            return newest
    return None


class ResultsWriter:
    """Collects a run's rows and rewrites its CSV and .log after every row."""

    def __init__(self, config: RunConfig, loaded: LoadedTask, report: Callable[[str], None]):
        self.config, self.loaded, self.report = config, loaded, report
        self.path: Path | None = None  # claimed with the first row: a run that fails before has written nothing
        self.rows: list[dict[str, object]] = []
        # what every row shares, read once: the answers' metadata and the input hashes (before any list is rewritten)
        self.base = base_row(config, loaded)
        self.header = header(config, loaded)
        self.environment = environment_record(run_inputs(config, loaded))

    def add(self, row: Mapping[str, object]) -> None:
        if self.path is None:
            self.path = claim_results_path(self.config)
            record = {"configuration": self.config.identity(), "seeds": list(self.config.seeds),
                      "llm_model": self.base["llm_model"], **self.environment}
            atomic_write_text(environment_path(self.path), json.dumps(record, indent=1) + "\n")
        self.rows.append({**self.base, "status": STATUS_OK, **row})
        write_results(partial_path(self.path), self.rows, self.header, self.path.with_suffix(".log"))
        self.report(format_seed_line(self.rows[-1]))

    def finish(self) -> Path:
        """The run is complete: its CSV takes the final name (sweeps skip what has one)."""
        assert self.path is not None, "finish() after at least one row"
        os.replace(partial_path(self.path), self.path)
        return self.path


def selected_ids(loaded: LoadedTask, positions: list[int]) -> str:
    return " ".join(str(i) for i in loaded.pool["index"].iloc[positions].tolist())


def fit(config: RunConfig, spec: TaskSpec, train_df: pd.DataFrame, test, seed: int) -> FitResult:
    """One seed's model; ``test`` is the test DataFrame for SetFit, the encoded test set otherwise."""
    if config.modelclass == "setfit":
        return fit_and_evaluate_setfit(config.model_name, spec, train_df, test, seed, config.setfit,
                                       config.settings.precision)
    return fit_and_evaluate(config.model_name, spec, train_df, test, seed, config.settings)


def run_diagnostics(config: RunConfig, loaded: LoadedTask, positions: list[int],
                    report: Callable[[str], None]) -> dict[str, object]:
    """The selection diagnostics of the rows a run trains on (activellm.selection.diagnostics); empty with
    ``--no-diagnostics`` or where the embedding model cannot be loaded (said, never failing the run)."""
    if not config.diagnostics:
        return {}
    spec, pool = loaded.spec, loaded.pool
    labels = [] if spec.is_regression else pool["label"].astype(int).tolist()
    try:
        values = selection_diagnostics(positions, [labels[p] for p in positions] if labels else [], labels,
                                       spec.num_labels, spec.data_name, merged_texts(pool, spec),
                                       config.selector.embedding_model)
        if reads_llm_list(config) and config.modelclass != "smalltext":
            values.update(llm_list_diagnostics(loaded.name.tag, config.mode, config.run, len(positions),
                                               loaded.name.examples))
    except UserError as error:
        report(f"no selection diagnostics: {error}")
        return {}
    report(describe_diagnostics(values))
    return values


def train_per_seed(config: RunConfig, loaded: LoadedTask, positions: list[int], writer: ResultsWriter,
                   select_seconds: float | None = None) -> None:
    """One model per seed on the pool rows ``positions``, each row written as soon as it is done; the test set is
    encoded once for all seeds. ``select_seconds``: how long choosing the rows took (in every row of the run)."""
    diagnostics = run_diagnostics(config, loaded, positions, writer.report)
    if diagnostics:
        writer.header += "\n" + describe_diagnostics(diagnostics)
    train_df = loaded.pool.iloc[positions]
    selected = selected_ids(loaded, positions)
    test = loaded.test if config.modelclass == "setfit" else \
        encode_test_set(config.model_name, loaded.spec, loaded.test, config.settings)
    for seed in config.seeds:
        result = fit(config, loaded.spec, train_df, test, seed)
        writer.add({"seed": seed, "n_train": len(positions), **result.metrics, "train_seconds": result.train_seconds,
                    "eval_seconds": result.eval_seconds, "select_seconds": select_seconds, "selected": selected,
                    **diagnostics})


def warm_start_rows(config: RunConfig, loaded: LoadedTask, pool_size: int) -> list[int]:
    """The first M picks of the LLM's list for this task/mode/run (M = k*i of the task name or --warmstart-size),
    or M picks of a label-free selector named as the mode (``--mode vote_k --warmstart``)."""
    size = config.warmstart_size or loaded.name.n_train
    if config.mode in SELECTORS:  # the whole pool's cached embeddings, candidates within the first pool_size rows
        texts = merged_texts(loaded.pool, loaded.spec)
        folder = prompt_rows_folder(config.selector)
        if folder is not None:
            among = [r for r in shown_rows(loaded.name.tag, config.run, folder or None) if r < pool_size]
            return select_label_free(config.mode, texts, loaded.spec.data_name, size, config.run, config.selector,
                                     loaded.spec.num_labels, among)
        within = replace(config.selector, candidates=min(candidate_count(config.selector, len(texts)), pool_size))
        return select_label_free(config.mode, texts, loaded.spec.data_name, size, config.run, within,
                                 loaded.spec.num_labels)
    list_path = paths.list_file(loaded.name.tag, config.mode, config.run)
    number_map = load_number_map(loaded.name.tag, config.mode, config.run,
                                 paths.pool_file(loaded.spec.data_name, config.run))
    try:
        return listed_rows(list_path, size, pool_size, number_map)
    except AnswerError as error:
        raise AnswerError(f"A warm start uses the first {size} LLM picks of {list_path}: {error}") from error


def run_smalltext(config: RunConfig, loaded: LoadedTask, writer: ResultsWriter) -> list[int]:
    """Label the pool with a small-text strategy; save the labelled list; return it (pool positions)."""
    active = config.active
    pool_size = min(active.pool_size or len(loaded.pool), len(loaded.pool))
    pool = loaded.pool.iloc[:pool_size]
    if config.warmstart:
        initial = warm_start_rows(config, loaded, pool_size)
    else:
        initial = cold_start(pool["label"].tolist(), active.query_size, active.init, seed=config.run)
    test_set = encode_pool(config.model_name, loaded.spec, loaded.test, active.max_length) \
        if config.eval_every_iteration else None
    test_labels = loaded.test["label"].astype(int).tolist()

    def evaluate(step: Iteration) -> None:
        writer.report(f"iteration {step.iteration}: {len(step.labeled)} labelled, training {step.train_seconds:.1f} s, "
                      f"query {step.query_seconds:.1f} s")
        if test_set is None:
            return
        start = time.perf_counter()
        predictions = step.classifier.predict_proba(test_set).argmax(axis=1)
        eval_seconds = time.perf_counter() - start
        metrics = compute_metrics(loaded.spec, test_labels, predictions)
        writer.add({"seed": config.run, "iteration": step.iteration, "n_train": len(step.labeled), **metrics,
                    "train_seconds": step.train_seconds, "query_seconds": step.query_seconds,
                    "eval_seconds": eval_seconds, "selected": selected_ids(loaded, step.labeled),
                    "epochs": active.epochs})

    labeled = run_active_learning(config.model_name, loaded.spec, pool, initial, config.activelearning, active,
                                  seed=config.run, on_iteration=evaluate)
    list_path = write_labelled_list(config, loaded, labeled)
    kind = WARM_LIST_MODE if config.warmstart else COLD_LIST_MODE
    source = f" --warmstart-from {config.mode} --warmstart-size {len(initial)}" if config.warmstart else ""
    writer.report(f"labelled list: {list_path} (train on its first k*i with --mode {kind} "
                  f"--activelearning {config.activelearning}{source} and this run's small-text settings)")
    return labeled


def warm_start_source_file(config: RunConfig, loaded: LoadedTask) -> Path | None:
    """The LLM list a warm start (or a run on its labels) began from; None for cold starts and selectors."""
    labelled = labelled_list_configuration(config)
    if labelled is None or labelled["start"] != "warm" or labelled["warmstart_from"] in SELECTORS:
        return None
    return paths.list_file(loaded.name.tag, labelled["warmstart_from"], config.run)


def write_labelled_list(config: RunConfig, loaded: LoadedTask, labeled: list[int]) -> Path:
    """The labelled list and, beside it, the configuration that made it and the hash of the LLM list it began
    from (a run on the list checks both)."""
    list_path = labelled_list_path(config)
    assert list_path is not None
    source = warm_start_source_file(config, loaded)
    record = {"configuration": labelled_list_configuration(config), "task": config.task, "run": config.run,
              "source_list_sha256": file_sha256(source) if source is not None and source.is_file() else None}
    write_index_list(list_path, labeled)
    atomic_write_text(labelled_list_record_path(list_path), json.dumps(record, indent=1) + "\n")
    return list_path


def smalltext_start_command(config: RunConfig) -> str:
    """The model_training.py command of the small-text run that writes the labelled list ``config`` trains on
    (``--mode smalltext_coldstart|smalltext_warmstart``): every option its configuration names, given explicitly
    (the warm start's size M above all, which defaults to k*i there and to k here)."""
    labelled = labelled_list_configuration(config)
    assert labelled is not None and config.modelclass != "smalltext"
    warm = labelled["start"] == "warm"
    argv = ["python", "model_training.py", "--task", config.task, "--run", str(config.run), "--modelclass",
            "smalltext", "--activelearning", labelled["strategy"]]
    argv += (["--warmstart", "--mode", labelled["warmstart_from"], "--warmstart-size", labelled["warmstart_size"]]
             if warm else ["--mode", BASELINE_MODE, "--init", labelled["init"]])
    argv += ["--query-size", labelled["query_size"], "--budget", labelled["budget"], "--al-epochs",
             labelled["al_epochs"], "--model", labelled["model"], "--precision", labelled["precision"]]
    if config.active.pool_size:
        argv += ["--pool-size", labelled["pool_size"]]
    if "embedding_model" in labelled:  # a selector's warm start
        argv += ["--embedding-model", labelled["embedding_model"], "--selector-pool", labelled["selector_pool"]]
        if config.selector.probcover_delta is not None:
            argv += ["--probcover-delta", labelled["probcover_delta"]]
    return shlex.join(argv)


def labelled_list_rows(config: RunConfig, loaded: LoadedTask) -> list[int]:
    """The first k*i rows of the labelled list of the small-text run with ``config``'s settings, after checking
    that the list was made by exactly that configuration from the LLM list as it is now."""
    list_path = labelled_list_path(config)
    assert list_path is not None
    if not list_path.is_file():
        folder = list_path.parent.parent
        made = sorted(p.parent.name for p in folder.glob(f"*/list_{config.run}.txt")) if folder.is_dir() else []
        others = f"\nLists of run {config.run} made with other settings: {', '.join(made)}." if made else ""
        raise AnswerError(f"No labelled list {list_path}; the small-text run that makes it:\n    "
                          f"{smalltext_start_command(config)}{others}")
    record_path = labelled_list_record_path(list_path)
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    if record.get("configuration") != labelled_list_configuration(config):
        raise AnswerError(f"{list_path} has no record of the configuration that made it, or another one "
                          f"({record_path}); run the small-text start again to remake it.")
    source = warm_start_source_file(config, loaded)
    if source is not None and record.get("source_list_sha256") != (file_sha256(source) if source.is_file() else None):
        raise AnswerError(f"{list_path} was labelled from an earlier version of {source}; run the small-text warm "
                          "start again (--redo) so that its labels follow the list as it is now.")
    return listed_rows(list_path, loaded.name.n_train, len(loaded.pool))


def chosen_rows(config: RunConfig, loaded: LoadedTask) -> list[int]:
    """The pool positions a run of the default classifier (or SetFit) trains on: a small-text labelled list's, an LLM
    list's (mapped through its prompts' sidecars), a selector's, random rows or the first rows."""
    if config.mode in SMALLTEXT_MODES:
        return labelled_list_rows(config, loaded)
    number_map = load_number_map(loaded.name.tag, config.mode, config.run,
                                 paths.pool_file(loaded.spec.data_name, config.run))
    return select_rows(loaded.name, config.mode, config.run, config.activelearning,
                       merged_texts(loaded.pool, loaded.spec), number_map, config.selector, loaded.spec.num_labels)


def run_experiment(config: RunConfig, report: Callable[[str], None] = print) -> Path:
    """Run ``config`` and return its results CSV."""
    config.validate()
    check_precision(config.settings.precision)
    loaded = load_task(config.task, config.run)
    if not loaded.spec.labelled:
        raise TaskError(f"Task {config.task!r} is a pool without labels: nothing to train or evaluate on. Write the "
                        "run's picks for annotators with --export-labelling FILE.csv (or .json for Label Studio), then "
                        "train on their labels with --labels FILE --predict OUT.csv (docs/your-own-data.md).")
    writer = ResultsWriter(config, loaded, report)
    report(f"{writer.header}; device {describe_device()}")
    start = time.perf_counter()
    if config.modelclass == "smalltext":
        positions = run_smalltext(config, loaded, writer)  # then the default classifier on what it labelled
    else:
        positions = chosen_rows(config, loaded)
    select_seconds = time.perf_counter() - start  # a selector's, or small-text's whole labelling loop
    train_per_seed(config, loaded, positions, writer, select_seconds)
    csv_path = writer.finish()
    for line in format_means([r for r in writer.rows if is_final(r)]):
        report(line)
    report(f"results: {csv_path}")
    return csv_path

