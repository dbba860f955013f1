"""Traditional active learning with small-text: cold and warm start, labelled lists, learning curves.

A PoolBasedActiveLearner queries ``--query-size`` instances per iteration from the run's pool (capped at
``--pool-size`` rows) until ``--budget`` instances are labelled; labels come from the pool (a simulated
annotator). The start is the first query-size rows of the pool (cold, as in the original), a class-balanced draw
(``--init balanced``), or the first M picks of the LLM's list (warm).

Where the query time goes on a CPU: small-text pads every text to ``max_length`` (the original used 500) and scores
the pool in training-sized batches of 12. Here the pool is encoded at its own longest length, and scoring runs in
length-sorted inference batches (32 on a CPU) cut to the longest text of each batch, under
``torch.inference_mode``: the same probabilities, about 20 times faster than the original here. Embeddings for
the embedding-based strategies average the real tokens only; small-text's average included the padding. See
``benchmarks/query_speed.py`` for the before/after numbers.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from activellm.data.tasks import TaskSpec, merged_texts
from activellm.errors import UserError
from activellm.models import resolve_model
from activellm.prompts.build import loose_duplicate_key
from activellm.training.fine_tuning import autocast, load_tokenizer, texts_of

STRATEGIES = ("LeastConfidence", "PredictionEntropy", "BreakingTies", "BALD", "GreedyCoreset", "EmbeddingKMeans",
              "ContrastiveActiveLearning", "RandomSampling")
COLD_INIT = ("first", "balanced")


class ActiveLearningError(UserError, ValueError):
    """An active learning run that cannot be set up as asked."""


def make_strategy(name: str):
    """The small-text query strategy called ``name``; an unknown name is an error listing the valid ones."""
    import small_text

    if name not in STRATEGIES:
        raise ActiveLearningError(f"Unknown active learning strategy {name!r}. Valid strategies: "
                                  f"{', '.join(STRATEGIES)} (or random_filtering with the default model class).")
    return getattr(small_text, name)()


@dataclass(frozen=True)
class ActiveSettings:
    query_size: int = 25
    budget: int = 300
    pool_size: int | None = None
    init: str = "first"
    epochs: int = 10  # small-text's default, as in the original
    learning_rate: float = 2e-5
    train_batch_size: int = 12
    inference_batch_size: int | None = None  # None: 32 on a CPU (fastest here), 256 on a GPU
    max_length: int = 512
    precision: str = "fp32"  # query scoring under autocast (see activellm.training.fine_tuning.autocast)


def encode_pool(model: str, spec: TaskSpec, df, max_length: int = 512):
    """A small-text TransformersDataset of ``df``, padded to the longest text in it (not to a fixed 500)."""
    from small_text import TransformersDataset

    tokenizer = load_tokenizer(model)
    texts = texts_of(df, spec)
    limit = min(max_length, tokenizer.model_max_length)
    unpadded = tokenizer(*texts, truncation=True, max_length=limit)
    longest = max(len(ids) for ids in unpadded["input_ids"])
    encoded = tokenizer.pad(unpadded, padding="max_length", max_length=longest, return_tensors="pt")
    labels = df["label"].astype(int).tolist()
    data = [(encoded["input_ids"][i:i + 1], encoded["attention_mask"][i:i + 1], labels[i]) for i in range(len(df))]
    return TransformersDataset(data, target_labels=np.arange(spec.num_labels))


def _length_sorted_batches(data: Sequence[tuple], batch_size: int) -> tuple[np.ndarray, Iterator]:
    """Batches of (input_ids, mask) over ``data`` sorted by length, each cut to its longest text."""
    import torch

    lengths = np.array([int(mask.sum()) for _, mask, *_ in data])
    order = np.argsort(-lengths, kind="stable")

    def batches():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            longest = int(lengths[chunk].max())
            yield (torch.cat([data[i][0] for i in chunk])[:, :longest],
                   torch.cat([data[i][1] for i in chunk])[:, :longest])

    return order, batches()


def _unsort(order: np.ndarray, values: np.ndarray) -> np.ndarray:
    restored = np.empty_like(values)
    restored[order] = values
    return restored


def fast_classifier_class():
    """TransformerBasedClassification with fast, exact inference (see the module docstring)."""
    from functools import partial

    import torch
    import torch.nn.functional as F
    from small_text import TransformerBasedClassification

    class FastTransformerClassification(TransformerBasedClassification):
        def __init__(self, *args, inference_batch_size: int = 256, precision: str = "fp32",
                     progress: str | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.inference_batch_size = inference_batch_size
            self.precision = precision
            self.progress = progress  # the title of a progress bar over the scoring batches; None: none

        def predict_proba(self, dataset, dropout_sampling=1):
            if len(dataset) == 0:
                return super().predict_proba(dataset, dropout_sampling)
            self.model.eval()
            order, batches = _length_sorted_batches(dataset.data, self.inference_batch_size)
            if self.progress:
                from tqdm.auto import tqdm

                batches = tqdm(batches, total=math.ceil(len(order) / self.inference_batch_size), desc=self.progress,
                               unit="batch", dynamic_ncols=True)
            squash = torch.sigmoid if self.multi_label else partial(F.softmax, dim=1)

            def transform(logits):  # in fp32 whatever the autocast dtype, as numpy needs
                return squash(logits.float())

            with torch.inference_mode(), autocast(self.precision):
                if dropout_sampling <= 1:
                    proba = self._predict_proba(batches, transform)
                else:
                    proba = self._predict_proba_dropout_sampling(batches, transform, dropout_samples=dropout_sampling)
            return _unsort(order, proba)

        def embed(self, data_set, return_proba=False, embedding_method="avg", hidden_layer_index=-1, pbar=None):
            """As small-text's embed, but "avg" averages real tokens only (small-text's includes the padding,
            which made embeddings depend on max_length)."""
            self.model.eval()
            order, batches = _length_sorted_batches(data_set.data, self.inference_batch_size)
            embeddings, proba = [], []
            with torch.inference_mode(), autocast(self.precision):
                for text, masks in batches:
                    text, masks = text.to(self.device), masks.to(self.device)
                    outputs = self.model(text, attention_mask=masks, output_hidden_states=True)
                    hidden = outputs.hidden_states[1:][hidden_layer_index]
                    if embedding_method == "cls":
                        embeddings.append(hidden[:, 0].float().cpu().numpy())
                    else:  # the mean over the tokens after [CLS], without padding
                        weights = masks[:, 1:].unsqueeze(-1).to(hidden.dtype)
                        mean = (hidden[:, 1:] * weights).sum(1) / weights.sum(1).clamp(min=1)
                        embeddings.append(mean.float().cpu().numpy())
                    proba.append(F.softmax(outputs.logits.float(), dim=1).cpu().numpy())
            embeddings_array = _unsort(order, np.concatenate(embeddings))
            return (embeddings_array, _unsort(order, np.concatenate(proba))) if return_proba else embeddings_array

    return FastTransformerClassification


class ClassifierFactory:
    """Makes a fresh fast small-text classifier for each active learning iteration."""

    def __init__(self, model: str, num_labels: int, settings: ActiveSettings, progress: str | None = None):
        from small_text import TransformerModelArguments

        self.model_arguments = TransformerModelArguments(resolve_model(model))
        self.num_labels = num_labels
        self.settings = settings
        self.classifier_class = fast_classifier_class()
        self.progress = progress  # a progress bar's title for the classifier's scoring; None: no bar

    def new(self):
        import torch

        inference_batch_size = self.settings.inference_batch_size or (256 if torch.cuda.is_available() else 32)
        with warnings.catch_warnings():  # model_selection=False is passed here on purpose; its deprecation is noise
            warnings.filterwarnings("ignore", message="model_selection is deprecated", category=DeprecationWarning)
            return self.classifier_class(
                self.model_arguments, self.num_labels, num_epochs=self.settings.epochs, lr=self.settings.learning_rate,
                mini_batch_size=self.settings.train_batch_size, model_selection=False,
                inference_batch_size=inference_batch_size, precision=self.settings.precision, verbosity=0,
                progress=self.progress)


def cold_start(labels: Sequence[int], size: int, init: str, seed: int) -> list[int]:
    """The first ``size`` rows of the pool, or a class-balanced seeded draw (``init='balanced'``)."""
    if init not in COLD_INIT:
        raise ActiveLearningError(f"Unknown --init {init!r}; use one of {', '.join(COLD_INIT)}.")
    if init == "first":
        return list(range(size))
    from small_text import random_initialization_balanced

    np.random.seed(seed)  # small-text draws with numpy's global generator
    return [int(i) for i in random_initialization_balanced(np.asarray(labels), n_samples=size)]


@dataclass
class Iteration:
    """One step of a learning curve: the labelled set after it, and what it cost."""

    iteration: int
    labeled: list[int]
    train_seconds: float
    query_seconds: float
    classifier: object


def run_active_learning(model: str, spec: TaskSpec, pool_df, initial: list[int], strategy_name: str,
                        settings: ActiveSettings, seed: int,
                        on_iteration: Callable[[Iteration], None] = lambda it: None) -> list[int]:
    """Query until ``settings.budget`` pool rows are labelled; returns them in labelling order.

    ``on_iteration`` sees the initial model (iteration 0) and each model after a query.
    """
    from small_text import PoolBasedActiveLearner
    from tqdm.auto import tqdm
    from transformers import set_seed

    if len(initial) > settings.budget:
        raise ActiveLearningError(f"The initial set ({len(initial)}) is larger than --budget {settings.budget}.")
    if settings.budget > len(pool_df):
        raise ActiveLearningError(f"--budget {settings.budget} exceeds the pool of {len(pool_df)} rows.")
    set_seed(seed)
    dataset = encode_pool(model, spec, pool_df, settings.max_length)
    strategy = make_strategy(strategy_name)
    learner = PoolBasedActiveLearner(ClassifierFactory(model, spec.num_labels, settings), strategy, dataset)
    labeled = list(initial)
    start = time.perf_counter()
    learner.initialize_data(np.array(labeled), dataset.y[labeled])
    on_iteration(Iteration(0, list(labeled), time.perf_counter() - start, 0.0, learner.classifier))
    steps = -(-(settings.budget - len(labeled)) // settings.query_size)
    with tqdm(total=steps, desc=f"{strategy_name} queries", unit="query") as progress:
        for step in range(1, steps + 1):
            start = time.perf_counter()
            queried = learner.query(num_samples=min(settings.query_size, settings.budget - len(labeled)))
            query_seconds = time.perf_counter() - start
            start = time.perf_counter()
            learner.update(dataset.y[queried])
            train_seconds = time.perf_counter() - start
            labeled += [int(i) for i in queried]
            progress.set_postfix(labeled=len(labeled), query_s=f"{query_seconds:.1f}", train_s=f"{train_seconds:.1f}")
            progress.update()
            on_iteration(Iteration(step, list(labeled), train_seconds, query_seconds, learner.classifier))
    return labeled


def distinct_rows(texts: Sequence[str], rows: Sequence[int], labelled: Sequence[int]) -> list[int]:
    """``rows`` without near-duplicates (loose_duplicate_key) of each other, the first kept, or of a labelled row."""
    seen = {loose_duplicate_key(texts[p]) for p in labelled}
    kept = []
    for position in rows:
        key = loose_duplicate_key(texts[position])
        if key not in seen:
            seen.add(key)
            kept.append(position)
    return kept


def query_once(model: str, spec: TaskSpec, pool_df, labelled: list[int], labels: list[int], strategy_name: str,
               settings: ActiveSettings, k: int, seed: int) -> list[int]:
    """The ``k`` pool rows (positions in ``pool_df``) a small-text strategy queries next, its classifier trained on the
    ``labelled`` rows with the annotators' ``labels`` (class indices) and every other label unknown: the next round
    of active learning on a pool that is labelled only where people labelled it. It scores the first
    ``settings.pool_size`` rows of the pool (all without it) besides the labelled ones."""
    from small_text import LABEL_UNLABELED, PoolBasedActiveLearner
    from transformers import set_seed

    set_seed(seed)
    # the rows scored: the first pool_size of the pool (all without it) less near-duplicates, and the labelled ones
    first, taken = range(min(settings.pool_size or len(pool_df), len(pool_df))), set(labelled)
    candidates = distinct_rows(merged_texts(pool_df, spec), [p for p in first if p not in taken], labelled)
    if len(candidates) < k:
        raise ActiveLearningError(f"The first {len(first)} rows of the pool hold {len(candidates)} rows that are "
                                  f"neither labelled nor near-duplicates of others, fewer than the {k} to query: raise "
                                  "--pool-size, or ask for fewer (the task name's k).")
    scored = sorted([*candidates, *labelled])
    place = {position: i for i, position in enumerate(scored)}
    known = np.full(len(scored), LABEL_UNLABELED)
    known[[place[p] for p in labelled]] = labels
    print(f"{strategy_name}: training its classifier on {len(labelled)} labelled rows, then scoring "
          f"{len(candidates)} rows of the pool (the first {len(first)}, near-duplicates left out)", file=sys.stderr)
    dataset = encode_pool(model, spec, pool_df.iloc[scored].assign(label=known), settings.max_length)
    factory = ClassifierFactory(model, spec.num_labels, settings, progress=f"{strategy_name} scoring the pool")
    learner = PoolBasedActiveLearner(factory, make_strategy(strategy_name), dataset)
    learner.initialize_data(np.array([place[p] for p in labelled]), np.array(labels))
    return [scored[int(i)] for i in learner.query(num_samples=k)]
