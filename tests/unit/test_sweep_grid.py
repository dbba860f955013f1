import automatic_run
from activellm.sweep import Grid, expand


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


def test_invalid_combinations_are_flagged_not_run():
    cells = expand(_grid(tasks=["rotten_tomatoes"], modes=["baseline"], runs=[1],
                         activelearning=["random_filtering", "Entropy"], warmstart=[False, True]),
                   automatic_run.parse_cell)
    valid = [c for c in cells if c.problem is None]
    assert [c.config.activelearning for c in valid] == ["random_filtering"]
    assert any("Valid: random_filtering" in c.problem for c in cells if c.problem)


def test_overrides_and_dry_run(project_root, capsys):
    assert automatic_run.main(["--tasks", "sst2", "rte", "--modes", "10", "--runs", "3", "--modelclasses", "default",
                               "--activelearning", "None", "vote_k", "--dry-run", "--extra", "--pool-size", "50"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 * 2
    assert all(line.startswith("run ") and "--mode 10 --run 3" in line and line.endswith("--pool-size 50")
               for line in lines)
    assert "--task sst2" in lines[0] and "--seeds 42" in lines[0]


def test_the_main_jobs_grid_runs_every_arm_on_every_run(project_root, capsys):
    """The default grid: baseline, k-means, vote-k and PredictionEntropy at 32 labels on five runs; the
    combinations that cannot run are only listed."""
    assert automatic_run.main(["--dry-run"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    runnable = [line for line in lines if line.startswith("run ")]
    arms = sorted({(line.split("--modelclass ")[1].split()[0],
                    line.split("--activelearning ")[1].split()[0] if "--activelearning" in line else "-")
                   for line in runnable})
    assert arms == [("default", "-"), ("default", "embedding_kmeans"), ("default", "vote_k"),
                    ("smalltext", "PredictionEntropy")]
    assert len(runnable) == 4 * 5 and all("--train-batch-size 8" in line for line in runnable)
    assert all(line.startswith("invalid: ") for line in lines if line not in runnable)
    valid = [c.config for c in expand(_default_grid(), automatic_run.parse_cell) if c.problem is None]
    assert len(valid) == 20 and sum(config.uses_selector for config in valid) == 10
    assert {config.settings.train_batch_size for config in valid} == {8}


def _default_grid():
    return Grid(automatic_run.TASK, automatic_run.MODES, automatic_run.RUNS, automatic_run.MODELCLASS,
                automatic_run.ACTIVELEARNING, automatic_run.WARMSTART, automatic_run.MODEL, automatic_run.SEEDS,
                automatic_run.EPOCHS, automatic_run.EXTRA_ARGS)


def test_a_cell_waiting_for_its_llm_list_is_checked_for_finished_results_once(project_root, tmp_path, monkeypatch):
    from activellm import sweep

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

    lookups = []
    monkeypatch.setattr(sweep, "find_complete_results", lambda config: lookups.append(config) and None)
    cell = expand(_grid(tasks=["rotten_tomatoes"], modes=["10"], runs=[1]), automatic_run.parse_cell)[0]
    keeper = Keeper()
    outcomes = sweep.Sweep([cell], status_path=tmp_path / "status.json", log_dir=tmp_path, lists={cell.name: "list"},
                           keeper=keeper, backend=Backend()).run()
    assert [o.state for o in outcomes] == ["done"] and keeper.list.looks == 4
    assert len(lookups) == 1  # not once per look while the list was on its way
