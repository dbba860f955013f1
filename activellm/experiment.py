"""One run of model_training.py: task → pool → selection → a fine-tuned model per seed → CSV and .log."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd

from activellm import paths
from activellm.pools import load_pool
from activellm.prompts import load_number_map
from activellm.results import STATUS_OK, format_means, format_seed_line, read_results, write_results
from activellm.selection import select_rows
from activellm.tasks import TaskName, TaskSpec, load_splits, parse_task_name
from activellm.training import PAPER_MODEL, PAPER_SEEDS, TrainingSettings, fit_and_evaluate

DEFAULT_MODELCLASS = "default"


@dataclass(frozen=True)
class RunConfig:
    """Everything that identifies a run; the same fields make the identity of a sweep cell."""

    task: str
    mode: str
    run: int
    modelclass: str = DEFAULT_MODELCLASS
    activelearning: str | None = None
    warmstart: bool = False
    model: str = PAPER_MODEL
    seeds: tuple[int, ...] = PAPER_SEEDS
    settings: TrainingSettings = field(default_factory=TrainingSettings)

    @property
    def variant(self) -> str:
        """Sub-folder of the results that separates model classes sharing a task and mode."""
        if self.modelclass == DEFAULT_MODELCLASS:
            return ""
        if self.modelclass == "smalltext":
            return f"smalltext/{self.activelearning}_{'warmstart' if self.warmstart else 'coldstart'}"
        return self.modelclass

    def results_dir(self) -> Path:
        return paths.run_log_dir(self.task, self.mode, self.variant)

    def identity(self) -> dict[str, str]:
        """The CSV columns by which a finished run of this configuration is recognised."""
        return {
            "task": self.task, "mode": self.mode, "run": str(self.run), "modelclass": self.modelclass,
            "activelearning": self.activelearning or "", "warmstart": str(self.warmstart),
            "model": self.model, "epochs": str(self.settings.epochs),
        }


@dataclass
class LoadedTask:
    name: TaskName
    spec: TaskSpec
    pool: pd.DataFrame
    test: pd.DataFrame


def load_task(task: str, run: int) -> LoadedTask:
    """Parse ``task``, load its splits and the run's pool."""
    name = parse_task_name(task)
    spec, train, test = load_splits(name.spec)
    return LoadedTask(name, spec, load_pool(spec, train, run), test)


def base_row(config: RunConfig, loaded: LoadedTask) -> dict[str, object]:
    return {
        "task": config.task, "tag": loaded.name.tag, "mode": config.mode, "modelclass": config.modelclass,
        "activelearning": config.activelearning or "", "warmstart": config.warmstart, "run": config.run,
        "model": config.model, "epochs": config.settings.epochs,
    }


def header(config: RunConfig, loaded: LoadedTask, n_train: int) -> str:
    return (f"task {config.task} (tag {loaded.name.tag}), mode {config.mode}, run {config.run}, "
            f"modelclass {config.modelclass}, activelearning {config.activelearning or '-'}, "
            f"warmstart {config.warmstart}, model {config.model}, n_train {n_train}, "
            f"epochs {config.settings.epochs}, seeds {' '.join(map(str, config.seeds))}")


def new_results_path(config: RunConfig) -> Path:
    folder = config.results_dir()
    stem = f"run_{config.run}_{paths.timestamp()}"
    path, suffix = folder / f"{stem}.csv", 1
    while path.exists():  # two runs in the same second
        path, suffix = folder / f"{stem}-{suffix}.csv", suffix + 1
    return path


def is_complete(csv_path: Path, config: RunConfig) -> bool:
    """Whether ``csv_path`` holds an ok row for every seed of ``config`` with the same identity."""
    try:
        rows = read_results(csv_path)
    except (OSError, ValueError):
        return False
    identity = config.identity()
    matching = [r for r in rows if all(r.get(k) == v for k, v in identity.items()) and r.get("status") == STATUS_OK]
    return {r.get("seed") for r in matching} >= {str(s) for s in config.seeds}


def find_complete_results(config: RunConfig) -> Path | None:
    folder = config.results_dir()
    if not folder.is_dir():
        return None
    for csv_path in sorted(folder.glob(f"run_{config.run}_*.csv"), reverse=True):
        if is_complete(csv_path, config):
            return csv_path
    return None


def train_on_selection(config: RunConfig, loaded: LoadedTask, positions: list[int],
                       extra: Mapping[str, object] | None = None, csv_path: Path | None = None,
                       rows: list[dict[str, object]] | None = None,
                       report: Callable[[str], None] = print) -> tuple[Path, list[dict[str, object]]]:
    """Fine-tune one model per seed on the pool rows ``positions``; write the CSV after every seed.

    ``rows`` already written to ``csv_path`` are kept (active learning adds one group per iteration).
    """
    csv_path = csv_path or new_results_path(config)
    rows = rows if rows is not None else []
    train_df = loaded.pool.iloc[positions]
    selected = " ".join(str(i) for i in train_df["index"].tolist())
    title = header(config, loaded, len(positions))
    for seed in config.seeds:
        fit = fit_and_evaluate(config.model, loaded.spec, train_df, loaded.test, seed, config.settings)
        row = {**base_row(config, loaded), "seed": seed, "n_train": len(positions), **fit.metrics,
               "train_seconds": fit.train_seconds, "eval_seconds": fit.eval_seconds, "selected": selected,
               "status": STATUS_OK, **(extra or {})}
        rows.append(row)
        write_results(csv_path, rows, title)
        report(format_seed_line(row))
    return csv_path, rows


def run_experiment(config: RunConfig, report: Callable[[str], None] = print) -> Path:
    """Run ``config`` with the default model class and return the results CSV."""
    loaded = load_task(config.task, config.run)
    number_map = load_number_map(loaded.name.tag, config.mode, config.run,
                                 paths.pool_file(loaded.spec.data_name, config.run))
    positions = select_rows(loaded.name, config.mode, config.run, config.activelearning, len(loaded.pool),
                            number_map)
    report(header(config, loaded, len(positions)))
    csv_path, rows = train_on_selection(config, loaded, positions, report=report)
    for line in format_means(rows):
        report(line)
    report(f"results: {csv_path}")
    return csv_path
