"""automatic_run.py for real: two-cell sweeps on the tiny model, skipping, --redo, failures, --jobs."""

import json

import automatic_run
import model_training
from activellm.training.experiment import find_complete_results, results_file_order
from activellm.training.results import read_results


def _sweep(tiny_model, *extra, modes=("baseline",)):
    return automatic_run.main(["--tasks", "tiny_4", "--modes", *modes, "--runs", "1", "--modelclasses", "default",
                               "--activelearning", "None", "random_filtering", "--models", tiny_model, "--seeds", "3",
                               "--epochs", "1", *extra, "--extra"])


def _status(project_root):
    return json.loads((project_root / "logs" / "sweep" / "status.json").read_text())


def _accuracies(project_root):
    found = {}
    for path in sorted((project_root / "logs" / "run").rglob("run_*.csv"), key=results_file_order):
        for row in read_results(path):
            found[(row["activelearning"], row["seed"])] = (row["accuracy"], row["f1"])
    return found


def test_two_cell_sweep_then_skip_then_redo(tiny_task, tiny_model, project_root, capsys):
    assert _sweep(tiny_model) == 0
    status = _status(project_root)
    assert status["cells"] == 2 and status["done"] == 2 and status["failed"] == 0
    out = capsys.readouterr().out
    assert "sweep: 2 ran, 0 skipped, 0 failed" in out and "| tiny_4 | baseline | default |" in out
    assert (project_root / "logs" / "run" / "summary.csv").is_file()
    # a sweep ends with its table and the path of its plot
    plot = project_root / "logs" / "run" / "plots" / "fewshot.png"
    assert f"plot: {plot}" in out and plot.read_bytes()[:4] == b"\x89PNG"
    assert len(list((project_root / "logs" / "sweep").glob("*.log"))) == 2  # each cell's own output
    assert _sweep(tiny_model) == 0
    assert "sweep: 0 ran, 2 skipped" in capsys.readouterr().out
    assert _sweep(tiny_model, "--redo") == 0
    assert "sweep: 2 ran, 0 skipped" in capsys.readouterr().out
    assert len(list((project_root / "logs" / "run").rglob("run_*.csv"))) == 4


def test_a_failing_cell_is_recorded_while_the_others_finish(tiny_task, tiny_model, project_root, capsys):
    assert _sweep(tiny_model, "--activelearning", "None", modes=("no_such_list", "baseline")) == 1
    status = _status(project_root)
    assert (status["done"], status["failed"]) == (1, 1)
    (failed,) = [o for o in status["outcomes"] if o["state"] == "failed"]
    assert failed["returncode"] == 2 and "--mode" in failed["command"] and "no_such_list" in failed["command"]
    assert any("Missing index list" in line for line in failed["output_tail"])
    captured = capsys.readouterr()
    assert "1 failed" in captured.out and "no_such_list" in captured.err


def test_jobs_2_gives_the_results_of_jobs_1(tiny_task, tiny_model, project_root, capsys):
    assert _sweep(tiny_model, "--jobs", "2") == 0
    parallel = _accuracies(project_root)
    assert _sweep(tiny_model, "--redo", "--jobs", "1") == 0
    sequential = _accuracies(project_root)  # the newer files (sorted last) overwrite the keys
    assert len(parallel) == 2 and parallel == sequential


def test_summary_alone(tiny_task, tiny_model, project_root, capsys):
    assert automatic_run.main(["--summary"]) == 0
    assert "No finished runs" in capsys.readouterr().out
    _sweep(tiny_model, "--activelearning", "None")
    capsys.readouterr()
    assert automatic_run.main(["--summary", "--no-plot", "--all-results"]) == 0
    assert "fewshot.png" not in capsys.readouterr().out
    assert automatic_run.main(["--summary", "--all-results"]) == 0
    out = capsys.readouterr().out
    assert "| tiny_4 |" in out and "plot: " in out and "fewshot.png" in out


def test_an_interrupted_run_leaves_no_results_csv(tiny_task, tiny_model, project_root, monkeypatch):
    from activellm.training import experiment

    calls = []
    original = experiment.fit

    def fail_on_second_seed(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(experiment, "fit", fail_on_second_seed)
    argv = ["--task", "tiny_4", "--model", tiny_model, "--seeds", "1 2", "--epochs", "1"]
    try:
        model_training.main(argv)
    except KeyboardInterrupt:
        pass
    assert not list((project_root / "logs" / "run").rglob("*.csv"))
    (partial,) = (project_root / "logs" / "run").rglob("*.csv.partial")
    assert [r["seed"] for r in read_results(partial)] == ["1"]  # the finished seed is kept
    assert find_complete_results(automatic_run.parse_cell(argv)) is None


def test_a_named_grid_reports_its_own_configurations_apart(tiny_task, tiny_model, project_root, capsys, monkeypatch):
    monkeypatch.setitem(automatic_run.GRIDS, "pair", {
        "TASK": ["tiny_4"], "MODES": ["baseline"], "RUNS": [1, 2], "CONFIRM_RUNS": [], "RANDOM_BUDGETS": [],
        "ACTIVELEARNING": ["None", "random_filtering"], "MODEL": [tiny_model], "SEEDS": [3], "EPOCHS": [1],
        "EXTRA_ARGS": []})
    assert automatic_run.main(["--grid", "pair", "--dry-run"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 4 and all("--task tiny_4" in line and f"--model {tiny_model}" in line for line in listed)
    assert _sweep(tiny_model, "--activelearning", "None") == 0  # another grid: tiny_4 run 1, random alone
    capsys.readouterr()
    assert automatic_run.main(["--grid", "pair"]) == 0  # its run-1 random cell is the other grid's: skipped
    out = capsys.readouterr().out
    assert "sweep: 3 ran, 1 skipped" in out and "| random_filtering |" in out
    report = project_root / "logs" / "run" / "pair"
    assert (report / "summary.csv").is_file() and (report / "verdict.md").is_file()
    assert (report / "plots" / "differences.png").is_file()
    # the other grid's summary holds its own configuration only, and says what it left out
    assert _sweep(tiny_model, "--activelearning", "None", "--summary") == 0
    captured = capsys.readouterr()
    assert "random_filtering" not in captured.out and "| tiny_4 |" in captured.out
    assert "3 result rows under logs/run belong to other grids and are left out" in captured.err  # run 2 as well
