#!/usr/bin/env python
"""One few-shot cell, side by side: the original's code path and the project's, in fp32 and bf16.

    python benchmarks/fewshot_cell.py [--seeds 42 109 27 158 77] [--model minilm] [--train-batch-size 128]

Rotten Tomatoes run 1, the first 32 pool rows, the paper's settings (25 epochs, learning rate 5e-5, batch 128),
one fresh model per seed, in one process. Three paths:

* original: as the original project did it (written here from its description): train and test tokenised with
  padding to the longest text of the whole set, the Trainer's training, and Trainer.evaluate with batch 512 and
  a compute_metrics callback;
* ours fp32: activellm.training.fit_and_evaluate (dynamic padding, the test set encoded once, length-sorted
  scoring in batches of 32 on a CPU under inference_mode);
* ours bf16: the same with --precision bf16 (skipped where the hardware lacks bf16).

Per path: seconds per seed (model loading, training and scoring; the process start-up, imports and task loading,
is measured once and added to give the whole-process time of a one-seed run), the ratio to the original,
and accuracy per seed and its mean. Run it alone: two CPU-heavy jobs at once slow each other down.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

_START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the package is beside us

import numpy as np  # noqa: E402


def original_path(model: str, spec, train_df, test_df, seed: int, train_batch_size: int) -> float:
    """Accuracy of the original's way: whole-set padding, Trainer.train, Trainer.evaluate."""
    import torch
    from transformers import Trainer, TrainingArguments

    from activellm.training import load_classifier, load_tokenizer

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 109, 27, 158, 77])
    parser.add_argument("--model", default="minilm", help="model (default: the packaged MiniLM)")
    parser.add_argument("--train-batch-size", type=int, default=128, help="default 128, the paper's")
    args = parser.parse_args(argv)

    from activellm.experiment import load_task
    from activellm.training import (PrecisionError, TrainingSettings, check_precision, encode_test_set,
                                    fit_and_evaluate, quiet_transformers)

    import transformers  # noqa: F401  (part of every path's start-up: imported before the clock stops)
    from transformers import Trainer  # noqa: F401

    from activellm.training import load_tokenizer

    quiet_transformers()
    loaded = load_task("rotten_tomatoes", 1)
    train_df, test_df, spec = loaded.pool.iloc[:32], loaded.test, loaded.spec
    load_tokenizer(args.model)
    startup = time.perf_counter() - _START

    def ours(precision: str):
        settings = TrainingSettings(train_batch_size=args.train_batch_size, precision=precision)
        test_set = encode_test_set(args.model, spec, test_df, settings)
        return lambda seed: fit_and_evaluate(args.model, spec, train_df, test_set, seed, settings,
                                             show_progress=False).metrics["accuracy"]

    paths = {"original (fp32)": lambda seed: original_path(args.model, spec, train_df, test_df, seed,
                                                           args.train_batch_size),
             "ours fp32": ours("fp32")}
    try:
        check_precision("bf16")
        paths["ours bf16"] = ours("bf16")
    except PrecisionError as error:
        print(f"bf16 skipped: {error}")
    results = {}
    for name, run in paths.items():
        seconds, accuracies = [], []
        for seed in args.seeds:
            start = time.perf_counter()
            accuracies.append(run(seed))
            seconds.append(time.perf_counter() - start)
            print(f"{name}: seed {seed} accuracy {accuracies[-1]:.4f} in {seconds[-1]:.1f} s", flush=True)
        results[name] = (statistics.fmean(seconds), accuracies)
    reference = results["original (fp32)"][0] + startup
    print(f"\nstart-up (imports, task and pool): {startup:.1f} s; {len(args.seeds)} seeds, model {args.model}, "
          f"train batch {args.train_batch_size}\n")
    print("| path | s per seed | whole process, one seed | vs original | accuracy per seed | mean accuracy |")
    print("|---|---|---|---|---|---|")
    for name, (per_seed, accuracies) in results.items():
        whole = per_seed + startup
        print(f"| {name} | {per_seed:.1f} | {whole:.1f} s | {whole / reference:.2f}x | "
              f"{' '.join(f'{a:.4f}' for a in accuracies)} | {np.mean(accuracies):.4f} |")


if __name__ == "__main__":
    main()
