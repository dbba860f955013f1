"""The seeded, cached pool of a run, and a task loaded for a run (``load_task``).

For run ``r`` the pool is the task's train split shuffled with seed ``r`` and cached as
``data/<data_name>/df_train_full_shuffled_<r>.csv``, with a column ``index`` holding the row id in the
unshuffled split. The same file serves prompt generation, training and active learning. An existing file is
read as it is, never rewritten: a user can drop in the authors' own shuffles (without an ``index`` column, each
row's id is found by its content). It must still hold the split's
rows: a pool whose rows differ from the split's (a label fixed in ``df_train_full.csv`` after the pool was made)
is refused, never trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from activellm import paths
from activellm.data.loading import load_splits, read_task_csv
from activellm.data.tasks import TaskError, TaskName, TaskSpec, parse_task_name
from activellm.files import atomic_write_text


def shuffle_pool(train: pd.DataFrame, run: int) -> pd.DataFrame:
    """The train split in the order of run ``run``: a seeded permutation, ``index`` = original row id."""
    with_index = train.copy()
    with_index.insert(0, "index", range(len(train)))
    return with_index.sample(frac=1.0, random_state=run).reset_index(drop=True)


def load_pool(spec: TaskSpec, train: pd.DataFrame, run: int) -> pd.DataFrame:
    """The cached pool of ``run``; shuffles ``train`` and writes the cache on first use."""
    path = paths.pool_file(spec.data_name, run)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, shuffle_pool(train, run).to_csv(index=False))
    pool = read_task_csv(path, spec)
    if "index" not in pool.columns:  # a dropped-in file without ids: each row's id found by its content
        check_pool(pool, train, spec, path, by_id=False)
        pool.insert(0, "index", split_ids(pool, train, spec))
    else:
        check_pool(pool, train, spec, path, by_id=True)
    return pool


def split_ids(pool: pd.DataFrame, train: pd.DataFrame, spec: TaskSpec) -> list[int]:
    """The row id in the split of each row of ``pool`` (which holds the split's rows in another order), by its texts
    and label; identical rows take their ids in order. Every id the tool writes (exports, predictions, ``selected``)
    is then the split's."""
    columns = [*spec.text_columns, "label"]
    ids: dict[tuple, list[int]] = {}
    for row_id, key in enumerate(map(tuple, train[columns].astype(str).values)):
        ids.setdefault(key, []).append(row_id)
    return [ids[key].pop(0) for key in map(tuple, pool[columns].astype(str).values)]


def check_pool(pool: pd.DataFrame, train: pd.DataFrame, spec: TaskSpec, path, by_id: bool) -> None:
    """Refuse a pool that does not hold the split's rows: by row id where it has ids, else as a set of rows."""
    columns = [*spec.text_columns, "label"]
    differs = len(pool) != len(train)
    if not differs and by_id:
        ids = pd.to_numeric(pool["index"], errors="coerce")
        differs = bool(ids.isna().any() or (ids < 0).any() or (ids >= len(train)).any())
        if not differs:
            expected = train.iloc[ids.astype(int)][columns].astype(str).reset_index(drop=True)
            differs = not expected.equals(pool[columns].astype(str).reset_index(drop=True))
    elif not differs:
        differs = sorted(map(tuple, pool[columns].astype(str).values)) != \
            sorted(map(tuple, train[columns].astype(str).values))
    if differs:
        raise TaskError(
            f"{path} no longer holds the rows of the task's train split ({len(pool)} rows there, {len(train)} in the "
            f"split, or rows whose text or label changed): the split changed after the pool was made. Delete "
            f"{path.parent}/df_train_full_shuffled_*.csv to rebuild the pools from it (prompts, answers and results "
            f"made from the old pools then no longer apply: their sidecars record the old pool's hash).")


@dataclass
class LoadedTask:
    """A task as a run sees it: its parsed name, spec, the run's pool and the test split."""

    name: TaskName
    spec: TaskSpec
    pool: pd.DataFrame
    test: pd.DataFrame


def load_task(task: str, run: int) -> LoadedTask:
    """Parse ``task``, load its splits and the run's pool."""
    name = parse_task_name(task)
    spec, train, test = load_splits(name.spec)
    return LoadedTask(name, spec, load_pool(spec, train, run), test)
