"""Your own data: the picks handed to annotators, their labels read back, a classifier trained and its predictions.

A local task without labels is a pool to choose from (activellm.data.tasks). Its picks (an LLM's list, a label-free
selector's, small-text's next query) go out as a labelling file, in the pool's own row ids (a row's 0-based place in
``df_train_full.csv``):

* CSV (``.csv``): ``row``, ``text`` (or ``text1``, ``text2``; one a spreadsheet would run as a formula starts with
  an apostrophe) and an empty ``label`` to fill in;
* Label Studio's task import (``.json``): ``[{"data": {"row": 17, "text": "..."}}, ...]``, with a labelling
  configuration whose choices are the class names (printed on export).

The same CSV filled in, a Label Studio JSON export (each task's ``data.row`` and its annotation's choice) or its
JSON-MIN export (``row`` and ``label``) comes back: rows matched by id, labels checked against the class names, every
problem one error naming the file, the row and the fix. The classifier is then fine-tuned on exactly those rows with
the training options of every run, saved as a folder ``from_pretrained`` loads, and predicts every pool row nobody
labelled (or a file named). Nothing is ever overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from activellm.data.tasks import CLASSES_FILE, TaskSpec
from activellm.errors import UserError
from activellm.files import atomic_write_text, current_umask, file_sha256

LABEL_STUDIO_SUFFIX = ".json"
CSV_SUFFIX = ".csv"
QUOTE = {'"': "&quot;"}  # a class name inside an XML attribute
TRAINING_RECORD = "activellm_training.json"  # beside a saved classifier: its labels files, settings and accuracy


class LabellingError(UserError, ValueError):
    """A labelling file that cannot be written or read back; the message names the file, the row and the fix."""


def _suffix(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in (CSV_SUFFIX, LABEL_STUDIO_SUFFIX):
        raise LabellingError(f"{path}: {what} must end in .csv (a table to fill in) or .json (Label Studio).")
    return suffix


def refuse_existing(path: Path, what: str) -> None:
    """Never overwrite what a person may have labelled or kept."""
    if path.exists():
        raise LabellingError(f"{path} exists already and is never overwritten ({what}); name another file or "
                             "move it away.")


def _texts(pool: pd.DataFrame, spec: TaskSpec, positions: Sequence[int]) -> dict[str, list[str]]:
    return {column: pool[column].iloc[list(positions)].astype(str).tolist() for column in spec.text_columns}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(text: str) -> str:
    """A text as a CSV for a spreadsheet shows it: one that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``) gets a leading apostrophe, which spreadsheets read as "text" (as does one that starts with an apostrophe,
    so that the guard is never mistaken for the text). Only the file for people carries it: a labels file brought
    back matches its pool row with or without it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def labelling_config(spec: TaskSpec) -> str:
    """A Label Studio labelling configuration for the exported tasks: the text(s) and one choice per class."""
    shown = "".join(f'<Text name="{c}" value="${c}"/>' for c in spec.text_columns)
    names = spec.class_names or ()
    choices = "".join(f'<Choice value="{escape(name, QUOTE)}"/>' for name in names)  # R&D, "misc": well-formed
    target = spec.text_columns[0]
    return f'<View>{shown}<Choices name="label" toName="{target}" choice="single">{choices}</Choices></View>'


def export_picks(path: Path, pool: pd.DataFrame, spec: TaskSpec, positions: Sequence[int]) -> int:
    """Write the picks (pool positions) as a labelling file, by ``path``'s extension; returns the rows written."""
    path = Path(path)
    suffix = _suffix(path, "--export-labelling")
    refuse_existing(path, "a labelling file")
    rows = pool["index"].iloc[list(positions)].astype(int).tolist()
    texts = _texts(pool, spec, positions)
    if suffix == CSV_SUFFIX:
        shown = {column: [spreadsheet_safe(text) for text in values] for column, values in texts.items()}
        table = pd.DataFrame({"row": rows, **shown, "label": [""] * len(rows)})
        atomic_write_text(path, table.to_csv(index=False))
    else:
        tasks = [{"data": {"row": row, **{c: texts[c][i] for c in texts}}} for i, row in enumerate(rows)]
        atomic_write_text(path, json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
    return len(rows)


@dataclass(frozen=True)
class LabelledRows:
    """What came back: the pool's row ids and their labels (class names), in the files' order, where each was read
    (file and line or task) for the messages, and the texts each row brought back (text column -> text), from a CSV
    or a Label Studio export alike, to check against the pool."""

    rows: list[int]
    labels: list[str]
    places: list[str]
    sources: list[Path]
    texts: list[dict[str, str]]


Entry = tuple[str, object, object, dict[str, str]]  # where in the file, the row id, the label, the texts brought back


def _from_csv(path: Path) -> list[Entry]:
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=[], dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise LabellingError(f"{path} is not a readable CSV file ({error}); keep the exported header (row, text, "
                             "label) and save it as UTF-8 CSV.") from error
    missing = [c for c in ("row", "label") if c not in table.columns]
    if missing:
        raise LabellingError(f"{path} lacks the column(s) {', '.join(missing)}: labels come back in the exported file "
                             "with its row column and the label column filled in.")
    text_columns = [c for c in table.columns if c not in ("row", "label")]
    return [(f"line {i + 2}", row, label, {c: table[c].iloc[i] for c in text_columns})
            for i, (row, label) in enumerate(zip(table["row"], table["label"]))]


TEXT_FIELDS = ("text", "text1", "text2")  # the texts an export carries back (a pair: text1 and text2)


def _brought_texts(fields: dict) -> dict[str, str]:
    """The texts a Label Studio task brings back (its ``data``, or a JSON-MIN row), to check against the pool."""
    return {name: str(fields[name]) for name in TEXT_FIELDS if isinstance(fields.get(name), (str, int, float))}


def _single_choice(value: object, where: str) -> str:
    """A label as one class name: a string, or a list holding one (Label Studio's ``choices``)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise LabellingError(f"{where}: the label {value!r} is not one class name; label each task with one choice "
                         "(a single-choice configuration, as printed on export) and export it again.")


def _annotation_choice(task: dict, where: str) -> object:
    """The choice of the task's last annotation that was not cancelled (Label Studio's JSON export); a malformed
    annotation is one error naming the task."""
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise LabellingError(f"{where}: its annotations are not a list of annotations; export the project from Label "
                             "Studio again as JSON (or JSON-MIN), unedited.")
    for annotation in reversed(annotations):
        if annotation.get("was_cancelled"):
            continue
        results = annotation.get("result") or []
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise LabellingError(f"{where}: an annotation's result is not a list of results; export the project "
                                 "from Label Studio again as JSON (or JSON-MIN), unedited.")
        for result in results:
            value = result.get("value") or {}
            if not isinstance(value, dict):
                raise LabellingError(f"{where}: a result's value {value!r} is not an object with choices; export "
                                     "the project from Label Studio again as JSON (or JSON-MIN), unedited.")
            choices = value.get("choices")
            if choices:
                return _single_choice(choices, where)
    raise LabellingError(f"{where}: no annotation (skipped, cancelled or not labelled yet); label it in Label Studio "
                         "and export again, or remove the task from the file.")


def _from_json(path: Path) -> list[Entry]:
    try:
        items = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LabellingError(f"{path} is not readable JSON ({error}); export it from Label Studio as JSON or "
                             "JSON-MIN.") from error
    if not isinstance(items, list):
        raise LabellingError(f"{path} holds no list of tasks; export it from Label Studio as JSON or JSON-MIN.")
    found = []
    for number, item in enumerate(items, start=1):
        where = f"task {number}"
        if isinstance(item, dict) and isinstance(item.get("data"), dict):  # the full JSON export
            data = item["data"]
            found.append((where, data.get("row"), _annotation_choice(item, f"{path}, {where} (row {data.get('row')})"),
                          _brought_texts(data)))
        elif isinstance(item, dict) and "row" in item:  # JSON-MIN: the data's fields and the choice by its name
            label = item.get("label", "")
            found.append((where, item.get("row"), _single_choice(label, f"{path}, {where}") if label != "" else "",
                          _brought_texts(item)))
        else:
            raise LabellingError(f"{path}, {where}: neither a Label Studio export task (with data.row) nor a "
                                 "JSON-MIN row (with row and label); export the tasks imported from this tool.")
    return found


def read_labels(files: Sequence[Path] | Path, pool_rows: int) -> LabelledRows:
    """The labelled rows of filled-in CSVs or Label Studio exports (one per round), checked against a pool of
    ``pool_rows`` rows: every row an id of the pool, each once over all files, each with a label (the class names are
    checked by :func:`label_indices`)."""
    files = [Path(files)] if isinstance(files, (str, Path)) else [Path(f) for f in files]
    rows, labels, places, texts, seen = [], [], [], [], {}
    for path in files:
        if not path.is_file():
            raise LabellingError(f"Missing labels file {path}.")
        entries = _from_csv(path) if _suffix(path, "--labels") == CSV_SUFFIX else _from_json(path)
        if not entries:
            raise LabellingError(f"{path} holds no labelled rows.")
        for where, row, label, brought in entries:
            place = f"{path}, {where}"
            try:
                row_id = int(str(row).strip())
            except ValueError:
                raise LabellingError(f"{place}: the row {row!r} is not a row id; keep the exported row column as it "
                                     "was.") from None
            if not 0 <= row_id < pool_rows:
                raise LabellingError(f"{place}: row {row_id} is not a row of the pool (rows 0..{pool_rows - 1}: the "
                                     "rows of df_train_full.csv once repeated texts are dropped, as exports number "
                                     "them); labels come back for the rows exported from this task.")
            if row_id in seen:
                raise LabellingError(f"{place}: row {row_id} is labelled a second time (first at {seen[row_id]}); "
                                     "keep one of them.")
            text = str(label if label is not None else "").strip()
            if not text:
                raise LabellingError(f"{place}: row {row_id} has no label; label it, or remove it from the file.")
            seen[row_id] = place if len(files) > 1 else where
            rows.append(row_id)
            labels.append(text)
            places.append(place)
            texts.append(brought)
    return LabelledRows(rows, labels, places, files, texts)


def _clip(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def check_texts(labelled: LabelledRows, train: pd.DataFrame, spec: TaskSpec) -> None:
    """The texts a labels file brings back (a CSV's text columns, a Label Studio export's data) must be the pool's:
    else the file belongs to another pool, or the pool's file changed since the export."""
    for row, brought, place in zip(labelled.rows, labelled.texts, labelled.places):
        for column in (c for c in spec.text_columns if c in brought):
            pool_text = str(train[column].iloc[row])
            if brought[column] not in (pool_text, spreadsheet_safe(pool_text)):
                raise LabellingError(
                    f"{place}: row {row}'s text is not the pool's row {row} (here {_clip(brought[column])!r}, in "
                    f"df_train_full.csv {_clip(pool_text)!r}): the pool's file changed since the export (rows added, "
                    "removed or edited), or the file was made for another pool. Restore the pool's file as it was exported; "
                    "else export the picks again and copy the labels over by text.")


def label_classes(labelled: LabelledRows, spec: TaskSpec) -> tuple[str, ...]:
    """The class names the labels are checked against: the task's (classes.txt, or a packaged task's), else the labels
    found, sorted (said once)."""
    if spec.class_names:
        return spec.class_names
    if spec.num_labels:  # a local task numbered 0..C-1 without names
        return tuple(str(i) for i in range(spec.num_labels))
    found = tuple(sorted(set(labelled.labels)))
    print(f"note: no {CLASSES_FILE}: the classes are the labels found, {', '.join(found)}", file=sys.stderr)
    return found


def label_indices(labelled: LabelledRows, classes: Sequence[str]) -> list[int]:
    """The labels as class indices; a label outside the classes is one error naming its row; a class no row has is a
    warning (the classifier cannot learn to predict it)."""
    index = {name: i for i, name in enumerate(classes)}
    for row, label, place in zip(labelled.rows, labelled.labels, labelled.places):
        if label not in index:
            raise LabellingError(f"{place}: row {row}'s label {label!r} is not one of the classes "
                                 f"{', '.join(classes)}; correct it, or add the class to {CLASSES_FILE}.")
    missing = [name for name in classes if name not in set(labelled.labels)]
    if missing:
        print(f"warning: no labelled row is {', '.join(missing)}: the classifier cannot learn to predict "
              f"{'it' if len(missing) == 1 else 'them'}; label a few such rows if the pool has them.", file=sys.stderr)
    return [index[label] for label in labelled.labels]


def pool_file_rows(spec: TaskSpec, train: pd.DataFrame, labelled_rows: Sequence[int]) -> pd.DataFrame:
    """Every line of the pool's own file (df_train_full.csv) whose text nobody labelled, repeated texts included:
    its ``line`` in the file and its ``row`` id (repeats share the id of the text's first line, as the pool holds each
    text once), so that predictions join back to the file line by line."""
    from activellm import paths
    from activellm.data.loading import read_task_csv
    from activellm.data.tasks import TRAIN_FILE

    path = paths.data_dir(spec.data_name) / TRAIN_FILE
    lines = read_task_csv(path, spec, label_required=False) if path.is_file() else train
    columns = list(spec.text_columns)
    row_of = {key: row for row, key in reversed(list(enumerate(map(tuple, train[columns].astype(str).values))))}
    rows = [row_of[key] for key in map(tuple, lines[columns].astype(str).values)]
    labelled = set(labelled_rows)
    unlabelled = [row not in labelled for row in rows]
    found = pd.DataFrame({"line": [i + 2 for i in range(len(lines))], "row": rows,
                          **{c: lines[c].astype(str).tolist() for c in columns}})
    return found[unlabelled].reset_index(drop=True)


def _save_classifier(classifier, tokenizer, record: dict, model_dir: Path) -> None:
    """The classifier, its tokenizer and its record, saved whole or not at all: written into a temporary folder
    beside ``model_dir`` and renamed into place."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=model_dir.parent, prefix=f".{model_dir.name}."))
    try:
        classifier.save_pretrained(building)
        tokenizer.save_pretrained(building)
        atomic_write_text(building / TRAINING_RECORD, json.dumps(record, indent=1) + "\n")
        building.chmod(0o777 & ~current_umask())  # mkdtemp's folder is owner-only
        os.rename(building, model_dir)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


@dataclass(frozen=True)
class Prediction:
    path: Path
    rows: int
    accuracy: float | None  # on the task's labelled test split, where it has one


def train_and_predict(model: str, spec: TaskSpec, train: pd.DataFrame, test: pd.DataFrame, labelled: LabelledRows,
                      classes: Sequence[str], settings, seed: int, out: Path, model_dir: Path,
                      predict_file: Path | None = None) -> Prediction:
    """Fine-tune ``model`` on the labelled rows, save it to ``model_dir``, predict every pool row not labelled (or
    the rows of ``predict_file``) into ``out``; accuracy on ``test`` where it holds labels."""
    from activellm.data.loading import read_task_csv
    from activellm.training.fine_tuning import encode, fine_tune, predict_logits, texts_of

    for path, what in ((out, "the predictions"), (model_dir, "the classifier")):
        refuse_existing(path, what)
    indices = label_indices(labelled, classes)
    named = replace(spec, num_labels=len(classes), class_names=tuple(classes), labelled=True)
    # every input is read before training: a bad one costs no training and leaves nothing
    if predict_file is None:
        targets = pool_file_rows(spec, train, labelled.rows)
    else:
        rows = read_task_csv(Path(predict_file), named, label_required=False)
        targets = rows.assign(line=range(2, len(rows) + 2), row=range(len(rows)))
    train_df = train.iloc[labelled.rows].assign(label=indices)
    classifier, tokenizer, seconds = fine_tune(model, named, train_df, seed, settings)
    classifier.config.id2label = dict(enumerate(classes))
    classifier.config.label2id = {name: i for i, name in enumerate(classes)}

    def probabilities(df: pd.DataFrame) -> np.ndarray:
        dataset = encode(tokenizer, texts_of(df, named), [0] * len(df), named, settings.max_length)
        logits = predict_logits(classifier, tokenizer, dataset, settings.eval_batch(), settings.precision)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    unique = targets.drop_duplicates("row")  # a text repeated in the user's file is scored once
    scored = dict(zip(unique["row"], probabilities(unique)))
    proba = np.array([scored[row] for row in targets["row"]])
    table = pd.DataFrame({"line": targets["line"].tolist(), "row": targets["row"].tolist(),
                          **{c: targets[c].tolist() for c in spec.text_columns},
                          "predicted_label": [classes[i] for i in proba.argmax(axis=1)],
                          "probability": proba.max(axis=1).round(4)})
    accuracy = None
    if len(test):
        accuracy = float((probabilities(test).argmax(axis=1) == test["label"].astype(int).to_numpy()).mean())
    record = {"task": spec.name, "labels_files": {str(p): file_sha256(p) for p in labelled.sources},
              "labelled_rows": len(labelled.rows), "classes": list(classes), "model": model, "seed": seed,
              "train_seconds": round(seconds, 2), "max_length": settings.max_length, "epochs": settings.epochs,
              "train_batch_size": settings.train_batch_size, "learning_rate": settings.learning_rate,
              "predictions": str(out), "test_accuracy": accuracy,
              "test_rows": len(test)}
    _save_classifier(classifier, tokenizer, record, model_dir)
    atomic_write_text(out, table.to_csv(index=False))
    return Prediction(out, len(table), accuracy)
