"""Bad input gets one clear error naming the option and what it expects, never a traceback."""

import pytest


@pytest.mark.parametrize("script, argv, message", [
    ("model_training", ["--task", "rotten_tomatoes", "--query-size", "0"], "--query-size: expected a whole number of at least 1"),
    ("model_training", ["--task", "rotten_tomatoes", "--query-size", "-5"], "--query-size: expected a whole number"),
    ("model_training", ["--task", "rotten_tomatoes", "--budget", "0"], "--budget: expected"),
    ("model_training", ["--task", "rotten_tomatoes", "--seeds", ""], "--seeds: expected one or more seeds"),
    ("model_training", ["--task", "rotten_tomatoes", "--seeds", "1 -2"], "--seeds: seeds are whole numbers of at least 0"),
    ("model_training", ["--task", "rotten_tomatoes", "--run", "-1"], "--run: expected a whole number of at least 0"),
    ("prompt_generation", ["--task", "rotten_tomatoes", "--examples", "0"], "--examples: expected a whole number of at least 1"),
    ("prompt_generation", ["--task", "rotten_tomatoes", "--run", "-3"], "--run: expected"),
    ("automatic_run", ["--runs", "-1", "--dry-run"], "--runs: expected"),
])
def test_bad_numbers_are_one_clear_error(script, argv, message, capsys):
    import importlib

    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(script).main(argv)
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and message in error and "Traceback" not in error


def test_a_warm_start_from_baseline_is_refused_before_anything_loads(project_root, capsys):
    import model_training

    assert model_training.main(["--task", "rotten_tomatoes", "--modelclass", "smalltext", "--activelearning", "BALD",
                                "--warmstart", "--mode", "baseline"]) == 2
    assert "A warm start begins with the picks" in capsys.readouterr().err
    assert not (project_root / "logs").exists() and not (project_root / "data").exists()
