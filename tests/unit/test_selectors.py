"""The label-free selectors on synthetic embeddings: coverage, diversity, determinism."""

import os

import numpy as np
import pytest

from activellm.selection.label_free import (DISTANCE_DECIMALS, SelectorError, SelectorSettings, coverage_graph,
                                            kmeans_representatives, nearest_neighbours, probcover, purity_delta,
                                            recorded_delta, typicality, typiclust, vote_k)
from tests.conftest import REPO


def _clusters(points_per_cluster=(40, 30, 20, 10), seed=0):
    """Unit vectors around four orthogonal directions, with the cluster of each row."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for cluster, count in enumerate(points_per_cluster):
        centre = np.eye(8)[cluster] * 5
        rows.append(centre + rng.normal(scale=0.3, size=(count, 8)))
        labels += [cluster] * count
    vectors = np.concatenate(rows)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), np.array(labels)


def test_kmeans_takes_one_representative_per_cluster_largest_first():
    embeddings, clusters = _clusters()
    picks = kmeans_representatives(embeddings, 4, seed=1)
    assert clusters[picks].tolist() == [0, 1, 2, 3] and len(set(picks)) == 4
    assert kmeans_representatives(embeddings, 4, seed=1) == picks  # deterministic for a seed
    # each pick is the member nearest its cluster's mean direction
    centre = embeddings[clusters == 0].mean(axis=0)
    assert picks[0] == int(np.argmax(embeddings[clusters == 0] @ centre))


def test_kmeans_never_repeats_a_row_when_rows_coincide():
    embeddings = np.repeat(np.eye(3, dtype=np.float32), 3, axis=0)  # three points, each three times
    picks = kmeans_representatives(embeddings, 5, seed=0)
    assert len(picks) == len(set(picks)) == 5


def test_nearest_neighbours_exclude_the_row_itself():
    embeddings, _ = _clusters()
    neighbours = nearest_neighbours(embeddings, 5, block=7)
    assert neighbours.shape == (100, 5) and not (neighbours == np.arange(100)[:, None]).any()
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, -np.inf)
    expected = np.sort(np.argsort(-similarity, axis=1)[:, :5], axis=1)
    assert (np.sort(neighbours, axis=1) == expected).all()


def test_vote_k_starts_at_the_densest_cluster_and_then_spreads():
    embeddings, clusters = _clusters()
    picks = vote_k(embeddings, 3, k=10)
    # most votes: the largest cluster; then the discount on its voters moves on to the next densest ones
    assert clusters[picks].tolist() == [0, 1, 2]
    assert vote_k(embeddings, 3, k=10) == picks


def test_vote_k_by_hand_on_a_line():
    """Five points on an arc with growing gaps; k = 1 gives the votes 0->1, 1->0, 2->1, 3->2, 4->3.
    Pick 1: row 1 (two votes). Its voters 0 and 2 now count 1/rho. Pick 2: rows 2 and 3 both have one full vote
    (from 3 and 4): the lower, 2. Pick 3: row 3 (from 4, still full). Pick 4: rows 0 and 4 have no unpicked
    voter left: the lower, 0."""
    angles = np.array([0.0, 0.1, 0.25, 0.45, 0.7])
    embeddings = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    assert nearest_neighbours(embeddings, 1)[:, 0].tolist() == [1, 0, 1, 2, 3]
    assert vote_k(embeddings, 4, k=1) == [1, 2, 3, 0]


@pytest.mark.parametrize("name", ["embedding_kmeans", "vote_k", "typiclust", "probcover"])
def test_selector_names_are_dispatched(name):
    from activellm.selection.label_free import SELECTORS

    embeddings, _ = _clusters()
    assert len(set(SELECTORS[name](embeddings, 6, 3, SelectorSettings(), 2))) == 6


def _arc(angles):
    angles = np.asarray(angles, dtype=np.float64)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_typicality_by_hand():
    """Angles 0, 0.1, 0.2, 1.0 on the unit circle; one neighbour: chord 2 sin(0.05) for the first three rows,
    2 sin(0.4) for the last; typicality 1 / (distance + 1e-5)."""
    values = typicality(_arc([0, 0.1, 0.2, 1.0]), 1)
    near, far = 2 * np.sin(0.05), 2 * np.sin(0.4)
    assert values == pytest.approx([1 / (near + 1e-5)] * 3 + [1 / (far + 1e-5)], rel=1e-4)


def test_typiclust_takes_the_most_typical_row_of_each_cluster_largest_first():
    embeddings, clusters = _clusters()
    picks = typiclust(embeddings, 4, seed=1)
    assert clusters[picks].tolist() == [0, 1, 2, 3] and typiclust(embeddings, 4, seed=1) == picks
    for pick, cluster in zip(picks, range(4)):  # by the definition, row by row
        rows = np.flatnonzero(clusters == cluster)
        k = min(20, len(rows) // 2)
        distances = np.linalg.norm(embeddings[rows][:, None] - embeddings[rows][None], axis=2)
        np.fill_diagonal(distances, np.inf)
        typical = 1 / (np.sort(distances, axis=1)[:, :k].mean(axis=1) + 1e-5)
        assert pick == rows[np.argmax(typical)]


def test_typiclust_leaves_out_clusters_of_five_or_fewer_until_the_others_run_dry():
    embeddings, clusters = _clusters((40, 30, 3))
    assert clusters[typiclust(embeddings, 3, seed=1)].tolist() == [0, 1, 0]
    small = _clusters((3, 2))[0]  # every cluster small: they are used, and no row twice
    assert sorted(typiclust(small, 2, seed=0)) == sorted(set(typiclust(small, 2, seed=0)))


def test_probcover_by_hand():
    """Angles 0, .1, .2, 1, 1.05, 2 and a radius of cosine distance 1 - cos(.15): the balls hold {0,1}, {0,1,2},
    {1,2}, {3,4}, {3,4}, {5}. Greedy: row 1 (3 new), row 3 (2 new, lower than 4), row 5 (1 new); then all are
    covered and the largest unpicked ball goes next: rows 0, 2, 3, 4 hold 2, the lowest is 0."""
    embeddings = _arc([0, 0.1, 0.2, 1.0, 1.05, 2.0])
    assert probcover(embeddings, 4, 1 - np.cos(0.15)) == [1, 3, 5, 0]


def test_probcovers_purity_radius_by_hand():
    """Two groups of three (angles 0, .1, .2 and 1, 1.05, 1.1) split by 2-means; with 6 rows the 5% quantile of the
    distances to the other group is the smallest of them: rows 2 and 3, 1 - cos(0.8)."""
    embeddings = _arc([0, 0.1, 0.2, 1.0, 1.05, 1.1])
    assert purity_delta(embeddings, 2, seed=0) == round(1 - np.cos(0.8), DISTANCE_DECIMALS)


def _ring(rows=40, dimensions=64, seed=3):
    """Evenly spaced points of a circle, turned into ``dimensions`` by a random orthonormal basis: every distance is
    shared by many pairs (all neighbours are equally far apart), so a radius at one of them is where float noise
    decides which pairs fall inside."""
    basis, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dimensions, 2)))
    angles = 2 * np.pi * np.arange(rows) / rows
    return (np.stack([np.cos(angles), np.sin(angles)], axis=1) @ basis.T).astype(np.float32), angles


def test_probcover_picks_do_not_move_with_float_noise_of_1e_7():
    """On the ring, the purity radius is the distance of neighbours, which 40 pairs share: in float32 with a strict
    cut, noise of 1e-7 decided which of them lay inside a ball. Distances in float64 rounded to 1e-4 put all of them
    on the same side, so perturbed embeddings give the same radius and picks."""
    embeddings, angles = _ring()
    exact = np.unique(np.round(1 - np.cos(angles), 12))  # every distance on the ring
    scaled = exact * 10 ** DISTANCE_DECIMALS
    assert np.all(np.abs(scaled - np.floor(scaled) - 0.5) > 0.01)  # none within 1e-6 of a rounding edge
    picks = probcover(embeddings, 8, purity_delta(embeddings, 2, seed=0))
    for seed in range(5):
        noise = np.random.default_rng(seed).normal(scale=1e-7, size=embeddings.shape).astype(np.float32)
        noisy = embeddings + noise
        assert probcover(noisy, 8, purity_delta(noisy, 2, seed=0)) == picks


def test_probcover_balls_in_blocks_match_the_dense_balls():
    embeddings = _clusters()[0]
    delta = 0.2
    dense = (np.round(1.0 - embeddings.astype(np.float64) @ embeddings.T.astype(np.float64), DISTANCE_DECIMALS)
             < delta) | np.eye(len(embeddings), dtype=bool)
    assert (coverage_graph(embeddings, delta).toarray() == dense).all()


def test_typicality_in_blocks_matches_one_block():
    embeddings = _clusters()[0]
    assert np.array_equal(typicality(embeddings, 5, block=7), typicality(embeddings, 5))


def _peak_bytes(run) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("selector", ["probcover", "typiclust", "purity"])
def test_selectors_memory_grows_with_the_rows_not_their_square(selector):
    """Twice the rows: a dense n x n matrix takes four times the memory, blocks of rows twice (tracemalloc sees
    numpy's allocations). 6,000 rows: the dense distances alone would be 288 MB in float64."""
    def peak(rows: int) -> int:
        vectors = np.random.default_rng(0).normal(size=(rows, 16))
        embeddings = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        run = {"probcover": lambda: probcover(embeddings, 4, 0.05),
               "typiclust": lambda: typiclust(embeddings, 1, seed=0),
               "purity": lambda: purity_delta(embeddings, 2, seed=0)}[selector]
        return _peak_bytes(run)

    small, large = peak(3000), peak(6000)
    assert large < 2.6 * small, f"{selector}: {small / 1e6:.0f} MB for 3,000 rows, {large / 1e6:.0f} MB for 6,000"


def test_probcover_radius_must_be_above_zero_and_is_recorded_as_given():
    with pytest.raises(SelectorError, match="above 0"):
        SelectorSettings(probcover_delta=0.0)
    with pytest.raises(SelectorError, match="above 0"):
        SelectorSettings(probcover_delta=-0.1)
    assert recorded_delta(SelectorSettings()) == "purity"
    assert recorded_delta(SelectorSettings(probcover_delta=0.25)) == 0.25


def test_too_few_prompt_rows_name_the_prompt_not_the_selector_pool():
    from activellm.selection import label_free

    with pytest.raises(SelectorError) as error:
        label_free.select_label_free("vote_k", ["a", "b", "c"], "x", 4, 1, SelectorSettings(), among=[0, 2])
    assert "the 2 rows the prompt showed" in str(error.value) and "--selector-pool 0" not in str(error.value)


def test_the_purity_rules_k_means_runs_in_float64(monkeypatch):
    """In float32, k-means' sums differ with the thread count and the CPU's kernels: measured on the main job's run 3,
    one thread against two chose other pseudo-clusters, a radius of 0.3757 against 0.3777 and other picks."""
    from sklearn.cluster import KMeans

    seen = []
    fit = KMeans.fit
    monkeypatch.setattr(KMeans, "fit",
                        lambda self, X, *args, **kwargs: seen.append(np.asarray(X).dtype) or fit(self, X, *args, **kwargs))
    purity_delta(_clusters()[0], 2, seed=0)
    assert seen == [np.float64]


def test_a_prompts_candidates_do_not_depend_on_the_cpus_kernels_or_threads():
    """The 200 candidates of 3,000 rows, as a prompt clusters them, computed under OpenBLAS' Haswell kernels and under
    the machine's own, and with one thread and two: the same rows."""
    import subprocess
    import sys

    script = ("import numpy as np; from threadpoolctl import threadpool_limits; "
              "from activellm.selection.label_free import PROMPT_CANDIDATE_SETTINGS as S, SELECTORS; "
              "rng = np.random.default_rng(0); e = rng.normal(size=(3000, 384)).astype(np.float32); "
              "e /= np.linalg.norm(e, axis=1, keepdims=True); "
              "out = []\n"
              "for threads in (1, 2):\n"
              "    with threadpool_limits(threads): out.append(SELECTORS['embedding_kmeans'](e, 200, 3, S, 2))\n"
              "assert out[0] == out[1], 'threads'; print(out[0])")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           cwd=REPO, env={**os.environ, **extra}).stdout for extra in ({}, {"OPENBLAS_CORETYPE": "Haswell"})]
    assert runs[0] == runs[1] and len(eval(runs[0])) == 200
