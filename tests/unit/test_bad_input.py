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
    ("automatic_run", ["--diagnostics", "--dry-run"], "use --summary --diagnostics"),  # once silently ignored
    # a radius of 0 was recorded as the purity rule while it ran with a radius of 0
    ("model_training", ["--task", "rotten_tomatoes", "--probcover-delta", "0"], "--probcover-delta: expected a finite "
                                                                                "number above 0"),
    ("model_training", ["--task", "rotten_tomatoes", "--probcover-delta", "-0.2"], "--probcover-delta: expected"),
    ("model_training", ["--task", "rotten_tomatoes", "--probcover-delta", "nan"], "--probcover-delta: expected"),
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


@pytest.mark.parametrize("delta, recorded", [(None, "purity"), (0.25, "0.25"), (1e-3, "0.001")])
def test_the_recorded_probcover_radius_is_the_one_that_runs(delta, recorded):
    """The CSV and the labelled list's configuration name the radius ProbCover ran with."""
    from activellm.selection.label_free import SelectorSettings
    from activellm.training.experiment import RunConfig, labelled_list_configuration

    selector = SelectorSettings(probcover_delta=delta)
    config = RunConfig("rotten_tomatoes", "baseline", 1, activelearning="probcover", selector=selector)
    assert config.identity()["probcover_delta"] == recorded
    warm = RunConfig("rotten_tomatoes", "probcover", 1, modelclass="smalltext", activelearning="BALD",
                     warmstart=True, selector=selector)
    assert labelled_list_configuration(warm)["probcover_delta"] == recorded
