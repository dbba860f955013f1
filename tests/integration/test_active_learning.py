"""small-text strategies, cold and warm starts, learning curves, and the SetFit baseline on tiny models."""

import numpy as np
import pytest

import model_training
from activellm import paths
from activellm.data.pools import load_task
from activellm.training.active_learning import (STRATEGIES, ActiveSettings, ClassifierFactory, encode_pool,
                                                fast_classifier_class, run_active_learning)
from activellm.training.experiment import labelled_list_path
from activellm.training.results import read_results

FAST = ["--al-epochs", "1", "--seeds", "5", "--epochs", "1"]


def labelled_list(argv):
    """The labelled list of the small-text run (or of the run on its list) of model_training.py ``argv``."""
    return labelled_list_path(model_training.config_from_args(model_training.build_parser().parse_args(argv)))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_queries(strategy, tiny_task, tiny_model):
    loaded = load_task("tiny", 1)
    settings = ActiveSettings(query_size=4, budget=12, epochs=1)
    seen = []
    labeled = run_active_learning(tiny_model, loaded.spec, loaded.pool.iloc[:40], [0, 1, 2, 3], strategy, settings,
                                  seed=1, on_iteration=lambda it: seen.append(len(it.labeled)))
    assert labeled[:4] == [0, 1, 2, 3] and len(set(labeled)) == 12 and max(labeled) < 40
    assert seen == [4, 8, 12]


def test_fast_inference_equals_small_texts_own(tiny_task, tiny_model):
    from small_text import TransformerBasedClassification

    loaded = load_task("tiny", 1)
    dataset = encode_pool(tiny_model, loaded.spec, loaded.pool)
    fast = ClassifierFactory(tiny_model, 2, ActiveSettings(epochs=1, inference_batch_size=7)).new()
    fast.fit(dataset[np.arange(10)])
    stock = TransformerBasedClassification(fast.transformer_model, 2, model_selection=False, mini_batch_size=5)
    stock.model, stock.tokenizer, stock.config = fast.model, fast.tokenizer, fast.config
    np.testing.assert_allclose(fast.predict_proba(dataset), stock.predict_proba(dataset), atol=1e-5)
    assert fast_classifier_class().__name__ == "FastTransformerClassification"
    # embeddings average the real tokens only: the same whatever the batch (and so the padding)
    embeddings, proba = fast.embed(dataset, return_proba=True)
    fast.inference_batch_size = 1
    np.testing.assert_allclose(fast.embed(dataset), embeddings, atol=1e-5)
    np.testing.assert_allclose(proba, stock.predict_proba(dataset), atol=1e-5)
    np.testing.assert_allclose(fast.embed(dataset, embedding_method="cls"),
                               stock.embed(dataset, embedding_method="cls", pbar=None), atol=1e-5)


def test_cold_start_writes_the_list_and_learning_curve_rows(tiny_task, tiny_model, project_root):
    cold = ["--task", "tiny_4_cont_index_recap_2", "--mode", "baseline", "--modelclass", "smalltext",
            "--activelearning", "PredictionEntropy", "--model", tiny_model, "--query-size", "4", "--budget", "12",
            "--eval-every-iteration", *FAST]
    assert model_training.main(cold) == 0
    list_path = labelled_list(cold)
    assert list_path.parent.parent == paths.answer_dir("tiny_4_cont_index_recap", "smalltext_coldstart") / \
        "PredictionEntropy" and list_path.parent.name.startswith("first_q4_b12_")
    labeled = [int(n) for n in list_path.read_text().split(", ")]
    assert labeled[:4] == [0, 1, 2, 3] and len(set(labeled)) == 12
    csv_path = next((project_root / "logs" / "run").rglob("*.csv"))
    assert csv_path.parent.name == "PredictionEntropy_coldstart"
    rows = read_results(csv_path)
    curve = [r for r in rows if r["iteration"]]
    assert [(r["iteration"], r["n_train"]) for r in curve] == [("0", "4"), ("1", "8"), ("2", "12")]
    assert all(r["query_seconds"] and r["accuracy"] for r in curve)
    (final,) = [r for r in rows if not r["iteration"]]
    assert final["n_train"] == "12" and final["modelclass"] == "smalltext" and final["seed"] == "5"
    pool = load_task("tiny", 1).pool
    assert final["selected"] == " ".join(str(pool["index"][i]) for i in labeled)
    # the learning curve: the default classifier on the first k*i labelled rows
    curve = ["--task", "tiny_4_cont_index_recap_2", "--mode", "smalltext_coldstart", "--activelearning",
             "PredictionEntropy", "--model", tiny_model, "--query-size", "4", "--budget", "12", *FAST]
    assert labelled_list(curve) == list_path
    assert model_training.main(curve) == 0
    trained = read_results(next((project_root / "logs" / "run" / "tiny_4_cont_index_recap_2" /
                                 "smalltext_coldstart").rglob("*.csv")))
    assert trained[0]["selected"] == " ".join(str(pool["index"][i]) for i in labeled[:8])
    assert trained[0]["labelled_list"] == list_path.parent.name
    # another budget names another list, which does not exist: a clear error naming the one that does
    assert model_training.main(curve[:-len(FAST)] + ["--budget", "16", *FAST]) == 2


def test_warm_start_begins_with_the_llm_picks(tiny_task, tiny_model, project_root, capsys):
    llm_list = paths.list_file("tiny_3_cont_index_recap", "10", 1)
    llm_list.parent.mkdir(parents=True)
    llm_list.write_text("9, 2, 30, 7, 11, 5, 40")
    warm = ["--task", "tiny_3_cont_index_recap_2", "--mode", "10", "--modelclass", "smalltext", "--activelearning",
            "LeastConfidence", "--warmstart", "--model", tiny_model, "--query-size", "3", "--budget", "9", *FAST]
    assert model_training.main(warm) == 0
    list_path = labelled_list(warm)
    assert list_path.parent.name.startswith("from_10_M6_q3_b9_")
    labeled = [int(n) for n in list_path.read_text().split(", ")]
    assert labeled[:6] == [9, 2, 30, 7, 11, 5] and len(set(labeled)) == 9  # k*i = 6 LLM picks, then queries
    assert model_training.main(["--task", "tiny", "--mode", "10", "--modelclass", "smalltext", "--activelearning",
                                "LeastConfidence", "--warmstart", "--warmstart-size", "2", "--model", tiny_model,
                                "--query-size", "3", "--budget", "5", *FAST]) == 2  # no list for tag "tiny"
    assert "Missing index list" in capsys.readouterr().err


def test_warm_starts_from_two_sources_leave_two_lists_and_each_run_trains_on_its_own(tiny_task, tiny_model,
                                                                                     project_root, capsys):
    """An LLM list and a selector warm-start the same strategy, tag and run: two lists; a run on the labels of each
    names its source and reads its own list, never the one that finished last."""
    llm_list = paths.list_file("tiny_4", "gpt-4o_10", 1)
    llm_list.parent.mkdir(parents=True)
    llm_list.write_text("9, 2, 30, 7")
    settings = ["--activelearning", "LeastConfidence", "--model", tiny_model, "--query-size", "2", "--budget", "6",
                "--selector-pool", "40", *FAST]
    lists = {}
    for source in ("gpt-4o_10", "embedding_kmeans"):
        producer = ["--task", "tiny_4", "--mode", source, "--modelclass", "smalltext", "--warmstart", *settings]
        assert model_training.main(producer) == 0
        lists[source] = labelled_list(producer)
    assert lists["gpt-4o_10"] != lists["embedding_kmeans"] and all(p.is_file() for p in lists.values())
    pool = load_task("tiny", 1).pool
    for source, list_path in lists.items():
        consumer = ["--task", "tiny_4", "--mode", "smalltext_warmstart", "--warmstart-from", source,
                    "--warmstart-size", "4", *settings]
        assert labelled_list(consumer) == list_path
        assert model_training.main(consumer) == 0
        picks = [int(n) for n in list_path.read_text().split(", ")][:4]
        (row,) = read_results(max((project_root / "logs" / "run" / "tiny_4" / "smalltext_warmstart").rglob("*.csv"),
                                  key=lambda p: p.stat().st_mtime_ns))
        assert row["selected"] == " ".join(str(pool["index"][i]) for i in picks)
        assert (row["warmstart_from"], row["labelled_list"]) == (source, list_path.parent.name)
    # a list labelled from an earlier version of the LLM's list is refused
    llm_list.write_text("1, 3, 5, 7")
    consumer = ["--task", "tiny_4", "--mode", "smalltext_warmstart", "--warmstart-from", "gpt-4o_10",
                "--warmstart-size", "4", *settings]
    capsys.readouterr()
    assert model_training.main(consumer) == 2
    assert "labelled from an earlier version of" in capsys.readouterr().err


def test_unknown_strategy_is_refused_with_the_valid_ones(tiny_task, tiny_model, project_root, capsys):
    assert model_training.main(["--task", "tiny_4", "--activelearning", "Entropy", "--model", tiny_model,
                                *FAST]) == 2
    error = capsys.readouterr().err
    assert "Unknown --activelearning 'Entropy'" in error and "PredictionEntropy" in error
    assert not (project_root / "logs").exists()


def test_warm_start_without_a_list_is_a_clear_error(tiny_task, tiny_model, project_root, capsys):
    assert model_training.main(["--task", "tiny", "--mode", "gpt_4o", "--modelclass", "smalltext", "--activelearning",
                                "BALD", "--warmstart", "--model", tiny_model, *FAST]) == 2
    error = capsys.readouterr().err
    assert "warm start uses the first 32 LLM picks" in error and "answers/tiny/gpt_4o/list_1.txt" in error
    assert not any(project_root.rglob("*.csv.*")) and not any((project_root / "logs").rglob("*.csv"))


def test_setfit_trains_and_evaluates_offline(tiny_task, tiny_sentence_transformer, project_root):
    assert model_training.main(["--task", "tiny_8", "--modelclass", "setfit", "--model", tiny_sentence_transformer,
                                "--setfit-epochs", "1", "--setfit-iterations", "2", "--seeds", "3"]) == 0
    csv_path = next((project_root / "logs" / "run").rglob("*.csv"))
    assert csv_path.parent == project_root / "logs" / "run" / "tiny_8" / "baseline" / "setfit"
    (row,) = read_results(csv_path)
    assert row["modelclass"] == "setfit" and row["n_train"] == "8" and row["epochs"] == "1"
    assert 0 <= float(row["accuracy"]) <= 1 and len(row["precision_per_class"].split()) == 2
