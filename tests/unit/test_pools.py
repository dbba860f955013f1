from activellm import paths
from activellm.data.loading import load_splits
from activellm.data.pools import load_pool, shuffle_pool
from activellm.data.tasks import get_spec
from tests.conftest import write_local_task


def _spec_and_train(root):
    write_local_task(root)
    spec, train, _ = load_splits(get_spec("tiny"))
    return spec, train


def test_same_seed_gives_identical_file(project_root, tmp_path_factory):
    spec, train = _spec_and_train(project_root)
    pool = load_pool(spec, train, run=3)
    first = paths.pool_file("tiny", 3).read_bytes()
    paths.pool_file("tiny", 3).unlink()
    load_pool(spec, train, run=3)
    assert paths.pool_file("tiny", 3).read_bytes() == first
    assert sorted(pool["index"]) == list(range(len(train)))  # a permutation of the split's row ids
    assert pool["text"].tolist() == train["text"].iloc[pool["index"]].tolist()


def test_different_runs_shuffle_differently(project_root):
    spec, train = _spec_and_train(project_root)
    assert load_pool(spec, train, 1)["index"].tolist() != load_pool(spec, train, 2)["index"].tolist()
    assert shuffle_pool(train, 1)["index"].tolist() == load_pool(spec, train, 1)["index"].tolist()


def test_existing_pool_file_is_reused_untouched(project_root):
    spec, train = _spec_and_train(project_root)
    order = list(reversed(range(len(train))))  # the authors' own shuffle: the split's rows in another order
    dropped_in = train.iloc[order][["label", "text"]].assign(index=order)
    path = paths.pool_file("tiny", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    dropped_in.to_csv(path, index=False)
    before = path.read_bytes()
    pool = load_pool(spec, train, 1)
    assert pool["index"].tolist() == order and pool["text"].tolist() == train["text"].iloc[order].tolist()
    assert path.read_bytes() == before


def test_a_pool_made_before_the_split_changed_is_refused(project_root):
    import pytest

    from activellm.data.tasks import TaskError

    spec, train = _spec_and_train(project_root)
    load_pool(spec, train, 1)
    fixed = train.copy()
    fixed.loc[5, "label"] = 1 - fixed.loc[5, "label"]  # a user fixes one label in df_train_full.csv
    with pytest.raises(TaskError, match="no longer holds the rows of the task's train split"):
        load_pool(spec, fixed, 1)
    with pytest.raises(TaskError, match="Delete .*df_train_full_shuffled_"):
        load_pool(spec, train.iloc[:-1], 1)  # a row removed
    load_pool(spec, train, 1)  # the split as it was: fine
    without_ids = paths.pool_file("tiny", 2)
    train.iloc[::-1].to_csv(without_ids, index=False)
    assert len(load_pool(spec, train, 2)) == len(train)
    with pytest.raises(TaskError):
        load_pool(spec, fixed, 2)


def test_a_pool_without_ids_gets_the_splits_row_ids_by_content(project_root):
    """Exports, predictions and ``selected`` all speak in the split's row ids, whatever order a dropped-in pool has."""
    spec, train = _spec_and_train(project_root)
    train.iloc[::-1].to_csv(paths.pool_file("tiny", 3), index=False)
    pool = load_pool(spec, train, 3)
    assert pool["index"].tolist() == list(range(len(train)))[::-1]
    assert pool["text"].tolist() == train["text"].iloc[pool["index"]].tolist()
