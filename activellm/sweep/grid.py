"""A grid expanded into cells: every combination of its tasks (at each budget), modes, runs, model classes,
strategies, warm starts, models and epochs, as model_training.py command lines.

A cell is one model_training.py command line with the RunConfig model_training.py parses from it, so that the sweep
and the script never disagree; a combination that does not apply (a selector with an LLM's list, ...) is a cell left
out, with the reason. activellm.sweep.runner runs the cells.
"""

from __future__ import annotations

import hashlib
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from activellm import paths
from activellm.cli import has_option
from activellm.data.tasks import budget_task, names_budget, parse_task_name
from activellm.errors import UserError
from activellm.selection.rows import SMALLTEXT_MODES
from activellm.training.experiment import NotApplicable, RunConfig
from activellm.training.results import IDENTITY_COLUMNS

SCRIPT = paths.REPOSITORY / "model_training.py"


@dataclass(frozen=True)
class Grid:
    tasks: Sequence[str]
    modes: Sequence[str]
    runs: Sequence[int]
    modelclasses: Sequence[str]
    activelearning: Sequence[str]
    warmstart: Sequence[bool]
    models: Sequence[str]
    seeds: Sequence[int]
    epochs: Sequence[int]
    extra_args: Sequence[str] = ()
    budgets: Sequence[int] = ()  # k of every arm, for tasks named without k (activellm.reporting.budgets)
    random_budgets: Sequence[int] = ()  # further k of the random baseline alone: its curve for random equivalents

    def task_budgets(self) -> list[TaskBudget]:
        """Every task at every budget: a task named without k at each of BUDGETS (none: the task's own k) with every
        arm, and at each further budget of RANDOM_BUDGETS with the random baseline alone; a task that names its k
        (rotten_tomatoes_16, a continuous task) at that k."""

        pairs: list[TaskBudget] = []
        for task in self.tasks:
            parsed = parse_task_name(task)
            if names_budget(task):
                pairs.append(TaskBudget(task, parsed.n_train, axis=False, arms=True))
                continue
            arms = list(self.budgets) or [parsed.examples]
            pairs += [TaskBudget(budget_task(task, k), k, axis=True, arms=k in arms)
                      for k in sorted({*arms, *self.random_budgets})]
        return pairs

    def budget_argv(self, budget: TaskBudget) -> list[str]:
        """A budget's small-text options (for small-text cells and cells on a small-text list): --budget k, and a
        query size of k/2 unless the extra options give one (a cold start of k/2 random rows, one query of k/2). A
        task that names its k keeps a --budget of the extra options (the budget axis refuses one, check_budgets)."""
        if not budget.axis and has_option(self.extra_args, "--budget"):
            return []
        query = [] if has_option(self.extra_args, "--query-size") else ["--query-size", str(max(1, budget.k // 2))]
        return ["--budget", str(budget.k), *query]


@dataclass(frozen=True)
class TaskBudget:
    """One task at one budget of a grid."""

    task: str  # the task's name at this budget (rotten_tomatoes_16)
    k: int  # the labelled instances
    axis: bool  # given by the budget axis, not named by the task
    arms: bool  # every arm runs here; else the random baseline alone (its curve for random-equivalent labels)


@dataclass
class Cell:
    argv: list[str]
    config: RunConfig | None
    problem: str | None = None  # why the combination does not apply

    @property
    def name(self) -> str:
        """A file-name-safe name: the option values, shortened, and a hash of the whole command line."""
        values = [a for a in self.argv if not a.startswith("--")] + ["warmstart"] * ("--warmstart" in self.argv)
        readable = "_".join(v.replace("/", "-").replace(" ", "-") for v in values)[:120]
        return f"{readable}-{hashlib.sha1(' '.join(self.argv).encode()).hexdigest()[:8]}"

    @property
    def script(self) -> Path:
        return SCRIPT

    def command(self) -> list[str]:
        return [sys.executable, str(self.script), *self.argv]


def check_budgets(task_budgets: Sequence[TaskBudget], extra_args: Sequence[str]) -> None:
    """The sweep sets each small-text cell's --budget to the k of its task: a fixed --budget (or --budget=N) in the
    extra options would train every budget's small-text cells on one and the same budget."""
    if any(budget.axis for budget in task_budgets) and has_option(extra_args, "--budget"):
        raise UserError("--budget in EXTRA_ARGS/--extra conflicts with the budget axis (BUDGETS/--budgets): the "
                        "sweep gives each small-text cell --budget k of its task. Remove --budget from the extra "
                        "options, or name k in the task (e.g. rotten_tomatoes_16) to keep a fixed budget.")


def expand(grid: Grid, parse: Callable[[list[str]], RunConfig]) -> list[Cell]:
    """Every combination of the grid as a cell; ``parse`` turns a command line into its RunConfig (the one
    model_training.py uses), so that skipping and running never disagree. A combination that does not apply is a
    cell left out, with the reason; an unknown name (a typo in the grid) raises ConfigError."""
    from activellm.reporting.summary import is_random_baseline

    task_budgets = grid.task_budgets()
    check_budgets(task_budgets, grid.extra_args)
    cells = []
    for budget, mode, run, modelclass, activelearning, warm, model, epochs in itertools.product(
            task_budgets, grid.modes, grid.runs, grid.modelclasses, grid.activelearning, grid.warmstart,
            grid.models, grid.epochs):
        selects = activelearning not in (None, "None", "")
        random = not warm and is_random_baseline({"mode": mode, "modelclass": modelclass,
                                                   "activelearning": activelearning if selects else ""})
        if not budget.arms and not random:
            continue  # a budget of the random curve alone
        argv = ["--task", budget.task, "--mode", mode, "--run", str(run), "--modelclass", modelclass]
        if selects:
            argv += ["--activelearning", activelearning]
        if warm:
            argv.append("--warmstart")
        argv += ["--model", model, "--seeds", " ".join(map(str, grid.seeds)), "--epochs", str(epochs),
                 *(grid.budget_argv(budget) if modelclass == "smalltext" or mode in SMALLTEXT_MODES else []),
                 *grid.extra_args]
        config = parse(argv)
        try:
            config.validate()
            cells.append(Cell(argv, config))
        except NotApplicable as error:
            cells.append(Cell(argv, None, str(error)))
    return cells


def grid_rows(entries: Sequence[dict[str, object]], cells: Sequence[Cell],
              runs: bool = False) -> list[dict[str, object]]:
    """The entries of the grid's own configurations (a cell's identity without its run), or with ``runs`` the result
    rows of its very cells (with the run): what the stopping rule waits for and what a report holds, never an older
    arm or another grid's run that happens to lie in logs/run."""
    keys = [k for k in IDENTITY_COLUMNS if runs or k != "run"]
    wanted = {tuple(cell.config.identity()[k] for k in keys) for cell in cells if cell.config is not None}
    return [entry for entry in entries if tuple(str(entry.get(k, "")) for k in keys) in wanted]
