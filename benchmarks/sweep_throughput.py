#!/usr/bin/env python
"""The sweep's throughput: the first N cells of the main job, one process per cell against long-lived workers.

    python benchmarks/sweep_throughput.py [--cells 6] [--paths processes:1 workers:1 workers:2]

Each path (``processes:J`` a new model_training.py process per cell, ``workers:J`` long-lived workers; J cells at
once, the cores split between them) runs the same first N cells of the main job's grid (automatic_run.py's
defaults) in a fresh results folder, after one untimed warm-up has cached the pools and the pool's embeddings that
every path then starts from. Prints per path the wall time, cells per minute, and the time a cell spends outside
its own work (its wall time less choosing its rows, training and scoring, as its CSV records them: for the first
cell of each slot, where a worker imports torch, and the mean and largest of the others), and whether every cell's
metrics equal those of the first path. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the package is beside us

import automatic_run  # noqa: E402
from activellm import paths  # noqa: E402
from activellm.sweep.grid import Grid, expand  # noqa: E402
from activellm.sweep.runner import Sweep
from activellm.training.environment import cpu_name  # noqa: E402
from activellm.training.experiment import find_complete_results  # noqa: E402
from activellm.training.metrics import METRIC_NAMES  # noqa: E402
from activellm.training.results import read_results  # noqa: E402


def main_job_cells(count: int):
    """The first ``count`` runnable cells of the main job's grid, in the sweep's order."""
    args = automatic_run.build_parser().parse_args([])
    grid = Grid(args.tasks, args.modes, args.runs, args.modelclasses, args.activelearning, args.warmstart,
                args.models, args.seeds, args.epochs, args.extra)
    return [cell for cell in expand(grid, automatic_run.parse_cell) if cell.config is not None][:count]


def run_path(cells, root: Path, jobs: int, workers: bool) -> tuple[float, dict[str, float], dict[str, tuple]]:
    """Wall seconds of the sweep, and per cell its time outside its own work and its metrics."""
    os.environ[paths.ROOT_ENV] = str(root)
    start = time.perf_counter()
    outcomes = Sweep(cells, jobs=jobs, workers=workers).run()
    wall = time.perf_counter() - start
    outside, metrics = {}, {}
    for outcome in outcomes:
        if outcome.state != "done":
            raise SystemExit(f"{outcome.cell.name} {outcome.state}: see {outcome.log}")
        rows = read_results(find_complete_results(outcome.cell.config))
        work = float(rows[0]["select_seconds"] or 0) + sum(float(r["train_seconds"]) + float(r["eval_seconds"])
                                                           for r in rows)
        outside[outcome.cell.name] = outcome.seconds - work
        metrics[outcome.cell.name] = tuple(r.get(name, "") for r in rows for name in METRIC_NAMES)
    return wall, outside, metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=6, help="the main job's first N cells (default 6: run 1's arms)")
    parser.add_argument("--paths", nargs="+", default=["processes:1", "workers:1", "workers:2"],
                        help="processes:J or workers:J, J cells at once (default: processes:1 workers:1 workers:2)")
    args = parser.parse_args(argv)
    cells = main_job_cells(args.cells)
    with tempfile.TemporaryDirectory(prefix="sweep-throughput-") as scratch:
        warm = Path(scratch) / "warm"
        print(f"warm-up (untimed): pools and embeddings for {len(cells)} cells ...", file=sys.stderr)
        run_path(cells[:1], warm, 1, True)
        results = []
        for path in args.paths:
            kind, jobs = path.split(":")
            root = Path(scratch) / path.replace(":", "_")
            shutil.copytree(warm / "data", root / "data")
            results.append((path, int(jobs), *run_path(cells, root, int(jobs), kind == "workers")))
    cores = os.cpu_count() or 1
    print(f"\n{cpu_name()}, {cores} cores; the main job's first {len(cells)} cells")
    print("| path | cells at once × threads | wall | cells/min | outside own work: the first cells | the others, "
          "mean (max) | metrics as the first path |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    first = results[0][4]
    for path, jobs, wall, outside, metrics in results:
        same = sum(metrics[name] == first[name] for name in metrics)
        starting = [outside[cell.name] for cell in cells[:jobs]]  # a worker's first cell imports the model stack
        warm = [outside[cell.name] for cell in cells[jobs:]] or [float("nan")]
        print(f"| {path} | {jobs} × {max(1, cores // jobs)} | {wall:.0f} s | {len(cells) / wall * 60:.2f} | "
              f"{' '.join(f'{s:.1f}' for s in starting)} s | {statistics.fmean(warm):.1f} s ({max(warm):.1f} s) | "
              f"{same} of {len(metrics)} cells |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
