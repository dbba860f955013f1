#!/usr/bin/env python
"""The embedded LLM's speed: one prompt of each built-in task through llama.cpp's server on this machine's cores.

    python benchmarks/embedded_llm.py [--gguf default] [--mode 10] [--tasks rotten_tomatoes imdb trec bbc_news]

For each task, run 1's prompt in ``--mode`` (mode 10: the paper's 200 instances) is built as prompt_generation.py
builds it, fitted to the model's context, and asked once for its k picks in the JSON schema, the server on every
core this process may use and nothing else running. Prints the CPU, then per task the prompt's tokens in the model's
own tokenizer, prompt tokens per second, the answer's tokens and seconds, and the whole call, from the server's own
timings; and the picks' mean rank in the order shown (0: the first row, 1: the last). Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from activellm import paths  # noqa: E402
from activellm.llm.client import picks_format  # noqa: E402
from activellm.llm.embedded import ANSWER_TOKENS, embedded_llm  # noqa: E402
from activellm.llm.prompt_jobs import generate, plan  # noqa: E402
from activellm.prompts.answers import parse_answer  # noqa: E402
from activellm.prompts.build import PromptError  # noqa: E402
from activellm.selection.diagnostics import position_bias  # noqa: E402
from activellm.training.environment import cpu_name  # noqa: E402


def ask(llm, text: str, k: int, shown: list[int]) -> dict:
    """One chat completion through the server's own route, which keeps its timings (the openai client drops them)."""
    body = {"messages": [{"role": "user", "content": text}], "max_tokens": ANSWER_TOKENS,
            "response_format": picks_format(k, shown, reasoning=False)}
    start = time.perf_counter()
    answer = llm._post("/v1/chat/completions", body)
    answer["wall_seconds"] = time.perf_counter() - start
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf", default="default")
    parser.add_argument("--mode", default="10")
    parser.add_argument("--tasks", nargs="+", default=["rotten_tomatoes", "imdb", "trec", "bbc_news"])
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}")
    with tempfile.TemporaryDirectory() as root, embedded_llm(args.gguf) as llm:
        os.environ[paths.ROOT_ENV] = root  # the tasks' splits and pools cached there, then dropped
        print(f"model: {llm.model}, context {llm.context:,} tokens, {llm.threads} thread(s)")
        print("| task | shown | prompt tokens | prompt tokens/s | answer tokens | answer s | call s | mean rank shown |")
        print("|---|---|---|---|---|---|---|---|")
        for task in args.tasks:
            job = plan(task, args.mode, 1, folder="bench")
            try:
                generated = generate(job, context=llm.context_fit(adapt=True))
            except PromptError as error:  # refused before asking, as a run would be
                print(f"| {task} | does not fit: {str(error).split(':')[0]} | | | | | | |")
                continue
            shown = [s.number for s in generated.prompt.shown]
            answer = ask(llm, generated.prompt.text, job.examples, shown)
            timings = answer.get("timings", {})
            picks = parse_answer(answer["choices"][0]["message"]["content"], job.examples, set(shown)).picks
            rank = position_bias([(shown.index(p), len(shown)) for p in picks]).get("diag_position_mean", 0.0)
            print(f"| {task} | {len(shown)} | {timings.get('prompt_n', '?')} | "
                  f"{timings.get('prompt_per_second', 0):.0f} | {timings.get('predicted_n', '?')} | "
                  f"{timings.get('predicted_ms', 0) / 1000:.1f} | {answer['wall_seconds']:.1f} | {rank:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
