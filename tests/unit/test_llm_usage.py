"""LLM usage: one row per arm (answers folder), never two arms summed into one."""

import json

from activellm.llm.usage import llm_usage, usage_markdown


def _answer(root, folder, run, tokens, mode="10"):
    path = root / "answers" / "rotten_tomatoes" / folder / f"answer_{run}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": "gpt-4o", "prompt_mode": mode, "turns": [{}], "prompt_tokens": tokens,
                                "completion_tokens": 10, "latency_seconds": 1.5}))


def test_two_arms_of_one_llm_and_mode_are_two_rows(project_root):
    _answer(project_root, "gpt-4o_10", 1, 100)
    _answer(project_root, "gpt-4o_10", 2, 200)
    _answer(project_root, "gpt-4o_10_typiclust200", 1, 5000)
    rows = {row["arm"]: row for row in llm_usage()}
    assert set(rows) == {"gpt-4o_10", "gpt-4o_10_typiclust200"}
    assert (rows["gpt-4o_10"]["answers"], rows["gpt-4o_10"]["prompt_tokens"]) == (2, 300)
    assert (rows["gpt-4o_10_typiclust200"]["llm"], rows["gpt-4o_10_typiclust200"]["prompt_tokens"]) == ("gpt-4o", 5000)
    assert "| rotten_tomatoes | gpt-4o_10_typiclust200 | gpt-4o | 10 | 1 | 1 | 5000 | 0 | 10 | 1.5 |" in \
        usage_markdown(llm_usage())


def test_cached_tokens_are_counted_apart(project_root):
    _answer(project_root, "gpt-4o_10", 1, 100)
    path = project_root / "answers" / "rotten_tomatoes" / "gpt-4o_10" / "answer_1.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "cached_tokens": 64}))
    assert llm_usage()[0]["cached_tokens"] == 64
