"""Label-free selectors end to end: model_training.py with --activelearning embedding_kmeans|vote_k on the packaged
MiniLM embeddings, and as a warm start for small-text."""

import json

import pandas as pd
import pytest

import model_training
from activellm import paths
from activellm.data.pools import load_task
from activellm.data.tasks import merged_texts, parse_task_name
from activellm.selection import label_free
from activellm.selection.label_free import SelectorSettings
from activellm.selection.rows import select_rows
from activellm.training.experiment import labelled_list_path
from activellm.training.results import read_results

FAST = ["--seeds", "1", "--epochs", "1"]


def _rows(project_root):
    return [r for p in (project_root / "logs" / "run").rglob("run_*.csv") for r in read_results(p)]


def _picks(name, run, task="tiny_8", candidates=40):
    loaded = load_task(task, run)
    return select_rows(parse_task_name(task), "baseline", run, name, merged_texts(loaded.pool, loaded.spec),
                       selector=SelectorSettings(candidates=candidates))


@pytest.mark.parametrize("name", ["embedding_kmeans", "vote_k", "typiclust", "probcover"])
def test_selector_picks_distinct_rows_deterministically_per_run(name, tiny_task, project_root):
    first = _picks(name, 1)
    assert len(first) == len(set(first)) == 8 and max(first) < 40  # among the first 40 candidates
    assert _picks(name, 1) == first
    ids = lambda run, picks: load_task("tiny", run).pool["index"].iloc[picks].tolist()  # noqa: E731
    assert ids(1, first) != ids(2, _picks(name, 2))  # another run, other candidates, other picks


@pytest.mark.parametrize("name", ["embedding_kmeans", "vote_k", "typiclust", "probcover"])
def test_selectors_read_no_label(name, tiny_task, project_root):
    before = _picks(name, 1)
    split = project_root / "data" / "tiny" / "df_train_full.csv"
    df = pd.read_csv(split)
    df["label"] = df["label"].sample(frac=1.0, random_state=7).tolist()[::-1]  # scrambled
    df.to_csv(split, index=False)
    paths.pool_file("tiny", 1).unlink()  # rebuilt from the scrambled split: the same rows in the same order
    assert _picks(name, 1) == before


def test_embeddings_are_computed_once_per_task(tiny_task, project_root, monkeypatch):
    _picks("vote_k", 1)
    (cached,) = (project_root / "data" / "tiny" / "embeddings").glob("minilm_64_*.npy")

    def no_second_embedding(*args, **kwargs):
        raise AssertionError("embedded again")

    monkeypatch.setattr(label_free, "embed_texts", no_second_embedding)
    _picks("embedding_kmeans", 1)
    _picks("vote_k", 2)  # another run's pool: the same rows in another order, the same cache
    assert list((project_root / "data" / "tiny" / "embeddings").glob("*.npy")) == [cached]


def test_model_training_with_a_selector_records_it(tiny_task, tiny_model, project_root):
    assert model_training.main(["--task", "tiny_8", "--activelearning", "vote_k", "--selector-pool", "40",
                                "--model", tiny_model, *FAST]) == 0
    (csv_path,) = (project_root / "logs" / "run").rglob("run_*.csv")
    assert csv_path.parent == project_root / "logs" / "run" / "tiny_8" / "baseline" / "vote_k"
    (row,) = read_results(csv_path)
    assert (row["activelearning"], row["embedding_model"], row["selector_pool"]) == ("vote_k", "minilm", "40")
    pool = load_task("tiny", 1).pool
    assert row["selected"] == " ".join(str(pool["index"][i]) for i in _picks("vote_k", 1))


def test_a_selector_warm_starts_small_text(tiny_task, tiny_model, project_root):
    argv = ["--task", "tiny_4", "--mode", "embedding_kmeans", "--warmstart", "--modelclass", "smalltext",
            "--activelearning", "LeastConfidence", "--query-size", "2", "--budget", "6", "--selector-pool", "40",
            "--al-epochs", "1", "--model", tiny_model, *FAST]
    assert model_training.main(argv) == 0
    config = model_training.config_from_args(model_training.build_parser().parse_args(argv))
    labelled = labelled_list_path(config).read_text()
    first = [int(n) for n in labelled.split(", ")]
    assert first[:4] == _picks("embedding_kmeans", 1, task="tiny_4") and len(set(first)) == 6
    (row,) = read_results(next((project_root / "logs" / "run").rglob("run_*.csv")))
    assert row["embedding_model"] == "minilm" and row["llm_model"] == ""


def test_a_warm_start_with_pool_size_reads_the_whole_pools_cached_embeddings(tiny_task, project_root):
    from activellm.training.experiment import warm_start_rows

    argv = ["--task", "tiny_4", "--mode", "vote_k", "--warmstart", "--modelclass", "smalltext", "--activelearning",
            "LeastConfidence", "--pool-size", "30", "--selector-pool", "0"]
    picks = {}
    for run in (1, 2):
        config = model_training.config_from_args(model_training.build_parser().parse_args([*argv, "--run", str(run)]))
        picks[run] = warm_start_rows(config, load_task("tiny_4", run), 30)
        assert len(picks[run]) == 4 and max(picks[run]) < 30  # candidates within the queried pool
    (cache,) = (project_root / "data" / "tiny" / "embeddings").glob("*.npy")  # one file for both runs
    assert "_64_" in cache.name  # the whole pool of 64, not the first 30 rows of each run


def test_a_prompt_over_typiclusts_candidates_shows_exactly_its_picks(tiny_task, tiny_model, project_root, capsys):
    import prompt_generation

    assert prompt_generation.main(["--task", "tiny_4", "--mode", "4", "--prompt-examples", "8", "--candidates",
                                   "typiclust"]) == 0
    sidecar = json.loads((paths.prompt_dir("tiny_4", "4_typiclust8") / "prompt_1.json").read_text())
    loaded = load_task("tiny_4", 1)
    picks = label_free.select_label_free("typiclust", merged_texts(loaded.pool, loaded.spec), "tiny", 8, 1,
                                         label_free.PROMPT_CANDIDATE_SETTINGS)
    assert [s["position"] for s in sidecar["shown"]] == sorted(picks)  # in the pool's order
    assert [s["number"] for s in sidecar["shown"]] == list(range(8))
    assert sidecar["candidates"] == "typiclust" and sidecar["candidate_pool"] == 3000
    assert sidecar["kmeans_restarts"] == 1  # a prompt's candidates: one k-means++ start
    answer = paths.answer_file("tiny_4", "4_typiclust8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 7, 0, 3, 5")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    assert model_training.main(["--task", "tiny_4", "--mode", "4_typiclust8", "--model", tiny_model, *FAST]) == 0
    (row,) = _rows(project_root)
    by_number = {s["number"]: s["index"] for s in sidecar["shown"]}
    assert row["selected"] == " ".join(str(by_number[n]) for n in (7, 0, 3, 5))
    assert row["prompt_candidates"] == "typiclust"
    capsys.readouterr()
    assert prompt_generation.main(["--task", "tiny_4_cont_index_recap_1", "--mode", "4", "--candidates",
                                   "vote_k"]) == 2
    assert "a continuous selection shows the pool's rows in order" in capsys.readouterr().err


def test_selector_pool_prompt_chooses_among_exactly_the_rows_a_prompt_showed(project_root, tiny_model, capsys):
    import prompt_generation
    from tests.conftest import sentiment_frame

    folder = project_root / "data" / "dups"  # near-duplicates at the top: the prompt's rows are not the first 12
    folder.mkdir(parents=True)
    train = sentiment_frame(40)
    train.loc[1, "text"] = "RT " + train.loc[0, "text"]
    train.loc[2, "text"] = train.loc[0, "text"] + " "
    train.to_csv(folder / "df_train_full.csv", index=False)
    sentiment_frame(10, offset=500).to_csv(folder / "df_test.csv", index=False)
    train.assign(index=range(40))[["index", "text", "label"]].to_csv(folder / "df_train_full_shuffled_1.csv",
                                                                      index=False)  # dropped in: in split order
    assert prompt_generation.main(["--task", "dups_4", "--mode", "4", "--prompt-examples", "12"]) == 0
    shown = [s["position"] for s in json.loads((paths.prompt_dir("dups_4", "4") / "prompt_1.json").read_text())["shown"]]
    assert shown != list(range(12)) and len(shown) == 12
    for name in ("vote_k", "probcover"):
        assert model_training.main(["--task", "dups_4", "--activelearning", name, "--selector-pool", "prompt",
                                    "--model", tiny_model, *FAST]) == 0
    loaded = load_task("dups_4", 1)
    for row in _rows(project_root):
        ids = [int(i) for i in row["selected"].split()]
        assert set(ids) <= set(loaded.pool["index"].iloc[shown]) and row["selector_pool"] == "prompt"
    # two prompts of the run that showed different rows: the folder must be named
    assert prompt_generation.main(["--task", "dups_4", "--mode", "4", "--prompt-examples", "10",
                                   "--answers-name", "other"]) == 0
    capsys.readouterr()
    assert model_training.main(["--task", "dups_4", "--activelearning", "vote_k", "--selector-pool", "prompt",
                                "--model", tiny_model, *FAST]) == 2
    assert "name one with --selector-pool prompt:<folder>" in capsys.readouterr().err
    assert model_training.main(["--task", "dups_4", "--activelearning", "vote_k", "--selector-pool", "prompt:other",
                                "--model", tiny_model, *FAST]) == 0


def test_a_prompts_candidates_are_clustered_once_on_one_thread(tiny_task, project_root, monkeypatch):
    """One k-means++ start (the selector cells keep ten) on one thread, whatever the machine has free."""
    from threadpoolctl import threadpool_info

    import prompt_generation

    seen = {}
    real_fit = label_free.fit_kmeans

    def spy(embeddings, n, seed, restarts=10):
        seen["restarts"], seen["threads"] = restarts, {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
        return real_fit(embeddings, n, seed, restarts)

    monkeypatch.setattr(label_free, "fit_kmeans", spy)
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "4", "--prompt-examples", "8", "--candidates",
                                   "embedding_kmeans"]) == 0
    assert seen["restarts"] == 1 and set(seen["threads"].values()) == {1}
    assert SelectorSettings().kmeans_restarts == 10  # the cells' k-means and TypiClust as before
