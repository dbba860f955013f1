"""automatic_run.py's work: run a grid's cells as model_training.py would (in a long-lived worker or its own
process, activellm.sweep.local_backend), resume.

A cell is skipped when a complete results CSV for the same configuration exists (``--redo`` runs it again), recorded
in the sweep status file when it fails (the sweep goes on), and interrupted cleanly by Ctrl-C: finished cells stay
finished, and a cell in flight leaves no results CSV (model_training.py writes a ``.partial`` file and renames it
only when every seed is done).
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from activellm import paths
from activellm.files import atomic_write_text
from activellm.sweep.grid import Cell
from activellm.training.experiment import find_complete_results, labelled_list_path

TAIL_LINES = 20
LEFT_OUT = "left out"  # a combination of the grid that does not apply (a selector with an LLM's list, ...)
STATES = ("done", "skipped", "failed", LEFT_OUT, "interrupted")


@dataclass
class Outcome:
    cell: Cell
    state: str  # one of STATES
    seconds: float = 0.0
    returncode: int | None = None
    log: str = ""
    tail: list[str] = field(default_factory=list)
    error: str | None = None  # why the cell could not start (its LLM list could not be had)

    def as_json(self) -> dict:
        return {"cell": self.cell.name, "state": self.state, "command": self.cell.command(), "returncode": self.returncode,
                "seconds": round(self.seconds, 1), "log": self.log, "output_tail": self.tail,
                "problem": self.cell.problem, "error": self.error}


def _options(argv: Sequence[str]) -> dict[str, str]:
    """A cell's command line as option -> value (a flag alone: "true")."""
    options: dict[str, str] = {}
    key = None
    for token in argv:
        if token.startswith("--"):
            key, options[token] = token, "true"
        elif key is not None:
            options[key], key = token, None
    return options


BUDGET_OPTIONS = ("--budget", "--query-size")  # Grid.budget_argv's: they follow --task and --modelclass


def varying_options(cells: Sequence[Cell]) -> list[str]:
    """The options whose values differ between the cells that can run: what tells them apart (the run last). The
    small-text budget options the grid derives from the task are never what tells two cells apart."""
    runnable = [_options(c.argv) for c in cells if c.config is not None]
    keys = dict.fromkeys(k for options in runnable for k in options if k not in BUDGET_OPTIONS)
    varying = [k for k in keys if len({options.get(k) for options in runnable}) > 1]
    return sorted(varying, key=lambda k: k == "--run")


def short_label(cell: Cell, varying: Sequence[str]) -> str:
    """The cell as the progress bar names it: the values that vary, e.g. ``default · vote_k · run 3``."""
    options = _options(cell.argv)
    return " · ".join(f"run {options[k]}" if k == "--run" else options.get(k, f"no {k[2:]}") for k in varying)


def _tail(path: Path) -> list[str]:
    """The last lines of a cell's output, for the status file."""
    try:
        return list(deque(path.read_text(encoding="utf-8", errors="replace").splitlines(), TAIL_LINES))
    except OSError:
        return []


def cell_state(cell: Cell, redo: bool) -> str:
    """What a sweep does with a cell: LEFT_OUT, "skipped" (its complete results exist) or "run"."""
    if cell.config is None:
        return LEFT_OUT
    if not redo and find_complete_results(cell.config) is not None:
        return "skipped"
    return "run"


class Sweep:
    """Runs cells on a backend (local processes by default, or Ray) and keeps the status file current; skipping,
    the status file, the progress bar and Ctrl-C behave the same whatever the backend.

    ``lists`` maps a cell's name to the LLM list it needs (activellm.sweep.llm_lists); ``keeper`` asks for such lists
    in the background, and a cell starts once its list is complete (or fails with the LLM's error)."""

    def __init__(self, cells: list[Cell], jobs: int = 1, redo: bool = False,
                 status_path: Path | None = None, log_dir: Path | None = None,
                 lists: dict | None = None, keeper=None, backend=None, workers: bool = True):
        from activellm.sweep.local_backend import LocalBackend

        self.cells, self.redo = cells, redo
        self.backend = backend or LocalBackend(jobs, workers)
        self.status_path = status_path or paths.project_root() / "logs" / "sweep" / "status.json"
        self.log_dir = log_dir or paths.project_root() / "logs" / "sweep"
        self.outcomes: list[Outcome] = []
        self.lists, self.keeper = lists or {}, keeper
        self.states: dict[int, str] = {}  # a recorded cell's state, by id
        # the small-text cell of this sweep that labels the list a cell trains on
        producers = {labelled_list_path(c.config): c for c in cells if c.config and c.config.modelclass == "smalltext"}
        self.producers = {id(c): producer for c in cells if c.config and c.config.modelclass != "smalltext"
                          and (producer := producers.get(labelled_list_path(c.config))) is not None}

    def _producer_ready(self, cell: Cell, progress) -> bool | None:
        """True when the cell may start, False while the small-text cell labelling its list has not finished,
        None when that cell failed (the failure is recorded)."""
        producer = self.producers.get(id(cell))
        if producer is None:
            return True
        state = self.states.get(id(producer))
        if state is None:
            return False
        if state in ("done", "skipped"):
            return True
        self._record(Outcome(cell, "failed", error=f"the small-text cell that labels its list {state}: "
                                                   f"{producer.name}"), progress)
        return None

    def _save_status(self) -> None:
        counts = {state: sum(o.state == state for o in self.outcomes) for state in STATES}
        atomic_write_text(self.status_path, json.dumps({"cells": len(self.cells), **counts,
                                                        "outcomes": [o.as_json() for o in self.outcomes]}, indent=1))

    def _record(self, outcome: Outcome, progress) -> None:
        self.outcomes.append(outcome)
        self.states[id(outcome.cell)] = outcome.state
        self._save_status()
        if outcome.state != LEFT_OUT:  # combinations that do not apply are listed, not counted as cells of the bar
            progress.update()
        if outcome.state == "failed":
            progress.write(f"FAILED ({outcome.error or outcome.returncode}): {outcome.cell.name}"
                           + (f"; see {outcome.log}" if outcome.log else ""))

    def _list_ready(self, cell: Cell, progress) -> bool | None:
        """True when the cell may start, False while its LLM list is being asked for, None when that failed
        (the failure is recorded)."""
        request = self.lists.get(cell.name)
        if request is None or self.keeper is None:
            return True
        future = self.keeper.future(request)
        if not future.done():
            return False
        error = future.exception()
        if error is not None:
            self._record(Outcome(cell, "failed", error=f"LLM list {request.arm.folder} for {request.tag} run "
                                                       f"{request.run}: {error}"), progress)
            return None
        return True

    def run(self) -> list[Outcome]:
        from tqdm.auto import tqdm

        pending = list(self.cells)
        looked_up: dict[int, str] = {}  # cell_state, read once: a waiting cell is looked at again
        free = deque(range(self.backend.slots))
        running: dict[int, tuple[object, Cell, Path, float]] = {}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        runnable = sum(cell.config is not None for cell in self.cells)
        varying = varying_options(self.cells)
        with tqdm(total=runnable, desc="sweep", unit="cell", dynamic_ncols=True) as progress:
            try:
                while pending or running:
                    for cell in list(pending):
                        if not free:
                            break
                        if id(cell) not in looked_up:
                            looked_up[id(cell)] = cell_state(cell, self.redo)
                        state = looked_up[id(cell)]
                        if state != "run":
                            pending.remove(cell)
                            self._record(Outcome(cell, state), progress)
                            continue
                        ready = self._producer_ready(cell, progress)
                        if ready is True:
                            ready = self._list_ready(cell, progress)
                        if ready is False:
                            continue  # its list is on its way; later cells may start meanwhile
                        pending.remove(cell)
                        if ready is None:
                            continue
                        slot = free.popleft()
                        log = self.log_dir / f"{cell.name}.log"
                        running[slot] = (self.backend.start(cell, slot, log), cell, log, time.perf_counter())
                        progress.set_postfix_str(f"started {short_label(cell, varying)}")
                    for slot, (handle, cell, log, started) in list(running.items()):
                        returncode = self.backend.poll(handle, log)
                        if returncode is None:
                            continue
                        del running[slot]
                        free.append(slot)
                        state = "done" if returncode == 0 else "failed"
                        self._record(Outcome(cell, state, time.perf_counter() - started, returncode, str(log),
                                             _tail(log)), progress)
                    time.sleep(0.2)
            except KeyboardInterrupt:
                for handle, cell, log, started in running.values():
                    returncode = self.backend.stop(handle)
                    self.outcomes.append(Outcome(cell, "interrupted", time.perf_counter() - started, returncode,
                                                 str(log), _tail(log)))
                self._save_status()
                raise
            finally:
                if self.keeper is not None:
                    self.keeper.close(cancel=True)  # an ask in flight finishes on its own; its files are atomic
                self.backend.close()
        return self.outcomes
