"""Per-task metrics, with precision and recall the right way round (the original swapped them).

Classification: accuracy; F1 of the positive class (binary) or macro F1 (multi-class); precision and recall
per class; Matthews' correlation for binary tasks and CoLA. Regression (STS-B): Pearson and Spearman.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, precision_score, recall_score

from activellm.data.tasks import MCC, TaskSpec

METRIC_NAMES = ("accuracy", "f1", "mcc", "pearson", "spearman")


def main_metric(spec: TaskSpec) -> str:
    """The metric the paper reports for a task."""
    return {"regression": "spearman", MCC: "mcc"}.get(spec.metric, "accuracy")


def predictions_from_logits(logits: np.ndarray, spec: TaskSpec) -> np.ndarray:
    logits = np.asarray(logits)
    return logits.reshape(-1) if spec.is_regression else logits.argmax(axis=-1)


def compute_metrics(spec: TaskSpec, labels, predictions) -> dict[str, object]:
    """Metrics for ``predictions`` (class ids or regression values) against ``labels``.

    Returns the keys of METRIC_NAMES (None where undefined for the task) plus ``precision_per_class`` and
    ``recall_per_class`` (lists in class order; empty for regression).
    """
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    result: dict[str, object] = {name: None for name in METRIC_NAMES}
    result["precision_per_class"] = []
    result["recall_per_class"] = []
    if spec.is_regression:
        from scipy.stats import pearsonr, spearmanr  # here: half a second of start-up that classification never needs

        result["pearson"] = float(pearsonr(labels, predictions)[0])
        result["spearman"] = float(spearmanr(labels, predictions)[0])
        return result
    classes = list(range(spec.num_labels))
    result["accuracy"] = float(accuracy_score(labels, predictions))
    if spec.num_labels == 2:
        result["f1"] = float(f1_score(labels, predictions, pos_label=1, average="binary", zero_division=0))
    else:
        result["f1"] = float(f1_score(labels, predictions, labels=classes, average="macro", zero_division=0))
    result["precision_per_class"] = [float(v) for v in precision_score(
        labels, predictions, labels=classes, average=None, zero_division=0)]
    result["recall_per_class"] = [float(v) for v in recall_score(
        labels, predictions, labels=classes, average=None, zero_division=0)]
    if spec.num_labels == 2 or spec.metric == MCC:
        result["mcc"] = float(matthews_corrcoef(labels, predictions))
    return result
