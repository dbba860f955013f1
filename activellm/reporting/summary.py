"""Reading all results back: the summary table over runs, and plots.

The unit of every mean, interval and test is the run (one selection; see activellm.reporting.comparison): a run's seeds are
averaged first. Seeds merge across files: for each configuration and seed the newest finished CSV wins, so a hand
run of one seed after a sweep replaces that seed and keeps the others. Rows of active learning iterations
(``--eval-every-iteration``) are learning-curve points of the active learner's own classifier and stay out of the
summary, which describes trained models.
"""

from __future__ import annotations

import functools
import re
import statistics
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from activellm import paths
from activellm.data.loading import load_splits
from activellm.data.tasks import TaskError, parse_task_name, task_family
from activellm.errors import UserError
from activellm.files import atomic_write_text
from activellm.reporting.comparison import holm, paired_comparison, run_means, seed_spread, t_interval
from activellm.selection.rows import BASELINE_MODE, SMALLTEXT_MODES
from activellm.training.experiment import DEFAULT_MODELCLASS, results_file_order
from activellm.training.metrics import METRIC_NAMES, main_metric
from activellm.training.results import (DIAGNOSTIC_COLUMNS, IDENTITY_COLUMNS, SETFIT_COLUMNS, SETTING_COLUMNS,
                                        STATUS_OK, TRAINING_COLUMNS, is_final, read_results)

# The full configuration: rows are averaged only when all of these agree (two learning rates never mix).
CORE_KEYS = ("task", "mode", "modelclass", "activelearning", "warmstart", "model", "n_train")
GROUP_KEYS = (*CORE_KEYS, "epochs", *SETTING_COLUMNS, "llm_model", "prompt_candidates", "prompt_template")
RUN_KEYS = IDENTITY_COLUMNS  # with the seed: a re-run of the same configuration and seed replaces the older row
SUMMARY_FILE = "summary.csv"
DIAGNOSTIC_NUMBERS = tuple(c for c in DIAGNOSTIC_COLUMNS if c != "diag_class_counts")  # averaged over runs
# Per metric: mean over runs, sd of the run means, 95% t-interval over runs, pooled within-run sd over seeds.
METRIC_STATISTICS = ("mean", "run_sd", "ci_low", "ci_high", "seed_sd")
UNIT_CAPTION = ("Unit: the run (one selection). Each run's seeds are averaged first; mean ± sd and the 95% "
                "t-interval are over runs (empty for one run); seed sd is the pooled within-run standard deviation "
                "of the main metric, training noise on the same selection, not evidence about it.")


def result_files(root: Path | None = None) -> list[Path]:
    """Every results CSV under logs/run/ (not the summary), oldest first by the time and suffix in its name."""
    root = root or paths.logs_dir()
    return sorted(root.rglob("run_*.csv"), key=results_file_order)


def latest_rows(files: Iterable[Path]) -> list[dict[str, str]]:
    """The ok rows of trained models: for each run configuration and seed, the newest file's row."""
    newest: dict[tuple, dict[str, str]] = {}
    for path in files:  # oldest first
        for row in read_results(path):
            if row.get("status") == STATUS_OK and is_final(row):
                newest[(*(row.get(k, "") for k in RUN_KEYS), row.get("seed", ""))] = row
    return list(newest.values())


def number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def values_by_run(members: Iterable[dict[str, str]], metric: str) -> dict[str, list[float]]:
    by_run: dict[str, list[float]] = defaultdict(list)
    for member in members:
        value = number(member.get(metric))
        if value is not None:
            by_run[str(member.get("run"))].append(value)
    return dict(by_run)


def _seeds_per_run(members: Sequence[dict[str, str]]) -> str:
    """How many seeds each run has: "3", or "2-3" where runs differ."""
    counts = defaultdict(int)
    for member in members:
        counts[member.get("run")] += 1
    low, high = min(counts.values()), max(counts.values())
    return str(low) if low == high else f"{low}-{high}"


def summarize(rows: Iterable[dict[str, str]]) -> list[dict[str, object]]:
    """One row per full configuration (GROUP_KEYS): how many runs and seeds per run it rests on; per metric the
    mean over runs, the sd and 95% interval of the run means, and the seed sd; the paired comparison of its main
    metric with the random baseline over runs, with Holm-adjusted p-values over the rows of the summary."""
    groups: dict[tuple, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[group_key(row)].append(row)
    summary = []
    for key, members in sorted(groups.items(), key=lambda item: _sort_key(item[0])):
        entry: dict[str, object] = dict(zip(GROUP_KEYS, key))
        entry["runs"] = len({m.get("run") for m in members})
        entry["seeds_per_run"] = _seeds_per_run(members)
        for name in METRIC_NAMES:
            by_run = values_by_run(members, name)
            means = list(run_means(by_run).values())
            entry[f"{name}_mean"] = statistics.fmean(means) if means else None
            entry[f"{name}_run_sd"] = statistics.stdev(means) if len(means) > 1 else None
            entry[f"{name}_ci_low"], entry[f"{name}_ci_high"] = t_interval(means) or (None, None)
            entry[f"{name}_seed_sd"] = seed_spread(by_run)
        for name in DIAGNOSTIC_NUMBERS:  # the same in every seed's row of a run: the mean over runs
            means = list(run_means(values_by_run(members, name)).values())
            entry[name] = statistics.fmean(means) if means else None
        summary.append(entry)
    baselines: dict[tuple, list[dict[str, str]]] = defaultdict(list)  # baseline key -> the baseline's rows
    for key, members in groups.items():
        candidate = dict(zip(GROUP_KEYS, key))
        if is_random_baseline(candidate):
            baselines[baseline_key(candidate)] += members
    for entry in summary:
        entry.update(_against_baseline(entry, groups, baselines))
    for test in ("p_paired_t", "p_wilcoxon"):  # one family: the rows of the comparison table
        for entry, adjusted in zip(summary, holm([e[test] for e in summary])):
            entry[f"{test}_holm"] = adjusted
    return summary


# What a selection is paired with: the random baseline (the first N rows of the pool) of the same task, model,
# size and training settings, on the same run and seeds. A small-text run's final classifier is the default one.
PAIRING_KEYS = ("task", "model", "n_train", "epochs", *TRAINING_COLUMNS, *SETFIT_COLUMNS)
COMPARISON_COLUMNS = ("baseline_runs", "diff_mean", "diff_sd", "diff_ci_low", "diff_ci_high", "p_paired_t",
                      "p_paired_t_holm", "p_wilcoxon", "p_wilcoxon_holm")


def is_random_baseline(entry: dict[str, object]) -> bool:
    return (entry["mode"] == BASELINE_MODE and entry["activelearning"] == ""
            and entry["modelclass"] in (DEFAULT_MODELCLASS, "setfit"))


def baseline_key(entry: dict[str, object]) -> tuple:
    """What a row shares with the random baseline it is paired with: the classifier and PAIRING_KEYS."""
    modelclass = "setfit" if entry["modelclass"] == "setfit" else DEFAULT_MODELCLASS
    return (modelclass, *(entry.get(k, "") for k in PAIRING_KEYS))


def paired_run_means(members: Iterable[dict[str, str]], baseline: Iterable[dict[str, str]],
                     metric: str) -> list[tuple[float, float]]:
    """Per run that both have: the mean of ``members`` and of ``baseline`` over the seeds both have in that run."""
    base = {(r.get("run"), r.get("seed")): number(r.get(metric)) for r in baseline}
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for member in members:
        value, matched = number(member.get(metric)), base.get((member.get("run"), member.get("seed")))
        if value is not None and matched is not None:
            pairs[str(member.get("run"))].append((value, matched))
    return [(statistics.fmean(a for a, _ in seeds), statistics.fmean(b for _, b in seeds))
            for _, seeds in sorted(pairs.items())]


def _against_baseline(entry: dict[str, object], groups: dict[tuple, list[dict[str, str]]],
                      baselines: dict[tuple, list[dict[str, str]]]) -> dict[str, object]:
    """The paired comparison over runs of ``entry``'s main metric with its random baseline (empty without one)."""
    result: dict[str, object] = dict.fromkeys(COMPARISON_COLUMNS)
    if is_random_baseline(entry):
        return result
    members = groups[group_key(entry)]
    pairs = paired_run_means(members, baselines.get(baseline_key(entry), []), task_metric(str(entry["task"])))
    compared = paired_comparison([a for a, _ in pairs], [b for _, b in pairs])
    if compared is None:
        return result
    low, high = compared.interval or (None, None)
    return {"baseline_runs": compared.pairs, "diff_mean": compared.mean_difference, "diff_sd": compared.sd,
            "diff_ci_low": low, "diff_ci_high": high, "p_paired_t": compared.p_paired_t,
            "p_wilcoxon": compared.p_wilcoxon}


def _sort_key(key: tuple) -> tuple:
    values = dict(zip(GROUP_KEYS, key))
    n_train = int(values["n_train"]) if str(values["n_train"]).isdigit() else 0
    return (values["task"].rsplit("_", 1)[0] if "_cont" in values["task"] else values["task"], values["mode"],
            values["modelclass"], values["activelearning"], values["warmstart"], values["model"], n_train)


def summary_columns(summary: list[dict[str, object]]) -> list[str]:
    """GROUP_KEYS, runs, seeds per run, the statistics of the metrics that some group has, the baseline comparison,
    the diagnostics, then the columns later reports added to the entries (random equivalents, runs needed)."""
    present = [n for n in METRIC_NAMES if any(e.get(f"{n}_mean") is not None for e in summary)]
    diagnostics = [n for n in DIAGNOSTIC_NUMBERS if any(e.get(n) is not None for e in summary)]
    produced = {*GROUP_KEYS, "runs", "seeds_per_run", *(f"{n}_{s}" for n in METRIC_NAMES for s in METRIC_STATISTICS),
                *COMPARISON_COLUMNS, *DIAGNOSTIC_NUMBERS}
    added = [k for k in dict.fromkeys(k for e in summary for k in e) if k not in produced]
    return [*GROUP_KEYS, "runs", "seeds_per_run", *[f"{n}_{s}" for n in present for s in METRIC_STATISTICS],
            *COMPARISON_COLUMNS, *diagnostics, *added]


def varying_keys(summary: list[dict[str, object]]) -> list[str]:
    """The configuration keys beyond CORE_KEYS that the printed table and the plot labels must show: those with two
    or more values in the rows (an empty value only says "does not apply", which the model class already shows),
    and then any further keys needed to keep two printed rows from looking alike."""
    extra = [k for k in GROUP_KEYS if k not in CORE_KEYS]
    shown = [k for k in extra if len({str(e.get(k, "")) for e in summary} - {""}) > 1]

    def rows_alike() -> bool:
        printed = [tuple(str(e.get(k, "")) for k in (*CORE_KEYS, *shown)) for e in summary]
        return len(set(printed)) < len(printed)

    for key in extra:
        if not rows_alike():
            break
        if key not in shown and len({str(e.get(key, "")) for e in summary}) > 1:
            shown.append(key)
    return [k for k in extra if k in shown]


def write_summary(summary: list[dict[str, object]], path: Path | None = None) -> Path:
    import csv
    import io

    path = path or paths.logs_dir() / SUMMARY_FILE
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=summary_columns(summary), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for entry in summary:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v)) for k, v in entry.items()})
    atomic_write_text(path, buffer.getvalue())
    return path


def _format(value: object, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _p_cell(value: object) -> str:
    return _format(value, 3) or "n/a"


def markdown_table(summary: list[dict[str, object]]) -> str:
    """The summary as Markdown, its unit said in the caption: metrics as mean ± sd [95% interval] over runs and the
    seed sd of the main metric; then the paired comparisons with the random baseline, where there are any."""
    present = [n for n in METRIC_NAMES if any(e.get(f"{n}_mean") is not None for e in summary)]
    keys = [*CORE_KEYS, *varying_keys(summary)]
    header = [*keys, "runs", "seeds/run", *[f"{name} mean ± sd [95% CI]" for name in present], "seed sd"]
    lines = [UNIT_CAPTION, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in summary:
        cells = [str(entry[k]) for k in keys] + [str(entry["runs"]), str(entry["seeds_per_run"])]
        for name in present:
            mean, spread = entry.get(f"{name}_mean"), entry.get(f"{name}_run_sd")
            low, high = entry.get(f"{name}_ci_low"), entry.get(f"{name}_ci_high")
            text = "" if mean is None else f"{mean:.4f}"
            text += f" ± {spread:.4f}" if spread is not None else ""
            text += f" [{low:.4f}, {high:.4f}]" if low is not None else ""
            cells.append(text)
        cells.append(_format(entry.get(f"{task_metric(str(entry['task']))}_seed_sd")))
        lines.append("| " + " | ".join(cells) + " |")
    shared = [f"{k} {'/'.join(sorted(values))}" for k in GROUP_KEYS if k not in keys
              and (values := {str(e.get(k, "")) for e in summary} - {""})]
    if shared:
        lines += ["", "Settings of every row where they apply: " + ", ".join(shared) + "."]
    compared = [e for e in summary if e.get("baseline_runs")]
    if compared:
        tested = sum(e.get("p_paired_t") is not None or e.get("p_wilcoxon") is not None for e in compared)
        lines += ["", "Against the random baseline (the first N rows of the same run's pool) on the main metric, "
                  "paired by run: per run, the difference of the means over the seeds both have; the interval and the "
                  "two-sided paired t-test and Wilcoxon signed-rank test are over runs; Holm: each test's p-values "
                  f"adjusted together over the {tested} tested rows of this table.", ""]
        header = [*keys, "metric", "runs", "difference [95% CI]", "p (paired t)", "Holm", "p (Wilcoxon)", "Holm"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for entry in compared:
            low, high = entry.get("diff_ci_low"), entry.get("diff_ci_high")
            interval = f" [{low:+.4f}, {high:+.4f}]" if low is not None else ""
            cells = [str(entry[k]) for k in keys] + [
                task_metric(str(entry["task"])), str(entry["baseline_runs"]), f"{entry['diff_mean']:+.4f}{interval}",
                *(_p_cell(entry.get(c)) for c in ("p_paired_t", "p_paired_t_holm", "p_wilcoxon", "p_wilcoxon_holm"))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- plots --------------------------------------------------------------------------------------------------------


def task_metric(task: str) -> str:
    try:
        return main_metric(parse_task_name(task).spec)
    except TaskError:  # a local task whose data is gone: accuracy is the usual choice
        return "accuracy"


def _warm_start_size(entry: dict[str, object]) -> str:
    """The LLM picks a warm start began with: --warmstart-size, else k*i of the task name."""
    if entry.get("warmstart_size") not in (None, "", "k*i"):
        return str(entry["warmstart_size"])
    try:
        return str(parse_task_name(str(entry["task"])).n_train)
    except TaskError:
        return "k*i"


def _line_label(entry: dict[str, object], varying: Sequence[str] = ()) -> str:
    """Mode, model class, strategy and model, plus the settings that differ between the plotted rows."""
    label = str(entry["mode"])
    if entry["modelclass"] not in ("default", ""):
        label += f" {entry['modelclass']}"
    if entry["activelearning"]:
        label += f" {entry['activelearning']}"
    if entry["warmstart"] == "True":  # warm starts of different sizes are different lines, not one
        label += f" warm from {_warm_start_size(entry)}"
    settings = "".join(f", {key}={entry.get(key, '')}" for key in varying)
    return f"{label} ({entry['model']}{settings})"


@functools.lru_cache(maxsize=None)
def majority_accuracy(task: str) -> float | None:
    """The accuracy of always predicting the test set's most frequent class; None where it cannot be read."""
    try:
        _, _, test = load_splits(parse_task_name(task).spec)
    except UserError:
        return None
    return float(test["label"].value_counts(normalize=True).max())


def plot_summary(summary: list[dict[str, object]], folder: Path | None = None) -> list[Path]:
    """Learning curves for continuous tasks (one PNG per task family) and a bar chart for few-shot cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = folder or paths.logs_dir() / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    varying = varying_keys(summary)
    curves: dict[str, list[dict[str, object]]] = defaultdict(list)
    bars: list[dict[str, object]] = []
    for entry in summary:
        name = str(entry["task"])
        try:
            parsed = parse_task_name(name)
            family = parsed.tag if parsed.continuous else None
        except TaskError:
            family = None
        if family:
            curves[family].append(entry)
        else:
            bars.append(entry)
    for family, entries in curves.items():
        metric = task_metric(str(entries[0]["task"]))
        figure, axis = plt.subplots(figsize=(7, 4.5))
        lines: dict[str, list[dict[str, object]]] = defaultdict(list)
        for entry in entries:
            lines[_line_label(entry, varying)].append(entry)
        for label, points in sorted(lines.items()):
            points = sorted(points, key=lambda e: int(e["n_train"]))
            x = [int(p["n_train"]) for p in points]
            y, low, high = interval_points(points, metric)
            axis.plot(x, y, marker="o", label=label)
            axis.fill_between(x, low, high, alpha=0.15)  # the 95% interval over runs
        axis.set(xlabel="labelled instances", ylabel=f"{metric} (mean, 95% CI over runs)",
                 title=f"{family}: learning curves")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        written.append(save_figure(figure, folder / f"curve_{family}.png"))
    if bars:
        written.append(_bar_chart(plt, bars, folder / "fewshot.png"))
    return written


def interval_points(points: Sequence[dict[str, object]], metric: str) -> tuple[list, list, list]:
    """The means of ``points`` and the ends of their 95% intervals over runs (the mean where a point has none)."""
    y = [p[f"{metric}_mean"] for p in points]
    low = [p[f"{metric}_ci_low"] if p[f"{metric}_ci_low"] is not None else v for p, v in zip(points, y)]
    high = [p[f"{metric}_ci_high"] if p[f"{metric}_ci_high"] is not None else v for p, v in zip(points, y)]
    return y, low, high


SELECTION_NAMES = {  # how reports name a selection rule (the CSVs keep the option values)
    "embedding_kmeans": "k-means", "vote_k": "vote-k", "typiclust": "TypiClust", "probcover": "ProbCover",
    "random_filtering": "random rows",
}
SAID_BY_LLM_LABEL = ("llm_model", "prompt_candidates", "prompt_template")  # an LLM arm's label says these itself


def selection_name(rule: str) -> str:
    return SELECTION_NAMES.get(rule, rule)


PASTED = "answers pasted by hand"


def _asked_by_prompt(entry: dict[str, object]) -> bool:
    """Whether the entry's list answers a prompt of this project: an LLM asked here, or answers pasted by hand
    beside a prompt's sidecar (which names its candidates)."""
    return bool(entry.get("llm_model") or entry.get("prompt_candidates")) and not entry.get("activelearning")


def _llm_arm_label(entry: dict[str, object]) -> str:
    """An LLM's arm as a person says it: "LLM representative over 200 k-means candidates", "LLM 10 in
    mywording-1a2b3c4d" (the prompt mode, the wording, the candidates and how many were shown); answers pasted by
    hand: "answers pasted by hand, representative over 200 k-means candidates"."""
    folder, llm = str(entry["mode"]), str(entry.get("llm_model") or "")
    prefix = f"{paths.safe_name(llm)}_"
    prompt_mode = (folder[len(prefix):] if llm and folder.startswith(prefix) else folder).split("_")[0]
    label = f"LLM {prompt_mode}" if llm else f"{PASTED}, {prompt_mode}"
    template = str(entry.get("prompt_template") or "")
    if template:
        label += f" in {template}"
    candidates = str(entry.get("prompt_candidates") or "")
    if candidates and candidates != "first":
        shown = re.search(rf"_{re.escape(candidates)}(\d+)", folder)
        label += f" over {shown.group(1) + ' ' if shown else ''}{selection_name(candidates)} candidates"
    return label


def _setting(entry: dict[str, object], key: str) -> str:
    """``key``'s value as a label line ("selector pool 200"); empty where it does not apply to the entry, or where an
    LLM arm's label says it already."""
    value = str(entry.get(key, "") or "")
    if not value or (key in SAID_BY_LLM_LABEL and _asked_by_prompt(entry)):
        return ""
    return f"\n{key.replace('_', ' ')} {value}"


def _selection_label(entry: dict[str, object], varying: Sequence[str] = ()) -> str:
    """What a bar stands for, in a few words: the selection, then the settings that differ between the bars and
    apply to it (none left empty)."""
    if is_random_baseline(entry):
        label = "random (baseline)"
    elif entry["modelclass"] == "smalltext":
        label = f"{entry['activelearning']} (small-text)"
        if entry["warmstart"] == "True":
            label += f" warm from {selection_name(str(entry['mode']))}"
    elif entry["mode"] in SMALLTEXT_MODES:  # the default classifier on a small-text labelled list
        label = f"{entry['activelearning']} ({entry['mode']} list)"
    elif entry["activelearning"]:
        label = selection_name(str(entry["activelearning"]))
    elif _asked_by_prompt(entry):
        label = _llm_arm_label(entry)
    else:
        label = str(entry["mode"])
    if entry["modelclass"] == "setfit":
        label += " SetFit"
    return label + "".join(_setting(entry, key) for key in varying)


LABEL_CONTEXT = ("task", "model", "n_train")  # named in a label where they differ; the selection names the rest


def group_key(entry: dict[str, object]) -> tuple:
    """The summary's configuration of a summary entry or a results row."""
    return tuple(str(entry.get(k, "")) for k in GROUP_KEYS)


def selection_labels(entries: Sequence[dict[str, object]], shown_apart: Sequence[str] = ()) -> dict[tuple, str]:
    """A label per configuration (group_key) that tells it from every other entry: the selection, then task, model
    and k where they differ, then every setting that differs (varying_keys). Keys in ``shown_apart`` are left out
    of the label because the report prints them in a column of their own."""
    def context(entry: dict[str, object], key: str) -> str:  # a task at several budgets is one task: k tells them apart
        return task_family(str(entry.get(key, ""))) if key == "task" else str(entry.get(key, ""))

    distinct = [k for k in LABEL_CONTEXT if len({context(e, k) for e in entries}) > 1]
    keys = [k for k in (*distinct, *varying_keys(list(entries))) if k not in shown_apart]
    labels = {group_key(e): _selection_label(e, keys) for e in entries}
    seen: dict[tuple, list[dict[str, object]]] = defaultdict(list)  # what a reader sees -> the entries behind it
    for entry in entries:
        seen[(*(str(entry.get(k, "")) for k in shown_apart), labels[group_key(entry)])].append(entry)
    for alike in (group for group in seen.values() if len({group_key(e) for e in group}) > 1):
        differing = [k for k in GROUP_KEYS if k not in keys and len({str(e.get(k, "")) for e in alike}) > 1]
        for entry in alike:  # two selections whose names read the same: name what tells them apart
            labels[group_key(entry)] += "".join(f"\n{key.replace('_', ' ')} {entry.get(key, '') or '(none)'}"
                                                for key in differing)
    return labels


def labels_within_tasks(rows: list[dict[str, object]]) -> dict[tuple, str]:
    """Each row's label among the rows of its own task family: a setting that differs only between tasks (the task
    table's max length) names no arm, so that an arm reads the same on every task."""
    families: dict[str, list[dict[str, object]]] = {}
    for entry in rows:
        families.setdefault(task_family(str(entry["task"])), []).append(entry)
    return {key: label for members in families.values()
            for key, label in selection_labels(members, shown_apart=("task", "n_train")).items()}


def bar_labels(bars: Sequence[dict[str, object]]) -> list[str]:
    """The bars' labels: the task where several are drawn, then a label that tells the bar from every other."""
    several_tasks = len({task_family(str(e["task"])) for e in bars}) > 1  # a task at several budgets is one task
    names = selection_labels(bars, shown_apart=("task",))
    return [("\n".join(textwrap.wrap(task_family(str(e["task"])), 18)) + "\n" if several_tasks else "")
            + names[group_key(e)] for e in bars]


def _values(bars: Sequence[dict[str, object]], key: str) -> str:
    return "/".join(dict.fromkeys(str(e[key]) for e in bars))


def _bar_chart(plt, bars: list[dict[str, object]], path: Path) -> Path:
    """The few-shot cells as bars: mean over runs with its 95% interval, the random baseline in grey, a dashed line
    at the accuracy of always predicting the test set's majority class; the title names task, model, k and runs."""
    figure, axis = plt.subplots(figsize=(max(6.5, 1.1 * len(bars) + 2), 5))
    labels = bar_labels(bars)
    metrics = [task_metric(str(e["task"])) for e in bars]
    heights = [e.get(f"{m}_mean") or 0.0 for e, m in zip(bars, metrics)]
    lows = [e.get(f"{m}_ci_low") for e, m in zip(bars, metrics)]
    highs = [e.get(f"{m}_ci_high") for e, m in zip(bars, metrics)]
    errors = [[h - low if low is not None else 0.0 for h, low in zip(heights, lows)],
              [high - h if high is not None else 0.0 for h, high in zip(heights, highs)]]
    colours = ["tab:gray" if is_random_baseline(e) else "tab:blue" for e in bars]
    axis.bar(range(len(bars)), heights, yerr=errors, capsize=4, color=colours, alpha=0.85)
    for i, height in enumerate(heights):
        axis.annotate(f"{height:.3f}", (i, height), xytext=(6, 3), textcoords="offset points", fontsize=8)
    from matplotlib.patches import Patch

    handles = [Patch(color="tab:gray", label="random baseline: the first k rows of each run's pool")] \
        if any(is_random_baseline(e) for e in bars) else []
    majority_drawn = False
    for i, (entry, metric) in enumerate(zip(bars, metrics)):
        majority = majority_accuracy(str(entry["task"])) if metric == "accuracy" else None
        if majority is not None:
            line = axis.hlines(majority, i - 0.45, i + 0.45, colors="tab:red", linestyles="--",
                               label=f"majority class of the test set ({majority:.3f})")
            handles += [] if majority_drawn else [line]
            majority_drawn = True
    if handles:
        axis.legend(handles=handles, fontsize=8, loc="lower right")
    axis.set_xticks(range(len(bars)), labels, fontsize=8)
    axis.set_ylabel(" / ".join(sorted(set(metrics))) + " (mean over runs, 95% CI over runs)")
    axis.set_ylim(0, max(1.0, max((h + e for h, e in zip(heights, errors[1])), default=1.0)))
    runs = "/".join(dict.fromkeys(str(e["runs"]) for e in bars))
    families = "/".join(dict.fromkeys(task_family(str(e["task"])) for e in bars))
    budgets = "/".join(sorted({str(e["n_train"]) for e in bars}, key=lambda k: int(k) if k.isdigit() else 0))
    axis.set_title(f"{families}: {_values(bars, 'model')}, k = {budgets}, "
                   f"{runs} runs × {_values(bars, 'seeds_per_run')} seed(s) each", fontsize=10)
    axis.grid(axis="y", alpha=0.3)
    return save_figure(figure, path)


def save_figure(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return path

