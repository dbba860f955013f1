#!/usr/bin/env python
"""How often the stopping rule declares a difference that is not there.

Simulates sweeps in which no arm differs from random (paired run differences ~ N(0, 1); W in sd units): runs are
added in rounds until the rule is satisfied or --max-runs, then the share of sweeps that end with a Holm-significant
difference (either way) is counted. Every row goes through the project's own paired comparison, Holm and rule
(activellm.power.simulated_error_rate). Rules compared: the interval-width rule free to stop at 3, 5 or
MIN_RUNS_TO_STOP (10) runs, and a rule that stops once a difference is significant.

    python benchmarks/stopping_rule.py --sweeps 4000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activellm import power  # noqa: E402


def once_significant(rows, _width):
    """Stop as soon as some difference is Holm-significant: the rule the width rule replaces."""
    if any(r["p_paired_t_holm"] is not None and r["p_paired_t_holm"] < power.ALPHA for r in rows):
        return []
    return [r for r in rows if r.get("baseline_runs")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweeps", type=int, default=4000, help="simulated sweeps per rule (default 4000)")
    parser.add_argument("--width", type=float, default=0.7, help="W in sd units of the paired differences (0.7)")
    parser.add_argument("--step", type=int, default=5, help="runs added per round (5)")
    parser.add_argument("--max-runs", type=int, default=30, help="runs at most (30)")
    args = parser.parse_args(argv)
    default = power.MIN_RUNS_TO_STOP
    cases = [(1, "width, may stop at 3 runs", 3, 3, None), (1, "width, may stop at 5 runs", 5, 5, None),
             (1, f"width, may stop at {default} runs (the project's)", 5, default, None),
             (1, "stop once significant", 5, default, once_significant),
             (2, f"width, may stop at {default} runs (the project's)", 5, default, None),
             (2, "stop once significant", 5, default, once_significant)]
    print(f"{args.sweeps} sweeps per row, no true difference, W = {args.width} sd, rounds of {args.step} runs up to "
          f"{args.max_runs}; alpha {power.ALPHA}\n")
    print("| arms | rule | first look | Holm decisions | standard error |\n| --- | --- | --- | --- | --- |")
    for arms, name, start, least, rule in cases:
        power.MIN_RUNS_TO_STOP = least
        rate = power.simulated_error_rate(args.sweeps, arms, args.width, rule, start=start, step=args.step,
                                          max_runs=args.max_runs)
        print(f"| {arms} | {name} | {start} runs | {rate:.2%} | {(rate * (1 - rate) / args.sweeps) ** 0.5:.2%} |",
              flush=True)
    power.MIN_RUNS_TO_STOP = default
    return 0


if __name__ == "__main__":
    sys.exit(main())
