"""Every path option of the scripts takes a path relative to the current folder as well as an absolute one."""

import json
import os

import pytest

import model_training
import prompt_generation
from activellm import paths
from tests.integration.test_prompt_generation import dup_task  # noqa: F401 (a fixture)
from tests.integration.test_prompt_import import _authors_prompt, authors_task  # noqa: F401 (a fixture)

FAST = ["--seeds", "1", "--epochs", "1"]


def _given(path, how):
    return os.path.relpath(path) if how == "relative" else str(path.resolve())


@pytest.fixture
def in_project(project_root, monkeypatch):
    monkeypatch.chdir(project_root)
    return project_root


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_parse_answer_and_prompt(how, dup_task, in_project, capsys):  # noqa: F811
    """A reply saved by hand in its own folder, parsed against the prompt it answered."""
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    answer = paths.answer_file("dups_4", "mine", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 9")
    prompt = paths.prompt_dir("dups_4", "8") / "prompt_1.txt"
    assert prompt_generation.main(["--parse-answer", _given(answer, how), "--prompt", _given(prompt, how),
                                   "--examples", "4"]) == 0, capsys.readouterr().err
    assert json.loads(answer.with_suffix(".json").read_text())["prompt_file"] == "prompts/dups_4/8/prompt_1.txt"
    assert paths.list_file("dups_4", "mine", 1).read_text() == "1, 2, 5, 9\n"


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_guidelines(how, tiny_task, in_project, capsys):
    guidelines = in_project / "notes" / "guidelines.txt"
    guidelines.parent.mkdir()
    guidelines.write_text("Label a review positive when the critic recommends the film.")
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "7", "--guidelines", _given(guidelines, how)]) == 0
    assert "the critic recommends the film" in (paths.prompt_dir("tiny_4", "7") / "prompt_1.txt").read_text()


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_import_prompt(how, authors_task, in_project, capsys):  # noqa: F811
    prompt = in_project / "authors" / "prompt_50000_1.txt"
    prompt.parent.mkdir()
    prompt.write_text(_authors_prompt([(n, i, authors_task["text"][i]) for n, i in enumerate([17, 3, 40, 8])]))
    assert prompt_generation.main(["--import-prompt", _given(prompt, how), "--task", "authors_4", "--run", "1",
                                   "--answers-name", "gpt_4_200"]) == 0
    sidecar = json.loads((paths.prompt_dir("authors_4", "gpt_4_200") / "prompt_1.json").read_text())
    assert sidecar["imported_from"] == "authors/prompt_50000_1.txt"


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_a_local_model_folder(how, tiny_task, tiny_model, in_project):
    from pathlib import Path

    assert model_training.main(["--task", "tiny_4", "--model", _given(Path(tiny_model), how), *FAST]) == 0
