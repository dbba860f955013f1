"""What the stopping rule did, kept beside a grid's reports so that a later report says what the sweep said.

``--until-width W --max-runs N`` adds rounds of runs; its verdict decides at the sequential level of the looks at
which it could stop (activellm.reporting.power). A report rebuilt from the runs given later cannot know those looks,
nor which runs were the confirmation's, so the sweep records them in ``stopping_rule.json`` (its grid, each round's
runs, the confirmation runs, the looks, W, N and why it stopped) and every later report of the same grid reads them:
``--summary`` after the rule prints and writes the verdict the sweep printed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

from activellm.errors import UserError
from activellm.files import atomic_write_text

STOPPING_FILE = "stopping_rule.json"


@dataclass(frozen=True)
class StoppingRecord:
    """One stopping-rule sweep of a grid: ``grid`` the settings that make its cells (all but the runs), ``rounds``
    the runs of each round in order, ``confirm`` the confirmation runs reported apart, ``looks`` the run counts at
    which it could stop, ``stopped`` why it stopped (empty while it runs)."""

    grid: dict[str, object]
    rounds: list[list[int]]
    confirm: list[int]
    looks: list[int]
    until_width: float
    max_runs: int
    stopped: str = ""

    @property
    def runs(self) -> list[int]:
        """The exploration's runs: every round's."""
        return sorted(run for block in self.rounds for run in block)


def write_record(folder: Path, record: StoppingRecord) -> Path:
    path = Path(folder) / STOPPING_FILE
    atomic_write_text(path, json.dumps(asdict(record), indent=1) + "\n")
    return path


def read_record(folder: Path) -> StoppingRecord | None:
    """The record of the last stopping-rule sweep whose reports go to ``folder``, or None."""
    path = Path(folder) / STOPPING_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StoppingRecord(**data)
    except (json.JSONDecodeError, TypeError) as error:
        raise UserError(f"{path} cannot be read ({error}): it records what a stopping-rule sweep did; run that sweep "
                        "again (finished cells are skipped) to write it anew.") from None


def span(runs: list[int]) -> str:
    """``1-10, 21-40``: runs as ranges."""
    ordered, parts = sorted(set(runs)), []
    for run in ordered:
        if parts and run == parts[-1][1] + 1:
            parts[-1][1] = run
        else:
            parts.append([run, run])
    return ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in parts)


def applies(record: StoppingRecord, grid: Mapping[str, object]) -> bool:
    """Whether ``record`` is of the grid whose settings (all but the runs) are ``grid``."""
    return record.grid == json.loads(json.dumps(dict(grid)))
