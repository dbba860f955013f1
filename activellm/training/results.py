"""The results CSV: its columns, atomic writes and the human-readable .log beside it.

One row per seed, and per iteration where a run evaluates several (active learning curves). Every write goes
through a temporary file renamed into place, so no file is ever half-written. A run rewrites
``run_<run>_<time>.csv.partial`` after each seed and renames it to ``.csv`` when all are done: a run that dies
keeps the seeds it finished in the ``.partial`` file, and a ``.csv`` always holds a finished run.
"""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from activellm.files import atomic_write_text
from activellm.training.metrics import METRIC_NAMES

# What ran, as the run's identity: a finished CSV counts for a cell only when all of these match.
RUN_COLUMNS = ("task", "mode", "run", "modelclass", "activelearning", "warmstart", "model", "epochs")
# Every other setting that can change a result; empty where it does not apply to the model class.
TRAINING_COLUMNS = ("learning_rate", "train_batch_size", "eval_batch_size", "warmup_steps", "weight_decay",
                    "max_length", "precision")  # the default classifier (default and smalltext model classes)
ACTIVE_COLUMNS = ("query_size", "budget", "pool_size", "init", "warmstart_from", "warmstart_size", "al_epochs",
                  "al_learning_rate", "al_train_batch_size", "eval_every_iteration",
                  "labelled_list")  # small-text: its settings, and the labelled list's folder it writes or reads
SETFIT_COLUMNS = ("setfit_epochs", "setfit_iterations", "setfit_batch_size")
SELECTOR_COLUMNS = ("embedding_model", "selector_pool", "probcover_delta")  # label-free selectors
SETTING_COLUMNS = (*TRAINING_COLUMNS, *ACTIVE_COLUMNS, *SETFIT_COLUMNS, *SELECTOR_COLUMNS)
IDENTITY_COLUMNS = (*RUN_COLUMNS, *SETTING_COLUMNS)
# Selection diagnostics (activellm.selection.diagnostics): what the picks are like; never part of a run's identity.
DIAGNOSTIC_COLUMNS = (
    "diag_class_counts", "diag_majority_share", "diag_label_entropy", "diag_classes_covered", "diag_prior_distance",
    "diag_rarest_share", "diag_pool_rarest_share", "diag_typicality", "diag_diversity", "diag_coverage",
    "diag_near_duplicates",
    "diag_position_mean", "diag_position_first_quarter", "diag_position_last_quarter",
    "diag_llm_repeated", "diag_llm_not_shown", "diag_llm_already_labelled",
)
RESULT_COLUMNS = (
    "task", "tag", "mode", "modelclass", "activelearning", "warmstart", "run", "seed", "iteration", "n_train",
    "model", "epochs", *SETTING_COLUMNS, "llm_model", "llm_answer_format", "prompt_candidates", "prompt_template",
    *METRIC_NAMES,
    "class_names", "precision_per_class", "recall_per_class",
    "train_seconds", "eval_seconds", "query_seconds", "select_seconds", "selected", *DIAGNOSTIC_COLUMNS, "status",
)
STATUS_OK = "ok"


def format_cell(value: object) -> str:
    """A value as the CSV holds it: floats with 6 significant digits, lists space-separated, None empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return " ".join(format_cell(v) for v in value)
    return str(value)


def rows_to_csv(rows: Iterable[Mapping[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: format_cell(row.get(column)) for column in RESULT_COLUMNS})
    return buffer.getvalue()


def write_results(csv_path: Path, rows: Sequence[Mapping[str, object]], header: str,
                  log_path: Path | None = None) -> None:
    """Write the CSV and the .log with per-seed values and their means (beside the CSV unless given)."""
    atomic_write_text(csv_path, rows_to_csv(rows))
    atomic_write_text(log_path or csv_path.with_suffix(".log"), format_log(rows, header))


def read_results(csv_path: Path) -> list[dict[str, str]]:
    with open(csv_path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    return float(value)  # type: ignore[arg-type]


def metric_means(rows: Sequence[Mapping[str, object]]) -> dict[str, tuple[list[float], float, float]]:
    """For each metric defined in ``rows``: (values, mean, sample standard deviation)."""
    summary = {}
    for name in METRIC_NAMES:
        values = [v for v in (_number(row.get(name)) for row in rows) if v is not None]
        if values:
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            summary[name] = (values, statistics.fmean(values), spread)
    return summary


def format_seed_line(row: Mapping[str, object]) -> str:
    metrics = " ".join(f"{name}={_number(row[name]):.4f}" for name in METRIC_NAMES
                       if _number(row.get(name)) is not None)
    where = f"seed {row['seed']}" + (f", iteration {row['iteration']}" if row.get("iteration") not in (None, "") else "")
    return (f"{where} (n_train {row['n_train']}): {metrics} "
            f"(train {_number(row.get('train_seconds')) or 0:.1f} s, eval {_number(row.get('eval_seconds')) or 0:.1f} s)")


def format_means(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Lines like the original's last ones: the values over seeds, then their mean."""
    lines = []
    for name, (values, mean, spread) in metric_means(rows).items():
        lines.append(f"{name}: [{', '.join(f'{v:.4f}' for v in values)}]")
        lines.append(f"{name}: mean {mean:.4f} (std {spread:.4f}, n={len(values)})")
    return lines


def is_final(row: Mapping[str, object]) -> bool:
    """A row of a model trained per seed, not a point of an active learning curve."""
    return row.get("iteration") in (None, "")


def format_log(rows: Sequence[Mapping[str, object]], header: str) -> str:
    """The header, every row, and the means over seeds of the trained models."""
    lines = [header, ""]
    lines += [format_seed_line(row) for row in rows]
    final = [row for row in rows if is_final(row)]
    if final:
        lines += ["", f"mean over seeds (n_train {final[0].get('n_train')}):", *format_means(final)]
    return "\n".join(lines) + "\n"
