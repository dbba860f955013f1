"""--precision and evaluation at the hardware's pace: flag errors, bf16 rows, test order, one encoding per run."""

import os

import numpy as np
import pytest

import model_training
from activellm.data.loading import load_splits
from activellm.data.tasks import get_spec
from activellm.training import experiment
from activellm.training.fine_tuning import (EncodedDataset, TrainingSettings, cpu_supports_bf16, encode_test_set,
                                            load_classifier, load_tokenizer, predict_logits)
from activellm.training.results import read_results


def _run(tiny_model, *extra):
    return model_training.main(["--task", "tiny_4", "--model", tiny_model, "--seeds", "1 2", "--epochs", "1", *extra])


def test_an_unknown_precision_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        model_training.main(["--task", "tiny", "--precision", "fp64"])
    assert "invalid choice: 'fp64'" in capsys.readouterr().err


def test_fp16_on_a_cpu_is_a_clear_error(tiny_task, tiny_model, project_root, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert _run(tiny_model, "--precision", "fp16") == 2
    assert "--precision fp16 needs a CUDA GPU" in capsys.readouterr().err
    assert not (project_root / "logs").exists()


def test_bf16_without_native_support_is_refused(tiny_task, tiny_model, project_root, capsys, monkeypatch):
    monkeypatch.setattr("activellm.training.fine_tuning.cpu_supports_bf16", lambda: False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert _run(tiny_model, "--precision", "bf16") == 2
    assert "no native bf16" in capsys.readouterr().err


@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no native bf16")
def test_bf16_and_fp32_runs_give_valid_rows(tiny_task, tiny_model, project_root):
    for precision in ("fp32", "bf16"):
        assert _run(tiny_model, "--precision", precision) == 0
    rows = [r for p in sorted((project_root / "logs" / "run").rglob("run_*.csv")) for r in read_results(p)]
    assert sorted({r["precision"] for r in rows}) == ["bf16", "fp32"] and len(rows) == 4
    assert all(0 <= float(r["accuracy"]) <= 1 and r["status"] == "ok" for r in rows)


def test_the_test_set_is_encoded_once_per_run(tiny_task, tiny_model, project_root, monkeypatch):
    calls = []
    original = experiment.encode_test_set
    monkeypatch.setattr(experiment, "encode_test_set", lambda *a, **k: calls.append(1) or original(*a, **k))
    assert _run(tiny_model) == 0  # two seeds
    assert len(calls) == 1


def test_sorted_batches_return_logits_in_the_test_sets_order(tiny_task, tiny_model, project_root):
    spec, _, test = load_splits(get_spec("tiny"))
    test = test.assign(text=[t + " and more" * (i % 5) for i, t in enumerate(test["text"])])  # varied lengths
    encoded = encode_test_set(tiny_model, spec, test, TrainingSettings())
    classifier = load_classifier(tiny_model, spec, seed=3)
    tokenizer = load_tokenizer(tiny_model)
    batched = predict_logits(classifier, tokenizer, encoded, batch_size=5, precision="fp32")
    one_by_one = np.concatenate([
        predict_logits(classifier, tokenizer, EncodedDataset({k: [v[i]] for k, v in encoded.encodings.items()},
                                                              [encoded.labels[i]]), 1, "fp32")
        for i in range(len(encoded))])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    lengths = [len(ids) for ids in encoded.encodings["input_ids"]]
    assert lengths != sorted(lengths, reverse=True)  # the test set itself is not sorted: order was restored


def _trainer_precisions(monkeypatch) -> list[str]:
    """The mixed precision of every Accelerator a Trainer (ours or SetFit's) creates from now on."""
    import accelerate

    seen = []
    original = accelerate.Accelerator.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seen.append(self.mixed_precision)

    monkeypatch.setattr(accelerate.Accelerator, "__init__", recording_init)
    return seen


def test_an_exported_accelerate_precision_does_not_make_an_fp32_run_bf16(tiny_task, tiny_model,
                                                                         tiny_sentence_transformer, project_root,
                                                                         monkeypatch):
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")  # a user's shell, or a bf16 Trainer earlier on
    seen = _trainer_precisions(monkeypatch)
    assert _run(tiny_model) == 0
    assert model_training.main(["--task", "tiny_8", "--modelclass", "setfit", "--model", tiny_sentence_transformer,
                                "--setfit-epochs", "1", "--setfit-iterations", "2", "--seeds", "3"]) == 0
    assert seen == ["no", "no", "no"]  # two seeds of ours, one SetFit body
    assert os.environ["ACCELERATE_MIXED_PRECISION"] == "bf16"  # left as it was found


@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no native bf16")
def test_a_bf16_run_leaves_no_bf16_behind_for_the_next_fp32_run(tiny_task, tiny_model, project_root, monkeypatch):
    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    seen = _trainer_precisions(monkeypatch)
    assert _run(tiny_model, "--precision", "bf16") == 0
    assert "ACCELERATE_MIXED_PRECISION" not in os.environ  # nor for a child process started now
    assert _run(tiny_model, "--precision", "fp32") == 0
    assert seen == ["bf16", "bf16", "no", "no"]
