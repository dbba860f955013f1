#!/usr/bin/env python
"""Fine-tune a classifier on the instances an LLM (or a baseline, or small-text) selected, and evaluate it.

    python model_training.py --task rotten_tomatoes --mode baseline --run 1 --model minilm
    python model_training.py --task sst2 --mode 10 --run 1            # the LLM's list answers/sst2/10/list_1.txt

Results: logs/run/<task>/<mode>/run_<run>_<time>.csv (one row per seed) and a .log beside it.
"""

from __future__ import annotations

import argparse
import sys

from activellm import cli
from activellm.experiment import DEFAULT_MODELCLASS, RunConfig, run_experiment
from activellm.training import PAPER_MODEL, PAPER_SEEDS, TrainingSettings, quiet_transformers

DEFAULTS = TrainingSettings()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True,
                        help="task name, e.g. rotten_tomatoes, sst2, sst2_40 (40 examples), "
                             "sst2_25_cont_index_recap_4 (iteration 4 of 25 each), mnli_matched, or a folder "
                             "under data/ with df_train_full.csv and df_test.csv")
    parser.add_argument("--mode", default="baseline",
                        help="baseline (first N rows of the pool) or the folder of an index list under "
                             "answers/<task>/ (an LLM/prompt mode such as 10 or gpt_4o)")
    parser.add_argument("--run", type=int, default=1, help="pool shuffle seed and list number (default 1)")
    parser.add_argument("--modelclass", default=DEFAULT_MODELCLASS, choices=[DEFAULT_MODELCLASS],
                        help="default: fine-tune a transformer classifier")
    parser.add_argument("--activelearning", default=None,
                        help="random_filtering: N random rows of the pool instead of the mode's selection")
    cli.add_flag(parser, "--warmstart", help="warm-start active learning from the LLM's list")
    parser.add_argument("--model", default=PAPER_MODEL,
                        help=f"hub name or local folder; 'minilm' = the packaged all-MiniLM-L6-v2 (offline). "
                             f"Default {PAPER_MODEL}, as in the paper")
    parser.add_argument("--seeds", type=cli.seeds, default=PAPER_SEEDS,
                        help="training seeds, e.g. '42 109' (default: the paper's 42 109 27 158 77)")
    parser.add_argument("--epochs", type=int, default=DEFAULTS.epochs, help="training epochs (default 25)")
    parser.add_argument("--learning-rate", type=float, default=DEFAULTS.learning_rate,
                        help="peak learning rate (default 5e-5)")
    parser.add_argument("--train-batch-size", type=int, default=DEFAULTS.train_batch_size,
                        help="training batch size (default 128: one step per epoch for 32 examples)")
    parser.add_argument("--eval-batch-size", type=int, default=DEFAULTS.eval_batch_size,
                        help="evaluation batch size (default 512)")
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    activelearning = None if args.activelearning in (None, "None") else args.activelearning
    settings = TrainingSettings(epochs=args.epochs, learning_rate=args.learning_rate,
                                train_batch_size=args.train_batch_size,
                                eval_batch_size=args.eval_batch_size)
    return RunConfig(task=args.task, mode=args.mode, run=args.run, modelclass=args.modelclass,
                     activelearning=activelearning, warmstart=args.warmstart, model=args.model,
                     seeds=args.seeds, settings=settings)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    config = config_from_args(parser.parse_args(argv))
    quiet_transformers()
    try:
        run_experiment(config)
    except (ValueError, RuntimeError) as error:  # our errors say what to fix; no traceback needed
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
