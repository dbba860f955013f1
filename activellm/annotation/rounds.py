"""model_training.py on your own data: a round's picks out to annotators, their labels back into a classifier.

    --export-labelling FILE                  the run's picks (an LLM's list, a selector's, the first rows) as a file
                                             to label; for iteration i of a continuous task only that iteration's
    --labels FILE --modelclass smalltext --activelearning S --export-labelling FILE
                                             the next round: small-text's strategy S trained on the labelled rows
                                             queries k more
    --labels FILE --predict OUT              a classifier trained on the labels, saved, and its predictions
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from activellm.annotation.labelling import (LabellingError, check_texts, export_picks, label_classes, label_indices,
                                            labelling_config, read_labels, train_and_predict)
from activellm.data.loading import load_splits
from activellm.data.pools import LoadedTask, load_task
from activellm.data.tasks import parse_task_name
from activellm.files import file_sha256
from activellm.llm.prompt_jobs import LabelledRound
from activellm.training.active_learning import query_once
from activellm.training.experiment import RunConfig, chosen_rows


def picked_rows(config: RunConfig, loaded: LoadedTask) -> list[int]:
    """The pool positions the run would train on (as model_training.py chooses them); for iteration i of a continuous
    task, those of iteration i alone (the earlier ones went out before)."""
    positions = chosen_rows(config, loaded)
    if loaded.name.continuous is not None:
        return positions[loaded.name.examples * (loaded.name.iteration - 1):]
    return positions


def _checked_labels(loaded: LoadedTask, labels_files: list[Path]):
    """The labels of ``labels_files`` checked against the run's pool (ids, texts, class names), their classes, and
    each labelled row's position in the run's pool."""
    labelled = read_labels(labels_files, len(loaded.pool))
    split = loaded.pool.sort_values("index").reset_index(drop=True)  # the pool in the split's order: no second read
    check_texts(labelled, split, loaded.spec)
    classes = label_classes(labelled, loaded.spec)
    label_indices(labelled, classes)  # every label one of the classes
    position = {int(row): p for p, row in enumerate(loaded.pool["index"])}
    return labelled, classes, [position[r] for r in labelled.rows]


def labelled_round(task: str, run: int, labels_files: list[Path]) -> LabelledRound:
    """The rows of ``labels_files`` for the LLM's next round: pool position -> label, and the files' sha256."""
    labelled, _, positions = _checked_labels(load_task(task, run), labels_files)
    return LabelledRound(dict(zip(positions, labelled.labels)),
                         {str(path): file_sha256(path) for path in labelled.sources})


def next_query(config: RunConfig, loaded: LoadedTask, labels_files: list[Path]) -> list[int]:
    """The k pool positions small-text's strategy asks for next, trained on the rows of ``labels_files``."""
    labelled, classes, positions = _checked_labels(loaded, labels_files)
    spec = replace(loaded.spec, num_labels=len(classes), class_names=tuple(classes))
    return query_once(config.model_name, spec, loaded.pool, positions, label_indices(labelled, classes),
                      config.activelearning, config.active, loaded.name.examples, config.run)


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
    print(f"labelling: {path} ({written} rows of {config.task}, run {config.run}, mode {config.mode}"
          + (f", {config.activelearning}" if config.activelearning else "") + ")")
    if Path(path).suffix.lower() == ".json":
        print(f"Label Studio labelling configuration:\n{labelling_config(loaded.spec)}")
        if not loaded.spec.class_names:
            print(f"note: {loaded.spec.name} has no class names: write them into data/{loaded.spec.name}/classes.txt "
                  "(one a line) for the configuration's choices", file=sys.stderr)
    earlier = " ".join(map(str, labels_files or []))
    print(f"then: python model_training.py --task {loaded.spec.name} --labels {earlier + ' ' if earlier else ''}{path} "
          "--predict predictions.csv", file=sys.stderr)


def predict(config: RunConfig, labels_files: list[Path], out: Path, model_dir: Path | None,
            predict_file: Path | None) -> None:
    """Train on the labels of ``labels_files``, save the classifier, predict into ``out``."""
    spec, train, test = load_splits(parse_task_name(config.task).spec)
    labelled = read_labels(labels_files, len(train))
    check_texts(labelled, train, spec)
    classes = label_classes(labelled, spec)
    model_dir = Path(model_dir) if model_dir else Path(out).with_name(Path(out).stem + "_model")
    seed = config.seeds[0]
    result = train_and_predict(config.model_name, spec, train, test, labelled, classes, config.settings, seed,
                               Path(out), model_dir, predict_file)
    print(f"classifier: {model_dir} ({len(labelled.rows)} labelled rows, {len(classes)} classes, seed {seed}; "
          "AutoModelForSequenceClassification.from_pretrained loads it)")
    print(f"predictions: {result.path} ({result.rows} rows)")
    print(f"accuracy on the {len(test)} labelled test rows of {spec.name}: {result.accuracy:.4f}" if result.accuracy
          is not None else f"accuracy: not measured ({spec.name} has no labelled test rows; label a held-out sample "
          "into df_test.csv to measure it)")
