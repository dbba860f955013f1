#!/usr/bin/env python
"""Fine-tune a classifier on the instances an LLM (or a baseline, or small-text) selected, and evaluate it.

    python model_training.py --task rotten_tomatoes --mode baseline --run 1 --model minilm
    python model_training.py --task sst2 --mode 10 --run 1            # the LLM's list answers/sst2/10/list_1.txt
    python model_training.py --task rotten_tomatoes --modelclass smalltext --activelearning PredictionEntropy
        --model minilm --budget 100 --pool-size 2000 --eval-every-iteration    # (one line)
    python model_training.py --task rotten_tomatoes --modelclass setfit --model minilm

Results: logs/run/<task>/<mode>[/setfit | /smalltext/<Strategy>_<cold|warm>start]/run_<run>_<time>.csv (one row per
seed, and per active learning iteration with --eval-every-iteration) and a .log beside it.
"""

from __future__ import annotations

import argparse
import sys

from activellm import cli
from activellm.data.tasks import parse_task_name
from activellm.errors import UserError
from activellm.selection.label_free import SELECTORS, SelectorSettings
from activellm.training import startup
from activellm.training.active_learning import COLD_INIT, STRATEGIES, ActiveSettings
from activellm.training.experiment import DEFAULT_MODELCLASS, MODELCLASSES, RunConfig, run_experiment
from activellm.training.fine_tuning import PAPER_MODEL, PAPER_SEEDS, PRECISIONS, TrainingSettings, quiet_transformers
from activellm.training.setfit_baseline import PAPER_SETFIT_MODEL, SetFitSettings

DEFAULTS, ACTIVE, SETFIT, SELECTOR = TrainingSettings(), ActiveSettings(), SetFitSettings(), SelectorSettings()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True,
                        help="task name, e.g. rotten_tomatoes, sst2, sst2_40 (40 examples), "
                             "sst2_25_cont_index_recap_4 (iteration 4 of 25 each), mnli_matched, or a folder "
                             "under data/ with df_train_full.csv and df_test.csv")
    parser.add_argument("--mode", default="baseline",
                        help="baseline (first N rows of the pool) or the folder of an index list under "
                             "answers/<task>/ (an LLM/prompt mode such as 10 or gpt_4o)")
    parser.add_argument("--run", type=cli.nonnegative_int, default=1,
                        help="pool shuffle seed and list number (default 1)")
    parser.add_argument("--modelclass", default=DEFAULT_MODELCLASS, choices=MODELCLASSES,
                        help="default: fine-tune a transformer classifier; setfit: the SetFit baseline; smalltext: "
                             "a small-text strategy labels the pool, then the classifier trains on its picks")
    parser.add_argument("--activelearning", default=None,
                        help=f"random_filtering: N random rows of the pool; {' or '.join(SELECTORS)}: N rows chosen "
                             f"without labels from sentence embeddings; with --modelclass smalltext or --mode "
                             f"smalltext_coldstart/warmstart a strategy: {', '.join(STRATEGIES)}")
    cli.add_flag(parser, "--warmstart", help="start the small-text strategy from the LLM's picks for this task, mode "
                                             "and run (answers/<task>/<mode>/list_<run>.txt), or from a label-free "
                                             f"selector's with --mode {'|'.join(SELECTORS)}")
    parser.add_argument("--model", default=None,
                        help=f"hub name or local folder; 'minilm' = the packaged all-MiniLM-L6-v2 (offline). Default: "
                             f"{PAPER_MODEL} ({PAPER_SETFIT_MODEL} for setfit), as in the paper")
    parser.add_argument("--seeds", type=cli.seeds, default=PAPER_SEEDS,
                        help="training seeds, e.g. '42 109' (default: the paper's 42 109 27 158 77)")
    parser.add_argument("--epochs", type=cli.nonnegative_int, default=DEFAULTS.epochs,
                        help="training epochs (default 25)")
    parser.add_argument("--learning-rate", type=float, default=DEFAULTS.learning_rate,
                        help="peak learning rate (default 5e-5)")
    parser.add_argument("--train-batch-size", type=cli.positive_int, default=DEFAULTS.train_batch_size,
                        help="training batch size (default 128: one step per epoch for 32 examples)")
    parser.add_argument("--eval-batch-size", type=cli.int_or_auto, default=DEFAULTS.eval_batch_size,
                        help="evaluation batch size (default auto: 32 length-sorted on a CPU, 512 on a GPU; the "
                             "predictions do not depend on it)")
    parser.add_argument("--max-length", type=cli.positive_int,
                        help="tokens of a text the classifier reads, in training, scoring and small-text's queries "
                             "(default: the task's: 512; imdb 256, bbc_news 128, their long documents' heads)")
    parser.add_argument("--precision", choices=PRECISIONS, default=DEFAULTS.precision,
                        help="fp32 (default, the paper's); bf16 or fp16 autocast for training, scoring, small-text "
                             "queries and SetFit: bf16 on CPUs with native bf16 and on GPUs, fp16 on GPUs")
    active = parser.add_argument_group("active learning (--modelclass smalltext)")
    active.add_argument("--query-size", type=cli.positive_int, default=ACTIVE.query_size,
                        help="instances per query (default 25)")
    active.add_argument("--budget", type=cli.positive_int, default=ACTIVE.budget,
                        help="labelled instances in the end (default 300)")
    active.add_argument("--pool-size", type=cli.positive_int,
                        help="query only the first N rows of the pool (default: all)")
    active.add_argument("--init", choices=COLD_INIT, default=ACTIVE.init,
                        help="cold start: the first query-size rows of the pool (default) or a class-balanced draw")
    active.add_argument("--warmstart-size", type=cli.positive_int,
                        help="LLM picks to start from (default: k*i of the task name, e.g. 100 for *_25_cont_*_4)")
    active.add_argument("--warmstart-from", metavar="MODE",
                        help="with --mode smalltext_warmstart: the --mode of the warm start whose labels to train on "
                             f"(an LLM folder such as gpt-4o_10, or {' / '.join(SELECTORS)}); with --warmstart-size "
                             "(default k) and the small-text options it names exactly one labelled list")
    active.add_argument("--eval-every-iteration", action="store_true",
                        help="evaluate the active learner's classifier after every query (learning curve rows)")
    active.add_argument("--al-epochs", type=cli.positive_int, default=ACTIVE.epochs,
                        help="epochs of the active learner's classifier per iteration (default 10, small-text's)")
    selector = parser.add_argument_group(f"label-free selectors (--activelearning {'|'.join(SELECTORS)}, or "
                                         f"--mode {'|'.join(SELECTORS)} --warmstart)")
    selector.add_argument("--embedding-model", default=SELECTOR.embedding_model,
                          help="sentence transformer for the embeddings (default minilm: the packaged "
                               "all-MiniLM-L6-v2)")
    selector.add_argument("--selector-pool", type=cli.selector_pool, default=SELECTOR.candidates,
                          help="choose among the first N rows of the run's pool, a seeded random subsample (default "
                               "3000; 0 = the whole pool), or among exactly the rows the run's prompt showed: prompt "
                               "(the one prompt of the run with the first rows) or prompt:<folder>")
    selector.add_argument("--probcover-delta", type=cli.positive_float,
                          help="probcover: the cosine radius of its balls (default: the purity rule, see "
                               "docs/training-and-selectors.md)")
    parser.add_argument("--no-diagnostics", dest="diagnostics", action="store_false",
                        help="leave out the selection diagnostics (class balance, typicality, coverage, ...) of the "
                             "CSV; they never change a pick or a result")
    own = parser.add_argument_group("your own data: picks out to annotators, labels back (docs/your-own-data.md)")
    own.add_argument("--export-labelling", metavar="FILE",
                     help="write the run's picks for labelling instead of training: FILE.csv (row, text, an empty "
                          "label) or FILE.json (Label Studio's task import), in the pool's row ids; never "
                          "overwritten. With --labels and --modelclass smalltext: the strategy's next k picks")
    own.add_argument("--labels", metavar="FILE", nargs="+",
                     help="labels of picked rows, one file per round: the exported CSV filled in, or a Label Studio "
                          "JSON / JSON-MIN export")
    own.add_argument("--predict", metavar="OUT",
                     help="with --labels: train on them (seed: the first of --seeds), save the classifier to "
                          "OUT's name with _model (predictions.csv: predictions_model/) and write the predictions of "
                          "every line of the pool's file not labelled, repeats included, to OUT.csv (line, row, "
                          "text, predicted_label, probability)")
    own.add_argument("--predict-file", metavar="FILE",
                     help="with --predict: predict the rows of this CSV (a text column) instead of the pool's")
    own.add_argument("--save-model", metavar="DIR",
                     help="with --predict: where the classifier is saved (default: OUT's name with _model)")
    setfit = parser.add_argument_group("SetFit (--modelclass setfit)")
    setfit.add_argument("--setfit-epochs", type=cli.positive_int, default=SETFIT.epochs, help="body epochs (default 4)")
    setfit.add_argument("--setfit-iterations", type=cli.positive_int, default=SETFIT.iterations,
                        help="pairs generated per example (default 20)")
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run's configuration; raises TaskError for a task name that cannot be read (its max length is the task's)."""
    activelearning = None if args.activelearning in (None, "None") else args.activelearning
    max_length = args.max_length or parse_task_name(args.task).spec.max_length
    settings = TrainingSettings(epochs=args.epochs, learning_rate=args.learning_rate,
                                train_batch_size=args.train_batch_size, eval_batch_size=args.eval_batch_size,
                                max_length=max_length, precision=args.precision)
    active = ActiveSettings(query_size=args.query_size, budget=args.budget, pool_size=args.pool_size, init=args.init,
                            epochs=args.al_epochs, max_length=max_length, precision=args.precision)
    return RunConfig(task=args.task, mode=args.mode, run=args.run, modelclass=args.modelclass,
                     activelearning=activelearning, warmstart=args.warmstart, model=args.model,
                     seeds=args.seeds, settings=settings, active=active, warmstart_size=args.warmstart_size,
                     warmstart_from=args.warmstart_from,
                     eval_every_iteration=args.eval_every_iteration, diagnostics=args.diagnostics,
                     setfit=SetFitSettings(epochs=args.setfit_epochs, iterations=args.setfit_iterations),
                     selector=SelectorSettings(embedding_model=args.embedding_model, candidates=args.selector_pool,
                                             probcover_delta=args.probcover_delta))


def check_own_data_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> bool:
    """Whether the options ask for the own-data workflow (export, or labels back), refusing combinations that do not
    make one."""
    if args.export_labelling and args.predict:
        parser.error("--export-labelling writes picks to label, --predict trains on labels: one at a time")
    if args.labels and not (args.predict or (args.export_labelling and args.modelclass == "smalltext")):
        parser.error("--labels FILE needs --predict OUT (train on them and predict the pool), or --modelclass "
                     "smalltext --activelearning STRATEGY --export-labelling NEXT.csv (the next round's picks)")
    if (args.predict_file or args.save_model) and not args.predict:
        parser.error("--predict-file and --save-model go with --labels FILE --predict OUT")
    return bool(args.export_labelling or args.predict)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    own_data = check_own_data_options(parser, args)
    try:
        config = config_from_args(args)
        startup.import_model_stack()
        quiet_transformers()
        if own_data:
            from activellm.annotation import rounds

            if args.export_labelling:
                rounds.export(config, args.export_labelling, args.labels)
            else:
                rounds.predict(config, args.labels, args.predict, args.save_model, args.predict_file)
            return 0
        run_experiment(config)
    except UserError as error:  # bad input: the message says what to fix; any other error keeps its traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(startup.run_script(main))
