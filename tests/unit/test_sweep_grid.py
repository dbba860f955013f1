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
    assert automatic_run.main(["--tasks", "sst2", "rte", "--modes", "10", "--runs", "3", "--dry-run",
                               "--extra", "--pool-size", "50"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 * len(automatic_run.ACTIVELEARNING)
    assert all(line.startswith("run ") and "--mode 10 --run 3" in line and line.endswith("--pool-size 50")
               for line in lines)
    assert "--task sst2" in lines[0] and "--seeds '42 109 27 158 77'" in lines[0]
