"""Fixtures shared by the unit and integration tests.

Nothing here touches the network: the tiny model is a random 2-layer BERT saved with the tokenizer of the
packaged all-MiniLM-L6-v2, and tasks are small CSV files written into a temporary project root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference" / "activellm-paper"

POSITIVE = ["a wonderful film", "great acting and a moving story", "i loved every minute", "brilliant and funny",
            "a delight from start to end", "superb direction", "charming and warm", "an excellent cast"]
NEGATIVE = ["a dull mess", "boring and far too long", "i hated it", "terrible acting", "a waste of time",
            "clumsy and flat", "painfully slow", "the worst film of the year"]


def sentiment_frame(n: int, offset: int = 0) -> pd.DataFrame:
    """``n`` labelled sentences, alternating classes, each text unique."""
    rows = []
    for i in range(offset, offset + n):
        words = POSITIVE if i % 2 else NEGATIVE
        rows.append({"text": f"{words[(i // 2) % len(words)]} ({i})", "label": i % 2})
    return pd.DataFrame(rows)


def write_long_task(root: Path, name: str, n_train: int = 40, words: int = 150) -> Path:
    """A local task whose texts are long (``words`` numbered words after each sentence): prompts over a token budget."""
    folder = root / "data" / name
    folder.mkdir(parents=True)
    frame = sentiment_frame(n_train)
    frame["text"] = [f"{text} " + " ".join(f"detail{i}x{j}" for j in range(words)) for i, text in
                     enumerate(frame["text"])]
    frame.to_csv(folder / "df_train_full.csv", index=False)
    sentiment_frame(10, offset=500).to_csv(folder / "df_test.csv", index=False)
    return folder


def write_local_task(root: Path, name: str = "tiny", n_train: int = 64, n_test: int = 24) -> Path:
    folder = root / "data" / name
    folder.mkdir(parents=True, exist_ok=True)
    sentiment_frame(n_train).to_csv(folder / "df_train_full.csv", index=False)
    sentiment_frame(n_test, offset=1000).to_csv(folder / "df_test.csv", index=False)
    return folder


@pytest.fixture
def project_root(tmp_path, monkeypatch) -> Path:
    """A fresh project root for data/, prompts/, answers/ and logs/ (ACTIVELLM_ROOT)."""
    monkeypatch.setenv("ACTIVELLM_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def tiny_task(project_root) -> str:
    write_local_task(project_root)
    return "tiny"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """A random 2-layer BERT with the MiniLM tokenizer: trains in about a second. Its weights are drawn from a fixed
    seed: torch seeds its generator afresh in every process, and tests that need the model to learn must not depend
    on the session's draw."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from activellm.models import packaged_minilm_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture
def reference() -> Path:
    """The authors' published prompts and answers; tests that need them skip when ../shared is absent."""
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference/activellm-paper is not present")
    return REFERENCE


@pytest.fixture(scope="session")
def tiny_sentence_transformer(tiny_model, tmp_path_factory) -> str:
    """The tiny BERT with mean pooling, saved as a sentence-transformers model (a SetFit body)."""
    from sentence_transformers import SentenceTransformer, models

    folder = tmp_path_factory.mktemp("tiny-st")
    body = models.Transformer(tiny_model, max_seq_length=64)
    SentenceTransformer(modules=[body, models.Pooling(body.get_word_embedding_dimension())]).save(str(folder))
    return str(folder)
