import pandas as pd

from activellm import paths
from activellm.pools import load_pool, shuffle_pool
from activellm.tasks import get_spec, load_splits
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
    dropped_in = pd.DataFrame({"label": [1, 0], "text": ["authors b", "authors a"], "index": [7, 3]})
    path = paths.pool_file("tiny", 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    dropped_in.to_csv(path, index=False)
    before = path.read_bytes()
    pool = load_pool(spec, train, 1)
    assert pool["text"].tolist() == ["authors b", "authors a"] and pool["index"].tolist() == [7, 3]
    assert path.read_bytes() == before
