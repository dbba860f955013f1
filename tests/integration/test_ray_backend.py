"""automatic_run.py --backend ray on a local Ray instance (2 CPUs): the same results as the local backend, written
by the driver although the cells ran in other folders; skipping and failures as with the local backend."""

import json

import pytest

import automatic_run
from activellm.training.experiment import results_file_order
from activellm.training.results import read_results

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    from activellm.sweep.ray_backend import runtime_env

    ray.init(num_cpus=2, runtime_env=runtime_env(), include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_every_file_of_the_code_travels_to_the_workers_and_the_projects_files_do_not():
    """Ray reads the excludes as .gitignore patterns: the project's data/ and prompts/ stay behind, the package's
    folders of the same names go with the code."""
    from ray._private.runtime_env.packaging import _get_excludes

    from activellm import paths
    from activellm.sweep.ray_backend import EXCLUDES

    left_out = _get_excludes(paths.REPOSITORY, EXCLUDES)
    code = [*paths.REPOSITORY.glob("*.py"), *(paths.REPOSITORY / "activellm").rglob("*.py")]
    assert code and not [path for path in code if left_out(path) or left_out(path.parent)]
    assert all(left_out(paths.REPOSITORY / folder) for folder in ("data", "prompts", "answers", "logs"))


def _sweep(tiny_model, backend, *extra, modes=("baseline",)):
    return automatic_run.main(["--tasks", "tiny_4", "--modes", *modes, "--runs", "1", "--modelclasses", "default",
                               "--activelearning", "None", "random_filtering", "--models", tiny_model, "--seeds", "3",
                               "--epochs", "1", "--backend", backend, *extra, "--extra"])


def _results(project_root):
    csvs = sorted((project_root / "logs" / "run").rglob("run_*.csv"), key=results_file_order)
    return {(r["activelearning"], r["seed"]): (r["accuracy"], r["f1"], r["selected"])
            for p in csvs for r in read_results(p)}


def test_ray_gives_the_local_results_and_then_skips(local_ray, tiny_task, tiny_model, project_root, capsys):
    assert _sweep(tiny_model, "local") == 0
    local = _results(project_root)
    assert _sweep(tiny_model, "ray", "--redo") == 0
    csvs = sorted((project_root / "logs" / "run").rglob("run_*.csv"))
    assert len(csvs) == 4  # two by the local backend, two written by the driver from the Ray tasks
    assert _results(project_root) == local and len(local) == 2  # the newer (Ray) files overwrite the keys
    from activellm.training.environment import git_commit

    for csv_path in csvs:
        assert csv_path.with_suffix(".log").is_file() and csv_path.with_suffix(".json").is_file()
        # the worker's copy of the code has no .git: the driver's commit is recorded for every cell
        assert json.loads(csv_path.with_suffix(".json").read_text())["git"] == git_commit()
    status = json.loads((project_root / "logs" / "sweep" / "status.json").read_text())
    assert status["done"] == 2
    capsys.readouterr()
    assert _sweep(tiny_model, "ray") == 0
    assert "sweep: 0 ran, 2 skipped" in capsys.readouterr().out


def test_a_cell_failing_on_a_worker_is_recorded_and_the_other_finishes(local_ray, tiny_task, tiny_model,
                                                                        project_root):
    assert _sweep(tiny_model, "ray", "--activelearning", "None", modes=("no_such_list", "baseline")) == 1
    status = json.loads((project_root / "logs" / "sweep" / "status.json").read_text())
    assert (status["done"], status["failed"]) == (1, 1)
    (failed,) = [o for o in status["outcomes"] if o["state"] == "failed"]
    assert failed["returncode"] == 2 and any("Missing index list" in line for line in failed["output_tail"])


def test_jobs_auto_counts_the_clusters_resources(local_ray):
    from activellm.sweep.local_backend import AUTO
    from activellm.sweep.ray_backend import RayBackend

    backend = RayBackend(AUTO)
    assert (backend.slots, backend.cpus_per_cell) == (int(ray.cluster_resources()["CPU"]), 1)
