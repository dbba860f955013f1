#!/usr/bin/env python
"""How often the stopping rule declares a difference that is not there, over the widths, arm counts and --max-runs
a user may choose.

Simulates sweeps in which no arm differs from random (paired run differences ~ N(0, 1), so W is in sd units): runs
are added in rounds of --step from --start until every arm's 95% interval is within ±W (from MIN_RUNS_TO_STOP runs
on) or --max-runs; then a difference is declared where a Holm-adjusted paired t-test over the arms falls below the
level. Two levels on the same simulated sweeps: the sequential level the project uses after the rule
(activellm.reporting.power.sequential_level: Pocock's nominal level over the looks at which the rule may stop) and, for
comparison, the fixed-sample 5%. The last line is the largest error rate at the sequential level over the grid.

    python benchmarks/stopping_rule.py --sweeps 8000
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activellm.reporting import power  # noqa: E402

WIDTHS = (0.2, 0.3, 0.5, 0.7, 1.0)
ARMS = (1, 2, 3, 5)
MAX_RUNS = (20, 30, 40, 50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweeps", type=int, default=8000, help="simulated sweeps per cell (default 8000: a "
                        "standard error of 0.24 points at 5%%)")
    parser.add_argument("--start", type=int, default=5, help="runs of the first round (5)")
    parser.add_argument("--step", type=int, default=5, help="runs added per round (5)")
    parser.add_argument("--widths", type=float, nargs="+", default=WIDTHS, help="W in sd units")
    parser.add_argument("--arms", type=int, nargs="+", default=ARMS, help="arms compared with random")
    parser.add_argument("--max-runs", type=int, nargs="+", default=MAX_RUNS, help="--max-runs of the rule")
    args = parser.parse_args(argv)
    print(f"{args.sweeps} sweeps per cell, no true difference, rounds of {args.step} runs from {args.start}, the "
          f"rule stops from {power.MIN_RUNS_TO_STOP} runs on; alpha {power.ALPHA}\n")
    print("| W (sd) | arms | max runs | sequential level | error at that level | error at 5% | standard error |\n"
          "| --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for max_runs, arms, width in itertools.product(args.max_runs, args.arms, args.widths):
        level = power.sequential_level(power.stopping_looks(args.start, args.step, max_runs), arms)
        rates = [power.simulated_error_rate(args.sweeps, arms, width, start=args.start, step=args.step,
                                            max_runs=max_runs, level=chosen) for chosen in (level, power.ALPHA)]
        worst = max(worst, rates[0])
        error = (rates[0] * (1 - rates[0]) / args.sweeps) ** 0.5
        print(f"| {width} | {arms} | {max_runs} | {level:.4f} | {rates[0]:.2%} | {rates[1]:.2%} | {error:.2%} |",
              flush=True)
    print(f"\nmax error rate: {worst:.2%} ({args.sweeps} sweeps per cell)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
