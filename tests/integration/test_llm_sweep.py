"""The LLM inside the sweep, against the stub server: continuous loops asked in order, resumed, warm starts,
failures that stay with their cells, the dry run and the usage table."""

import json
import re

import pytest

import automatic_run
from activellm import paths
from activellm.results import read_results
from tests.integration.llm_stub import StubLLM

TAG = "tiny_2_cont_index_recap"


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-sweep-test")


def _sweep(stub, tiny_model, *extra, tasks=None, llms=("stub-llm",)):
    tasks = tasks or [f"{TAG}_{i}" for i in (1, 2, 3)]
    return automatic_run.main(["--tasks", *tasks, "--modes", "baseline", "--runs", "1", "--modelclasses",
                               "default", "--activelearning", "None", "--models", tiny_model, "--seeds", "1",
                               "--epochs", "1", "--llms", *llms, "--prompt-modes", "8", "--base-url", stub.base_url,
                               "--retries", "0", "--follow-ups", "0", *extra,
                               "--extra", "--train-batch-size", "8"])


REPLIES = [("reply", "I pick 0, 1"), ("reply", "Now 2, 3"), ("reply", "Then 4, 5")]


def _rows(project_root, mode="stub-llm_8"):
    return sorted((r for p in (project_root / "logs" / "run").rglob("run_*.csv") for r in read_results(p)
                   if r["mode"] == mode), key=lambda r: int(r["n_train"]))


def test_a_three_iteration_loop_asks_in_order_then_trains(tiny_task, tiny_model, project_root, capsys):
    with StubLLM(REPLIES) as stub:
        assert _sweep(stub, tiny_model) == 0
        prompts = [r["messages"][0]["content"] for r in stub.requests]
    assert len(prompts) == 3
    assert "already been labeled" not in prompts[0]
    assert prompts[1].endswith("(numbers from the list above): 0, 1")
    assert prompts[2].endswith("(numbers from the list above): 0, 1, 2, 3")
    assert paths.list_file(TAG, "stub-llm_8", 1).read_text() == "0, 1, 2, 3, 4, 5\n"
    rows = _rows(project_root)
    assert [r["n_train"] for r in rows] == ["2", "4", "6"] and {r["llm_model"] for r in rows} == {"stub-llm"}
    assert len(_rows(project_root, "baseline")) == 3
    out = capsys.readouterr().out
    assert "LLM usage" in out and "| tiny_2_cont_index_recap | stub-llm_8 | stub-llm | 8 | 3 | 3 | 300 | 60 |" in out
    with StubLLM(REPLIES) as stub:  # a second call asks nothing and skips everything
        assert _sweep(stub, tiny_model) == 0
        assert stub.requests == []
    assert "sweep: 0 ran, 6 skipped" in capsys.readouterr().out


def test_a_loop_killed_after_iteration_2_resumes_at_3(tiny_task, tiny_model, project_root, capsys):
    with StubLLM([REPLIES[0], REPLIES[1], ("status", 500)]) as stub:
        assert _sweep(stub, tiny_model) == 1
    status = json.loads((project_root / "logs" / "sweep" / "status.json").read_text())
    failed = [o for o in status["outcomes"] if o["state"] == "failed"]
    assert len(failed) == 3 and all("HTTP 500" in o["error"] for o in failed)  # the LLM's error, per cell
    assert status["done"] == 3  # the baselines went on
    assert paths.list_file(TAG, "stub-llm_8", 1).read_text() == "0, 1, 2, 3\n"
    with StubLLM([REPLIES[2]]) as stub:
        assert _sweep(stub, tiny_model) == 0
        assert len(stub.requests) == 1 and stub.requests[0]["messages"][0]["content"].endswith("0, 1, 2, 3")
    assert [r["n_train"] for r in _rows(project_root)] == ["2", "4", "6"]


def test_an_llm_that_errors_fails_only_its_cells(tiny_task, tiny_model, project_root):
    with StubLLM([("reply", "0, 1")], fail_models={"bad"}) as stub:
        assert automatic_run.main(["--tasks", "tiny_2", "--modes", "baseline", "--runs", "1", "--modelclasses", "default",
                                   "--activelearning", "None", "--models", tiny_model, "--seeds", "1", "--epochs",
                                   "1", "--llms", "good", "bad", "--prompt-modes", "8", "--base-url", stub.base_url,
                                   "--retries", "0", "--extra", "--train-batch-size", "8"]) == 1
    status = json.loads((project_root / "logs" / "sweep" / "status.json").read_text())
    assert (status["done"], status["failed"]) == (2, 1)  # the baseline and good's cell ran
    (failed,) = [o for o in status["outcomes"] if o["state"] == "failed"]
    assert "bad_8" in failed["error"] and "HTTP 400" in failed["error"] and "--mode bad_8" in " ".join(failed["command"])
    assert [r["llm_model"] for r in _rows(project_root, "good_8")] == ["good"]


def test_a_warm_start_cell_gets_its_list_first(tiny_task, tiny_model, project_root):
    with StubLLM([("reply", "3, 7, 11, 15")]) as stub:
        assert automatic_run.main(["--tasks", "tiny_4", "--modes", "--runs", "1", "--modelclasses", "smalltext",
                                   "--activelearning", "LeastConfidence", "--warmstart", "true", "--models",
                                   tiny_model, "--seeds", "1", "--epochs", "1", "--llms", "stub-llm",
                                   "--prompt-modes", "8", "--base-url", stub.base_url, "--extra", "--query-size",
                                   "2", "--budget", "6", "--al-epochs", "1"]) == 0
        assert len(stub.requests) == 1
    (labelled,) = paths.answer_dir("tiny_4", "smalltext_warmstart").rglob("list_1.txt")
    assert labelled.parent.name.startswith("from_stub-llm_8_M4_q2_b6_")
    assert labelled.read_text().startswith("3, 7, 11, 15, ")


def test_dry_run_lists_the_asks(tiny_task, tiny_model, project_root, capsys):
    with StubLLM(REPLIES) as stub:
        assert _sweep(stub, tiny_model, "--dry-run") == 0
        assert stub.requests == []
    lines = capsys.readouterr().out.splitlines()
    asks = [re.match(r"^(ask .*?\)), then run", line).group(1) for line in lines if line.startswith("ask")]
    assert asks == ["ask stub-llm (iterations 1)", "ask stub-llm (iterations 1, 2)",
                    "ask stub-llm (iterations 1, 2, 3)"]
    assert sum(line.startswith("run ") for line in lines) == 3  # the baselines train only
