#!/usr/bin/env python
"""Build the paper's selection prompt for a run's pool, ask an LLM, and parse its answer into an index list.

    python prompt_generation.py --task rotten_tomatoes --mode 10 --run 1                 # write the prompt
    python prompt_generation.py --parse-answer answers/rotten_tomatoes/10/answer_1.txt   # a reply pasted by hand
    python prompt_generation.py --task rotten_tomatoes --mode 10 --run 1 --ask --llm-model gpt-4o
                                                            # answers/rotten_tomatoes/gpt-4o_10/ (one folder per LLM)
    python prompt_generation.py --task sst2 --examples 25 --continuous idxrecap --ask    # next iteration
    python prompt_generation.py --task trec --mode 5 --llm-gguf default     # an LLM served here (SmolLM2-135M)

Then: python model_training.py --task <task> --mode <answers folder> --run <run> (each step prints the next)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys

from activellm import cli
from activellm.errors import UserError
from activellm.llm.client import DEFAULT_LLM, LLMSettings
from activellm.llm.embedded import default_fill, embedded_llm
from activellm.llm.prompt_jobs import answers_folder_name, ask, generate, parse_answer_file, plan
from activellm.prompts.answers import format_index_list
from activellm.prompts.build import CONTINUOUS_VARIANTS, FIRST_ROWS, PROMPT_MODES, REPRESENTATIVE
from activellm.prompts.templates import load_template
from activellm.prompts.token_budget import add_budget_options
from activellm.selection.label_free import SELECTORS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", help="task name (see model_training.py); suffixes such as sst2_25_cont_index_recap_3 "
                                       "set --examples, --continuous and the iteration")
    parser.add_argument("--mode", default="10", choices=list(PROMPT_MODES),
                        help="prompt mode of the paper (default 10: step by step, no advice, 200 instances), or "
                             f"{REPRESENTATIVE} (ours: clear, typical instances covering every class, for a small "
                             "classifier trained on them alone)")
    parser.add_argument("--prompt-template", metavar="FILE",
                        help="the prompt's wording from a text file with placeholders {k}, {instances}, {shown}, "
                             "{guidelines}, {labelled} (docs/prompts-and-answers.md; copies of built-in modes in "
                             "templates/); --mode then sets only the count shown; the answers folder gets the "
                             "template's name (gpt-4o_10_mywording-1a2b3c4d)")
    parser.add_argument("--run", type=cli.nonnegative_int, default=1,
                        help="pool shuffle seed and file number (default 1)")
    parser.add_argument("--examples", type=cli.positive_int,
                        help="K, the instances the LLM may choose (default 32, or the "
                                                     "task name's)")
    parser.add_argument("--continuous", choices=["false", *CONTINUOUS_VARIANTS], default="false",
                        help="continuous selection: norecap, recap (labelled texts pasted) or idxrecap (numbers)")
    parser.add_argument("--prompt-examples", type=cli.positive_int,
                        help="instances shown (default: 50/100/200/400 for modes 8-11, else 200)")
    parser.add_argument("--candidates", choices=[FIRST_ROWS, *SELECTORS], default=FIRST_ROWS,
                        help="the rows the prompt shows: the pool's first (default, the paper's) or those of the N a "
                             "label-free selector picks among the first 3,000 (N: the mode's shown count), in the "
                             "pool's order, less any near-duplicate of a row shown before it (so a prompt may show "
                             "fewer than N); the answers folder gets the rule and N as a suffix "
                             "(gpt-4o_10_typiclust200)")
    budget = parser.add_argument_group("fitting a context")
    add_budget_options(budget)
    parser.add_argument("--labels", metavar="FILE", nargs="+",
                        help="your own data's next round: the labels files of the rounds before "
                             "(docs/your-own-data.md); the prompt recaps those rows with their labels and never shows "
                             "them to choose from; the answers folder gets _after<N> (N labelled rows)")
    parser.add_argument("--guidelines", help="file with annotation guidelines (mode 7)")
    parser.add_argument("--answers-name", metavar="FOLDER",
                        help="folder under prompts/<task>/ and answers/<task>/, the --mode that model_training.py "
                             "trains on (default: the prompt mode, or <llm-model>_<mode> such as gpt-4o_10 with --ask)")
    llm = parser.add_argument_group("asking an OpenAI-compatible LLM")
    llm.add_argument("--ask", action="store_true", help="send the prompt and save answer, metadata and list")
    llm.add_argument("--llm-model", default=DEFAULT_LLM, help=f"model name at the endpoint (default {DEFAULT_LLM})")
    cli.add_ask_options(llm)
    llm.add_argument("--force", action="store_true", help="ask again although an answer is saved")
    imported = parser.add_argument_group("importing the authors' published prompts")
    imported.add_argument("--import-prompt", metavar="PATH",
                          help="one of the authors' prompts (prompt_50000_<run>.txt), or their folder of continuous "
                               "prompts: check it against --task and write the sidecar for --run under "
                               "prompts/<task>/<--answers-name>/, so that their list_<run>.txt trains on the rows "
                               "their LLM saw")
    parse = parser.add_argument_group("parsing a saved answer")
    parse.add_argument("--parse-answer", metavar="FILE", help="answer_<run>.txt to parse into list_<run>.txt beside it")
    parse.add_argument("--prompt", metavar="FILE",
                       help="the prompt that was answered (prompts/<task>/<folder>/prompt_<run>.txt), where it lies "
                            "in another folder than the answer and others of that run showed other instances")
    parse.add_argument("--shown", type=cli.positive_int,
                       help="numbers 0..N-1 were shown (when the prompt has no sidecar here)")
    return parser


def _report_parse(result) -> None:
    for note in [*result.parsed.notes(), *result.notes]:
        print(f"note: {note}", file=sys.stderr)
    print(format_index_list(result.parsed.picks))
    print(f"list: {result.list_path} ({len(result.numbers)} numbers)", file=sys.stderr)
    print(f"then: {result.next_command}", file=sys.stderr)


def _import(args: argparse.Namespace) -> None:
    from activellm.data.tasks import parse_task_name
    from activellm.prompts.authors_import import import_prompts

    sidecars = import_prompts(args.import_prompt, args.task, args.run, args.answers_name, args.mode)
    for sidecar in sidecars:
        print(f"sidecar: {os.path.relpath(sidecar)}")
    tag = parse_task_name(args.task).tag
    print(f"next: copy the authors' list_{args.run}.txt into answers/{tag}/{args.answers_name}/, then train with: "
          f"python model_training.py --task {args.task} --mode {args.answers_name} --run {args.run}")


def _select(args: argparse.Namespace, llm, budget_given: bool) -> None:
    """Build the prompt and, with --ask (or an embedded model), ask it and save the list."""
    guidelines = None
    if args.guidelines:
        with open(args.guidelines, encoding="utf-8") as handle:
            guidelines = handle.read()
    continuous = None if args.continuous == "false" else args.continuous
    template = load_template(args.prompt_template) if args.prompt_template else None
    labelled = None
    if args.labels:
        from activellm.annotation.rounds import labelled_round

        labelled = labelled_round(args.task, args.run, args.labels)
    context = None
    if llm is not None:  # the embedded model: asked, named after its file, prompts fitted to its context
        args.ask, args.llm_model = True, llm.model
        context = llm.context_fit(adapt=not budget_given)
    folder = args.answers_name or answers_folder_name(args.llm_model if args.ask else None, args.mode,
                                                      args.candidates, args.prompt_examples, template,
                                                      args.prompt_tokens, args.prompt_fit,
                                                      len(labelled.rows) if labelled else 0)
    job = plan(args.task, args.mode, args.run, args.examples, continuous, folder, args.candidates, template,
               args.prompt_tokens, args.prompt_fit, labelled)
    generated = generate(job, args.prompt_examples, guidelines, replace_answer=args.ask and args.force,
                         context=context)
    where = f", iteration {job.iteration}" if job.iteration else ""
    cut = generated.fitted.cut
    cut_note = f", {len(cut)} cut to their first {max(c.kept for c in cut)} tokens or fewer to fit " \
        f"{generated.fitted.context_budget or generated.fitted.budget:,}" if cut else ""
    print(f"prompt: {os.path.relpath(generated.text_path)} ({len(generated.prompt.shown)} instances shown{where}"
          f"{cut_note}, {generated.token_count} tokens)")
    if not args.ask:
        answer = os.path.relpath(job.answer_path)
        print(f"then: paste the LLM's reply to it into {answer}, and run: "
              f"{shlex.join(['python', 'prompt_generation.py', '--parse-answer', answer])}", file=sys.stderr)
        return
    settings = LLMSettings(model=args.llm_model, base_url=args.base_url, timeout=args.timeout, retries=args.retries,
                           follow_ups=args.follow_ups, temperature=args.temperature,
                           answer_format=args.answer_format or "text")
    if llm is not None:
        settings = llm.ask_settings(settings, args.answer_format)
    parsed, picks, list_path = ask(job, generated, settings, force=args.force, fill=args.fill)
    for note in parsed.notes():
        print(f"note: {note}", file=sys.stderr)
    print(f"answer: {os.path.relpath(job.answer_path)}")
    print(format_index_list(picks))
    print(f"list: {os.path.relpath(list_path)}")
    print(f"then: {job.training_command()}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.parse_answer:
            _report_parse(parse_answer_file(args.parse_answer, args.examples, args.shown, args.prompt))
            return 0
        if not args.task:
            parser.error("--task is required (or --parse-answer FILE)")
        if args.import_prompt:
            if not args.answers_name:
                parser.error("--import-prompt needs --answers-name: the answers folder that will hold the authors' "
                             "list (e.g. gpt_4_200)")
            _import(args)
            return 0
        args.fill = default_fill(args.llm_gguf, args.fill)
        with contextlib.ExitStack() as stack:
            llm = stack.enter_context(embedded_llm(args.llm_gguf, args.llm_context)) if args.llm_gguf else None
            _select(args, llm, cli.has_option(argv if argv is not None else sys.argv[1:], "--prompt-tokens"))
    except (UserError, OSError) as error:  # bad input or an unreadable file; other errors keep their traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
