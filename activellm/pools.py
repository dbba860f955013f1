"""The seeded, cached pool of a run.

For run ``r`` the pool is the task's train split shuffled with seed ``r`` and cached as
``data/<data_name>/df_train_full_shuffled_<r>.csv``, with a column ``index`` holding the row id in the
unshuffled split. The same file serves prompt generation, training and active learning. An existing file is
read as it is, never rewritten: a user can drop in the authors' own shuffles.
"""

from __future__ import annotations

import pandas as pd

from activellm import paths
from activellm.files import atomic_write_text
from activellm.tasks import TaskSpec, read_task_csv


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
    if "index" not in pool.columns:
        pool.insert(0, "index", range(len(pool)))  # a dropped-in file without ids: positions stand in
    return pool
