#!/usr/bin/env python
"""Do ProbCover's picks move when the pool is embedded by other CPU kernels?

    python benchmarks/probcover_kernels.py [--runs 1 2 3 4 5]

Embeds the Rotten Tomatoes pool with the packaged MiniLM twice, each in its own process: with torch's kernels for
this CPU, and with ``ATEN_CPU_CAPABILITY=avx2`` (the kernels an AVX2-only CPU runs), then prints the largest
difference between the two embeddings and, per run, whether ProbCover (the main job's setting: 32 picks among the
run's first 3,000 rows, the purity radius) picks the same rows from both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # run from anywhere: the package is beside us

from activellm.data.pools import load_task  # noqa: E402
from activellm.data.tasks import merged_texts  # noqa: E402
from activellm.selection.label_free import embed_texts, probcover, purity_delta  # noqa: E402
from activellm.training.environment import cpu_name  # noqa: E402


def pool_texts(run: int) -> list[str]:
    loaded = load_task("rotten_tomatoes", run)
    return merged_texts(loaded.pool, loaded.spec)


def embed(path: str) -> None:
    """In a child process: the pool's embeddings in the order of its sorted texts (the same for every run)."""
    np.save(path, embed_texts("minilm", sorted(pool_texts(1))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--embed", metavar="FILE", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args(argv)
    if args.embed:
        embed(args.embed)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        embeddings = {}
        for kernels, extra in (("this CPU's", {}), ("AVX2", {"ATEN_CPU_CAPABILITY": "avx2"})):
            path = str(Path(folder) / f"{len(embeddings)}.npy")
            subprocess.run([sys.executable, __file__, "--embed", path], env={**os.environ, **extra}, check=True,
                           stderr=subprocess.DEVNULL)
            embeddings[kernels] = np.load(path)
    first, second = embeddings.values()
    print(f"{cpu_name()}: embeddings by this CPU's kernels and by AVX2 kernels differ by at most "
          f"{float(np.abs(first - second).max()):.2g}")
    for run in args.runs:
        texts = pool_texts(run)
        order = sorted(range(len(texts)), key=lambda i: texts[i])
        picks = []
        for sorted_embeddings in (first, second):
            pool = np.empty_like(sorted_embeddings)
            pool[order] = sorted_embeddings
            candidates = pool[:3000]
            picks.append(probcover(candidates, 32, purity_delta(candidates, 2, run)))
        print(f"run {run}: the same 32 picks: {picks[0] == picks[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
