"""A real LLM inside the project: llama.cpp's server (xllamacpp) serving SmolLM2-135M-Instruct, asked as any
endpoint is. Short prompts (a few dozen instances, k = 4): each ask takes seconds on two cores."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import automatic_run
import model_training
import prompt_generation
from activellm import paths
from activellm.prompts.answers import read_numbers
from tests.conftest import write_long_task

pytest.importorskip("xllamacpp", reason="the embedded LLM needs requirements-llm.txt")
SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1"


@pytest.mark.parametrize("answer_format", ["json", "text"])
def test_the_embedded_model_answers_and_its_list_trains(tiny_task, tiny_model, project_root, answer_format):
    folder = f"smol_{answer_format}"
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "5", "--prompt-examples", "24", "--llm-gguf",
                                   "default", "--answer-format", answer_format, "--answers-name", folder,
                                   "--fill", "random"]) == 0
    metadata = json.loads((paths.answer_dir("tiny_4", folder) / "answer_1.json").read_text())
    assert metadata["model"] == SMOLLM2 and metadata["answer_format"] == answer_format
    assert metadata["prompt_tokens"] > 0 and metadata["endpoint"].startswith("http://127.0.0.1:")
    picks = read_numbers(paths.list_file("tiny_4", folder, 1))
    assert len(picks) == len(set(picks)) == 4 and set(picks) <= set(range(24))
    assert model_training.main(["--task", "tiny_4", "--mode", folder, "--run", "1", "--model", tiny_model, "--seeds",
                                "1", "--epochs", "1"]) == 0
    from activellm.training.results import read_results

    (row,) = read_results(next((project_root / "logs").rglob("run_1_*.csv")))
    assert row["llm_model"] == SMOLLM2 and row["llm_answer_format"] == answer_format  # the results CSV says it too


def test_a_prompt_beyond_the_context_is_refused_before_asking_or_fitted_to_it(project_root, capsys):
    write_long_task(project_root, "longs", n_train=30, words=120)
    options = ["--task", "longs_4", "--mode", "5", "--prompt-examples", "8", "--llm-gguf", "default",
               "--llm-context", "3072", "--answers-name", "smol"]
    assert prompt_generation.main([*options, "--prompt-tokens", "0"]) == 2  # a budget given: never cut, refused
    err = capsys.readouterr().err
    assert f"of {SMOLLM2}, more than the 1,536 its context leaves beside the answer" in err
    assert not (paths.answer_dir("longs_4", "smol") / "answer_1.txt").exists()
    assert prompt_generation.main([*options, "--fill", "random"]) == 0  # the default budget: cut to the context
    sidecar = json.loads((paths.prompt_dir("longs_4", "smol") / "prompt_1.json").read_text())
    assert sidecar["cut"] and sidecar["context_token_budget"] < 1536 and sidecar["prompt_token_budget"] == 14_000
    first_turn = json.loads((paths.answer_dir("longs_4", "smol") / "answer_1.json").read_text())["turns"][0]
    assert first_turn["prompt_tokens"] <= 1536  # the prompt as the model counted it (a follow-up re-reads it)


def test_a_sweep_asks_the_embedded_model_once_then_trains_and_reports_its_cost(tiny_task, tiny_model, project_root,
                                                                                capsys):
    assert automatic_run.main(["--tasks", "tiny_4", "--runs", "1", "--activelearning", "None", "--llm-gguf",
                               "default", "--prompt-modes", "8", "--models", tiny_model, "--seeds", "1", "--epochs",
                               "1", "--random-budgets", "--jobs", "1", "--no-plot", "--llm-price", "0.1", "0.2",
                               "--extra"]) == 0
    out = capsys.readouterr().out
    assert "sweep: 2 ran, 0 skipped, 0 failed of 2 cells" in out
    verdict = (project_root / "logs" / "run" / "verdict.md").read_text()
    assert "LLM 8, k = 4" in verdict and "A selection took" in verdict and "of tokens" in verdict
    summary = pd.read_csv(project_root / "logs" / "run" / "summary.csv")
    row = summary[summary["mode"] == f"{SMOLLM2}_8"].iloc[0]
    assert row["llm_model"] == SMOLLM2 and row["llm_prompt_tokens"] > 0 and row["llm_seconds"] > 0


def test_the_server_takes_no_more_threads_than_the_cores_this_process_may_use(monkeypatch, capsys):
    from activellm.llm import embedded

    monkeypatch.setattr(embedded, "usable_cpus", lambda: 1)  # a container's --cpus 1 (a cgroup quota) on a larger host
    with embedded.embedded_llm("default") as llm:
        assert llm.threads == 1
    assert "with llama.cpp on 1 thread(s)" in capsys.readouterr().err
