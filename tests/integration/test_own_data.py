"""Your own data end to end: an unlabelled pool, picks out to annotators, labels back, a classifier and its
predictions; the next round from small-text or from the LLM."""

from __future__ import annotations

import json
import shlex

import pandas as pd
import pytest

import model_training
import prompt_generation
from activellm.data.loading import load_splits
from activellm.data.tasks import TASKS
from activellm.files import current_umask
from tests.conftest import sentiment_frame
from tests.integration.llm_stub import StubLLM


def _unlabelled(root, name, texts, classes=("negative", "positive")):
    folder = root / "data" / name
    folder.mkdir(parents=True)
    pd.DataFrame({"text": texts}).to_csv(folder / "df_train_full.csv", index=False)
    (folder / "classes.txt").write_text("\n".join(classes) + "\n")
    return folder


def _fill(path, truth):
    table = pd.read_csv(path, keep_default_na=False)
    table["label"] = [truth[int(row)] for row in table["row"]]
    table.to_csv(path, index=False)
    return table


def test_rotten_tomatoes_without_labels_pick_label_train_predict(project_root, tmp_path, capsys):
    """2,000 Rotten Tomatoes texts without labels: k-means picks 32, an annotator (this test) labels them, MiniLM
    trains on them as a main-job cell would and predicts the other 1,968."""
    _, train, _ = load_splits(TASKS["rotten_tomatoes"])
    sample = train.iloc[:2000].reset_index(drop=True)
    names = ("negative", "positive")
    truth = [names[int(label)] for label in sample["label"]]
    _unlabelled(project_root, "rt2000", sample["text"].tolist())
    picks, studio = tmp_path / "round1.csv", tmp_path / "round1.json"
    for path in (picks, studio):
        assert model_training.main(["--task", "rt2000", "--activelearning", "embedding_kmeans", "--run", "1",
                                    "--export-labelling", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"labelling: {picks} (32 rows of rt2000, run 1: embedding_kmeans picks)" in out
    assert '<Choice value="negative"/><Choice value="positive"/>' in out  # Label Studio's configuration
    rows = _fill(picks, truth)["row"].tolist()
    assert len(rows) == len(set(rows)) == 32 and [t["data"]["row"] for t in json.loads(studio.read_text())] == rows
    predictions = tmp_path / "predictions.csv"
    assert model_training.main(["--task", "rt2000", "--labels", str(picks), "--predict", str(predictions),
                                "--model", "minilm", "--train-batch-size", "8", "--seeds", "42"]) == 0
    out = capsys.readouterr().out
    assert "accuracy: not measured (rt2000 has no labelled test rows" in out
    predicted = pd.read_csv(predictions)
    assert predicted.columns.tolist() == ["line", "row", "text", "predicted_label", "probability"]
    assert len(predicted) == 1968 and not set(predicted["row"]) & set(rows)
    assert predicted["text"].tolist() == sample["text"].drop(index=rows).tolist()
    accuracy = (predicted["predicted_label"] == [truth[r] for r in predicted["row"]]).mean()
    majority = pd.Series(truth).drop(index=rows).value_counts(normalize=True).max()
    assert accuracy > majority + 0.03  # a k-means-32 cell of the main job: about 0.63 against 0.5
    from transformers import AutoModelForSequenceClassification

    saved = AutoModelForSequenceClassification.from_pretrained(tmp_path / "predictions_model")
    assert saved.config.id2label == {0: "negative", 1: "positive"}
    record = json.loads((tmp_path / "predictions_model" / "activellm_training.json").read_text())
    assert record["labelled_rows"] == 32 and record["test_accuracy"] is None and record["max_length"] == 512
    assert model_training.main(["--task", "rt2000", "--labels", str(picks), "--predict", str(predictions)]) == 2
    assert "is never overwritten" in capsys.readouterr().err


def test_string_labels_train_and_report_by_name(project_root, tiny_model, tmp_path, capsys):
    folder = project_root / "data" / "named"
    folder.mkdir(parents=True)
    for name, n, offset in (("df_train_full.csv", 40, 0), ("df_test.csv", 12, 500)):
        frame = sentiment_frame(n, offset)
        frame["label"] = frame["label"].map({0: "neg", 1: "pos"})
        frame.to_csv(folder / name, index=False)
    assert model_training.main(["--task", "named_8", "--model", tiny_model, "--seeds", "1", "--epochs", "1"]) == 0
    from activellm.training.results import read_results

    (row,) = read_results(next((project_root / "logs").rglob("run_*.csv")))
    assert row["class_names"] == "neg | pos"
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"row": [0, 1, 2, 3], "label": ["neg", "pos", "neg", "pos"]}).to_csv(labels, index=False)
    out = tmp_path / "out.csv"
    assert model_training.main(["--task", "named", "--labels", str(labels), "--predict", str(out), "--model",
                                tiny_model, "--seeds", "1", "--epochs", "1"]) == 0
    assert "accuracy on the 12 labelled test rows of named:" in capsys.readouterr().out
    assert set(pd.read_csv(out)["predicted_label"]) <= {"neg", "pos"} and len(pd.read_csv(out)) == 36


def _small_text_round(project_root, tiny_model, tmp_path, task, *options):
    """Round 1 (the first rows of a 40-text pool) labelled from the truth, then small-text's round 2: both files."""
    frame = sentiment_frame(40)
    _unlabelled(project_root, "pool", frame["text"].tolist())
    first, second = tmp_path / "round1.csv", tmp_path / "round2.csv"
    assert model_training.main(["--task", task, "--run", "1", "--export-labelling", str(first)]) == 0
    _fill(first, ["negative" if label == 0 else "positive" for label in frame["label"]])
    assert model_training.main(["--task", task, "--run", "1", "--labels", str(first), "--modelclass", "smalltext",
                                "--activelearning", "PredictionEntropy", "--model", tiny_model, "--al-epochs", "1",
                                *options, "--export-labelling", str(second)]) == 0
    return first, second


def test_the_next_round_from_small_text_warm_started_on_the_labels(project_root, tiny_model, tmp_path, capsys):
    first, second = _small_text_round(project_root, tiny_model, tmp_path, "pool_6")
    again = pd.read_csv(second, keep_default_na=False)
    assert len(again) == 6 and not set(again["row"]) & set(pd.read_csv(first)["row"])
    assert model_training.main(["--task", "pool_6", "--run", "1", "--modelclass", "smalltext", "--activelearning",
                                "PredictionEntropy", "--export-labelling", str(tmp_path / "x.csv")]) == 2
    assert "give the labels of the rounds before with --labels FILE" in capsys.readouterr().err


def test_the_next_round_from_the_llm_recaps_the_labelled_rows(project_root, tmp_path, monkeypatch):
    """Round 2 from the LLM shows the rows people labelled in round 1, with their labels, and never offers them
    again: whatever the LLM answers, round 2's rows are new."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-own-data")
    frame = sentiment_frame(40)
    _unlabelled(project_root, "pool", frame["text"].tolist())
    first = tmp_path / "round1.csv"
    assert model_training.main(["--task", "pool_4", "--run", "1", "--export-labelling", str(first)]) == 0
    labelled = _fill(first, ["negative" if label == 0 else "positive" for label in frame["label"]])
    with StubLLM([("reply", "I pick 0, 1, 2, 3")]) as stub:
        assert prompt_generation.main(["--task", "pool", "--examples", "4", "--mode", "8", "--prompt-examples", "10",
                                       "--labels", str(first), "--ask", "--base-url", stub.base_url, "--llm-model",
                                       "stub"]) == 0
    prompt = stub.requests[0]["messages"][0]["content"]
    recap, _, shown = prompt.partition("The instances follow")
    assert "These instances have already been labeled" in recap
    for text, label in zip(labelled["text"], labelled["label"]):
        assert f"{text} [label: {label}]" in recap and text not in shown
    second = tmp_path / "round2.csv"
    assert model_training.main(["--task", "pool_4", "--mode", "stub_8_after4", "--run", "1", "--export-labelling",
                                str(second)]) == 0
    again = pd.read_csv(second)
    assert len(again) == 4 and not set(again["row"]) & set(labelled["row"])
    sidecar = json.loads(next((project_root / "prompts").rglob("stub_8_after4/prompt_1.json")).read_text())
    assert sidecar["labelled_rows"] == 4 and list(sidecar["labels_files"]) == [str(first)]


@pytest.mark.parametrize("argv, message", [
    (["--labels", "x.csv"], "--labels FILE needs --predict OUT"),
    (["--export-labelling", "x.csv", "--predict", "y.csv"], "one at a time"),
    (["--predict-file", "x.csv"], "--predict-file and --save-model go with --labels FILE --predict OUT"),
])
def test_option_combinations_that_make_no_workflow_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        model_training.main(["--task", "rotten_tomatoes", *argv])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_a_pools_class_names_reach_a_prompt_that_asks_for_them(project_root, tmp_path, capsys):
    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good"))
    template = tmp_path / "classes.txt"
    template.write_text("Pick {k} to label as {classes}.{instances}")
    assert prompt_generation.main(["--task", "pool", "--mode", "8", "--prompt-template", str(template)]) == 0
    prompt = next((project_root / "prompts" / "pool").rglob("prompt_1.txt")).read_text()
    assert prompt.startswith("Pick 32 to label as bad, good.")


def test_the_representative_classes_prompt_of_a_pool_names_its_classes_in_its_own_folder(project_root):
    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good"))
    assert prompt_generation.main(["--task", "pool", "--mode", "representative-classes", "--prompt-examples",
                                   "10"]) == 0
    prompt = (project_root / "prompts" / "pool" / "representative-classes" / "prompt_1.txt").read_text()
    assert "The classes of the task are: bad, good." in prompt


@pytest.mark.parametrize("pool, labels, message", [
    ({"body": ["a", "b"]}, None, "lacks the column(s) text (it has body)"),
    ({"id": [1, 2, 3], "text": ["a", " ", "c"]}, None, "line(s) 3 have an empty text; fill them in or remove"),
    (None, {"row": [0, 99], "label": ["bad", "good"]}, "row 99 is not a row of the pool (rows 0..39"),
    (None, {"row": [0, 1], "label": ["bad", "great"]}, "row 1's label 'great' is not one of the classes bad, good"),
    (None, {"row": [0, 0], "label": ["bad", "bad"]}, "row 0 is labelled a second time"),
    (None, {"row": [0, 1], "label": ["bad", ""]}, "row 1 has no label; label it, or remove it"),
])
def test_each_bad_input_exits_2_with_its_line_and_writes_nothing(pool, labels, message, project_root, tiny_model,
                                                                  tmp_path, capsys):
    folder = _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good"))
    if pool is not None:
        pd.DataFrame(pool).to_csv(folder / "df_train_full.csv", index=False)
    labels_file = tmp_path / "labels.csv"
    pd.DataFrame(labels or {"row": [0], "label": ["bad"]}).to_csv(labels_file, index=False)
    before = labels_file.read_bytes()
    out = tmp_path / "out.csv"
    assert model_training.main(["--task", "pool", "--labels", str(labels_file), "--predict", str(out), "--model",
                                tiny_model, "--seeds", "1", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("error:") == 1 and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "out_model").exists() and labels_file.read_bytes() == before


def test_a_class_nobody_labelled_is_warned_and_training_goes_on(project_root, tiny_model, tmp_path, capsys):
    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good", "mixed"))
    labels_file = tmp_path / "labels.csv"
    pd.DataFrame({"row": [0, 1, 2], "label": ["bad", "good", "bad"]}).to_csv(labels_file, index=False)
    assert model_training.main(["--task", "pool", "--labels", str(labels_file), "--predict", str(tmp_path / "o.csv"),
                                "--model", tiny_model, "--seeds", "1", "--epochs", "1"]) == 0
    assert "warning: no labelled row is mixed: the classifier cannot learn to predict it" in capsys.readouterr().err


def test_an_export_is_refused_for_options_training_would_refuse(project_root, tmp_path, capsys):
    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist())
    path = tmp_path / "round1.csv"
    assert model_training.main(["--task", "pool_6", "--activelearning", "PredictionEntropy",
                                "--export-labelling", str(path)]) == 2
    err = capsys.readouterr().err
    assert "--activelearning PredictionEntropy queries with --modelclass smalltext" in err and not path.exists()


def test_a_bad_predict_file_is_found_before_training_and_leaves_nothing(project_root, tiny_model, tmp_path, capsys,
                                                                         monkeypatch):
    from activellm.training import fine_tuning

    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good"))
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"row": [0, 1], "label": ["bad", "good"]}).to_csv(labels, index=False)
    other = tmp_path / "other.csv"
    pd.DataFrame({"body": ["new text"]}).to_csv(other, index=False)
    trained = []
    monkeypatch.setattr(fine_tuning, "fine_tune", lambda *a, **k: trained.append(1) or (_ for _ in ()).throw(
        AssertionError("trained")))
    argv = ["--task", "pool", "--labels", str(labels), "--predict", str(tmp_path / "out.csv"), "--model", tiny_model,
            "--seeds", "1", "--epochs", "1"]
    assert model_training.main([*argv, "--predict-file", str(other)]) == 2
    assert "other.csv lacks the column(s) text" in capsys.readouterr().err and not trained
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out_model").exists()


def test_a_failure_after_training_leaves_no_half_model(project_root, tiny_model, tmp_path, monkeypatch):
    from activellm.training import fine_tuning

    _unlabelled(project_root, "pool", sentiment_frame(40)["text"].tolist(), classes=("bad", "good"))
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"row": [0, 1], "label": ["bad", "good"]}).to_csv(labels, index=False)
    results = tmp_path / "results"
    results.mkdir()
    argv = ["--task", "pool", "--labels", str(labels), "--predict", str(results / "out.csv"), "--model", tiny_model,
            "--seeds", "1", "--epochs", "1"]

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory while scoring")

    monkeypatch.setattr(fine_tuning, "predict_logits", broken)
    with pytest.raises(RuntimeError):
        model_training.main(argv)
    assert list(results.iterdir()) == []  # no model, no predictions, no half-saved folder
    monkeypatch.undo()
    monkeypatch.setenv("ACTIVELLM_ROOT", str(project_root))
    assert model_training.main(argv) == 0  # the rerun is not refused
    assert (results / "out_model" / "activellm_training.json").is_file() and (results / "out.csv").is_file()
    assert oct((results / "out_model").stat().st_mode & 0o777) == oct(0o777 & ~current_umask())


def test_small_texts_next_round_scores_only_the_first_pool_size_rows(project_root, tiny_model, tmp_path):
    from activellm.data.pools import load_task

    first, second = _small_text_round(project_root, tiny_model, tmp_path, "pool_4", "--pool-size", "10")
    within = set(load_task("pool", 1).pool["index"].iloc[:10])
    rows = set(pd.read_csv(second)["row"])
    assert len(rows) == 4 and rows <= within and not rows & set(pd.read_csv(first)["row"])


def _printed(text: str) -> str:
    """The command of the last "then" line printed: pasted as it is."""
    line = [line for line in text.splitlines() if line.startswith("then")][-1]
    return line.rsplit("run: ", 1)[-1] if "run: " in line else line.split(": ", 1)[1]


def _paste(command: str) -> int:
    argv = shlex.split(command)
    scripts = {"model_training.py": model_training, "prompt_generation.py": prompt_generation}
    assert argv[0] == "python" and argv[1] in scripts, command
    return scripts[argv[1]].main(argv[2:])


def test_every_printed_hint_of_the_loop_runs_as_printed(project_root, tiny_model, monkeypatch, capsys):
    """k-means round, small-text round, an LLM round pasted by hand: each step's printed next command, pasted."""
    monkeypatch.chdir(project_root)
    frame = sentiment_frame(40)
    truth = ["negative" if label == 0 else "positive" for label in frame["label"]]
    _unlabelled(project_root, "pool", frame["text"].tolist())
    training = ["--model", tiny_model, "--seeds", "1", "--epochs", "1"]
    assert model_training.main(["--task", "pool_4", "--activelearning", "embedding_kmeans", "--run", "1",
                                "--export-labelling", "round1.csv", *training]) == 0
    hint = _printed(capsys.readouterr().err)
    assert shlex.split(hint)[-6:] == training and "--predict predictions_round1.csv" in hint
    _fill(project_root / "round1.csv", truth)
    assert _paste(hint) == 0 and (project_root / "predictions_round1.csv").is_file()
    capsys.readouterr()

    assert model_training.main(["--task", "pool_4", "--run", "1", "--labels", "round1.csv", "--modelclass",
                                "smalltext", "--activelearning", "PredictionEntropy", "--al-epochs", "1",
                                "--export-labelling", "round2.csv", *training]) == 0
    hint = _printed(capsys.readouterr().err)
    assert "--labels round1.csv round2.csv --predict predictions_round2.csv" in hint
    _fill(project_root / "round2.csv", truth)
    assert _paste(hint) == 0
    capsys.readouterr()

    assert prompt_generation.main(["--task", "pool_4", "--mode", "8", "--prompt-examples", "10", "--labels",
                                   "round1.csv", "round2.csv"]) == 0
    paste = _printed(capsys.readouterr().err)
    assert paste == "python prompt_generation.py --parse-answer answers/pool_4/8_after8/answer_1.txt"
    (project_root / "answers" / "pool_4" / "8_after8").mkdir(parents=True)
    (project_root / shlex.split(paste)[-1]).write_text("I would label 0, 2, 4, 6.")
    assert _paste(paste) == 0
    hint = _printed(capsys.readouterr().err)
    assert hint == "python model_training.py --task pool_4 --mode 8_after8 --run 1 --export-labelling round3.csv"
    assert _paste(hint) == 0
    hint = _printed(capsys.readouterr().err)
    assert "--labels round1.csv round2.csv round3.csv --predict predictions_round3.csv --model" in hint
    _fill(project_root / "round3.csv", truth)
    assert _paste(hint) == 0
    assert len(pd.read_csv(project_root / "predictions_round3.csv")) == 40 - 12


def test_small_texts_next_round_shows_progress_and_keeps_near_duplicates_out(project_root, tiny_model, tmp_path,
                                                                              capsys):
    """A pool of spam offers and their variants (case, a trailing space, two more characters): one round never holds
    two of a kind, nor a variant of a labelled row."""
    from activellm.prompts.build import loose_duplicate_key

    offers = [f"WIN a {prize} now" for prize in ("car", "phone", "trip", "tv", "bike", "watch")]
    texts = [variant for offer in offers for variant in (offer, offer.lower() + " ", offer + "!!", offer.upper())]
    texts += [f"see you at {hour} o'clock, {name}" for hour in range(1, 9) for name in ("ann", "bo")]
    _unlabelled(project_root, "spam", texts, classes=("ham", "spam"))
    first = tmp_path / "round1.csv"
    assert model_training.main(["--task", "spam_4", "--run", "1", "--export-labelling", str(first)]) == 0
    table = pd.read_csv(first, keep_default_na=False)
    table["label"] = ["spam" if "WIN" in text.upper() else "ham" for text in table["text"]]
    table.to_csv(first, index=False)
    second = tmp_path / "round2.csv"
    capsys.readouterr()
    assert model_training.main(["--task", "spam_8", "--run", "1", "--labels", str(first), "--modelclass",
                                "smalltext", "--activelearning", "PredictionEntropy", "--model", tiny_model,
                                "--al-epochs", "1", "--export-labelling", str(second)]) == 0
    err = capsys.readouterr().err
    assert "PredictionEntropy scoring the pool" in err and "near-duplicates left out" in err
    keys = [loose_duplicate_key(text) for text in pd.read_csv(second, keep_default_na=False)["text"]]
    labelled = {loose_duplicate_key(text) for text in table["text"]}
    assert len(keys) == len(set(keys)) == 8 and not set(keys) & labelled


def test_predictions_cover_every_line_of_the_pools_file_repeats_included(project_root, tiny_model, tmp_path):
    texts = sentiment_frame(12)["text"].tolist()
    with_repeats = texts + [texts[3], texts[5], texts[5] + " "]  # lines 14-16: repeats (the last one not exact)
    _unlabelled(project_root, "pool", with_repeats, classes=("bad", "good"))
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"row": [0, 5], "label": ["bad", "good"]}).to_csv(labels, index=False)
    out = tmp_path / "out.csv"
    assert model_training.main(["--task", "pool", "--labels", str(labels), "--predict", str(out), "--model",
                                tiny_model, "--seeds", "1", "--epochs", "1"]) == 0
    predicted = pd.read_csv(out, keep_default_na=False)
    file_lines = [i + 2 for i, text in enumerate(with_repeats) if text not in (texts[0], texts[5])]
    assert predicted["line"].tolist() == file_lines  # every line nobody labelled, the repeat of row 3 too
    assert predicted.loc[predicted["line"] == 14, "row"].item() == 3  # a repeat carries its text's row id
    twice = predicted[predicted["row"] == 3]
    assert len(twice) == 2 and twice["predicted_label"].nunique() == 1 and twice["probability"].nunique() == 1
