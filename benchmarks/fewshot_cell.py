#!/usr/bin/env python
"""One few-shot cell, side by side: the original's code path and the project's, in fp32 and bf16.

    python benchmarks/fewshot_cell.py [--seeds 42 109 27 158 77] [--repeats 3] [--model minilm]

Rotten Tomatoes run 1, the first 32 pool rows, the paper's settings (25 epochs, learning rate 5e-5, batch 128).
Three paths:

* original: as the original project did it (written here from its description): train and test tokenised with
  padding to the longest text of the whole set, the Trainer's training, and Trainer.evaluate with batch 512 and
  a compute_metrics callback; its process first imports what the original's model_training.py imports at module
  level on every run (its modelclass, setfit_modelclass and small_text_modelclass modules included);
* ours fp32: activellm.training.fine_tuning.fit_and_evaluate (dynamic padding, the test set encoded once, length-sorted
  scoring in batches of 32 on a CPU under inference_mode); as a process, model_training.py as a user runs it;
* ours bf16: the same with --precision bf16 (skipped where the hardware lacks bf16).

Two tables:

1. per seed, in one process: one fresh model per seed (model loading, training and scoring), seconds per seed
   and accuracy per seed, for every seed;
2. whole process, one seed (the first): each path as its own process from start to exit, ``--repeats`` times in
   turn, the median wall time and its ratio to the original's.

Run it alone: two CPU-heavy jobs at once slow each other down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER_ENVIRONMENT = dict(os.environ)  # the processes start from this, not from what libraries set in this one
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from anywhere: the package is beside us

import numpy as np  # noqa: E402

TASK, RUN, N_TRAIN = "rotten_tomatoes", 1, 32
# What the original's model_training.py imports at module level (directly and through its three modelclass modules).
ORIGINAL_IMPORTS = ("pandas", "numpy", "torch", "transformers", "datasets", "sklearn.metrics", "scipy.stats",
                    "sentence_transformers.losses", "setfit", "small_text")


def original_path(model: str, spec, train_df, test_df, seed: int, train_batch_size: int) -> float:
    """Accuracy of the original's way: whole-set padding, Trainer.train, Trainer.evaluate."""
    import torch
    from transformers import Trainer, TrainingArguments

    from activellm.training.fine_tuning import load_classifier, load_tokenizer

    tokenizer = load_tokenizer(model)

    class PaddedSet(torch.utils.data.Dataset):
        def __init__(self, df):
            self.encodings = tokenizer(df["text"].tolist(), padding=True, truncation=True)
            self.labels = df["label"].tolist()

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            item = {k: torch.tensor(v[i]) for k, v in self.encodings.items()}
            item["labels"] = torch.tensor(self.labels[i])
            return item

    def accuracy(prediction):
        return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}

    with tempfile.TemporaryDirectory() as scratch:
        args = TrainingArguments(output_dir=scratch, num_train_epochs=25, learning_rate=5e-5, warmup_steps=5,
                                 weight_decay=0.01, per_device_train_batch_size=train_batch_size,
                                 per_device_eval_batch_size=512, seed=seed, report_to="none", save_strategy="no",
                                 logging_strategy="no", disable_tqdm=True)
        trainer = Trainer(model=load_classifier(model, spec, seed), args=args, train_dataset=PaddedSet(train_df),
                          eval_dataset=PaddedSet(test_df), compute_metrics=accuracy)
        trainer.train()
        return trainer.evaluate()["eval_accuracy"]


def original_process(model: str, seed: int, train_batch_size: int) -> None:
    """The original's whole process for one seed: its module-level imports, the task, the cell; prints accuracy."""
    import importlib

    for name in ORIGINAL_IMPORTS:
        importlib.import_module(name)
    from activellm.data.pools import load_task
    from activellm.training.fine_tuning import quiet_transformers

    quiet_transformers()
    loaded = load_task(TASK, RUN)
    accuracy = original_path(model, loaded.spec, loaded.pool.iloc[:N_TRAIN], loaded.test, seed, train_batch_size)
    print(f"accuracy {accuracy}")


def per_seed_table(args: argparse.Namespace, precisions: list[str]) -> None:
    """Every seed in this process: a fresh model each, seconds and accuracy per path."""
    from activellm.data.pools import load_task
    from activellm.training.fine_tuning import TrainingSettings, encode_test_set, fit_and_evaluate, quiet_transformers

    quiet_transformers()
    loaded = load_task(TASK, RUN)
    train_df, test_df, spec = loaded.pool.iloc[:N_TRAIN], loaded.test, loaded.spec

    def ours(precision: str):
        settings = TrainingSettings(train_batch_size=args.train_batch_size, precision=precision)
        test_set = encode_test_set(args.model, spec, test_df, settings)
        return lambda seed: fit_and_evaluate(args.model, spec, train_df, test_set, seed, settings,
                                             show_progress=False).metrics["accuracy"]

    paths = {"original (fp32)": lambda seed: original_path(args.model, spec, train_df, test_df, seed,
                                                           args.train_batch_size)}
    paths.update({f"ours {precision}": ours(precision) for precision in precisions})
    results = {}
    for name, run in paths.items():
        seconds, accuracies = [], []
        for seed in args.seeds:
            start = time.perf_counter()
            accuracies.append(run(seed))
            seconds.append(time.perf_counter() - start)
            print(f"{name}: seed {seed} accuracy {accuracies[-1]:.4f} in {seconds[-1]:.1f} s", flush=True)
        results[name] = (statistics.fmean(seconds), accuracies)
    reference = results["original (fp32)"][0]
    print(f"\nPer seed, in one process ({len(args.seeds)} seeds, model {args.model}, train batch "
          f"{args.train_batch_size}):\n")
    print("| path | s per seed | vs original | accuracy per seed | mean accuracy |")
    print("|---|---|---|---|---|")
    for name, (per_seed, accuracies) in results.items():
        print(f"| {name} | {per_seed:.1f} | {per_seed / reference:.2f}x | "
              f"{' '.join(f'{a:.4f}' for a in accuracies)} | {np.mean(accuracies):.4f} |")


def process_commands(args: argparse.Namespace, precisions: list[str], seed: int) -> dict[str, list[str]]:
    original = [sys.executable, str(Path(__file__).resolve()), "--original-process", "--model", args.model,
                "--seeds", str(seed), "--train-batch-size", str(args.train_batch_size)]
    # without the selection diagnostics, which the original lacks (the first process would also embed the pool)
    ours = [sys.executable, str(REPO / "model_training.py"), "--task", TASK, "--run", str(RUN), "--model", args.model,
            "--seeds", str(seed), "--train-batch-size", str(args.train_batch_size), "--no-diagnostics"]
    commands = {"original (fp32)": original}
    commands.update({f"ours {precision}": ours + ["--precision", precision] for precision in precisions})
    return commands


def timed_process(command: list[str], root: str) -> tuple[float, float]:
    """Wall seconds from start to exit, and the accuracy the process reported (stdout or its results CSV)."""
    import pandas as pd

    environment = dict(USER_ENVIRONMENT, ACTIVELLM_ROOT=root)
    start = time.perf_counter()
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{finished.stderr[-3000:]}")
    reported = [line.split()[1] for line in finished.stdout.splitlines() if line.startswith("accuracy ")]
    if reported:
        return seconds, float(reported[-1])
    newest = max(Path(root, "logs").rglob("run_*.csv"), key=lambda path: path.stat().st_mtime)
    return seconds, float(pd.read_csv(newest)["accuracy"].iloc[-1])


def whole_process_table(args: argparse.Namespace, precisions: list[str]) -> None:
    """Each path as its own process for the first seed, --repeats times in turn; medians."""
    seed = args.seeds[0]
    commands = process_commands(args, precisions, seed)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="activellm-bench-") as root:
        for repeat in range(1, args.repeats + 1):
            for name, command in commands.items():
                runs[name].append(timed_process(command, root))
                print(f"{name}: process {repeat} of {args.repeats}, {runs[name][-1][0]:.1f} s, accuracy "
                      f"{runs[name][-1][1]:.4f}", flush=True)
    medians = {name: statistics.median(seconds for seconds, _ in values) for name, values in runs.items()}
    reference = medians["original (fp32)"]
    print(f"\nWhole process, one seed ({seed}), each path started {args.repeats} times in turn:\n")
    print("| path | median s | all runs, s | vs original | accuracy |")
    print("|---|---|---|---|---|")
    for name, values in runs.items():
        accuracies = sorted({f"{accuracy:.4f}" for _, accuracy in values})
        print(f"| {name} | {medians[name]:.1f} | {' '.join(f'{s:.1f}' for s, _ in values)} | "
              f"{medians[name] / reference:.2f}x | {' '.join(accuracies)} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 109, 27, 158, 77],
                        help="seeds of the per-seed table; the whole-process table uses the first")
    parser.add_argument("--repeats", type=int, default=3, help="processes per path in the whole-process table "
                                                                "(default 3; 0 skips that table)")
    parser.add_argument("--model", default="minilm", help="model (default: the packaged MiniLM)")
    parser.add_argument("--train-batch-size", type=int, default=128, help="default 128, the paper's")
    parser.add_argument("--original-process", action="store_true",
                        help="internal: run the original's whole process for the first seed and print its accuracy")
    args = parser.parse_args(argv)
    if args.original_process:
        original_process(args.model, args.seeds[0], args.train_batch_size)
        return

    from activellm.training.fine_tuning import PrecisionError, check_precision

    precisions = ["fp32"]
    try:
        check_precision("bf16")
        precisions.append("bf16")
    except PrecisionError as error:
        print(f"bf16 skipped: {error}")
    per_seed_table(args, precisions)
    if args.repeats:
        whole_process_table(args, precisions)


if __name__ == "__main__":
    main()
