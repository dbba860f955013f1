#!/usr/bin/env python
"""Sweep a grid of model_training.py runs: resumable, optionally parallel, with a summary table and plots.

Edit the grid below (or override it: --tasks sst2 rte --modes baseline 10 ...), then:

    python automatic_run.py              # run every cell not finished yet; print the summary table
    python automatic_run.py --dry-run    # list the cells and whether each would run or be skipped
    python automatic_run.py --summary    # only the table (logs/run/summary.csv) of what has run
    python automatic_run.py --plot       # also write learning curves and a bar chart under logs/run/plots/
"""

from __future__ import annotations

import argparse
import sys

# --- the grid: every combination is one cell, one model_training.py process --------------------------------------
TASK = ["rotten_tomatoes"]  # task names; continuous learning curves: [f"sst2_25_cont_index_recap_{i}" for i in range(1, 13)]
MODES = ["baseline"]  # baseline, an LLM/prompt folder under answers/<task>/ (e.g. "10"), smalltext_coldstart, ...
RUNS = [1]  # pool shuffles (and list numbers)
MODELCLASS = ["default"]  # default (fine-tune), setfit, smalltext
ACTIVELEARNING = ["None", "random_filtering"]  # None, random_filtering, or a small-text strategy (PredictionEntropy, ...)
WARMSTART = [False]  # True: start small-text strategies from the LLM's picks
MODEL = ["minilm"]  # minilm (packaged, offline), bert-base-uncased (the paper's, needs the hub), any local folder
SEEDS = [42, 109, 27, 158, 77]  # training seeds of every cell (the paper's)
EPOCHS = [25]  # training epochs (the paper's 25)
EXTRA_ARGS: list[str] = []  # appended to every cell, e.g. ["--pool-size", "2000", "--budget", "100"]
# ------------------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    grid = parser.add_argument_group("grid overrides (default: the lists at the top of this file)")
    grid.add_argument("--tasks", nargs="+", default=TASK)
    grid.add_argument("--modes", nargs="+", default=MODES)
    grid.add_argument("--runs", nargs="+", type=int, default=RUNS)
    grid.add_argument("--modelclasses", nargs="+", default=MODELCLASS)
    grid.add_argument("--activelearning", nargs="+", default=ACTIVELEARNING)
    grid.add_argument("--warmstart", nargs="+", type=_bool, default=WARMSTART)
    grid.add_argument("--models", nargs="+", default=MODEL)
    grid.add_argument("--seeds", nargs="+", type=int, default=SEEDS)
    grid.add_argument("--epochs", nargs="+", type=int, default=EPOCHS)
    grid.add_argument("--extra", nargs=argparse.REMAINDER, default=EXTRA_ARGS,
                      help="model_training.py options appended to every cell (put last)")
    parser.add_argument("--dry-run", action="store_true", help="list the cells and exit")
    parser.add_argument("--redo", action="store_true", help="run cells again although their results exist")
    parser.add_argument("--jobs", type=int, default=1,
                        help="cells at once: on CPUs the cores are split between them, on GPUs one per device")
    parser.add_argument("--summary", action="store_true", help="only print (and write) the summary table")
    parser.add_argument("--plot", action="store_true", help="write PNG plots of the summary under logs/run/plots/")
    return parser


def _bool(value: str) -> bool:
    from activellm.cli import strict_bool

    return strict_bool(value)


def parse_cell(argv: list[str]):
    """The RunConfig model_training.py builds from a command line: skipping uses exactly what running uses."""
    import model_training

    return model_training.config_from_args(model_training.build_parser().parse_args(argv))


def report_summary(plot: bool) -> None:
    from activellm.summary import latest_rows, markdown_table, plot_summary, result_files, summarize, write_summary

    summary = summarize(latest_rows(result_files()))
    if not summary:
        print("No finished runs under logs/run/ yet.")
        return
    path = write_summary(summary)
    print(markdown_table(summary))
    print(f"summary: {path}")
    if plot:
        for png in plot_summary(summary):
            print(f"plot: {png}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.summary:
        report_summary(args.plot)
        return 0
    from activellm.sweep import Grid, Sweep, cell_state, expand

    grid = Grid(args.tasks, args.modes, args.runs, args.modelclasses, args.activelearning, args.warmstart,
                args.models, args.seeds, args.epochs, args.extra)
    cells = expand(grid, parse_cell)
    if args.dry_run:
        for cell in cells:
            state = cell_state(cell, args.redo)
            label = {"invalid": f"invalid: {cell.problem}", "skipped": "skip (finished)"}.get(state, state)
            print(f"{label:<16} python model_training.py {' '.join(_quote(a) for a in cell.argv)}")
        return 0
    sweep = Sweep(cells, jobs=args.jobs, redo=args.redo)
    try:
        outcomes = sweep.run()
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished cells are kept; status in {sweep.status_path}", file=sys.stderr)
        return 130
    counts = {state: sum(o.state == state for o in outcomes) for state in ("done", "skipped", "failed", "invalid")}
    report_summary(args.plot)
    for outcome in outcomes:
        if outcome.state == "failed":
            print(f"failed (exit {outcome.returncode}): {outcome.cell.name}\n  log: {outcome.log}", file=sys.stderr)
    print(f"sweep: {counts['done']} ran, {counts['skipped']} skipped, {counts['failed']} failed, "
          f"{counts['invalid']} invalid of {len(cells)} cells; status in {sweep.status_path}")
    return 1 if counts["failed"] else 0


def _quote(arg: str) -> str:
    return f"'{arg}'" if " " in arg else arg


if __name__ == "__main__":
    sys.exit(main())
