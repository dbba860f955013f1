"""Answers as JSON in a schema of the picks, or as free text, or JSON falling back to text where a server refuses it:
through the same parser, checks and follow-ups (a stub server: a real one cannot be made to refuse)."""

from __future__ import annotations

import json

import pytest

import prompt_generation
from activellm import paths
from activellm.prompts.answers import read_numbers
from tests.integration.llm_stub import StubLLM

ASK = ["--task", "tiny_4", "--mode", "8", "--prompt-examples", "10", "--ask", "--llm-model", "stub", "--retries",
       "0"]


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-formats")


def _metadata(run=1):
    return json.loads((paths.answer_dir("tiny_4", "stub_8") / f"answer_{run}.json").read_text())


def test_json_answers_ask_for_k_of_the_shown_numbers_and_follow_up_for_the_missing(tiny_task, project_root):
    with StubLLM([("reply", '{"reasoning": "clear ones", "picks": [0, 0, 99, 1]}'),
                  ("reply", '{"reasoning": "two more", "picks": [2, 3]}')]) as stub:
        assert prompt_generation.main([*ASK, "--base-url", stub.base_url, "--answer-format", "json"]) == 0
    first, second = (request["response_format"]["json_schema"]["schema"] for request in stub.requests)
    assert first["properties"]["picks"]["items"]["enum"] == list(range(10))  # the numbers shown
    assert first["properties"]["picks"]["minItems"] == 4 and second["properties"]["picks"]["minItems"] == 2
    assert list(first["properties"]) == ["reasoning", "picks"]  # mode 8 asks it to think first
    assert list(second["properties"]) == ["picks"] and second["properties"]["picks"]["items"]["enum"] == \
        list(range(2, 10))  # the follow-up: only numbers not picked yet, no second essay
    metadata = _metadata()
    assert metadata["answer_format"] == "json" and metadata["follow_ups"] == 1
    assert read_numbers(paths.list_file("tiny_4", "stub_8", 1)) == metadata["picks"] == [0, 1, 2, 3]
    assert "repeated" in " ".join(metadata["parse_notes"]) and "99" in " ".join(metadata["parse_notes"])


def test_auto_falls_back_to_text_where_the_server_refuses_json(tiny_task, project_root):
    with StubLLM([("reply", "I would label 4, 5, 6 and 7.")], refuse_json=True) as stub:
        assert prompt_generation.main([*ASK, "--base-url", stub.base_url, "--answer-format", "auto"]) == 0
    assert len(stub.refused) == 1 and "response_format" not in stub.requests[0]
    assert _metadata()["answer_format"] == "text" and _metadata()["picks"] == [4, 5, 6, 7]


def test_json_refused_is_one_clear_error_and_writes_no_list(tiny_task, project_root, capsys):
    with StubLLM([("reply", "4, 5, 6, 7")], refuse_json=True) as stub:
        assert prompt_generation.main([*ASK, "--base-url", stub.base_url, "--answer-format", "json"]) == 2
    err = capsys.readouterr().err
    assert "refused a JSON answer (HTTP 400" in err and "ask with --answer-format text or auto" in err
    assert not paths.list_file("tiny_4", "stub_8", 1).exists()


def test_an_api_llm_is_asked_in_free_text_by_default_as_before(tiny_task, project_root):
    with StubLLM([("reply", "4, 5, 6, 7")]) as stub:
        assert prompt_generation.main([*ASK, "--base-url", stub.base_url]) == 0
    assert "response_format" not in stub.requests[0] and _metadata()["answer_format"] == "text"


def test_the_packaged_smollm2_fills_short_lists_at_random_unless_told_and_says_so(capsys):
    from activellm.llm.embedded import default_fill

    assert default_fill("default", None) == "random" and "filled at random" in capsys.readouterr().err
    assert default_fill("default", "random") == "random" and default_fill("my.gguf", None) is None
    assert capsys.readouterr().err == ""
