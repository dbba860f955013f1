#!/usr/bin/env python
"""A prompt over a selector's candidates against a prompt over the first rows: wall time of the command.

    python benchmarks/candidates_prompt.py [--task rotten_tomatoes] [--repeats 5] [--beside-sweep]

Times ``prompt_generation.py --task T --mode representative --run R`` with and without ``--candidates
embedding_kmeans`` (200 candidates among the pool's first 3,000 rows), each a new process as a user runs it, side by
side (alternating, R = 1..repeats, each prompt into a folder of its own), after an untimed warm-up has cached the
task's pool and embeddings. ``--beside-sweep`` times them again while a sweep of the main job's cells runs in the
same project root with its default workers (one 1-thread worker per core), as an LLM arm's prompts are built in a
sweep. Prints the CPU, the median wall time of each, and their ratio. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from activellm import paths  # noqa: E402
from activellm.training.environment import cpu_name  # noqa: E402


def prompt_seconds(task: str, run: int, candidates: bool, root: Path, folder: str) -> float:
    argv = [sys.executable, str(REPOSITORY / "prompt_generation.py"), "--task", task, "--mode", "representative",
            "--run", str(run), "--answers-name", folder]
    if candidates:
        argv += ["--candidates", "embedding_kmeans"]
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env={**os.environ, paths.ROOT_ENV: str(root)})
    return time.perf_counter() - start


def side_by_side(task: str, repeats: int, root: Path, tag: str) -> tuple[float, float]:
    """Median seconds of the first-rows prompt and of the candidates prompt, alternating over runs 1..repeats."""
    first, candidates = [], []
    for run in range(1, repeats + 1):
        first.append(prompt_seconds(task, run, False, root, f"bench_first_{tag}"))
        candidates.append(prompt_seconds(task, run, True, root, f"bench_candidates_{tag}"))
    return statistics.median(first), statistics.median(candidates)


def start_sweep(root: Path) -> subprocess.Popen:
    """The main job's cells on fresh runs (101 on), in the background, until stopped."""
    argv = [sys.executable, str(REPOSITORY / "automatic_run.py"), "--runs", *map(str, range(101, 121)), "--confirm",
            "--no-plot"]
    return subprocess.Popen(argv, env={**os.environ, paths.ROOT_ENV: str(root)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="rotten_tomatoes")
    parser.add_argument("--repeats", type=int, default=5, help="prompts of each kind (runs 1..N; default 5)")
    parser.add_argument("--beside-sweep", action="store_true", help="also time them beside a running sweep")
    parser.add_argument("--warm-up-sweep", type=float, default=60.0,
                        help="seconds the sweep runs before timing starts (its workers busy; default 60)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="activellm-candidates-"))
    try:
        for candidates in (False, True):  # untimed: the pool and its embeddings cached
            prompt_seconds(args.task, 1, candidates, root, "warm_up")
        rows = [("alone", *side_by_side(args.task, args.repeats, root, "alone"))]
        if args.beside_sweep:
            sweep = start_sweep(root)
            try:
                time.sleep(args.warm_up_sweep)
                rows.append(("beside a two-worker sweep", *side_by_side(args.task, args.repeats, root, "beside")))
            finally:
                os.killpg(sweep.pid, signal.SIGTERM)
                sweep.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{cpu_name()}, {os.cpu_count()} cores; {args.task}, mode representative, median of {args.repeats} prompts")
    print("| condition | first 200 rows | 200 k-means candidates | ratio |")
    print("| --- | --- | --- | --- |")
    for condition, first, candidates in rows:
        print(f"| {condition} | {first:.2f} s | {candidates:.2f} s | {candidates / first:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
