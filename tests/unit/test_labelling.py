"""Your own data, without a model: local pools without labels or with string labels, labelling files out and back,
and every bad input one clear error."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from activellm.annotation.labelling import (LabellingError, check_texts, export_picks, label_classes, label_indices,
                                            labelling_config, read_labels)
from activellm.data.loading import load_splits
from activellm.data.pools import load_pool
from activellm.data.tasks import TASKS, TaskError, parse_task_name


def _pool_task(root, name="tickets", labels=None, classes=("billing", "bug", "praise"), test=None):
    folder = root / "data" / name
    folder.mkdir(parents=True)
    texts = [f"ticket number {i} about {['money', 'a crash', 'thanks'][i % 3]}" for i in range(30)]
    frame = pd.DataFrame({"text": texts} | ({"label": labels} if labels is not None else {}))
    frame.to_csv(folder / "df_train_full.csv", index=False)
    if classes:
        (folder / "classes.txt").write_text("\n".join(classes) + "\n", encoding="utf-8")
    if test is not None:
        test.to_csv(folder / "df_test.csv", index=False)
    return folder


def test_a_pool_without_labels_is_a_task_with_class_names_and_no_test_set(project_root):
    _pool_task(project_root)
    spec, train, test = load_splits(parse_task_name("tickets").spec)
    assert not spec.labelled and spec.class_names == ("billing", "bug", "praise") and spec.num_labels == 3
    assert len(train) == 30 and (train["label"] == "").all() and len(test) == 0
    pool = load_pool(spec, train, 1)
    assert sorted(pool["index"]) == list(range(30))


def test_string_labels_map_to_classes_in_a_stable_order(project_root):
    labels = [["billing", "bug", "praise"][i % 3] for i in range(30)]
    test = pd.DataFrame({"text": ["a refund please", "it crashed", "great"], "label": ["billing", "bug", "praise"]})
    _pool_task(project_root, "named", labels, classes=("praise", "bug", "billing"), test=test)
    spec, train, test_split = load_splits(parse_task_name("named").spec)
    assert spec.class_names == ("praise", "bug", "billing")  # classes.txt's order
    assert train["label"].tolist()[:3] == [2, 1, 0] and test_split["label"].tolist() == [2, 1, 0]
    _pool_task(project_root, "sorted", labels, classes=None, test=test)
    spec, train, _ = load_splits(parse_task_name("sorted").spec)
    assert spec.class_names == ("billing", "bug", "praise") and train["label"].tolist()[:3] == [0, 1, 2]


@pytest.mark.parametrize("labels, classes, message", [
    (["billing"] * 29 + [""], ("billing", "bug"), r"line\(s\) 31 have no label while others do"),
    (["billing"] * 29 + ["refund"], ("billing", "bug"), r"line 31: the label 'refund' is not one of the classes "
                                                         r"billing, bug; correct it, or add the class"),
    (None, ("billing",), r"classes.txt holds 1 class name\(s\)"),
    (None, ("a", "b", "a"), r"classes.txt names a more than once"),
])
def test_bad_local_pools_are_one_clear_error(project_root, labels, classes, message):
    test = pd.DataFrame({"text": ["x"], "label": ["billing"]}) if labels else None
    _pool_task(project_root, labels=labels, classes=classes, test=test)
    with pytest.raises(TaskError, match=message):
        load_splits(parse_task_name("tickets").spec)


def test_a_pool_without_a_text_column_or_with_an_empty_text_is_refused(project_root):
    folder = _pool_task(project_root)
    pd.DataFrame({"body": ["a", "b"]}).to_csv(folder / "df_train_full.csv", index=False)
    with pytest.raises(TaskError, match=r"lacks the column\(s\) text \(it has body\)"):
        load_splits(parse_task_name("tickets").spec)
    pd.DataFrame({"id": [1, 2, 3], "text": ["a", " ", "c"]}).to_csv(folder / "df_train_full.csv", index=False)
    with pytest.raises(TaskError, match=r"df_train_full.csv: line\(s\) 3 have an empty text"):
        load_splits(parse_task_name("tickets").spec)


def test_training_on_a_pool_without_labels_is_refused_naming_the_way(project_root, tiny_model, capsys):
    import model_training

    _pool_task(project_root)
    assert model_training.main(["--task", "tickets", "--model", tiny_model, "--seeds", "1", "--epochs", "1"]) == 2
    error = capsys.readouterr().err
    assert "is a pool without labels" in error and "--export-labelling FILE.csv" in error
    assert not (project_root / "logs").exists()


def _exported(project_root, suffix):
    _pool_task(project_root)
    spec, train, _ = load_splits(parse_task_name("tickets").spec)
    pool = load_pool(spec, train, 1)
    path = project_root / f"round1{suffix}"
    assert export_picks(path, pool, spec, [3, 0, 7]) == 3
    return spec, train, pool, path


def test_export_as_csv_and_read_back_filled_in(project_root):
    spec, train, pool, path = _exported(project_root, ".csv")
    table = pd.read_csv(path, keep_default_na=False)
    assert table.columns.tolist() == ["row", "text", "label"] and (table["label"] == "").all()
    assert table["row"].tolist() == pool["index"].iloc[[3, 0, 7]].tolist()
    assert table["text"].tolist() == train["text"].iloc[table["row"]].tolist()  # the pool's own row ids
    with pytest.raises(LabellingError, match="exists already and is never overwritten"):
        export_picks(path, pool, spec, [1])
    table["label"] = ["bug", "billing", "bug"]
    table.to_csv(path, index=False)
    labelled = read_labels(path, len(train))
    check_texts(labelled, train, spec)
    assert labelled.rows == table["row"].tolist() and labelled.labels == ["bug", "billing", "bug"]
    assert label_indices(labelled, label_classes(labelled, spec)) == [1, 0, 1]


def test_export_as_label_studio_tasks_and_read_back_its_exports(project_root):
    spec, train, pool, path = _exported(project_root, ".json")
    tasks = json.loads(path.read_text())
    rows = pool["index"].iloc[[3, 0, 7]].tolist()
    assert [t["data"]["row"] for t in tasks] == rows and tasks[0]["data"]["text"] == train["text"][rows[0]]
    assert '<Choices name="label" toName="text" choice="single"><Choice value="billing"/>' in labelling_config(spec)
    export = [{"id": i, "data": t["data"], "annotations": [
        {"was_cancelled": False, "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                             "value": {"choices": [label]}}]}]}
        for i, (t, label) in enumerate(zip(tasks, ["praise", "bug", "billing"]))]
    full = project_root / "export.json"
    full.write_text(json.dumps(export))
    assert read_labels(full, len(train)).labels == ["praise", "bug", "billing"]
    minimal = project_root / "export_min.json"
    minimal.write_text(json.dumps([{"row": r, "text": train["text"][r], "label": "bug"} for r in rows]))
    assert read_labels(minimal, len(train)).rows == rows


def _studio_export(tasks, labels):
    return [{"id": i, "data": t["data"], "annotations": [{"result": [{"value": {"choices": [label]}}]}]}
            for i, (t, label) in enumerate(zip(tasks, labels))]


@pytest.mark.parametrize("form", ["json", "json-min"])
def test_label_studio_texts_are_checked_against_the_pool_as_a_csvs_are(project_root, form):
    """An export made before two rows were inserted at the top of the pool's file names rows whose texts moved."""
    spec, train, pool, path = _exported(project_root, ".json")
    tasks = json.loads(path.read_text())
    export = _studio_export(tasks, ["bug"] * 3) if form == "json" else \
        [{"row": t["data"]["row"], "text": t["data"]["text"], "label": "bug"} for t in tasks]
    back = project_root / "export.json"
    back.write_text(json.dumps(export))
    check_texts(read_labels(back, len(train)), train, spec)  # the same pool: accepted
    folder = project_root / "data" / "tickets"
    edited = pd.concat([pd.DataFrame({"text": ["a new first row", "a new second row"]}), train[["text"]]])
    edited.to_csv(folder / "df_train_full.csv", index=False)
    _, moved, _ = load_splits(parse_task_name("tickets").spec)
    with pytest.raises(LabellingError, match=r"task 1: row \d+'s text is not the pool's row \d+ .*the pool's file "
                                             r"changed since the export"):
        check_texts(read_labels(back, len(moved)), moved, spec)


def test_a_pairs_label_studio_texts_are_checked_too(tmp_path):
    from activellm.data.tasks import TaskSpec

    spec = TaskSpec(name="pairs", source="local", data_name="pairs", text_keys=("text1", "text2"))
    train = pd.DataFrame({"text1": ["a", "b"], "text2": ["c", "d"], "label": ["", ""]})
    back = tmp_path / "export.json"
    back.write_text(json.dumps([{"row": 1, "text1": "b", "text2": "other", "label": "x"}]))
    with pytest.raises(LabellingError, match="row 1's text is not the pool's row 1"):
        check_texts(read_labels(back, 2), train, spec)


@pytest.mark.parametrize("task, message", [
    ({"data": {"row": 1}, "annotations": {"result": []}}, "its annotations are not a list"),
    ({"data": {"row": 1}, "annotations": [{"result": ["positive"]}]}, "an annotation's result is not a list"),
    ({"data": {"row": 1}, "annotations": [{"result": [{"value": ["positive"]}]}]}, "a result's value"),
    ({"data": {"row": 1}, "annotations": [{"result": [{"value": {"choices": ["a", "b"]}}]}]},
     r"the label \['a', 'b'\] is not one class name"),
    ({"data": {"row": 1}, "annotations": []}, r"task 1 \(row 1\): no annotation \(skipped"),
    ({"data": {"row": 1}, "annotations": [{"was_cancelled": True, "result": []}]}, "no annotation"),
    ({"row": 1, "label": {"choices": ["positive"]}}, "is not one class name"),
])
def test_malformed_label_studio_exports_are_one_clear_error(tmp_path, task, message):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task]))
    with pytest.raises(LabellingError, match=message):
        read_labels(path, 5)


def test_a_choice_is_the_whole_class_name_however_label_studio_wrote_it(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"data": {"row": 0}, "annotations": [{"result": [{"value": {"choices": "positive"}}]}]},
                                {"row": 1, "label": ["positive"]}, {"row": 2, "label": "negative"}]))
    assert read_labels(path, 5).labels == ["positive", "positive", "negative"]


def test_the_labelling_configuration_is_well_formed_xml_whatever_the_class_names(project_root):
    from xml.etree import ElementTree

    _pool_task(project_root, classes=("R&D", 'Q&A "misc"', "<other>"))
    spec = load_splits(parse_task_name("tickets").spec)[0]
    choices = ElementTree.fromstring(labelling_config(spec)).iter("Choice")
    assert [c.get("value") for c in choices] == ["R&D", 'Q&A "misc"', "<other>"]


def test_labels_of_several_rounds_come_back_together_each_row_once(project_root):
    first, second = project_root / "round1.csv", project_root / "round2.json"
    pd.DataFrame({"row": [3, 4], "label": ["bug", "praise"]}).to_csv(first, index=False)
    second.write_text(json.dumps([{"row": 9, "label": "billing"}]))
    both = read_labels([first, second], 30)
    assert both.rows == [3, 4, 9] and both.labels == ["bug", "praise", "billing"]
    second.write_text(json.dumps([{"row": 4, "label": "billing"}]))
    with pytest.raises(LabellingError, match=r"round2.json, task 1: row 4 is labelled a second time \(first at "
                                             r".*round1.csv, line 3\)"):
        read_labels([first, second], 30)


@pytest.mark.parametrize("rows, labels, message", [
    ([3, 99], ["bug", "bug"], r"line 3: row 99 is not a row of the pool \(rows 0..29"),
    ([3, 3], ["bug", "bug"], r"line 3: row 3 is labelled a second time \(first at line 2\)"),
    ([3, 4], ["bug", ""], r"line 3: row 4 has no label; label it, or remove it"),
    (["x", 4], ["bug", "bug"], r"line 2: the row 'x' is not a row id"),
])
def test_bad_label_files_name_the_row_and_the_fix(project_root, rows, labels, message):
    path = project_root / "labels.csv"
    pd.DataFrame({"row": rows, "label": labels}).to_csv(path, index=False)
    with pytest.raises(LabellingError, match=message):
        read_labels(path, 30)


def test_unknown_labels_are_refused_and_a_class_without_labels_warned(project_root, capsys):
    _pool_task(project_root)
    spec = load_splits(parse_task_name("tickets").spec)[0]
    path = project_root / "labels.csv"
    pd.DataFrame({"row": [1, 2], "label": ["bug", "postive"]}).to_csv(path, index=False)
    labelled = read_labels(path, 30)
    with pytest.raises(LabellingError, match=r"row 2's label 'postive' is not one of the classes billing, bug, "
                                             r"praise; correct it, or add the class to classes.txt"):
        label_indices(labelled, label_classes(labelled, spec))
    pd.DataFrame({"row": [1, 2], "label": ["bug", "bug"]}).to_csv(path, index=False)
    assert label_indices(read_labels(path, 30), spec.class_names) == [1, 1]
    assert "no labelled row is billing, praise: the classifier cannot learn to predict them" in capsys.readouterr().err


def test_a_csv_whose_texts_are_not_the_pools_is_refused(project_root):
    spec, train, pool, path = _exported(project_root, ".csv")
    table = pd.read_csv(path, keep_default_na=False)
    table["label"] = "bug"
    table.loc[1, "text"] = "another pool's text"
    table.to_csv(path, index=False)
    with pytest.raises(LabellingError, match="line 3: row .*'s text is not the pool's row"):
        check_texts(read_labels(path, len(train)), train, spec)


def test_classes_txt_with_a_bom_reads_its_names_and_another_encoding_is_one_clear_error(project_root):
    folder = _pool_task(project_root, classes=None)
    (folder / "classes.txt").write_bytes("\ufeffnegative\npositive\n".encode("utf-8"))
    assert load_splits(parse_task_name("tickets").spec)[0].class_names == ("negative", "positive")
    (folder / "classes.txt").write_bytes("négatif\npositif\n".encode("latin-1"))
    with pytest.raises(TaskError, match=r"classes.txt is not UTF-8 text \(byte 0xe9 at position 1\); save it as "
                                        "UTF-8"):
        load_splits(parse_task_name("tickets").spec)


def test_float_written_labels_are_the_integers_they_spell(project_root):
    """pandas writes a column that once held a missing value as 1.0, 0.0: still two classes, not four."""
    train = pd.DataFrame({"text": [f"train text {i}" for i in range(10)], "label": [i % 2 for i in range(10)]})
    test = pd.DataFrame({"text": [f"test text {i}" for i in range(4)], "label": [1.0, 0.0, 1.0, 0.0]})
    folder = project_root / "data" / "floats"
    folder.mkdir(parents=True)
    train.to_csv(folder / "df_train_full.csv", index=False)
    test.to_csv(folder / "df_test.csv", index=False)
    spec, _, read_test = load_splits(parse_task_name("floats").spec)
    assert spec.num_labels == 2 and spec.class_names is None and read_test["label"].tolist() == [1, 0, 1, 0]
    test.assign(label=[1.0, 0.5, 1.0, 0.0]).to_csv(folder / "df_test.csv", index=False)
    with pytest.raises(TaskError, match=r"df_test.csv, line 3: the label 0.5 is no class"):
        load_splits(parse_task_name("floats").spec)


@pytest.mark.parametrize("labels, expected", [
    ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]),  # 0 is no name: indices, each its own class (not 0 and 1 merged)
    (["1", "2", "3", "4", "5"], [0, 1, 2, 3, 4]),  # 5 is no index: names
    (["2 stars", "5"], [1, 4]),
])
def test_digit_class_names_read_a_file_one_way(tmp_path, labels, expected):
    from activellm.data.loading import class_indices

    classes = ("1", "2", "3", "4", "5")
    assert class_indices(pd.Series(labels), classes if "2 stars" not in labels else ("1", "2 stars", "3", "4", "5"),
                         tmp_path / "df_test.csv").tolist() == expected


@pytest.mark.parametrize("labels", [[1, 2, 3, 4], [0, 1, 5]])
def test_labels_that_could_mean_two_classes_are_refused(tmp_path, labels):
    from activellm.data.loading import class_indices

    with pytest.raises(TaskError, match=r"df_test.csv: the labels 1.* could be class names or indices 0..4 of the "
                                        r"classes 1, 2, 3, 4, 5 \(classes.txt\), which name other classes"):
        class_indices(pd.Series(labels), ("1", "2", "3", "4", "5"), tmp_path / "df_test.csv")


def test_packaged_tasks_read_labels_by_their_class_names():
    labelled = type("L", (), {"labels": ["positive"], "rows": [0]})()
    assert label_classes(labelled, TASKS["rotten_tomatoes"]) == ("negative", "positive")


def test_a_csv_for_a_spreadsheet_never_holds_a_formula_and_reads_back_as_the_pools_text(project_root):
    folder = _pool_task(project_root)
    texts = ["=HYPERLINK(\"http://x\")", "+1 for the refund", "-5 stars", "@support why", "'quoted'", "plain"]
    pd.DataFrame({"text": texts}).to_csv(folder / "df_train_full.csv", index=False)
    spec, train, _ = load_splits(parse_task_name("tickets").spec)
    pool = load_pool(spec, train, 1)
    path = project_root / "round1.csv"
    export_picks(path, pool, spec, list(range(6)))
    table = pd.read_csv(path, keep_default_na=False)
    by_row = dict(zip(table["row"], table["text"]))
    assert [by_row[i] for i in range(6)] == ["'" + t for t in texts[:5]] + ["plain"]
    table["label"] = "bug"
    table.to_csv(path, index=False)
    check_texts(read_labels(path, 6), train, spec)  # as exported: the pool's texts
    table["text"] = [train["text"][r] for r in table["row"]]  # a spreadsheet that dropped the apostrophes
    table.to_csv(path, index=False)
    check_texts(read_labels(path, 6), train, spec)
    json_path = project_root / "round1.json"
    export_picks(json_path, pool, spec, list(range(6)))
    assert sorted(t["data"]["text"] for t in json.loads(json_path.read_text())) == sorted(texts)  # Label Studio: as is
