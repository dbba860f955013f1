"""What the LLMs cost: calls, tokens and seconds per arm (answers folder: one LLM, prompt mode and candidate rule)
of each task, from the answers' metadata."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

from activellm import paths
from activellm.files import atomic_write_text

USAGE_COLUMNS = ("task", "arm", "llm", "prompt_mode", "answers", "calls", "prompt_tokens", "cached_tokens",
                 "completion_tokens", "seconds")
USAGE_FILE = "llm_usage.csv"


def llm_usage(root: Path | None = None) -> list[dict[str, object]]:
    """One row per answers folder (an arm: ``gpt-4o_10`` and ``gpt-4o_10_typiclust200`` are two) of each task tag,
    over every saved answer that an LLM gave (hand-pasted ones have no model in their metadata and cost nothing
    here)."""
    root = root or paths.project_root() / "answers"
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    described: dict[tuple, dict[str, dict]] = defaultdict(lambda: {"llm": {}, "prompt_mode": {}})
    for path in sorted(root.glob("*/*/answer_*.json")):
        metadata = json.loads(path.read_text(encoding="utf-8"))
        if not metadata.get("model") or not metadata.get("turns"):
            continue
        key = (path.parent.parent.name, path.parent.name)
        described[key]["llm"][metadata["model"]] = None
        described[key]["prompt_mode"][str(metadata.get("prompt_mode") or "")] = None
        total = totals[key]
        total["answers"] += 1
        total["calls"] += len(metadata.get("turns") or [])
        total["prompt_tokens"] += metadata.get("prompt_tokens") or 0
        total["cached_tokens"] += metadata.get("cached_tokens") or 0
        total["completion_tokens"] += metadata.get("completion_tokens") or 0
        total["seconds"] += metadata.get("latency_seconds") or 0.0
    return [{"task": task, "arm": arm, **{k: "/".join(v) for k, v in described[(task, arm)].items()},
             **{k: (round(v, 1) if k == "seconds" else int(v)) for k, v in total.items()}}
            for (task, arm), total in sorted(totals.items())]


def usage_markdown(rows: list[dict[str, object]]) -> str:
    lines = ["| " + " | ".join(USAGE_COLUMNS) + " |", "|" + "---|" * len(USAGE_COLUMNS)]
    lines += ["| " + " | ".join(str(row[c]) for c in USAGE_COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def write_usage(rows: list[dict[str, object]], path: Path | None = None) -> Path:
    path = path or paths.logs_dir() / USAGE_FILE
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=USAGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
    return path
