import json

import pandas as pd
import pytest

from activellm.data.loading import load_splits
from activellm.data.tasks import TASKS, TaskError, get_spec, parse_task_name
from tests.conftest import write_local_task


def test_table_covers_the_papers_tasks():
    for name in ["sst2", "cola", "qqp", "rte", "mrpc", "stsb", "wnli", "qnli", "mnli_matched", "mnli_mismatched",
                 "sst5", "CR", "amazon_counterfactual_en", "emotion", "ag_news", "rotten_tomatoes", "imdb"]:
        assert name in TASKS
    assert TASKS["stsb"].is_regression and TASKS["stsb"].metric == "regression"
    assert TASKS["cola"].metric == "mcc"
    assert TASKS["mnli_matched"].test_split == "validation_matched"
    assert TASKS["mnli_mismatched"].test_split == "validation_mismatched"
    assert TASKS["mnli_matched"].data_name == TASKS["mnli_mismatched"].data_name == "mnli"
    assert TASKS["qnli"].pair_names == ("Question", "Sentence")
    assert TASKS["emotion"].num_labels == 6 and TASKS["emotion"].test_split == "test"


@pytest.mark.parametrize("name, examples, iteration, n_train, tag, continuous", [
    ("sst2", 32, 1, 32, "sst2", None),
    ("sst2_40", 40, 1, 40, "sst2_40", None),
    ("sst2_25_cont_index_recap_4", 25, 4, 100, "sst2_25_cont_index_recap", "idxrecap"),
    ("sst2_25_cont_2", 25, 2, 50, "sst2_25_cont", "recap"),
    ("rte_10_cont_no_recap_3", 10, 3, 30, "rte_10_cont_no_recap", "norecap"),
    ("mnli_matched", 32, 1, 32, "mnli", None),
    ("mnli_mismatched_16", 16, 1, 16, "mnli_16", None),
    ("amazon_counterfactual_en_16", 16, 1, 16, "amazon_counterfactual_en_16", None),
    ("rotten_tomatoes", 32, 1, 32, "rotten_tomatoes", None),
])
def test_task_name_suffixes(name, examples, iteration, n_train, tag, continuous):
    parsed = parse_task_name(name)
    assert (parsed.examples, parsed.iteration, parsed.n_train, parsed.tag, parsed.continuous) == \
        (examples, iteration, n_train, tag, continuous)


def test_mnli_suffix_selects_the_test_split():
    assert parse_task_name("mnli_mismatched").spec.test_split == "validation_mismatched"


def test_unknown_task_lists_the_known_ones(project_root):
    with pytest.raises(TaskError) as error:
        parse_task_name("sst3")
    message = str(error.value)
    assert "'sst3'" in message and "rotten_tomatoes" in message and "sst2" in message
    assert "df_train_full.csv" in message  # and says how to add one


def test_continuous_name_without_k_is_an_error():
    with pytest.raises(TaskError, match="examples per iteration"):
        parse_task_name("sst2_cont_index_recap_4")


def test_local_task_is_found_and_completed_from_its_data(project_root):
    write_local_task(project_root, "my_news_2020")
    parsed = parse_task_name("my_news_2020")  # the whole name wins over reading "_2020" as k
    assert parsed.spec.source == "local" and parsed.examples == 32
    assert parse_task_name("my_news_2020_8").examples == 8
    spec, train, test = load_splits(parsed.spec)
    assert spec.num_labels == 2 and not spec.is_pair
    assert list(train.columns) == ["text", "label"] and len(test) == 24


def test_local_csv_without_label_column_names_file_and_fix(project_root):
    folder = write_local_task(project_root, "broken")
    (folder / "df_test.csv").write_text("sentence,y\nhello,1\n")
    with pytest.raises(TaskError) as error:
        load_splits(get_spec("broken"))
    assert "df_test.csv" in str(error.value) and "label" in str(error.value)


def test_labels_outside_the_classes_are_an_error(project_root):
    folder = write_local_task(project_root, "badlabels")
    (folder / "df_test.csv").write_text("text,label\nhello,7\n")
    with pytest.raises(TaskError, match="outside 0..1"):
        load_splits(get_spec("badlabels"))


def test_packaged_rotten_tomatoes_split_is_fixed(project_root):
    spec, train, test = load_splits(TASKS["rotten_tomatoes"])
    assert len(test) == 1066 and len(train) == 8530 - 1066
    assert set(train["label"]) == {0, 1}
    # cached: a second load reads the same rows from data/
    _, train_again, test_again = load_splits(TASKS["rotten_tomatoes"])
    assert train_again.equals(train) and test_again.equals(test)
    assert (project_root / "data" / "rotten_tomatoes" / "df_test.csv").is_file()


def test_hub_loader_normalises_columns_and_caches(project_root, monkeypatch):
    import datasets

    calls = []

    def fake_load_dataset(path, config=None):
        calls.append((path, config))
        split = {"question": ["why?", "how?"], "sentence": ["because.", "so."], "label": [0, 1], "idx": [0, 1]}
        return datasets.DatasetDict({"train": datasets.Dataset.from_dict(split),
                                     "validation": datasets.Dataset.from_dict(split)})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    spec, train, test = load_splits(TASKS["qnli"])
    assert calls == [("nyu-mll/glue", "qnli")]
    assert list(train.columns) == ["text1", "text2", "label"] and train["text1"].tolist() == ["why?", "how?"]
    assert (project_root / "data" / "qnli" / "df_test_validation.csv").is_file()
    load_splits(TASKS["qnli"])  # from the cache: the hub is not asked again
    assert len(calls) == 1


def test_hub_failure_says_what_to_do_offline(project_root, monkeypatch):
    import datasets

    def unreachable(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(TaskError) as error:
        load_splits(TASKS["sst2"])
    assert "no network" in str(error.value) and "rotten_tomatoes" in str(error.value)


def _fake_hub(monkeypatch):
    import datasets

    split = {"sentence": ["hub a", "hub b"], "label": [0, 1], "idx": [0, 1]}
    monkeypatch.setattr(datasets, "load_dataset", lambda path, config=None: datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict(split), "validation": datasets.Dataset.from_dict(split)}))


def test_a_users_file_in_a_folder_named_like_a_hub_task_is_never_overwritten(project_root, monkeypatch):
    _fake_hub(monkeypatch)  # as with network access
    folder = write_local_task(project_root, "sst2")  # the user's df_train_full.csv and df_test.csv
    before = (folder / "df_train_full.csv").read_bytes()
    with pytest.raises(TaskError, match="was not written here.*folder of another name"):
        load_splits(TASKS["sst2"])
    assert (folder / "df_train_full.csv").read_bytes() == before and not (folder / "df_test_validation.csv").exists()
    # a cache written here is completed or refreshed as before
    (folder / "df_train_full.csv").unlink()
    load_splits(TASKS["sst2"])
    assert json.loads((folder / "source.json").read_text())["files"] == ["df_test_validation.csv", "df_train_full.csv"]
    (folder / "df_test_validation.csv").unlink()
    _, train, _ = load_splits(TASKS["sst2"])
    assert train["text"].tolist() == ["hub a", "hub b"]


def test_local_labels_must_be_zero_to_c_minus_one(project_root):
    folder = write_local_task(project_root, "onetwo")
    for name in ("df_train_full.csv", "df_test.csv"):
        frame = pd.read_csv(folder / name)
        frame.assign(label=frame["label"] + 1).to_csv(folder / name, index=False)
    with pytest.raises(TaskError, match=r"labels of df_train_full.csv are 1, 2.*e\.g\. 1 -> 0, 2 -> 1"):
        load_splits(get_spec("onetwo"))


def test_local_tasks_hold_each_text_once_and_none_of_the_pool_in_the_test_set(project_root, capsys):
    folder = write_local_task(project_root, "repeats")
    train = pd.read_csv(folder / "df_train_full.csv")
    pd.concat([train, train.iloc[:3]]).to_csv(folder / "df_train_full.csv", index=False)
    test = pd.read_csv(folder / "df_test.csv")
    pd.concat([test, train.iloc[10:12]]).to_csv(folder / "df_test.csv", index=False)
    _, loaded_train, loaded_test = load_splits(get_spec("repeats"))
    assert len(loaded_train) == len(train) and not loaded_train["text"].duplicated().any()
    assert len(loaded_test) == len(test) and not set(loaded_test["text"]) & set(loaded_train["text"])
    assert "3 repeated texts dropped from the train split (row ids count the rows kept) and 2 test rows" in \
        capsys.readouterr().err


def test_a_pool_without_a_test_split_hears_nothing_of_one(project_root, capsys):
    from activellm.data.loading import note_once

    folder = project_root / "data" / "pool_repeats"
    folder.mkdir(parents=True)
    pd.DataFrame({"text": ["a", "b", "a", "c"]}).to_csv(folder / "df_train_full.csv", index=False)
    (folder / "classes.txt").write_text("x\ny\n")
    note_once.cache_clear()
    load_splits(get_spec("pool_repeats"))
    err = capsys.readouterr().err
    assert "1 repeated texts dropped from the train split" in err and "test" not in err


def test_imdb_drops_its_repeated_reviews_before_splitting(project_root):
    _, train, test = load_splits(TASKS["imdb"])
    assert len(train) + len(test) == 25000 - 96 and len(test) == 2500
    assert not set(train["text"]) & set(test["text"]) and not train["text"].duplicated().any()
