#!/usr/bin/env python
"""How fast a small-text query scores the pool on this machine: the original setup against ours.

    python benchmarks/query_speed.py [--pool 1000] [--model minilm]

Scores the first --pool sentences of the Rotten Tomatoes pool (run 1) with a classifier trained for one epoch on
25 of them, three ways:

* original: small-text's TransformerBasedClassification, texts padded to max_length=500, batches of 12;
* padded to the pool's longest text: the same classifier on our encoding;
* ours: length-sorted inference batches (32 on a CPU), each cut to its longest text, under torch.inference_mode;
* ours in bf16 (``--precision bf16``): the same under bf16 autocast, where the CPU has native bf16 (or a GPU).

Prints sentences per second and the largest difference between the probabilities (ours in fp32 must equal the
original; bf16 differs by its rounding) and how many query picks (top 25 by entropy) bf16 changes.
Run it alone: two CPU-heavy jobs at once slow each other down about tenfold.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: the package is beside us

from activellm.training.active_learning import ActiveSettings, ClassifierFactory, encode_pool  # noqa: E402
from activellm.training.fine_tuning import PrecisionError, check_precision  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=1000, help="pool sentences to score (default 1000)")
    parser.add_argument("--model", default="minilm", help="model (default: the packaged MiniLM)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32],
                        help="inference batch sizes to try for ours")
    args = parser.parse_args(argv)

    from small_text import TransformerBasedClassification, TransformerModelArguments, TransformersDataset

    from activellm.data.pools import load_task
    from activellm.models import resolve_model
    from activellm.training.fine_tuning import load_tokenizer, quiet_transformers

    quiet_transformers()
    loaded = load_task("rotten_tomatoes", 1)
    pool = loaded.pool.iloc[: args.pool]
    ours = encode_pool(args.model, loaded.spec, pool)
    original = TransformersDataset.from_arrays(pool["text"].tolist(), pool["label"].to_numpy(),
                                               load_tokenizer(args.model), max_length=500,
                                               target_labels=np.arange(2))
    fast = ClassifierFactory(args.model, 2, ActiveSettings(epochs=1)).new()
    fast.fit(ours[np.arange(25)])
    stock = TransformerBasedClassification(TransformerModelArguments(resolve_model(args.model)), 2, num_epochs=1,
                                           model_selection=False, verbosity=0)
    stock.model, stock.tokenizer, stock.config = fast.model, fast.tokenizer, fast.config  # the same weights

    def timed(label, classifier, dataset):
        start = time.perf_counter()
        proba = classifier.predict_proba(dataset)
        seconds = time.perf_counter() - start
        print(f"{label:<38} {len(dataset) / seconds:8.1f} sentences/s ({seconds:.1f} s)")
        return proba

    print(f"{args.pool} pool sentences, longest {int(max(m.sum() for _, m, _ in ours.data))} tokens, model {args.model}")
    reference = timed("original (padded to 500, batch 12)", stock, original)
    timed("padded to the pool's longest, batch 12", stock, ours)
    for batch_size in args.batch_sizes:
        fast.inference_batch_size = batch_size
        result = timed(f"ours (sorted, trimmed, batch {batch_size})", fast, ours)
    print(f"largest probability difference to the original: {np.abs(result - reference).max():.2e}")
    try:
        check_precision("bf16")
    except PrecisionError as error:
        print(f"bf16 skipped: {error}")
        return
    fast.precision = "bf16"
    for batch_size in args.batch_sizes:
        fast.inference_batch_size = batch_size
        low = timed(f"ours in bf16 (batch {batch_size})", fast, ours)
    print(f"bf16: largest probability difference {np.abs(low - reference).max():.2e}; "
          f"{len(set(_top_entropy(reference)) - set(_top_entropy(low)))} of the 25 most uncertain picks change")


def _top_entropy(proba: np.ndarray, k: int = 25) -> list[int]:
    entropy = -(proba * np.log(np.clip(proba, 1e-12, 1))).sum(axis=1)
    return np.argsort(-entropy, kind="stable")[:k].tolist()


if __name__ == "__main__":
    main()
