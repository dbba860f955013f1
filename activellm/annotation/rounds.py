"""model_training.py on your own data: a round's picks out to annotators, their labels back into a classifier.

    --export-labelling FILE                  the run's picks (an LLM's list, a selector's, the first rows) as a file
                                             to label; for iteration i of a continuous task only that iteration's
    --labels FILE --modelclass smalltext --activelearning S --export-labelling FILE
                                             the next round: small-text's strategy S trained on the labelled rows
                                             queries k more
    --labels FILE --predict OUT              a classifier trained on the labels, saved, and its predictions
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from activellm import paths
from activellm.annotation.labelling import (TRAINING_RECORD, LabellingError, check_texts, export_picks, label_classes,
                                            label_indices, labelling_config, read_labels, train_and_predict)
from activellm.data.loading import load_splits
from activellm.data.pools import LoadedTask, load_task
from activellm.data.tasks import parse_task_name
from activellm.files import file_sha256
from activellm.llm.prompt_jobs import LabelledRound
from activellm.prompts.build import read_sidecar, sidecar_paths
from activellm.selection.rows import BASELINE_MODE
from activellm.training.active_learning import query_once
from activellm.training.experiment import RunConfig, chosen_rows
from activellm.training.fine_tuning import PAPER_SEEDS, TrainingSettings

MODEL_SUFFIX = "_model"  # --predict OUT saves the classifier to OUT's name with this, unless --save-model names one


def picked_rows(config: RunConfig, loaded: LoadedTask) -> list[int]:
    """The pool positions the run would train on (as model_training.py chooses them); for iteration i of a continuous
    task, those of iteration i alone (the earlier ones went out before)."""
    positions = chosen_rows(config, loaded)
    if loaded.name.continuous is not None:
        return positions[loaded.name.examples * (loaded.name.iteration - 1):]
    return positions


def _checked_labels(loaded: LoadedTask, labels_files: list[Path]):
    """The labels of ``labels_files`` checked against the run's pool (ids, texts, class names): the labelled rows,
    their classes, their labels as class indices and each row's position in the run's pool."""
    labelled = read_labels(labels_files, len(loaded.pool))
    split = loaded.pool.sort_values("index").reset_index(drop=True)  # the pool in the split's order: no second read
    check_texts(labelled, split, loaded.spec)
    classes = label_classes(labelled, loaded.spec)
    indices = label_indices(labelled, classes)  # every label one of the classes (said once)
    position = {int(row): p for p, row in enumerate(loaded.pool["index"])}
    return labelled, classes, indices, [position[r] for r in labelled.rows]


def labelled_round(task: str, run: int, labels_files: list[Path]) -> LabelledRound:
    """The rows of ``labels_files`` for the LLM's next round: pool position -> label, and the files' sha256."""
    labelled, _, _, positions = _checked_labels(load_task(task, run), labels_files)
    return LabelledRound(dict(zip(positions, labelled.labels)),
                         {str(path): file_sha256(path) for path in labelled.sources})


def next_query(config: RunConfig, loaded: LoadedTask, labels_files: list[Path]) -> list[int]:
    """The k pool positions small-text's strategy asks for next, trained on the rows of ``labels_files``: among the
    first --pool-size rows of the run's pool (default: as many as --selector-pool, 3,000; 0: all), near-duplicates of
    each other and of the labelled rows left out."""
    _, classes, indices, positions = _checked_labels(loaded, labels_files)
    spec = replace(loaded.spec, num_labels=len(classes), class_names=tuple(classes))
    selector_pool = config.selector.candidates if isinstance(config.selector.candidates, int) else 0
    active = config.active if config.active.pool_size else replace(config.active, pool_size=selector_pool or None)
    return query_once(config.model_name, spec, loaded.pool, positions, indices, config.activelearning, active,
                      loaded.name.examples, config.run)


def export(config: RunConfig, path: Path, labels_files: list[Path] | None) -> None:
    """Write the run's picks (or small-text's next query, from ``labels_files``) to the labelling file ``path``."""
    config.validate()  # the options training would refuse are refused here too, before anything is written
    loaded = load_task(config.task, config.run)
    if config.modelclass == "smalltext":
        if not labels_files:
            raise LabellingError("--modelclass smalltext --export-labelling asks small-text for the next round: give "
                                 "the labels of the rounds before with --labels FILE.")
        positions = next_query(config, loaded, labels_files)
    else:
        positions = picked_rows(config, loaded)
    written = export_picks(path, loaded.pool, loaded.spec, positions)
    print(f"labelling: {path} ({written} rows of {config.task}, run {config.run}: {_picked_by(config, loaded)})")
    if Path(path).suffix.lower() == ".json":
        print(f"Label Studio labelling configuration:\n{labelling_config(loaded.spec)}")
        if not loaded.spec.class_names:
            print(f"note: {loaded.spec.name} has no class names: write them into data/{loaded.spec.name}/classes.txt "
                  "(one a line) for the configuration's choices", file=sys.stderr)
    earlier = list(labels_files or []) or recapped_labels_files(config, loaded)
    print(f"then, with the labels filled in: {predict_command(loaded.spec.name, [*earlier, Path(path)], config)}",
          file=sys.stderr)


def _picked_by(config: RunConfig, loaded: LoadedTask) -> str:
    """What chose the exported rows, in words."""
    if config.modelclass == "smalltext":
        return f"{config.activelearning}'s next query"
    if config.activelearning:
        return f"{config.activelearning} picks"
    if config.mode == BASELINE_MODE:
        return "the pool's first rows"
    return f"the list {paths.recorded_path(paths.list_file(loaded.name.tag, config.mode, config.run))}"


def recapped_labels_files(config: RunConfig, loaded: LoadedTask) -> list[Path]:
    """The labels files the prompts of the run's LLM list recapped (a next round after them), from their sidecars."""
    if config.mode == BASELINE_MODE or config.activelearning:
        return []
    files = [name for sidecar in sidecar_paths(loaded.name.tag, config.mode, config.run)
             for name in read_sidecar(sidecar).get("labels_files", {})]
    return [Path(name) for name in dict.fromkeys(files)]


def training_options(config: RunConfig) -> list[str]:
    """The options of ``config`` that train a classifier, where they differ from the defaults: what a printed
    command repeats so that it trains as the run that printed it was set up to."""
    settings, defaults = config.settings, TrainingSettings()
    options = ["--model", config.model] if config.model else []
    if tuple(config.seeds) != tuple(PAPER_SEEDS):
        options += ["--seeds", *map(str, config.seeds)]
    for flag, value, default in (("--epochs", settings.epochs, defaults.epochs),
                                 ("--learning-rate", settings.learning_rate, defaults.learning_rate),
                                 ("--train-batch-size", settings.train_batch_size, defaults.train_batch_size),
                                 ("--eval-batch-size", settings.eval_batch_size, defaults.eval_batch_size),
                                 ("--max-length", settings.max_length, parse_task_name(config.task).spec.max_length),
                                 ("--precision", settings.precision, defaults.precision)):
        if value != default:
            options += [flag, str(value)]
    return options


def earlier_training_options(labels_files: list[Path]) -> list[str]:
    """The training options of the newest classifier saved beside ``labels_files`` (``*_model/``) that trained on
    some of them: how a round whose own command named none (an LLM's list exported) trains as the last one did."""
    wanted = {Path(f).resolve() for f in labels_files}
    records = []
    for folder in dict.fromkeys(Path(f).resolve().parent for f in labels_files):
        for path in folder.glob(f"*{MODEL_SUFFIX}/{TRAINING_RECORD}"):
            record = json.loads(path.read_text(encoding="utf-8"))
            if {Path(name).resolve() for name in record.get("labels_files", {})} <= wanted:
                records.append((path.stat().st_mtime, record))
    if not records:
        return []
    record = max(records, key=lambda found: found[0])[1]
    return ["--model", str(record["model"]), "--seeds", str(record["seed"]), "--epochs", str(record["epochs"]),
            "--train-batch-size", str(record["train_batch_size"]), "--learning-rate", str(record["learning_rate"]),
            "--max-length", str(record["max_length"])]


def predict_command(task: str, labels_files: list[Path], config: RunConfig) -> str:
    """The command that trains on ``labels_files`` and predicts the rest, with the run's training options (where it
    named none, those of the last classifier trained on these labels) and an output whose name (and classifier
    folder) is free, as it runs when pasted."""
    last = Path(labels_files[-1])
    number, out = 1, last.with_name(f"predictions_{last.stem}.csv")
    while out.exists() or out.with_name(out.stem + MODEL_SUFFIX).exists():
        number += 1
        out = last.with_name(f"predictions_{last.stem}_{number}.csv")
    options = training_options(config) or earlier_training_options(labels_files)
    return shlex.join(["python", "model_training.py", "--task", task, "--labels", *map(str, labels_files),
                       "--predict", str(out), *options])


def predict(config: RunConfig, labels_files: list[Path], out: Path, model_dir: Path | None,
            predict_file: Path | None) -> None:
    """Train on the labels of ``labels_files``, save the classifier, predict into ``out``."""
    spec, train, test = load_splits(parse_task_name(config.task).spec)
    labelled = read_labels(labels_files, len(train))
    check_texts(labelled, train, spec)
    classes = label_classes(labelled, spec)
    model_dir = Path(model_dir) if model_dir else Path(out).with_name(Path(out).stem + MODEL_SUFFIX)
    seed = config.seeds[0]
    result = train_and_predict(config.model_name, spec, train, test, labelled, classes, config.settings, seed,
                               Path(out), model_dir, predict_file)
    print(f"classifier: {model_dir} ({len(labelled.rows)} labelled rows, {len(classes)} classes, seed {seed}; "
          "AutoModelForSequenceClassification.from_pretrained loads it)")
    print(f"predictions: {result.path} ({result.rows} rows)")
    print(f"accuracy on the {len(test)} labelled test rows of {spec.name}: {result.accuracy:.4f}" if result.accuracy
          is not None else f"accuracy: not measured ({spec.name} has no labelled test rows; label a held-out sample "
          "into df_test.csv to measure it)")
