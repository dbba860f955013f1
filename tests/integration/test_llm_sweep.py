"""The LLM inside the sweep, against the stub server: continuous loops asked in order, resumed, warm starts,
failures that stay with their cells, the dry run and the usage table."""

import csv
import json
import re

import pytest

import automatic_run
from activellm import paths
from activellm.training.results import read_results
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
    assert "LLM usage" in out and "| tiny_2_cont_index_recap | stub-llm_8 | stub-llm | 8 | 3 | 3 | 300 | 0 | 60 |" in out
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


def test_two_wordings_are_two_folders_and_two_summary_rows(tiny_task, tiny_model, project_root, tmp_path, capsys):
    plain, careful = tmp_path / "plain.txt", tmp_path / "careful.txt"
    plain.write_text("Pick {k} of them. {instances}")
    careful.write_text("Choose {k} clear, typical ones. {instances}")
    with StubLLM([("reply", "0, 1"), ("reply", "2, 3")]) as stub:
        assert _sweep(stub, tiny_model, "--prompt-templates", str(plain), str(careful), tasks=["tiny_2"]) == 0
        asked = sorted(r["messages"][0]["content"].split(" ")[0] for r in stub.requests)
    assert asked == ["Choose", "Pick"]
    folders = sorted(p.name for p in (project_root / "answers" / "tiny_2").iterdir())
    assert len(folders) == 2
    assert folders[0].startswith("stub-llm_8_careful-") and folders[1].startswith("stub-llm_8_plain-")
    summary = list(csv.DictReader((project_root / "logs" / "run" / "summary.csv").open()))
    worded = [row for row in summary if row["mode"].startswith("stub-llm_8_")]
    assert sorted(row["prompt_template"] for row in worded) == [f[len("stub-llm_8_"):] for f in folders]
    metadata = json.loads(paths.answer_file("tiny_2", folders[0], 1).with_suffix(".json").read_text())
    assert metadata["prompt_template"] == folders[0][len("stub-llm_8_"):]
    assert len(metadata["prompt_template_sha256"]) == 64


def test_a_bad_template_stops_the_sweep_before_anything_is_asked(tiny_task, tiny_model, project_root, tmp_path,
                                                                 capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("Pick {k} of {items}.")
    with StubLLM([("reply", "0, 1")]) as stub:
        assert _sweep(stub, tiny_model, "--prompt-templates", "builtin", str(bad), tasks=["tiny_2"]) == 2
        assert stub.requests == []
    assert "unknown placeholder(s) {items}" in capsys.readouterr().err
    assert not (project_root / "logs" / "run").exists() or not list((project_root / "logs").rglob("run_*.csv"))


def test_the_representative_mode_is_asked_and_trained_on(tiny_task, tiny_model, project_root):
    with StubLLM([("reply", "Clear ones: 3, 0")]) as stub:
        assert _sweep(stub, tiny_model, "--prompt-modes", "representative", tasks=["tiny_2"]) == 0
        (request,) = stub.requests
    assert "clear and typical instances" in request["messages"][0]["content"]
    assert paths.list_file("tiny_2", "stub-llm_representative", 1).read_text() == "3, 0\n"
    (row,) = _rows(project_root, "stub-llm_representative")
    assert row["n_train"] == "2" and row["llm_model"] == "stub-llm" and row["prompt_template"] == ""


def test_a_prompt_over_its_budget_stops_the_sweep_before_anything_is_asked(tiny_task, tiny_model, project_root,
                                                                           capsys):
    with StubLLM([("reply", "0, 1")]) as stub:
        assert _sweep(stub, tiny_model, "--prompt-tokens", "150", tasks=["tiny_2"]) == 2
        assert stub.requests == []
    assert "cannot fit --prompt-tokens 150" in capsys.readouterr().err
    assert not list((project_root / "logs").rglob("run_*.csv"))
    with StubLLM([("reply", "0, 1")]) as stub:  # within its budget: asked into the folder the budget names
        assert _sweep(stub, tiny_model, "--prompt-tokens", "5000", tasks=["tiny_2"]) == 0
        assert len(stub.requests) == 1
    assert paths.list_file("tiny_2", "stub-llm_8_tokens5000", 1).read_text() == "0, 1\n"


def _pasted(project_root, text):
    import prompt_generation

    assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    answer = paths.answer_file("tiny_4", "8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text(text)
    return answer


def _hand_sweep(tiny_model):
    return automatic_run.main(["--tasks", "tiny_4", "--modes", "8", "--runs", "1", "--modelclasses", "default",
                               "--activelearning", "None", "--models", tiny_model, "--seeds", "1", "--epochs", "1"])


def test_a_saved_answer_without_its_list_is_parsed_before_the_cell_runs(tiny_task, tiny_model, project_root, capsys):
    _pasted(project_root, "After thinking: 2, 5, 7, 9")
    assert _hand_sweep(tiny_model) == 0
    out = capsys.readouterr().out
    assert "parsed answers/tiny_4/8/answer_1.txt into answers/tiny_4/8/list_1.txt (4 numbers)" in out
    assert "sweep: 1 ran" in out
    metadata = json.loads(paths.answer_file("tiny_4", "8", 1).with_suffix(".json").read_text())
    assert metadata["prompt_file"] == "prompts/tiny_4/8/prompt_1.txt"  # recorded as --parse-answer records it


def test_an_answer_that_cannot_be_parsed_stops_the_sweep_once(tiny_task, tiny_model, project_root, capsys):
    _pasted(project_root, "I could not decide.")
    assert _hand_sweep(tiny_model) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "1 saved answer(s) cannot be parsed" in err and "Traceback" not in err
    assert "python prompt_generation.py --parse-answer" in err
    assert not list((project_root / "logs").rglob("run_*.csv"))
