"""Where each number came from: the environment record, one answers folder per LLM, and llm_model in the CSV."""

import json

import torch

import model_training
import prompt_generation
from activellm import paths
from activellm.files import file_sha256
from activellm.training.results import read_results
from tests.integration.llm_stub import StubLLM

SECRET = "sk-provenance-secret-987654321"


def _train(task, mode, tiny_model):
    assert model_training.main(["--task", task, "--mode", mode, "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 0


def test_every_run_has_an_environment_record(tiny_task, tiny_model, project_root):
    _train("tiny_4", "baseline", tiny_model)
    (csv_path,) = (project_root / "logs" / "run").rglob("run_*.csv")
    record = json.loads(csv_path.with_suffix(".json").read_text())
    assert record["packages"]["torch"] == torch.__version__ and record["packages"]["small-text"] == "1.4.1"
    assert record["packages"]["transformers"] and record["packages"]["setfit"] and record["python"].count(".") == 2
    assert record["device"]["torch_threads"] >= 1 and "cuda" in record["device"]
    assert record["git"] is None or len(record["git"]["commit"]) == 40
    pool = paths.pool_file("tiny", 1)
    assert record["inputs"]["pool"] == {"path": "data/tiny/df_train_full_shuffled_1.csv", "sha256": file_sha256(pool)}
    assert record["configuration"]["learning_rate"] == "5e-05" and record["seeds"] == [1]
    (row,) = read_results(csv_path)
    assert (row["learning_rate"], row["train_batch_size"], row["eval_batch_size"], row["warmup_steps"],
            row["weight_decay"], row["max_length"], row["precision"]) == ("5e-05", "128", "auto", "5", "0.01", "512", "fp32")
    header = csv_path.with_suffix(".log").read_text().splitlines()[1]
    assert "learning_rate 5e-05" in header and "train_batch_size 128" in header and "weight_decay 0.01" in header


def test_two_llms_get_two_folders_and_each_run_names_its_llm(tiny_task, tiny_model, project_root, monkeypatch,
                                                               capsys):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with StubLLM([("reply", "Chosen: 1, 2, 3, 4"), ("reply", "Chosen: 5, 6, 7, 8")]) as stub:
        for model in ("gpt-4o", "meta-llama/Llama-3-8B"):
            assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "20", "--ask",
                                           "--base-url", stub.base_url, "--llm-model", model]) == 0
        assert [r["model"] for r in stub.requests] == ["gpt-4o", "meta-llama/Llama-3-8B"]
        out = capsys.readouterr().out
        assert "then: python model_training.py --task tiny_4 --mode gpt-4o_8 --run 1" in out
        assert "--mode meta-llama_Llama-3-8B_8 --run 1" in out
        # naming the other model's folder is refused, even with --force: nothing is reused or replaced
        assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "20", "--ask",
                                       "--base-url", stub.base_url, "--llm-model", "other",
                                       "--answers-name", "gpt-4o_8", "--force"]) == 2
        assert "is gpt-4o's answer" in capsys.readouterr().err and len(stub.requests) == 2
    assert paths.list_file("tiny_4", "gpt-4o_8", 1).read_text() == "1, 2, 3, 4\n"
    assert paths.list_file("tiny_4", "meta-llama_Llama-3-8B_8", 1).read_text() == "5, 6, 7, 8\n"
    # the list maps to pool rows through the sidecar its answer's metadata names, whatever the folder is called
    answers = paths.answer_dir("tiny_4", "gpt-4o_8")
    renamed = answers.parent / "gpt4o_renamed"
    answers.rename(renamed)
    _train("tiny_4", "gpt4o_renamed", tiny_model)
    _train("tiny_4", "meta-llama_Llama-3-8B_8", tiny_model)
    _train("tiny_4", "baseline", tiny_model)
    rows = {r["mode"]: r for p in (project_root / "logs" / "run").rglob("run_*.csv") for r in read_results(p)}
    assert rows["gpt4o_renamed"]["llm_model"] == "gpt-4o"
    assert rows["meta-llama_Llama-3-8B_8"]["llm_model"] == "meta-llama/Llama-3-8B"
    assert rows["baseline"]["llm_model"] == ""
    sidecar = json.loads((paths.prompt_dir("tiny_4", "gpt-4o_8") / "prompt_1.json").read_text())
    ids = {s["number"]: s["index"] for s in sidecar["shown"]}
    assert rows["gpt4o_renamed"]["selected"] == " ".join(str(ids[n]) for n in (1, 2, 3, 4))
    record = json.loads(next((project_root / "logs" / "run" / "tiny_4" / "gpt4o_renamed").glob("*.json")).read_text())
    assert record["llm_model"] == "gpt-4o" and record["inputs"]["sidecar_1"]["path"].endswith("gpt-4o_8/prompt_1.json")
    for path in project_root.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="ignore"), path


def test_parse_answer_reads_ids_as_numbers_without_a_sidecar(project_root, capsys):
    answer = project_root / "answers" / "x" / "pasted" / "answer_1.txt"
    answer.parent.mkdir(parents=True)
    answer.write_text("My choice:\n1. ID: 17 - sarcastic\n2. ID: 3 - neutral\n3. ID: 99 - mixed")
    assert prompt_generation.main(["--parse-answer", str(answer), "--examples", "3"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "17, 3, 99" and "read as the shown number" in captured.err
