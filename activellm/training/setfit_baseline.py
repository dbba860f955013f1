"""The SetFit few-shot baseline on the same selections as the BERT runs (paper: paraphrase-mpnet-base-v2).

SetFit fine-tunes a sentence transformer contrastively on pairs made from the few labelled examples, then fits a
logistic-regression head. Predictions are scored by activellm.training.metrics, like every other run; the Trainer gets a
callable metric (a metric name would be fetched from the hub).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass

import pandas as pd

from activellm.data.tasks import TaskSpec, merged_texts
from activellm.errors import UserError
from activellm.models import ModelLoadError, resolve_model
from activellm.training.fine_tuning import FitResult, autocast, pinned_trainer_precision
from activellm.training.metrics import compute_metrics

PAPER_SETFIT_MODEL = "sentence-transformers/paraphrase-mpnet-base-v2"


@dataclass(frozen=True)
class SetFitSettings:
    epochs: int = 4  # body epochs, as in the original
    iterations: int = 20  # pairs generated per example
    batch_size: int = 16


def _unused_metric(predictions, references) -> dict[str, float]:
    """Never called (we predict and score ourselves); given so that SetFit does not fetch a hub metric."""
    return {}


def fit_and_evaluate_setfit(model: str, spec: TaskSpec, train_df: pd.DataFrame, test_df: pd.DataFrame, seed: int,
                            settings: SetFitSettings, precision: str = "fp32") -> FitResult:
    """SetFit on ``train_df``, scored on ``test_df``; bf16 runs body training and encoding under autocast, fp16
    uses SetFit's own mixed precision (with its gradient scaling)."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments
    from transformers import set_seed

    if spec.is_regression:
        raise UserError(f"SetFit classifies; task {spec.name!r} is a regression task: use --modelclass default.")
    set_seed(seed)
    try:
        classifier = SetFitModel.from_pretrained(resolve_model(model))
    except OSError as error:
        raise ModelLoadError(f"Could not load the SetFit body {model!r}: {error}. Offline, use --model minilm.") from error
    train = Dataset.from_dict({"text": merged_texts(train_df, spec), "label": train_df["label"].astype(int).tolist()})
    trainer_precision = "fp16" if precision == "fp16" else "fp32"  # bf16: our autocast around an fp32 Trainer
    with (pinned_trainer_precision(trainer_precision),
          tempfile.TemporaryDirectory(prefix="activellm-setfit-") as scratch):
        args = TrainingArguments(output_dir=scratch, batch_size=settings.batch_size, num_epochs=settings.epochs,
                                 num_iterations=settings.iterations, seed=seed, report_to="none",
                                 save_strategy="no", show_progress_bar=True, use_amp=precision == "fp16")
        trainer = Trainer(model=classifier, args=args, train_dataset=train, metric=_unused_metric)
        start = time.perf_counter()
        with autocast("bf16" if precision == "bf16" else "fp32"):
            trainer.train()
        train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with autocast(precision):
        predictions = classifier.predict(merged_texts(test_df, spec), as_numpy=True)
    eval_seconds = time.perf_counter() - start
    return FitResult(compute_metrics(spec, test_df["label"].astype(int).tolist(), predictions), train_seconds,
                     eval_seconds)
