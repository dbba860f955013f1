"""Why a selection wins: its class balance, typicality, diversity, coverage and, for LLM lists, position bias.

Computed after the fact for every run that trains on a selection, from the picks (pool positions), the cached
sentence embeddings of the whole pool and the labels; labels are read here only, never by a selector. Nothing
here feeds back into a selection or a training: a run's picks and results are the same without it
(``--no-diagnostics``). Every value is one CSV column (``diag_*``), the same in every seed's row of a run.

* class balance: the count per class, the share of the majority class, the label entropy over log(C), the classes
  covered, the total variation distance between the picks' class shares and the pool's, and the share of the pool's
  rarest class among the picks beside its share of the pool (with six skewed classes a few picks can miss it);
* typicality: the picks' mean density over the pool's mean density, a row's density being its mean cosine
  similarity to its 20 nearest other pool rows (above 1: the picks sit where the pool is dense);
* diversity: the mean pairwise cosine distance of the picks;
* coverage: the share of the pool within cosine distance 0.5 of some pick (ProbCover's coverage at a fixed radius);
* redundancy: the pairs of picks with cosine similarity of at least 0.95;
* position bias (LLM lists): where in the shown order the picks sit, as rank over shown count (0 first, 1 last;
  0.5 without bias), and the shares picked from the first and the last quarter of the shown instances; and the
  numbers the parser dropped from the answers: repeated, not shown, labelled in an earlier iteration.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from activellm import paths
from activellm.prompts.answers import parse_answer, read_index_list
from activellm.prompts.build import iteration_suffix, read_sidecar, sidecar_paths
from activellm.selection.label_free import cached_per_row, embedding_cache_file, pool_embeddings

DENSITY_NEIGHBOURS = 20
COVERAGE_RADIUS = 0.5  # cosine distance
NEAR_DUPLICATE_SIMILARITY = 0.95


def class_balance(pick_labels: Sequence[int], pool_labels: Sequence[int], classes: int) -> dict[str, object]:
    """Counts per class, majority share, normalised entropy, classes covered, distance to the pool's prior, and the
    pool's rarest class's share among the picks and in the pool (the first such class where several tie)."""
    counts = np.bincount(np.asarray(pick_labels, dtype=int), minlength=classes)[:classes]
    shares = counts / max(1, counts.sum())
    prior = np.bincount(np.asarray(pool_labels, dtype=int), minlength=classes)[:classes] / max(1, len(pool_labels))
    present = shares[shares > 0]
    entropy = float(-(present * np.log(present)).sum() / math.log(classes)) if classes > 1 else 0.0
    return {"diag_class_counts": [int(c) for c in counts], "diag_majority_share": float(shares.max()),
            "diag_label_entropy": entropy, "diag_classes_covered": int((counts > 0).sum()),
            "diag_prior_distance": float(0.5 * np.abs(shares - prior).sum()),
            "diag_rarest_share": float(shares[int(np.argmin(prior))]), "diag_pool_rarest_share": float(prior.min())}


def density(embeddings: np.ndarray, neighbours: int = DENSITY_NEIGHBOURS, block: int = 1024) -> np.ndarray:
    """Each row's mean cosine similarity to its ``neighbours`` most similar other rows (unit vectors)."""
    k = max(1, min(neighbours, len(embeddings) - 1))
    values = np.empty(len(embeddings))
    for start in range(0, len(embeddings), block):
        similarity = embeddings[start:start + block] @ embeddings.T
        rows = np.arange(start, min(start + block, len(embeddings)))
        similarity[rows - start, rows] = -np.inf
        values[rows] = np.partition(-similarity, k - 1, axis=1)[:, :k].mean(axis=1) * -1
    return values


def embedding_diagnostics(embeddings: np.ndarray, picks: Sequence[int], pool_density: np.ndarray) -> dict[str, float]:
    """Typicality, diversity, coverage and near-duplicate pairs of ``picks`` among the pool's ``embeddings``."""
    chosen = embeddings[list(picks)]
    similarity = chosen @ chosen.T
    upper = np.triu_indices(len(picks), k=1)
    return {"diag_typicality": float(pool_density[list(picks)].mean() / pool_density.mean()),
            "diag_diversity": float((1.0 - similarity[upper]).mean()) if len(picks) > 1 else 0.0,
            "diag_coverage": float(((1.0 - embeddings @ chosen.T) < COVERAGE_RADIUS).any(axis=1).mean()),
            "diag_near_duplicates": int((similarity[upper] >= NEAR_DUPLICATE_SIMILARITY).sum())}


def position_bias(ranks: Sequence[tuple[int, int]]) -> dict[str, float]:
    """From (rank in the shown order, shown count) per pick: the mean relative rank and the first/last-quarter
    shares; empty without ranks."""
    if not ranks:
        return {}
    relative = np.array([rank / max(1, count - 1) for rank, count in ranks])
    return {"diag_position_mean": float(relative.mean()),
            "diag_position_first_quarter": float(np.mean([rank < count / 4 for rank, count in ranks])),
            "diag_position_last_quarter": float(np.mean([rank >= count * 3 / 4 for rank, count in ranks]))}


def _pool_density(data_name: str, model: str, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
    """The densities of the pool's rows, cached beside its embeddings."""
    cache = embedding_cache_file(data_name, model, texts)
    return cached_per_row(cache.with_name(f"{cache.stem}_density{DENSITY_NEIGHBOURS}.npy"), texts,
                          lambda order: density(embeddings)[order])


def llm_list_diagnostics(tag: str, mode: str, run: int, n: int, examples: int) -> dict[str, float]:
    """Position bias and parser drops of the first ``n`` numbers of an LLM's list, read through the sidecars of the
    prompts that were answered (iteration j's k picks from prompt j); the drops are those of the answers to
    iterations 1..ceil(n/k), the ones the run trains on; empty where no sidecar exists."""
    sidecars: dict[int, dict] = {}
    for path in sidecar_paths(tag, mode, run):
        sidecar = read_sidecar(path)
        sidecars.setdefault(int(sidecar.get("iteration") or 1), sidecar)
    if not sidecars:
        return {}
    numbers = read_index_list(paths.list_file(tag, mode, run), n)
    continuous = max(sidecars) > 1 or any(s.get("continuous") for s in sidecars.values())
    ranks, drops = [], {"diag_llm_repeated": 0, "diag_llm_not_shown": 0, "diag_llm_already_labelled": 0}
    for i, number in enumerate(numbers):
        sidecar = sidecars.get(i // examples + 1 if continuous else 1)
        shown = [int(s["number"]) for s in sidecar["shown"]] if sidecar else []
        if number in shown:
            ranks.append((shown.index(number), len(shown)))
    trained_on = -(-n // examples) if continuous else 1  # iterations 1..i of the run, not later ones saved since
    for iteration, sidecar in sidecars.items():
        if iteration > trained_on:
            continue
        answer = paths.answer_dir(tag, mode) / f"answer_{run}{iteration_suffix(iteration)}.txt"
        if not answer.is_file():
            continue
        parsed = parse_answer(answer.read_text(encoding="utf-8"), int(sidecar.get("examples") or examples),
                              {int(s["number"]) for s in sidecar["shown"]},
                              {int(s["index"]): int(s["number"]) for s in sidecar["shown"]},
                              sidecar.get("labeled_before") or [])
        drops["diag_llm_repeated"] += len(parsed.duplicates)
        drops["diag_llm_not_shown"] += len(parsed.not_shown)
        drops["diag_llm_already_labelled"] += len(parsed.already_labeled)
    return {**position_bias(ranks), **drops}


def selection_diagnostics(picks: Sequence[int], pick_labels: Sequence[int], pool_labels: Sequence[int],
                          classes: int, data_name: str, texts: Sequence[str], embedding_model: str) -> dict:
    """Class balance and the embedding diagnostics of ``picks`` (pool positions) in a pool of ``texts``."""
    values: dict[str, object] = class_balance(pick_labels, pool_labels, classes) if classes > 1 else {}
    embeddings = pool_embeddings(data_name, embedding_model, list(texts))
    values.update(embedding_diagnostics(embeddings, picks,
                                        _pool_density(data_name, embedding_model, list(texts), embeddings)))
    return values


def describe(values: dict) -> str:
    """The diagnostics as one line for a run's output and .log."""
    def shown(value: object) -> str:
        return " ".join(map(str, value)) if isinstance(value, list) else f"{value:.4g}" if isinstance(value, float) \
            else str(value)

    return "selection diagnostics: " + ", ".join(f"{name[5:]} {shown(value)}" for name, value in values.items())
