#!/usr/bin/env python
"""How often the 95% interval of random-equivalent labels holds the true value.

Simulates sweeps at the main job's scale (activellm.reporting.budgets.simulated_worth_coverage): random's true curve 0.545 /
0.605 / 0.656 at 16 / 32 / 64 labels, a run effect shared by every arm of a run (sd 0.02), cell noise (sd 0.03), an
arm whose true mean is worth some number of random labels; each sweep's interval comes from the project's own
activellm.reporting.budgets.equivalent_with_interval (the paired t-test over runs inverted along the curve). The last line
is the lowest coverage at 10 runs.

    python benchmarks/worth_coverage.py --repetitions 4000
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activellm.reporting import budgets  # noqa: E402

ARM_MEANS = (0.56, 0.60, 0.637, 0.65)
RUNS = (5, 10, 20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=4000, help="simulated sweeps per row (default 4000)")
    parser.add_argument("--arm-means", type=float, nargs="+", default=ARM_MEANS, help="the arm's true means")
    parser.add_argument("--runs", type=int, nargs="+", default=RUNS, help="runs per sweep")
    args = parser.parse_args(argv)
    curve = budgets.MAIN_JOB_CURVE
    print(f"{args.repetitions} simulated sweeps per row; random's curve {curve}, run effect sd 0.02, noise sd "
          "0.03\n")
    print("| runs | arm's true mean | true worth (random labels) | coverage | standard error |\n"
          "| --- | --- | --- | --- | --- |")
    at_ten = []
    for runs, mean in itertools.product(args.runs, args.arm_means):
        rate = budgets.simulated_worth_coverage(args.repetitions, runs, mean)
        truth = budgets.random_equivalent(list(curve), list(curve.values()), mean)
        print(f"| {runs} | {mean} | {truth:.1f} | {rate:.2%} | {(rate * (1 - rate) / args.repetitions) ** 0.5:.2%} |",
              flush=True)
        if runs == 10:
            at_ten.append(rate)
    print(f"\ncoverage: {min(at_ten, default=float('nan')):.2%} ({args.repetitions} repetitions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
