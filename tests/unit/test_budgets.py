"""The budget axis: task names per k, random-equivalent labels on made-up curves, the grid's cells per budget."""

import math

import pytest

import automatic_run
from activellm.data.tasks import budget_task, names_budget
from activellm.errors import UserError
from activellm.reporting.budgets import (ABOVE, BELOW, add_random_equivalents, equivalent_phrase,
                                         equivalent_with_interval, format_equivalent, random_equivalent,
                                         simulated_worth_coverage)
from activellm.reporting.summary import summarize
from activellm.sweep.grid import Grid, expand

BUDGETS = [16, 32, 64]


def test_the_equivalent_is_linear_in_log_k_between_the_budgets_measured():
    curve = [0.5, 0.6, 0.7]
    assert random_equivalent(BUDGETS, curve, 0.6) == pytest.approx(32)
    assert random_equivalent(BUDGETS, curve, 0.5) == pytest.approx(16)
    assert random_equivalent(BUDGETS, curve, 0.7) == pytest.approx(64)
    assert random_equivalent(BUDGETS, curve, 0.65) == pytest.approx(math.sqrt(32 * 64))  # halfway in log k
    assert random_equivalent(BUDGETS, curve, 0.625) == pytest.approx(32 * 2 ** 0.25)
    assert random_equivalent([64, 16, 32], [0.7, 0.5, 0.6], 0.65) == pytest.approx(math.sqrt(32 * 64))  # any order


def test_outside_the_budgets_measured_it_says_so_and_never_extrapolates():
    curve = [0.5, 0.6, 0.7]
    assert random_equivalent(BUDGETS, curve, 0.71) == ABOVE
    assert random_equivalent(BUDGETS, curve, 0.49) == BELOW
    assert format_equivalent(ABOVE, BUDGETS) == "above 64" and format_equivalent(BELOW, BUDGETS) == "below 16"
    assert format_equivalent(45.254, BUDGETS) == "45.3" and format_equivalent(None, BUDGETS) == ""


def test_a_dip_of_the_random_curve_is_noise_not_a_loss():
    # 64 random labels scoring below 32 does not make 0.68 "worth 40-odd labels": the fewest that reach it count
    curve = [0.5, 0.7, 0.65]
    assert random_equivalent(BUDGETS, curve, 0.68) == pytest.approx(16 * 2 ** 0.9)
    assert random_equivalent(BUDGETS, curve, 0.7) == pytest.approx(32)
    assert random_equivalent(BUDGETS, curve, 0.71) == ABOVE


def test_the_interval_pairs_the_arm_and_the_curve_by_run():
    # Runs differ a lot (each run's pool is easier or harder), the arm sits at the curve's value for 45.25 labels in
    # every run: comparing each run's arm with that run's curve keeps the equivalent near 45; unpaired it would not.
    offsets = {str(r): 0.1 * ((r * 7) % 5 - 2) for r in range(1, 9)}
    curve = {k: {r: 0.5 + 0.1 * math.log2(k / 16) + o for r, o in offsets.items()} for k in BUDGETS}
    arm = {r: 0.65 + o for r, o in offsets.items()}
    found = equivalent_with_interval(arm, curve)
    point, low, high = found.point, found.low, found.high
    assert point == pytest.approx(math.sqrt(32 * 64))
    assert math.sqrt(32 * 64) - 0.5 < low <= high < math.sqrt(32 * 64) + 0.5


def test_the_interval_says_above_the_largest_budget_where_the_runs_do():
    curve = {k: {"1": 0.5 + k / 1000, "2": 0.52 + k / 1000, "3": 0.49 + k / 1000} for k in BUDGETS}
    found = equivalent_with_interval({"1": 0.9, "2": 0.95, "3": 0.92}, curve)
    assert (found.point, found.low, found.high) == (ABOVE, ABOVE, ABOVE)
    mixed = equivalent_with_interval({"1": 0.50, "2": 0.60, "3": 0.58}, curve)
    assert mixed.low == BELOW and mixed.high != BELOW  # the runs do not rule out less than the curve's first point
    assert equivalent_with_interval({"9": 0.6}, curve) is None  # no run in common
    one = equivalent_with_interval({"1": 0.6}, curve)
    assert (one.low, one.high) == (None, None)  # one run: no interval


def _row(k, activelearning, run, accuracy, task="rotten_tomatoes"):
    return {"task": budget_task(task, k), "tag": task, "mode": "baseline", "modelclass": "default",
            "activelearning": activelearning, "warmstart": "False", "run": str(run), "seed": "42", "n_train": str(k),
            "model": "minilm", "epochs": "25", "accuracy": str(accuracy), "status": "ok"}


def test_the_summary_prices_each_arm_on_the_random_curve_of_its_task_and_model():
    rows = [_row(k, "", run, 0.5 + 0.05 * BUDGETS.index(k) + 0.01 * run) for k in BUDGETS for run in (1, 2, 3)]
    rows += [_row(32, "embedding_kmeans", run, 0.575 + 0.01 * run) for run in (1, 2, 3)]  # the curve at 45.25
    rows += [_row(32, "typiclust", run, 0.9) for run in (1, 2, 3)]
    summary = summarize(rows)
    add_random_equivalents(summary, rows)
    by_arm = {(e["activelearning"], e["n_train"]): e for e in summary}
    kmeans = by_arm[("embedding_kmeans", "32")]
    assert kmeans["random_equivalent"] == "45.3" and kmeans["random_equivalent_ci_low"] == "45.3"
    assert by_arm[("typiclust", "32")]["random_equivalent"] == "above 64"
    assert all(by_arm[("", str(k))]["random_equivalent"] == "" for k in BUDGETS)  # the curve itself


def test_task_names_per_budget():
    assert budget_task("rotten_tomatoes", 16) == "rotten_tomatoes_16"
    assert budget_task("rotten_tomatoes", 32) == "rotten_tomatoes"  # the paper's folders name 32 without a suffix
    assert not names_budget("rotten_tomatoes")
    assert names_budget("rotten_tomatoes_16") and names_budget("sst2_25_cont_index_recap_4")


def _grid(**overrides):
    values = dict(tasks=["rotten_tomatoes"], modes=["baseline"], runs=[1], modelclasses=["default", "smalltext"],
                  activelearning=["None", "embedding_kmeans", "PredictionEntropy"], warmstart=[False],
                  models=["minilm"], seeds=[42], epochs=[25], extra_args=["--pool-size", "2000"],
                  budgets=[16, 32], random_budgets=[64])
    values.update(overrides)
    return Grid(**values)


def _arms(cells):
    return sorted((c.config.task, c.config.modelclass, c.config.activelearning or "random") for c in cells
                  if c.problem is None)


def test_every_arm_at_every_budget_and_random_also_at_its_own():
    cells = expand(_grid(), automatic_run.parse_cell)
    assert _arms(cells) == sorted([
        *((task, "default", arm) for task in ("rotten_tomatoes_16", "rotten_tomatoes")
          for arm in ("random", "embedding_kmeans")),
        ("rotten_tomatoes_16", "smalltext", "PredictionEntropy"), ("rotten_tomatoes", "smalltext", "PredictionEntropy"),
        ("rotten_tomatoes_64", "default", "random")])
    smalltext = {c.config.task: c.config.active for c in cells
                 if c.problem is None and c.config.modelclass == "smalltext"}
    assert (smalltext["rotten_tomatoes_16"].budget, smalltext["rotten_tomatoes_16"].query_size) == (16, 8)
    assert (smalltext["rotten_tomatoes"].budget, smalltext["rotten_tomatoes"].query_size) == (32, 16)
    assert not any("--budget" in c.argv for c in cells if c.problem is None and c.config.modelclass == "default")


def test_a_task_that_names_its_k_keeps_it_and_a_fixed_budget_is_refused():
    cells = expand(_grid(tasks=["rotten_tomatoes_8"], modelclasses=["default"]), automatic_run.parse_cell)
    assert _arms(cells) == [("rotten_tomatoes_8", "default", "embedding_kmeans"),
                            ("rotten_tomatoes_8", "default", "random")]
    kept = expand(_grid(extra_args=["--query-size", "4"]), automatic_run.parse_cell)
    assert {c.config.active.query_size for c in kept if c.problem is None and c.config.modelclass == "smalltext"} == {4}
    with pytest.raises(UserError, match="--budget in EXTRA_ARGS/--extra conflicts with the budget axis"):
        expand(_grid(extra_args=["--budget", "32"]), automatic_run.parse_cell)
    fixed = expand(_grid(tasks=["rotten_tomatoes_8"], extra_args=["--budget", "6"]), automatic_run.parse_cell)
    assert {c.config.active.budget for c in fixed if c.problem is None and c.config.modelclass == "smalltext"} == {6}


def test_the_budget_options_on_the_command_line(project_root, capsys):
    assert automatic_run.main(["--budgets", "16", "--random-budgets", "8", "--runs", "1", "--modelclasses", "default",
                               "--activelearning", "None", "vote_k", "--dry-run", "--extra"]) == 0
    tasks = sorted(line.split("--task ")[1].split()[0] + " " + ("vote_k" if "vote_k" in line else "random")
                   for line in capsys.readouterr().out.splitlines())
    assert tasks == ["rotten_tomatoes_16 random", "rotten_tomatoes_16 vote_k", "rotten_tomatoes_8 random"]
    assert automatic_run.main(["--runs", "1", "--dry-run", "--extra", "--budget", "8"]) == 2
    assert "conflicts with the budget axis" in capsys.readouterr().err


def test_a_task_at_several_budgets_is_labelled_by_k_not_by_its_task_names():
    from activellm.reporting.summary import group_key, selection_labels

    entries = [{"task": budget_task("rotten_tomatoes", k), "mode": "baseline", "modelclass": "default",
                "activelearning": "", "warmstart": "False", "model": "minilm", "n_train": str(k)} for k in BUDGETS]
    labels = selection_labels(entries)
    assert [labels[group_key(e)] for e in entries] == [f"random (baseline)\nn train {k}" for k in BUDGETS]
    other = {**entries[1], "task": "imdb"}
    assert "task imdb" in selection_labels([*entries, other])[group_key(other)]


def test_the_stopping_rule_options_go_together(project_root, capsys):
    for argv in (["--until-width", "0.02"], ["--max-runs", "20"], ["--until-width", "0.02", "--max-runs", "3"]):
        with pytest.raises(SystemExit):
            automatic_run.main([*argv, "--dry-run"])
    err = capsys.readouterr().err
    assert "--until-width W and --max-runs N go together" in err and "--max-runs 3 is below the 10 runs" in err


def test_the_worths_95_percent_interval_covers_the_true_value_at_least_94_percent_of_the_time():
    """At the main job's scale (10 runs; random 0.545 / 0.605 / 0.656 at 16 / 32 / 64): a percentile bootstrap over
    runs covered 90%; the inverted paired t-test covers about 95%. The bound: 94% less two standard errors."""
    repetitions = 1000
    coverage = simulated_worth_coverage(repetitions)
    assert coverage >= 0.94 - 2 * (0.94 * 0.06 / repetitions) ** 0.5


def _worth_rows(random_runs):
    rows = [_row(k, "", run, 0.5 + 0.05 * BUDGETS.index(k) + 0.01 * run + 0.003 * (run % 3))
            for k in BUDGETS for run in random_runs.get(k, range(1, 11))]
    rows += [_row(32, "embedding_kmeans", run, 0.575 + 0.01 * run + 0.002 * (run % 2)) for run in range(1, 11)]
    summary = summarize(rows)
    add_random_equivalents(summary, rows)
    return next(e for e in summary if e["activelearning"] == "embedding_kmeans")


def test_the_worth_uses_every_budget_with_the_arms_runs_and_says_how_many():
    complete = _worth_rows({})
    assert complete["random_equivalent_runs"] == 10 and complete["random_equivalent_note"] == ""
    assert "over 10 runs" in equivalent_phrase(complete)
    # random at 64 on 3 runs only: the worth rests on the 10 runs of 16 and 32, and says that 64 was left out
    short = _worth_rows({64: range(1, 4)})
    assert short["random_equivalent_runs"] == 10 and short["random_equivalent"] == "above 32"
    assert short["random_equivalent_note"] == "random at 64 lacks 7 of the 10 runs"
    assert "over 10 runs (random at 64 lacks 7 of the 10 runs: left out of the curve)" in equivalent_phrase(short)
    # 64 measured on other runs: 16 and 32 still make a curve
    other = _worth_rows({64: range(11, 21)})
    assert other["random_equivalent"] == "above 32" and other["random_equivalent_runs"] == 10


def test_no_worth_without_two_budgets():
    alone = _worth_rows({16: (), 64: ()})
    assert alone["random_equivalent"] == "" and alone["random_equivalent_ci_low"] == ""
    assert "random is measured at one budget only" in equivalent_phrase(alone)
    lacking = _worth_rows({16: range(1, 4), 64: range(1, 4)})
    assert lacking["random_equivalent"] == ""
    assert "random at 16 lacks 7 of the 10 runs" in equivalent_phrase(lacking)


def test_budgets_without_values_run_every_arm_at_each_tasks_own_k(project_root, capsys):
    assert automatic_run.main(["--budgets", "--runs", "1", "--dry-run"]) == 0
    tasks = sorted(line.split("--task ")[1].split()[0] + " " + (line.split("--activelearning ")[1].split()[0]
                                                                if "--activelearning" in line else "random")
                   for line in capsys.readouterr().out.splitlines())
    assert tasks == ["rotten_tomatoes embedding_kmeans", "rotten_tomatoes random", "rotten_tomatoes typiclust",
                     "rotten_tomatoes_16 random", "rotten_tomatoes_64 random"]


def test_a_budget_in_the_extra_options_is_refused_in_either_spelling(project_root, capsys):
    assert automatic_run.main(["--runs", "1", "--dry-run", "--extra", "--budget=32"]) == 2
    assert "conflicts with the budget axis" in capsys.readouterr().err


def test_a_small_text_cell_of_a_task_that_names_its_k_gets_that_budget():
    cells = expand(_grid(tasks=["rotten_tomatoes_16"], activelearning=["PredictionEntropy"],
                         modelclasses=["smalltext"]), automatic_run.parse_cell)
    assert [(c.config.active.budget, c.config.active.query_size) for c in cells if c.problem is None] == [(16, 8)]


def test_the_worth_lies_within_its_own_interval_where_random_dips():
    """Random 0.596 / 0.562 / 0.654 at 16 / 32 / 64 and an arm at 0.6056: a running maximum read 35.8 against an
    interval of [42.3, 47.1]; the curve the interval inverts meets the arm at 44.4."""
    import numpy as np

    spread = np.array([-0.02, 0.01, 0.015, -0.005, 0.0, 0.01, -0.01, 0.005, -0.015, 0.01])
    curve = {16: 0.596, 32: 0.562, 64: 0.654}
    means = {k: {str(r): mean + spread[r] for r in range(10)} for k, mean in curve.items()}
    arm = {str(r): 0.6056 + spread[r] + 0.002 * (-1) ** r for r in range(10)}
    found = equivalent_with_interval(arm, means)
    assert found.point == pytest.approx(32 * 2 ** ((0.6056 - 0.562) / (0.654 - 0.562)), rel=1e-6)
    assert found.low <= found.point <= found.high


def test_the_worth_lies_within_its_interval_on_any_curve():
    import numpy as np

    draw = np.random.default_rng(7)
    for _ in range(300):
        truth = draw.uniform(0.5, 0.7, 3)  # rising, dipping or falling
        shared = draw.normal(0, 0.02, 8)
        means = {k: {str(r): truth[i] + shared[r] + draw.normal(0, 0.02) for r in range(8)}
                 for i, k in enumerate(BUDGETS)}
        arm = {str(r): draw.uniform(0.5, 0.7) + shared[r] for r in range(8)}
        found = equivalent_with_interval(arm, means)
        assert found.low <= found.point <= found.high, (truth, found)
