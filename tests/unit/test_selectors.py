"""The label-free selectors on synthetic embeddings: coverage, diversity, determinism."""

import numpy as np
import pytest

from activellm.selectors import kmeans_representatives, nearest_neighbours, vote_k


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


@pytest.mark.parametrize("name", ["embedding_kmeans", "vote_k"])
def test_selector_names_are_dispatched(name):
    from activellm.selectors import SELECTORS

    embeddings, _ = _clusters()
    assert len(set(SELECTORS[name](embeddings, 6, 3))) == 6
