"""Importing the authors' prompts: their lists train on exactly the dataset ids their LLMs saw."""

import re

import pandas as pd
import pytest

import model_training
import prompt_generation
from activellm import paths
from activellm.prompts.build import SEPARATOR
from activellm.training.results import read_results
from tests.conftest import sentiment_frame

HEAD = "Consider yourself in the position of an active learning component ... "


def _authors_prompt(items, recap=None):
    """A prompt in the authors' format: ``items`` are (number, id, text)."""
    text = HEAD + "\n" + "".join(f"{SEPARATOR}{n}. {t}  [ID: {i}]" for n, i, t in items)
    if recap:
        text += "\n\nThe following instances have already been labeled (indices of the dataset above): " + \
            ", ".join(map(str, recap))
    return text


@pytest.fixture
def authors_task(project_root):
    """A local task of 64 sentences: the authors' ids are rows of its train split."""
    folder = project_root / "data" / "authors"
    folder.mkdir(parents=True)
    sentiment_frame(64).to_csv(folder / "df_train_full.csv", index=False)
    sentiment_frame(10, offset=500).to_csv(folder / "df_test.csv", index=False)
    return pd.read_csv(folder / "df_train_full.csv")


def _import(source, task="authors_4", name="gpt_4_200", *extra):
    return prompt_generation.main(["--import-prompt", str(source), "--task", task, "--run", "1",
                                   "--answers-name", name, *extra])


def test_an_imported_prompt_trains_on_the_listed_ids(authors_task, tiny_model, project_root, capsys):
    ids = [17, 3, 40, 8, 25, 61]
    prompt = project_root / "prompt_50000_1.txt"
    prompt.write_text(_authors_prompt([(n, i, authors_task["text"][i]) for n, i in enumerate(ids)]))
    assert _import(prompt) == 0
    assert "sidecar: " in capsys.readouterr().out
    answers = paths.answer_dir("authors_4", "gpt_4_200")
    answers.mkdir(parents=True)
    (answers / "list_1.txt").write_text("4, 0, 5, 2, 1")  # the authors' list, copied unchanged: the first 4 count
    assert model_training.main(["--task", "authors_4", "--mode", "gpt_4_200", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 0
    (row,) = read_results(next((project_root / "logs" / "run").rglob("run_*.csv")))
    assert row["selected"] == "25 17 61 40"  # the dataset ids of numbers 4, 0, 5, 2, in the list's order


def test_other_texts_at_the_ids_are_refused_and_nothing_is_written(authors_task, project_root, capsys):
    prompt = project_root / "prompt_50000_1.txt"
    prompt.write_text(_authors_prompt([(0, 5, authors_task["text"][5]), (1, 6, "a text that is not row 6")]))
    assert _import(prompt) == 2
    error = capsys.readouterr().err
    assert "1 of 2 shown texts differ" in error and "ID 6: prompt 'a text that is not row 6'" in error
    assert repr(authors_task["text"][6]) in error and "nothing was written" in error
    assert not (project_root / "prompts").exists()


def test_an_id_beyond_the_train_split_is_refused(authors_task, project_root, capsys):
    prompt = project_root / "prompt_50000_1.txt"
    prompt.write_text(_authors_prompt([(0, 5, authors_task["text"][5]), (1, 640, "anything")]))
    assert _import(prompt) == 2
    assert "ids beyond the 64 rows" in capsys.readouterr().err and not (project_root / "prompts").exists()


def test_a_continuous_folder_imports_in_time_order(authors_task, tiny_model, project_root):
    folder = project_root / "authors_cont"
    folder.mkdir()
    text = authors_task["text"]
    first = [(n, i, text[i]) for n, i in enumerate([10, 11, 12, 13])]
    second = first + [(n, i, text[i]) for n, i in zip(range(4, 8), [20, 21, 22, 23])]
    # written in reverse: the timestamps, not the listing order, decide the iteration
    (folder / "prompt_50000_12024-01-12_16-08-34.txt").write_text(_authors_prompt(second, recap=[1, 3]))
    (folder / "prompt_50000_12024-01-12_15-58-46.txt").write_text(_authors_prompt(first))
    (folder / "prompt_50000_22024-01-12_15-59-00.txt").write_text(_authors_prompt(first))  # run 2: not ours
    assert _import(folder, task="authors_2_cont_index_recap_1", name="gpt_4_cont") == 0
    tag = "authors_2_cont_index_recap"
    sidecars = sorted(p.name for p in paths.prompt_dir(tag, "gpt_4_cont").glob("*.json"))
    assert sidecars == ["prompt_1.json", "prompt_1_cont2.json"]
    answers = paths.answer_dir(tag, "gpt_4_cont")
    answers.mkdir(parents=True)
    (answers / "list_1.txt").write_text("1, 3, 6, 4")
    assert model_training.main(["--task", f"{tag}_2", "--mode", "gpt_4_cont", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 0
    (row,) = read_results(next((project_root / "logs" / "run").rglob("run_*.csv")))
    assert row["selected"] == "11 13 22 20"


# --- the authors' own prompt and list ------------------------------------------------------------------------------


def test_the_authors_sst2_prompt_and_list(reference, tiny_model, project_root):
    prompt = reference / "prompts" / "sst2" / "10" / "prompt_50000_1.txt"
    shown = [(int(n), int(i), t) for n, t, i in
             re.findall(r"(?s)\n ##### \n(\d+)\. (.*?)\s*\[ID: (\d+)\]", prompt.read_text())]
    # a local stand-in for GLUE SST-2's train split: the shown texts at their ids, filler elsewhere
    size = max(i for _, i, _ in shown) + 1
    texts = [f"filler sentence {j}" for j in range(size)]
    for _, i, text in shown:
        texts[i] = text
    folder = project_root / "data" / "sst2_local"
    folder.mkdir(parents=True)
    pd.DataFrame({"text": texts, "label": [j % 2 for j in range(size)]}).to_csv(folder / "df_train_full.csv",
                                                                                  index=False)
    sentiment_frame(10).to_csv(folder / "df_test.csv", index=False)
    assert _import(prompt, task="sst2_local", name="10") == 0
    answers = paths.answer_dir("sst2_local", "10")
    answers.mkdir(parents=True)
    authors_list = (reference / "answers" / "sst2" / "10" / "list_1.txt").read_text()
    (answers / "list_1.txt").write_text(authors_list)
    # without diagnostics: they would embed all of the stand-in's ~67,000 filler rows
    assert model_training.main(["--task", "sst2_local", "--mode", "10", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1", "--no-diagnostics"]) == 0
    (row,) = read_results(next((project_root / "logs" / "run").rglob("run_*.csv")))
    id_of = {n: i for n, i, _ in shown}
    by_hand = [id_of[int(n)] for n in re.findall(r"\d+", authors_list)[:32]]
    assert row["selected"] == " ".join(map(str, by_hand))
