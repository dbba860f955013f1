import math

import pytest

from activellm.data.tasks import TASKS
from activellm.training.metrics import compute_metrics, main_metric


def test_binary_precision_and_recall_are_not_swapped():
    # TP=1, FN=2, FP=0, TN=2: precision of class 1 = 1/1, recall of class 1 = 1/3
    result = compute_metrics(TASKS["sst2"], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0])
    assert result["precision_per_class"] == [pytest.approx(2 / 4), pytest.approx(1.0)]
    assert result["recall_per_class"] == [pytest.approx(1.0), pytest.approx(1 / 3)]
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["f1"] == pytest.approx(0.5)  # 2 * 1 * (1/3) / (1 + 1/3)
    assert result["mcc"] == pytest.approx(2 / math.sqrt(24))
    assert result["pearson"] is None and result["spearman"] is None


def test_multiclass_is_macro_and_keeps_absent_classes():
    spec = TASKS["mnli_matched"]  # 3 classes
    result = compute_metrics(spec, [0, 1, 2, 2], [0, 1, 1, 2])
    # per class F1: 1, 2/3, 2/3 -> macro 7/9
    assert result["f1"] == pytest.approx(7 / 9)
    assert result["precision_per_class"] == [pytest.approx(1.0), pytest.approx(0.5), pytest.approx(1.0)]
    assert result["recall_per_class"] == [pytest.approx(1.0), pytest.approx(1.0), pytest.approx(0.5)]
    assert result["mcc"] is None


def test_cola_reports_mcc_as_main_metric():
    result = compute_metrics(TASKS["cola"], [1, 0, 1, 0], [1, 0, 0, 0])
    assert result["mcc"] == pytest.approx(1 / math.sqrt(3))  # (1*2 - 0*1) / sqrt(1*2*3*2)
    assert main_metric(TASKS["cola"]) == "mcc"


def test_regression_reports_pearson_and_spearman():
    result = compute_metrics(TASKS["stsb"], [0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 4.0, 9.0])
    assert result["spearman"] == pytest.approx(1.0)
    assert result["pearson"] == pytest.approx(0.9583148, abs=1e-6)
    assert result["accuracy"] is None and main_metric(TASKS["stsb"]) == "spearman"


def test_a_class_absent_from_labels_and_predictions_keeps_its_place():
    """Three classes, the third never seen: per-class values stay in class order, with 0 for the absent one."""
    result = compute_metrics(TASKS["mnli_matched"], [0, 1, 1, 0], [0, 1, 0, 0])
    assert result["precision_per_class"] == [pytest.approx(2 / 3), pytest.approx(1.0), 0.0]
    assert result["recall_per_class"] == [pytest.approx(1.0), pytest.approx(0.5), 0.0]
    # macro F1 over all three classes (0.8, 2/3, 0), not over the two present
    assert result["f1"] == pytest.approx((0.8 + 2 / 3 + 0.0) / 3)
