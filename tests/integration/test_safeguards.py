"""Safeguards that must hold: training learns and is evaluated on the test split, unrelated crashes are not
reported as bad input, sidecars that do not fit are refused, credentials stay out of metadata, a timeout is
retried, and the paper's training settings are the defaults."""

import json

import pandas as pd
import pytest

import model_training
import prompt_generation
from activellm import paths
from activellm.llm.client import public_endpoint
from activellm.training.fine_tuning import TrainingSettings, training_arguments
from activellm.training.results import read_results
from tests.conftest import sentiment_frame
from tests.integration.llm_stub import StubLLM


@pytest.fixture
def separable_task(project_root):
    """Train: 64 sentences whose words give the class. Test: 20 such sentences and 5 with flipped labels, so a
    model that learnt the words scores exactly 20/25 = 0.8 on the test split (and 1.0 on the train split)."""
    folder = project_root / "data" / "separable"
    folder.mkdir(parents=True)
    sentiment_frame(64).to_csv(folder / "df_train_full.csv", index=False)
    flipped = sentiment_frame(5, offset=2000).assign(label=lambda df: 1 - df["label"])
    pd.concat([sentiment_frame(20, offset=1000), flipped]).to_csv(folder / "df_test.csv", index=False)
    return "separable"


def _accuracy(project_root, tiny_model, epochs):
    def written():
        return set((project_root / "logs").rglob("run_*.csv"))

    before = written()
    assert model_training.main(["--task", "separable", "--model", tiny_model, "--seeds", "1", "--epochs",
                                str(epochs), "--learning-rate", "1e-3", "--train-batch-size", "8"]) == 0
    (new,) = written() - before  # runs in the same second get run_1_<time>.csv and run_1_<time>-1.csv
    (row,) = read_results(new)
    return float(row["accuracy"])


def test_training_learns_and_is_scored_on_the_test_split(separable_task, tiny_model, project_root, monkeypatch):
    monkeypatch.setattr(paths, "timestamp", lambda: "2026-01-01_00-00-00")  # both runs in one second, as in CI
    untrained = _accuracy(project_root, tiny_model, epochs=0)
    trained = _accuracy(project_root, tiny_model, epochs=30)
    assert untrained <= 0.6
    # the words learnt: at most one separable test sentence wrong; never above 0.8, which only scoring another
    # split than the test split (where the flipped five are absent) could give
    assert 0.76 <= trained <= 0.8 + 1e-9


def test_an_unrelated_crash_is_not_reported_as_bad_input(tiny_task, tiny_model, project_root, monkeypatch):
    from activellm.training import experiment

    def crash(*args, **kwargs):
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(experiment, "fit", crash)
    with pytest.raises(RuntimeError, match="device-side assert"):  # a traceback, not "error: ..." and exit 2
        model_training.main(["--task", "tiny_4", "--model", tiny_model, "--seeds", "1", "--epochs", "1"])


def _prompt(task="tiny_4", *extra):
    assert prompt_generation.main(["--task", task, "--mode", "8", "--prompt-examples", "10", *extra]) == 0


def _train(tiny_model, task="tiny_4", mode="8"):
    return model_training.main(["--task", task, "--mode", mode, "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"])


def test_a_sidecar_made_from_another_pool_is_refused(tiny_task, tiny_model, project_root, capsys):
    _prompt()
    paths.list_file("tiny_4", "8", 1).parent.mkdir(parents=True)
    paths.list_file("tiny_4", "8", 1).write_text("1, 2, 3, 4")
    pool = paths.pool_file("tiny", 1)
    rows = pool.read_text().splitlines()
    pool.write_text("\n".join([rows[0], rows[2], rows[1], *rows[3:]]) + "\n")  # another shuffle
    assert _train(tiny_model) == 2
    error = capsys.readouterr().err
    assert "prompt_1.json was made from a different df_train_full_shuffled_1.csv" in error
    assert not (project_root / "logs").exists()


def test_two_sidecars_that_disagree_are_refused(tiny_task, tiny_model, project_root, capsys):
    _prompt("tiny", "--examples", "2", "--continuous", "idxrecap")
    tag = "tiny_2_cont_index_recap"
    paths.list_file(tag, "8", 1).parent.mkdir(parents=True)
    paths.list_file(tag, "8", 1).write_text("0, 1")
    _prompt("tiny", "--examples", "2", "--continuous", "idxrecap")  # iteration 2
    second = paths.prompt_dir(tag, "8") / "prompt_1_cont2.json"
    sidecar = json.loads(second.read_text())
    sidecar["shown"][1]["position"] = 50  # number 1 now points elsewhere than in iteration 1's sidecar
    second.write_text(json.dumps(sidecar))
    paths.list_file(tag, "8", 1).write_text("0, 1, 2, 3")
    assert _train(tiny_model, task=f"{tag}_2") == 2
    assert "maps number 1 to pool row" in capsys.readouterr().err


def test_credentials_in_the_endpoint_are_never_written(tiny_task, project_root, monkeypatch):
    assert public_endpoint("https://alice:s3cret@llm.example.org:8443/v1/?api_key=abc") == \
        "https://llm.example.org:8443/v1"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with StubLLM([("reply", "0, 1, 2, 3")]) as stub:
        with_user = stub.base_url.replace("http://", "http://alice:s3cret@")
        assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "10", "--ask",
                                       "--base-url", with_user, "--llm-model", "m"]) == 0
    metadata = json.loads(paths.answer_file("tiny_4", "m_8", 1).with_suffix(".json").read_text())
    assert metadata["endpoint"] == stub.base_url
    for path in project_root.rglob("*"):
        if path.is_file():
            assert "s3cret" not in path.read_text(errors="ignore"), path


def test_a_timeout_is_retried(tiny_task, project_root, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with StubLLM([("slow", 3, "0, 1, 2, 3"), ("reply", "4, 5, 6, 7")]) as stub:
        assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "10", "--ask",
                                       "--base-url", stub.base_url, "--llm-model", "m", "--timeout", "0.5",
                                       "--retries", "1"]) == 0
    assert len(stub.requests) == 2 and paths.list_file("tiny_4", "m_8", 1).read_text() == "4, 5, 6, 7\n"


def test_the_papers_training_settings_are_the_defaults(tmp_path, monkeypatch):
    args = model_training.build_parser().parse_args(["--task", "sst2"])
    settings = model_training.config_from_args(args).settings
    assert settings == TrainingSettings()
    assert (settings.epochs, settings.learning_rate, settings.warmup_steps, settings.weight_decay,
            settings.train_batch_size, settings.max_length, settings.precision) == (25, 5e-5, 5, 0.01, 128, 512, "fp32")
    assert model_training.config_from_args(args).model_name == "bert-base-uncased"
    trainer_args = training_arguments(settings, 42, str(tmp_path), show_progress=False)
    assert (trainer_args.num_train_epochs, trainer_args.learning_rate, trainer_args.warmup_steps,
            trainer_args.weight_decay, trainer_args.per_device_train_batch_size, trainer_args.seed,
            trainer_args.bf16, trainer_args.fp16) == (25, 5e-5, 5, 0.01, 128, 42, False, False)
    # scoring batch: the paper's 512 on a GPU, 32 on a CPU (predictions do not depend on it)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert settings.eval_batch_size == "auto" and settings.eval_batch() == 512
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert settings.eval_batch() == 32
