"""Which rows of a run's pool a run trains on.

* ``--mode baseline``: the first N rows of the pool (the paper's random baseline: the pool is shuffled);
* ``--activelearning random_filtering``: N rows drawn from the pool with the run as seed;
* ``--activelearning embedding_kmeans|vote_k|typiclust|probcover``: N rows chosen without labels (see
  activellm.selection.label_free);
* ``--mode smalltext_coldstart|smalltext_warmstart --activelearning <Strategy>``: the first N of the rows a
  small-text run labelled (activellm.training.experiment.labelled_list_rows);
* any other mode: the first N numbers of ``answers/<tag>/<mode>/list_<run>.txt``.

N is k times the iteration of the task name (``sst2`` 32, ``sst2_25_cont_index_recap_4`` 100).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from activellm import paths
from activellm.data.tasks import TaskName
from activellm.errors import UserError
from activellm.prompts.answers import numbers_to_positions, read_index_list
from activellm.prompts.build import shown_rows
from activellm.selection.label_free import SELECTORS, SelectorSettings, prompt_rows_folder, select_label_free

BASELINE_MODE = "baseline"
RANDOM_FILTERING = "random_filtering"
SMALLTEXT_MODES = ("smalltext_coldstart", "smalltext_warmstart")


class SelectionError(UserError, ValueError):
    """A selection that cannot be made; the message says why and how to fix it."""


def first_rows(n: int, pool_size: int) -> list[int]:
    if n > pool_size:
        raise SelectionError(f"{n} examples asked for, but the pool has only {pool_size} rows.")
    return list(range(n))


def random_rows(n: int, pool_size: int, seed: int) -> list[int]:
    if n > pool_size:
        raise SelectionError(f"{n} examples asked for, but the pool has only {pool_size} rows.")
    return [int(i) for i in np.random.default_rng(seed).choice(pool_size, size=n, replace=False)]


def listed_rows(list_path: Path, n: int, pool_size: int, number_map: Mapping[int, int] | None = None) -> list[int]:
    """The pool positions of the first ``n`` numbers of a list file."""
    return numbers_to_positions(read_index_list(list_path, n), list_path, pool_size, number_map)


def select_rows(task: TaskName, mode: str, run: int, activelearning: str | None, pool_texts: Sequence[str],
                number_map: Mapping[int, int] | None = None,
                selector: SelectorSettings = SelectorSettings(), classes: int = 2) -> list[int]:
    """Pool positions, in selection order, that a run of ``task``/``mode`` trains on (``classes``: the task's
    number of classes, for ProbCover's radius rule)."""
    n = task.n_train
    pool_size = len(pool_texts)
    if activelearning == RANDOM_FILTERING:
        return random_rows(n, pool_size, seed=run)
    if activelearning in SELECTORS:
        folder = prompt_rows_folder(selector)
        among = shown_rows(task.tag, run, folder or None) if folder is not None else None
        return select_label_free(activelearning, pool_texts, task.spec.data_name, n, run, selector, classes, among)
    if mode == BASELINE_MODE:
        return first_rows(n, pool_size)
    return listed_rows(paths.list_file(task.tag, mode, run), n, pool_size, number_map)
