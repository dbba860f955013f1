#!/usr/bin/env python
"""Sweep a grid of model_training.py runs: resumable, optionally parallel, with a summary table and plots.

Edit the grid below (or override it: --tasks sst2 rte --modes baseline 10 ...), then:

    python automatic_run.py              # run every cell not finished yet; print the summary table, write the plots
    python automatic_run.py --dry-run    # list the cells: would run, skipped (finished) or left out (does not apply)
    python automatic_run.py --summary    # only the table (logs/run/summary.csv) and plots (logs/run/plots/)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from activellm import cli
from activellm.prompts.token_budget import add_budget_options
from activellm.reporting import power
from activellm.sweep.local_backend import AUTO

# --- the grid: every combination is one cell, one model_training.py run ------------------------------------------
# The default is the offline main job: do k-means representatives or TypiClust beat random picks at 32 shots, and
# what are their picks worth in random labels? Rotten Tomatoes with the packaged MiniLM, batch 8 (with the paper's
# batch 128, 32 examples make one optimizer step per epoch and MiniLM stays at the majority class), 10 runs (pool
# shuffles: 10 independent selections per arm) of one seed each: the random baseline (the first k rows) at 16, 32
# and 64 labels (the curve that prices a selection in random labels), k-means representatives and TypiClust on
# sentence embeddings at 32. More arms (vote_k, probcover, small-text's PredictionEntropy with MODELCLASS smalltext)
# answer more questions with fewer runs each. Combinations that do not apply are left out and listed by --dry-run.
TASK = ["rotten_tomatoes"]  # task names; continuous learning curves: [f"sst2_25_cont_index_recap_{i}" for i in range(1, 13)]
BUDGETS = [32]  # k of every arm (for tasks named without k: rotten_tomatoes at 16 is rotten_tomatoes_16); small-text
# gets --budget k and, unless EXTRA_ARGS gives one, --query-size k/2 (k/2 random rows, then one query of k/2)
RANDOM_BUDGETS = [16, 32, 64]  # further k of the random baseline alone: its curve prices a selection in random labels
MODES = ["baseline"]  # baseline, an LLM/prompt folder under answers/<task>/ (e.g. "gpt-4o_10"), smalltext_coldstart, ...
RUNS = list(range(1, 11))  # pool shuffles (and list numbers)
CONFIRM_RUNS = list(range(11, 21))  # fresh pool shuffles that confirm the verdict of RUNS in a block of their own: the
# arms were chosen after runs 1-5 of a five-arm grid were seen (docs/statistics.md); a claim rests on runs 11-20
MODELCLASS = ["default"]  # default (fine-tune), setfit, smalltext
ACTIVELEARNING = ["None", "embedding_kmeans", "typiclust"]  # None, random_filtering, a label-free selector
# (embedding_kmeans, vote_k, typiclust, probcover) or a small-text strategy (PredictionEntropy, ... with smalltext)
WARMSTART = [False]  # True: start small-text strategies from the LLM's (or a selector's) picks
MODEL = ["minilm"]  # minilm (packaged, offline), bert-base-uncased (the paper's, needs the hub), any local folder
SEEDS = [42]  # training seeds of every cell (the paper's five: 42 109 27 158 77)
EPOCHS = [25]  # training epochs (the paper's 25)
EXTRA_ARGS: list[str] = ["--train-batch-size", "8", "--pool-size", "2000"]
# ActiveLLM itself: each (LLM, prompt mode) adds the mode <llm>_<mode> (e.g. gpt-4o_10) to MODES; before a cell trains
# on it, the sweep asks the LLM for the missing answers (every iteration 1..i of a continuous task, in order).
LLMS: list[str] = []  # model names at an OpenAI-compatible endpoint, e.g. ["gpt-4o", "meta-llama/Llama-3.1-8B-Instruct"]
PROMPT_MODES = ["10"]  # the paper's prompt modes 1-12 (10: its main prompt, 200 shown), or "representative" (ours)
PROMPT_TEMPLATES = ["builtin"]  # the wordings: builtin (each mode's own) and/or template files (see templates/)
CANDIDATES = ["first"]  # the rows a prompt shows: the pool's first (the paper's), or a label-free selector's picks
# (embedding_kmeans, vote_k, typiclust, probcover): cluster first, then let the LLM choose, as SelectLLM does
PROMPT_ARMS: list[str] = []  # instead of PROMPT_MODES x CANDIDATES, these pairs: MODE (over the first rows) or
# MODE@CANDIDATES, e.g. ["10", "representative", "representative@embedding_kmeans"]
PROMPT_TOKENS = 14_000  # each prompt's token budget (0: no limit): long instances are cut to a common head to fit
PROMPT_FIT = "cut"  # or "fewer": show fewer whole instances (activellm.prompts.token_budget)
LLM_BASE_URL: str | None = None  # None: OPENAI_BASE_URL, else OpenAI; a local server: "http://localhost:8000/v1"
LLM_GGUF: str | None = None  # a GGUF model served here with llama.cpp for the sweep ("default": SmolLM2-135M-Instruct,
# which proves the path but picks the first rows); its lists are asked on all cores before any cell trains
JOBS: int | str = "auto"  # cells at once; auto: one 1-thread worker per core (as memory allows), or one per GPU

# --- named grids (--grid NAME): each sets what it names, the rest is the grid above; reports in logs/run/<NAME>/ ----
GRIDS: dict[str, dict[str, object]] = {
    # A verdict per task: does a label-free selector beat random picks beyond binary sentiment? Rotten Tomatoes (2
    # classes, short sentences), TREC questions (6 classes, ABBR 1.6%) and BBC News (5 topics, articles read up to
    # 128 tokens); random at 16/32/64 and every label-free selector at 32; 10 runs each; one Holm family over all.
    # With --llms, each LLM is asked in the paper's mode 10 and in the representative wording (PROMPT_ARMS).
    "benchmark": {
        "TASK": ["rotten_tomatoes", "trec", "bbc_news"],
        "ACTIVELEARNING": ["None", "embedding_kmeans", "typiclust", "probcover", "vote_k"],
        "CONFIRM_RUNS": [],
        # the paper's mode 10 and the representative wording over the first rows, and representative over 200 k-means
        # candidates (cluster, then ask: the arm that beat k-means on Rotten Tomatoes and TREC, docs/prompts-and-answers.md)
        "PROMPT_ARMS": ["10", "representative", "representative@embedding_kmeans"],
    },
}
MAIN_GRID = "main"  # the grid above
# ------------------------------------------------------------------------------------------------------------------


def grid_setting(grid: str, name: str) -> object:
    """A setting of a grid: what the named grid sets, else the grid above's."""
    return GRIDS.get(grid, {}).get(name, globals()[name])


def build_parser(grid_name: str = MAIN_GRID) -> argparse.ArgumentParser:
    """The options, their defaults those of the grid named ``grid_name``."""
    def setting(name: str):
        return grid_setting(grid_name, name)

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=[MAIN_GRID, *GRIDS], default=MAIN_GRID,
                        help="the grid to run or report: main (the lists at the top of this file, the main job) or a "
                             "named grid of GRIDS (benchmark: every label-free selector against random on three "
                             "tasks); its reports go to logs/run/<grid>/")
    grid = parser.add_argument_group("grid overrides (default: the lists at the top of this file)")
    grid.add_argument("--tasks", nargs="+", default=setting("TASK"))
    grid.add_argument("--budgets", nargs="*", type=cli.positive_int, default=setting("BUDGETS"), metavar="K",
                      help="k of every arm for tasks named without k (none: each task's own k)")
    grid.add_argument("--random-budgets", nargs="*", type=cli.positive_int, default=setting("RANDOM_BUDGETS"), metavar="K",
                      help="further k of the random baseline alone, for random-equivalent labels (none: only "
                           "--budgets)")
    grid.add_argument("--modes", nargs="*", default=setting("MODES"), help="modes besides the LLM folders of --llms")
    grid.add_argument("--runs", nargs="+", type=cli.nonnegative_int, default=setting("RUNS"),
                      help="pool shuffles of the exploration (and list numbers)")
    grid.add_argument("--confirm", nargs="*", type=cli.nonnegative_int, metavar="RUN",
                      help="fresh runs that confirm the verdict: run like --runs, reported apart in their own table "
                           "and verdict block (summary_confirm.csv); none: no confirmation (default: CONFIRM_RUNS "
                           "with the grid's own RUNS, none where --runs is given)")
    grid.add_argument("--modelclasses", nargs="+", default=setting("MODELCLASS"))
    grid.add_argument("--activelearning", nargs="+", default=setting("ACTIVELEARNING"))
    grid.add_argument("--warmstart", nargs="+", type=cli.strict_bool, default=setting("WARMSTART"))
    grid.add_argument("--models", nargs="+", default=setting("MODEL"))
    grid.add_argument("--seeds", nargs="+", type=cli.nonnegative_int, default=setting("SEEDS"))
    grid.add_argument("--epochs", nargs="+", type=cli.nonnegative_int, default=setting("EPOCHS"))
    grid.add_argument("--llms", nargs="*", default=setting("LLMS"), help="LLMs that select (each with each --prompt-modes)")
    grid.add_argument("--prompt-modes", nargs="+", default=setting("PROMPT_MODES"),
                      help="prompt modes 1-12 or representative (default 10)")
    grid.add_argument("--prompt-templates", nargs="+", default=setting("PROMPT_TEMPLATES"), metavar="TEMPLATE",
                      help="the wordings each LLM is asked in: builtin (the mode's own, default) and/or template "
                           "files (each its own answers folder and summary row)")
    grid.add_argument("--candidates", nargs="+", default=setting("CANDIDATES"),
                      help="the rows each LLM prompt shows: first (default) or a label-free selector's picks")
    grid.add_argument("--prompt-arms", nargs="*", default=setting("PROMPT_ARMS"), metavar="MODE[@CANDIDATES]",
                      help="the (prompt mode, candidates) pairs each LLM is asked in, instead of --prompt-modes x "
                           "--candidates: 10 representative representative@embedding_kmeans")
    add_budget_options(grid, setting("PROMPT_TOKENS"), setting("PROMPT_FIT"))
    grid.add_argument("--extra", nargs=argparse.REMAINDER, default=setting("EXTRA_ARGS"),
                      help="model_training.py options appended to every cell (put last)")
    llm = parser.add_argument_group("asking the LLMs (as prompt_generation.py --ask; the key from OPENAI_API_KEY)")
    cli.add_ask_options(llm, setting("LLM_BASE_URL"), setting("LLM_GGUF"))
    llm.add_argument("--llm-jobs", type=cli.positive_int, default=1, help="lists asked for at once (default 1)")
    parser.add_argument("--dry-run", action="store_true", help="list the cells and exit")
    parser.add_argument("--redo", action="store_true", help="run cells again although their results exist")
    parser.add_argument("--jobs", type=cli.int_or_auto, default=setting("JOBS"),
                        help="cells at once: on CPUs the cores are split between them, on GPUs one per device; auto: "
                             "one 1-thread worker per core (as memory allows), or one per GPU")
    parser.add_argument("--no-workers", dest="workers", action="store_false",
                        help="a new model_training.py process per cell instead of long-lived workers (slower: each "
                             "cell imports torch and loads its model again)")
    backend = parser.add_argument_group("where the cells run")
    backend.add_argument("--backend", choices=["local", "ray"], default="local",
                         help="local processes (default) or Ray tasks, on a local Ray instance or a cluster")
    backend.add_argument("--address", help="Ray cluster to join (auto, ray://host:10001); default: start a local one")
    backend.add_argument("--cpus-per-cell", type=float, help="Ray: CPUs per cell (default: the cluster's CPUs / --jobs)")
    backend.add_argument("--gpus-per-cell", type=float, help="Ray: GPUs per cell (default 1 where the cluster has GPUs)")
    decide = parser.add_argument_group("deciding (unit: the run)")
    decide.add_argument("--min-effect", type=cli.positive_float,
                        help="also say the runs for 80%% power to detect this difference of the main metric (e.g. "
                             "0.02), from each comparison's observed sd")
    decide.add_argument("--until-width", type=cli.positive_float, metavar="W",
                        help="add runs (new pool shuffles) in rounds of as many as --runs has until every "
                             "difference to random has a 95%% interval of at most ±W, or --max-runs")
    decide.add_argument("--max-runs", type=cli.positive_int, help="with --until-width: stop at this many runs")
    decide.add_argument("--llm-price", type=cli.nonnegative_float, nargs=2, metavar=("IN", "OUT"),
                        help="dollars per million prompt and completion tokens: each LLM arm's verdict adds the money "
                             "a selection costs (no prices, no money: there is no built-in price list)")
    decide.add_argument("--label-price", type=cli.nonnegative_float, metavar="P",
                        help="dollars per human label: each LLM arm's verdict adds the labels its picks save (their "
                             "worth in random labels less k) and what those would have cost")
    parser.add_argument("--summary", action="store_true", help="only print (and write) the summary table")
    parser.add_argument("--all-results", action="store_true",
                        help="report every result under logs/run, not only those of the grid's configurations")
    parser.add_argument("--diagnostics", action="store_true",
                        help="with --summary: only the selection diagnostics (class balance, typicality, coverage, "
                             "position bias) and the overlap of the selections")
    parser.add_argument("--no-plot", dest="plot", action="store_false",
                        help="do not write the plots (default: a bar chart of the few-shot cells and learning "
                             "curves of continuous tasks under logs/run/plots/)")
    return parser


def parse_cell(argv: list[str]):
    """The RunConfig model_training.py builds from a command line: skipping uses exactly what running uses."""
    import model_training

    return model_training.config_from_args(model_training.build_parser().parse_args(argv))


@dataclass
class Report:
    """What a summary reports and where: the rows of the grid's configurations (``cells``; None: every result under
    logs/run), written under ``folder``. ``looks``: the run counts at which the stopping rule could stop, whose
    sequential level then decides the verdict. ``confirm``: runs kept out of the summary and reported on their own
    (summary_confirm.csv, a verdict block of their own)."""

    folder: Path
    cells: list | None = None
    plot: bool = True
    diagnostics_only: bool = False
    min_effect: float | None = None
    looks: Sequence[int] | None = None
    confirm: Sequence[int] = ()
    prices: object = None  # activellm.reporting.cost.Prices: what the user says tokens and labels cost


def report_summary(report: Report) -> list[dict]:
    """The summary table with random-equivalent labels and runs needed, the verdict (verdict.md), the selection
    diagnostics, the overlap of selections, the table across tasks and the plots; returns the summary's rows."""
    from activellm.llm.usage import USAGE_FILE, llm_usage, usage_markdown, write_usage
    from activellm.reporting.summary import latest_rows, result_files
    from activellm.reporting.verdict import VERDICT_FILE, write_verdict
    from activellm.sweep.grid import grid_rows

    rows = latest_rows(result_files())
    if report.cells is not None:
        kept = grid_rows(rows, report.cells, runs=True)
        if len(kept) < len(rows):
            print(f"note: {len(rows) - len(kept)} result rows under logs/run belong to other grids and are left out "
                  "(name their grid with --grid or its options, or report everything with --all-results)",
                  file=sys.stderr)
        rows = kept
    confirming = {str(run) for run in report.confirm}
    explored = [row for row in rows if str(row.get("run")) not in confirming]
    summary, verdict = _report_block(explored, report, looks=report.looks)
    blocks = [verdict]
    if confirming:
        checked = [row for row in rows if str(row.get("run")) in confirming]
        title = f"Confirmation on runs {_run_span(report.confirm)}"
        heading = f"{title} (fresh pool shuffles, reported apart from the runs above)"
        print(f"\n## {heading}\n")
        confirmed = _report_block(checked, report, looks=None, suffix="_confirm", title=title)[1]
        blocks.append(f"## {heading}\n\n{confirmed or 'No finished runs yet.'}")
    path = write_verdict("\n\n".join(block for block in blocks if block), report.folder / VERDICT_FILE)
    if not report.diagnostics_only and any(blocks):
        print(f"\nverdict: {path}")
    usage = llm_usage()
    if usage:
        print(f"\nLLM usage (from the answers' metadata):\n\n{usage_markdown(usage)}")
        print(f"usage: {write_usage(usage, report.folder / USAGE_FILE)}")
    return summary


def _report_block(rows: list[dict], report: Report, looks: Sequence[int] | None, suffix: str = "",
                  title: str | None = None) -> tuple[list[dict], str]:
    """One summary of ``rows``, printed and written with ``suffix`` in its file names (``title`` over its differences
    plot); its rows and verdict block, which ends with the table across tasks where there are several."""
    from activellm.llm.usage import llm_usage
    from activellm.reporting.across_tasks import cross_task_markdown, plot_cross_task
    from activellm.reporting.budgets import add_random_equivalents, plot_budgets
    from activellm.reporting.cost import Prices, add_llm_costs
    from activellm.reporting.diagnostics import diagnostics_markdown, overlap_markdown, plot_diagnostics
    from activellm.reporting.power import ALPHA, add_runs_needed, sequential_level, tested_rows
    from activellm.reporting.summary import SUMMARY_FILE, markdown_table, plot_summary, summarize, write_summary
    from activellm.reporting.verdict import plot_differences, verdict_markdown

    summary = summarize(rows)
    if not summary:
        print("No finished runs under logs/run yet.")
        return summary, ""
    level = sequential_level(looks, tested_rows(summary)) if looks else ALPHA
    add_random_equivalents(summary, rows)
    add_llm_costs(summary, llm_usage(), report.prices or Prices())
    add_runs_needed(summary, report.min_effect, level)
    path = write_summary(summary, report.folder / SUMMARY_FILE.replace(".csv", f"{suffix}.csv"))
    if not report.diagnostics_only:
        print(markdown_table(summary))
    for table in (diagnostics_markdown(summary), overlap_markdown(rows)):
        if table:
            print(f"\n{table}")
    print(f"\nsummary: {path}")
    verdict = verdict_markdown(summary, level, looks)
    across = cross_task_markdown(summary, level)
    if across:
        verdict = f"{verdict}\n\n{across}"
    if verdict and not report.diagnostics_only:
        print(f"\n{verdict}")
    if report.plot:
        folder = report.folder / "plots"
        drawn = [] if suffix else [*plot_summary(summary, folder), *plot_budgets(summary, folder),
                                   plot_diagnostics(rows, folder)]
        drawn += [plot_differences(summary, folder / f"differences{suffix}.png", level, title),
                  plot_cross_task(summary, folder / f"across_tasks{suffix}.png", level, title)]
        for png in drawn:
            if png is not None:
                print(f"plot: {png}")
    return summary, verdict


def _run_span(runs: Sequence[int]) -> str:
    """``11-20`` for consecutive runs, else the runs listed."""
    ordered = sorted(set(runs))
    consecutive = ordered == list(range(ordered[0], ordered[-1] + 1))
    return f"{ordered[0]}-{ordered[-1]}" if consecutive and len(ordered) > 1 else ", ".join(map(str, ordered))


def llm_lists(arms: dict, cells: list) -> tuple[dict, dict]:
    """For each cell that trains on an LLM folder of the grid (``arms`` by folder): the merged list it waits for,
    and the list it needs itself."""
    from activellm.sweep.llm_lists import list_request, merge

    needs = {cell.name: request for cell in cells if cell.config is not None
             and (request := list_request(cell.config, arms)) is not None}
    merged = merge(list(needs.values()))
    return {name: merged[request.key] for name, request in needs.items()}, needs


def dry_run(cells: list, redo: bool, lists: dict, own: dict) -> None:
    from activellm.sweep.runner import LEFT_OUT, cell_state

    for cell in cells:
        state = cell_state(cell, redo)
        label = {LEFT_OUT: f"left out (does not apply): {cell.problem}", "skipped": "skip (finished)"}.get(state, state)
        if state == "run" and cell.name in lists:
            wanted = own[cell.name].iterations
            missing = [i for i in lists[cell.name].missing() if i <= wanted]
            if missing:
                asked = ", ".join(map(str, missing)) if own[cell.name].continuous else ""
                label = f"ask {own[cell.name].arm.model}" + (f" (iterations {asked})" if asked else "") + ", then run"
        print(f"{label:<16} python model_training.py {' '.join(_quote(a) for a in cell.argv)}")


def main(argv: list[str] | None = None) -> int:
    from activellm.errors import UserError

    parser, args = parse_args(argv)
    if args.diagnostics and not args.summary:
        parser.error("--diagnostics narrows --summary to the selection diagnostics; use --summary --diagnostics (a "
                     "sweep prints them after its summary table anyway)")
    if (args.until_width is None) != (args.max_runs is None):
        parser.error("--until-width W and --max-runs N go together: add runs until every difference's 95% interval "
                     "is at most ±W wide, or N runs")
    if args.max_runs is not None and args.max_runs < max(len(set(args.runs)), power.MIN_RUNS_TO_STOP):
        parser.error(f"--max-runs {args.max_runs} is below the {len(set(args.runs))} runs the grid starts with or the "
                     f"{power.MIN_RUNS_TO_STOP} runs before which the stopping rule never stops; give --max-runs "
                     f"{max(len(set(args.runs)), power.MIN_RUNS_TO_STOP)} or more")
    args.confirm_given = args.confirm is not None
    if args.confirm is None:  # the grid's confirmation belongs to the grid's runs
        args.confirm = grid_setting(args.grid, "CONFIRM_RUNS") if args.runs == grid_setting(args.grid, "RUNS") else []
    if set(args.runs) & set(args.confirm):
        parser.error(f"--confirm runs {sorted(set(args.runs) & set(args.confirm))} are also in --runs: a confirmation "
                     "needs runs (pool shuffles) that the exploration did not see; name others, e.g. --confirm "
                     f"{' '.join(map(str, range(max(args.runs) + 1, max(args.runs) + 1 + len(set(args.confirm)))))}")
    try:
        if args.until_width is not None and not args.summary:  # a stopping-rule sweep: it records what it does
            args.looks = power.stopping_looks(len(set(args.runs)), len(set(args.runs)), args.max_runs)
        else:
            read_stopping_record(parser, args)
        if args.summary:
            report_summary(grid_report(args, grid_cells(args)[0]))
            return 0
        return sweep_rounds(args) if args.until_width is not None else sweep_grid(args)[0]
    except UserError as error:  # bad input (an unknown name in the grid, ...): finished cells are kept
        print(f"error: {error}", file=sys.stderr)
        return 2


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The command line, its defaults those of the grid that --grid names."""
    named = argparse.ArgumentParser(add_help=False)
    named.add_argument("--grid", default=MAIN_GRID)
    parser = build_parser(named.parse_known_args(argv)[0].grid)
    return parser, parser.parse_args(argv)


def report_folder(grid: str) -> Path:
    """Where a grid's reports go: logs/run for the main grid, logs/run/<grid>/ for a named one."""
    from activellm import paths

    return paths.logs_dir() if grid == MAIN_GRID else paths.logs_dir() / grid


def grid_report(args: argparse.Namespace, cells: list) -> Report:
    """The report of the grid of ``args``: its configurations' rows (every result with --all-results), in its
    report folder."""
    from activellm.reporting.cost import Prices

    prompt_price, completion_price = args.llm_price or (None, None)
    return Report(report_folder(args.grid), None if args.all_results else cells, args.plot, args.diagnostics,
                  args.min_effect, args.looks, args.confirm, Prices(prompt_price, completion_price, args.label_price))


# the options that make a grid's cells, all but its runs: a stopping rule's record is of the grid they make
GRID_OPTIONS = ("tasks", "budgets", "random_budgets", "modes", "modelclasses", "activelearning", "warmstart", "models",
                "seeds", "epochs", "llms", "llm_gguf", "prompt_modes", "prompt_templates", "candidates",
                "prompt_arms", "prompt_tokens", "prompt_fit", "extra")


def grid_settings(args: argparse.Namespace) -> dict[str, object]:
    return {name: getattr(args, name) for name in GRID_OPTIONS}


def read_stopping_record(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A report of a grid that the stopping rule ran (its record beside the reports) reports the rule's runs,
    confirmation runs and looks, so that it says what the sweep said; runs or rule options given that are not the
    record's are refused. Without a record: the runs given, at the stopping rule's level where --until-width says so."""
    from activellm.sweep.stopping import STOPPING_FILE, applies, read_record, span

    folder = report_folder(args.grid)
    record = read_record(folder)
    if record is None or not applies(record, grid_settings(args)):
        args.looks = power.stopping_looks(len(set(args.runs)), len(set(args.runs)), args.max_runs) \
            if args.until_width is not None else None
        return
    runs = sorted(set(args.runs))
    runs_fit = args.runs == grid_setting(args.grid, "RUNS") or runs in (record.runs, sorted(record.rounds[0]))
    confirm_fits = not args.confirm_given or sorted(set(args.confirm)) == sorted(record.confirm)
    rule_fits = args.until_width in (None, record.until_width) and args.max_runs in (None, record.max_runs)
    if not (runs_fit and confirm_fits and rule_fits):
        given = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in (
            ("runs", span(runs)), ("confirm", span(args.confirm) if args.confirm_given else None),
            ("until_width", args.until_width), ("max_runs", args.max_runs)) if value not in (None, ""))
        parser.error(f"{given} is not what the stopping rule ran for this grid ({folder / STOPPING_FILE}: runs "
                     f"{span(record.runs)}" + (f", confirmation runs {span(record.confirm)}" if record.confirm else "")
                     + f", --until-width {record.until_width} --max-runs {record.max_runs}): leave out --runs, "
                     "--confirm, --until-width and --max-runs to report what it decided; to report other runs as a "
                     "fixed sample, move that file away first")
    args.runs, args.confirm, args.looks = record.runs, record.confirm, record.looks
    print(f"note: the stopping rule ran this grid to runs {span(record.runs)} ({folder / STOPPING_FILE}"
          + (f"; {record.stopped}" if record.stopped else "") + "): reporting them at its sequential level over "
          f"looks {', '.join(map(str, record.looks))}", file=sys.stderr)


def prompt_arm(text: str) -> tuple[str, str]:
    """``representative@embedding_kmeans`` -> (prompt mode, candidate rule); ``10`` -> ("10", "first")."""
    from activellm.prompts.build import FIRST_ROWS, PromptError
    from activellm.selection.label_free import SELECTORS

    mode, _, rule = text.partition("@")
    rule = rule or FIRST_ROWS
    if rule not in (FIRST_ROWS, *SELECTORS):
        raise PromptError(f"--prompt-arms {text!r}: unknown candidates {rule!r}; write MODE or MODE@CANDIDATES with "
                          f"CANDIDATES one of {FIRST_ROWS}, {', '.join(SELECTORS)}.")
    return mode, rule


def grid_cells(args: argparse.Namespace) -> tuple[list, dict]:
    """The grid of ``args`` as cells, and its LLM arms by answers folder."""
    from activellm.prompts.build import check_grid_modes
    from activellm.prompts.templates import BUILTIN, load_template
    from activellm.sweep.grid import Grid, expand
    from activellm.sweep.llm_lists import LLMArm

    templates = [None if name == BUILTIN else load_template(name) for name in args.prompt_templates]
    pairs = [prompt_arm(text) for text in args.prompt_arms] if args.prompt_arms else \
        [(mode, rule) for mode in args.prompt_modes for rule in args.candidates]
    models = [*args.llms, *([embedded_model(args)] if args.llm_gguf else [])]
    if models:
        check_grid_modes([mode for mode, _ in pairs], any(templates))
    arms = {arm.folder: arm for arm in (LLMArm(model, mode, rule, template, args.prompt_tokens, args.prompt_fit)
                                        for model in models for mode, rule in pairs for template in templates)}
    modes = list(dict.fromkeys([*args.modes, *arms]))
    grid = Grid(args.tasks, modes, [*args.runs, *args.confirm], args.modelclasses, args.activelearning, args.warmstart,
                args.models, args.seeds, args.epochs, args.extra, args.budgets, args.random_budgets)
    return expand(grid, parse_cell), arms


def embedded_model(args: argparse.Namespace) -> str:
    """The name the embedded model's arms carry: its file's (activellm.llm.embedded)."""
    from activellm.llm.embedded import model_name, resolve_gguf

    return model_name(resolve_gguf(args.llm_gguf))


def ask_embedded(args: argparse.Namespace, requests: list, settings) -> None:
    """Serve the embedded model once and ask it for the lists of ``requests`` that are missing, before any cell."""
    from activellm.llm.embedded import default_fill, embedded_llm
    from activellm.prompts.token_budget import DEFAULT_PROMPT_TOKENS
    from activellm.sweep.llm_lists import fulfil_embedded

    missing = [request for request in requests if request.missing()]
    if not missing:  # no server started for nothing
        return
    with embedded_llm(args.llm_gguf, args.llm_context) as llm:
        fulfil_embedded(missing, llm, llm.ask_settings(settings, args.answer_format),
                        default_fill(args.llm_gguf, args.fill), budget_given=args.prompt_tokens != DEFAULT_PROMPT_TOKENS)


def sweep_grid(args: argparse.Namespace) -> tuple[int, list[dict]]:
    """Run (or with --dry-run list) the grid of ``args`` and print the summary; the exit status (1 if a cell
    failed) and the summary's rows of this grid's tasks and models."""
    from activellm.llm.client import LLMSettings
    from activellm.sweep.grid import grid_rows
    from activellm.sweep.llm_lists import ListKeeper, check_prompts, parse_saved_answers
    from activellm.sweep.runner import LEFT_OUT, STATES, Sweep, cell_state

    cells, arms = grid_cells(args)
    lists, own = llm_lists(arms, cells)
    if args.dry_run:
        dry_run(cells, args.redo, lists, own)
        return 0, []
    to_run = [cell for cell in cells if cell_state(cell, args.redo) == "run"]  # before anything runs or is asked
    parse_saved_answers((cell.config for cell in to_run), arms)
    if lists:
        check_prompts(own[cell.name] for cell in to_run if cell.name in own)
    settings = LLMSettings(base_url=args.base_url, timeout=args.timeout, retries=args.retries,
                           follow_ups=args.follow_ups, temperature=args.temperature,
                           answer_format=args.answer_format or "text")  # the model: each arm's own
    if args.llm_gguf:  # the embedded model's lists first, on every core; its cells then wait for nothing
        served = embedded_model(args)
        wanted = {name: request for name, request in lists.items() if request.arm.model == served}
        running = {cell.name for cell in to_run}
        ask_embedded(args, list({r.key: r for name, r in wanted.items() if name in running}.values()), settings)
        lists = {name: request for name, request in lists.items() if name not in wanted}
    keeper = ListKeeper(settings, args.fill, jobs=args.llm_jobs) if lists else None
    if args.jobs == AUTO and args.backend == "local":  # Ray's auto counts the cluster's resources
        from activellm.sweep.local_backend import auto_jobs

        args.jobs, why = auto_jobs()
        print(f"jobs auto: {why}", file=sys.stderr)
    backend = None
    if args.backend == "ray":
        from activellm.sweep.ray_backend import RayBackend

        backend = RayBackend(args.jobs, args.address, args.cpus_per_cell, args.gpus_per_cell)
    sweep = Sweep(cells, jobs=args.jobs, redo=args.redo, lists=lists, keeper=keeper, backend=backend,
                  workers=args.workers)
    try:
        outcomes = sweep.run()
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished cells are kept; status in {sweep.status_path}", file=sys.stderr)
        return 130, []
    counts = {state: sum(o.state == state for o in outcomes) for state in STATES}
    summary = report_summary(grid_report(args, cells))
    for outcome in outcomes:
        if outcome.state == "failed":
            print(f"failed ({outcome.error or f'exit {outcome.returncode}'}): {outcome.cell.name}"
                  + (f"\n  log: {outcome.log}" if outcome.log else ""), file=sys.stderr)
    left_out = f"; {counts[LEFT_OUT]} combinations of the grid left out (do not apply; --dry-run lists them)" \
        if counts[LEFT_OUT] else ""
    print(f"sweep: {counts['done']} ran, {counts['skipped']} skipped, {counts['failed']} failed of "
          f"{len(cells) - counts[LEFT_OUT]} cells{left_out}; status in {sweep.status_path}")
    return (1 if counts["failed"] else 0), grid_rows(summary, cells)


def sweep_rounds(args: argparse.Namespace) -> int:
    """The stopping rule: sweep the grid, then add rounds of new runs (pool shuffles) while a difference to random
    of this grid's tasks and models has a 95% interval wider than ±--until-width, up to --max-runs runs. It looks
    at the intervals' widths only, never at p-values (activellm.reporting.power)."""
    from activellm.reporting.power import half_width, open_differences
    from activellm.sweep.stopping import StoppingRecord, write_record

    runs, step = sorted(set(args.runs)), len(set(args.runs))
    taken = set(runs) | set(args.confirm)  # new runs are numbered past the confirmation's too
    record = StoppingRecord(grid_settings(args), [runs], sorted(args.confirm), list(args.looks), args.until_width,
                            args.max_runs)
    while True:
        args.runs = runs
        if not args.dry_run:  # before the round reports: a report read later says what this one says
            write_record(report_folder(args.grid), record)
        code, summary = sweep_grid(args)
        if code != 0 or args.dry_run:
            return code
        if not any(e.get("baseline_runs") for e in summary):
            print("error: --until-width needs differences to random, and this grid has none: add the random baseline "
                  "(--activelearning None with --modes baseline) beside the arms; the finished cells are kept",
                  file=sys.stderr)
            return 2
        still_open = open_differences(summary, args.until_width)
        if not still_open:
            stopped = f"every difference's 95% interval is within ±{args.until_width} after {len(runs)} runs"
            write_record(report_folder(args.grid), replace(record, stopped=stopped))
            print(f"until-width: {stopped}")
            return 0
        widths = [w for e in still_open if (w := half_width(e)) is not None]
        widest = max(widths, default=0.0)
        state = (f"{len(still_open)} difference(s) open after {len(runs)} runs (wider than ±{args.until_width}, or "
                 f"on fewer than the {power.MIN_RUNS_TO_STOP} runs the rule waits for; widest ±{widest:.4f})")
        if len(runs) >= args.max_runs:
            stopped = f"stopped at --max-runs {args.max_runs}: {state}"
            write_record(report_folder(args.grid), replace(record, stopped=stopped))
            print(f"until-width: {stopped}")
            return 0
        first = max(taken) + 1
        added = list(range(first, first + min(step, args.max_runs - len(runs))))
        taken |= set(added)
        print(f"until-width: {state}; adding runs {added[0]}-{added[-1]}", file=sys.stderr)
        runs = runs + added
        record = replace(record, rounds=[*record.rounds, added])


def _quote(arg: str) -> str:
    return f"'{arg}'" if " " in arg else arg


if __name__ == "__main__":
    sys.exit(main())
