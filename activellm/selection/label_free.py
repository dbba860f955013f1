"""Label-free cold-start selectors: which k instances to label when no label exists yet, without an LLM.

All read sentence embeddings of the candidate rows, never a label:

* ``embedding_kmeans``: k-means with N clusters (seeded by the run) on the normalised embeddings; from each
  cluster the row nearest its centre, largest cluster first. The cold-start core of ALPS (Yuan et al., 2020) and
  PATRON (Yu et al., 2023), and small-text's EmbeddingKMeans without a trained model.
* ``vote_k``: the graph stage of vote-k (Su et al., 2022, "Selective Annotation Makes Language Models Better
  Few-Shot Learners"; their "fast vote-k"): every row votes for its k = 150 nearest neighbours (cosine); a pick
  maximises the votes of unpicked rows, each vote worth rho^-c (rho = 10) where c counts the voter's neighbours
  already picked, so that picks cover the pool while staying diverse. Vote-k's second stage needs a model's
  confidence and so labels; a cold start has none, which is why its authors' fast variant is used throughout.
* ``typiclust`` (Hacohen, Dekel and Weinshall, ICML 2022, "Active Learning on a Budget"): k-means into N clusters
  (seeded by the run); clusters of at most 5 rows are left out (unless all are that small); the largest cluster
  first, one pick per cluster and round, the row of highest typicality within its cluster: the inverse of its mean
  Euclidean distance (on the unit vectors) to its min(20, size/2) nearest neighbours among the cluster's unpicked
  rows. That is the paper's formula; the authors' code averages squared distances (faiss ``IndexFlatL2`` returns
  squares), which can rank two rows the other way. The paper's definition is what the method is cited for, so the
  root is taken here.
* ``probcover`` (Yehuda, Dekel, Hacohen and Weinshall, NeurIPS 2022, "Active Learning Through a Covering Lens"):
  greedy maximum coverage of balls of cosine distance delta: each pick is the row whose ball holds the most rows not
  yet covered (ties: the lowest row); once all are covered, the rows of largest ball go next. delta is
  ``--probcover-delta``, or the paper's purity rule without labels: the rows are split into C k-means clusters (C the
  task's number of classes, seeded by the run) and delta is the largest radius at which at least 95% of the balls
  hold rows of one cluster only (the 5% quantile of each row's distance to its nearest row of another cluster).
  Distances are computed in float64 and rounded to 1e-4 before they are compared with delta, so that the picks do
  not move with the last bits of a CPU's float32 kernels; the balls are a sparse graph built in blocks of rows (as
  the authors build theirs with a faiss range search), so memory grows with the pairs inside a ball, not with n².

Candidates are the first ``--selector-pool`` rows of the run's pool (default 3,000; 0 = all): the pool is a seeded
shuffle, so the candidates, and with them the picks, differ between runs. Embeddings come from a sentence
transformer (``--embedding-model``, the packaged all-MiniLM-L6-v2 by default), computed for the whole pool once
per task and model and cached under ``data/<task>/embeddings/``: every selector and every run reads the same file.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from activellm import paths
from activellm.errors import UserError
from activellm.files import atomic_write_bytes

EMBEDDING_KMEANS = "embedding_kmeans"
VOTE_K = "vote_k"
TYPICLUST = "typiclust"
PROBCOVER = "probcover"
TYPICLUST_MIN_CLUSTER = 5  # clusters of at most this many rows are left out, as in the reference implementation
TYPICLUST_NEIGHBOURS = 20
PROBCOVER_PURITY = 0.95
DEFAULT_EMBEDDING_MODEL = "minilm"
VOTE_K_NEIGHBOURS = 150
VOTE_K_RHO = 10.0
DISTANCE_DECIMALS = 4  # ProbCover's distances are compared after rounding to 1e-4 (see cosine_distance_blocks)
# TypiClust's distances after rounding to 1e-9: far coarser than float64's kernel noise (~1e-16 on unit vectors from
# float32), far finer than float32's (~1e-7), which is what moved typicality with the block size and the CPU
TYPICALITY_DECIMALS = 9
DISTANCE_BLOCK = 512  # rows per block of a distance computation: 512 x 20,000 float64 is 82 MB


class SelectorError(UserError, ValueError):
    """A label-free selection that cannot be made as asked."""


PROMPT_ROWS = "prompt"  # --selector-pool prompt[:<folder>]: exactly the rows a prompt of the run showed


@dataclass(frozen=True)
class SelectorSettings:
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    candidates: int | str = 3000  # the first rows of the run's pool; 0: all of it; "prompt[:<folder>]": a prompt's
    probcover_delta: float | None = None  # None: the purity rule
    kmeans_restarts: int = 10  # k-means++ starts of k-means and TypiClust; a prompt's candidates take one (below)

    def __post_init__(self) -> None:
        if self.probcover_delta is not None and not 0 < self.probcover_delta < float("inf"):
            raise SelectorError(f"--probcover-delta {self.probcover_delta}: ProbCover's radius must be a number above "
                                "0 (a ball of radius 0 holds its own row alone); leave it out for the purity rule.")


# A prompt's candidates (prompt_generation.py --candidates): one k-means++ start on one thread, so that clustering
# 3,000 rows into 200 costs about what building the prompt does, alone or beside a sweep's workers (whose cores it
# would otherwise fight for: two threads there took 31 s against 7 s for one); the picks do not depend on the
# thread count.
PROMPT_CANDIDATE_SETTINGS = SelectorSettings(kmeans_restarts=1)
PROMPT_CANDIDATE_THREADS = 1


def prompt_rows_folder(settings: SelectorSettings) -> str | None:
    """For ``--selector-pool prompt[:<folder>]`` the prompt folder ("" for the one prompt of the run), else None."""
    if isinstance(settings.candidates, str) and settings.candidates.split(":")[0] == PROMPT_ROWS:
        return settings.candidates.partition(":")[2]
    return None


def candidate_count(settings: SelectorSettings, pool_size: int) -> int:
    """How many of the pool's first rows a selector chooses among (not for ``--selector-pool prompt``)."""
    assert not isinstance(settings.candidates, str), "prompt rows are resolved by the caller"
    return pool_size if settings.candidates in (0, None) else min(settings.candidates, pool_size)


# --- embeddings ---------------------------------------------------------------------------------------------------


def embedding_cache_file(data_name: str, model: str, texts: Sequence[str]) -> Path:
    """The cache of a pool's embeddings: by model and by the pool's texts as a set, so that the pools of all
    runs of a task (permutations of one train split) share one file."""
    digest = hashlib.sha256("\n".join(sorted(texts)).encode("utf-8")).hexdigest()[:16]
    slug = paths.safe_name(model)[-60:]
    return paths.data_dir(data_name) / "embeddings" / f"{slug}_{len(texts)}_{digest}.npy"


@functools.lru_cache(maxsize=2)
def sentence_encoder(model: str):
    """The sentence transformer ``model``, loaded once per process (selectors and diagnostics share it)."""
    from sentence_transformers import SentenceTransformer

    from activellm.models import ModelLoadError, resolve_model

    try:
        return SentenceTransformer(resolve_model(model))
    except OSError as error:
        raise ModelLoadError(f"Could not load the embedding model {model!r}: {error}. Offline, use "
                             "--embedding-model minilm (the packaged all-MiniLM-L6-v2).") from error


def embed_texts(model: str, texts: Sequence[str]) -> np.ndarray:
    """Unit-length sentence embeddings of ``texts`` (float32)."""
    vectors = sentence_encoder(model).encode(list(texts), batch_size=64, show_progress_bar=True,
                                             convert_to_numpy=True, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def cached_per_row(path: Path, texts: Sequence[str], compute: Callable[[list[int]], np.ndarray]) -> np.ndarray:
    """A per-row array of a pool, cached at ``path`` in the order of the sorted texts (so that the pools of all runs,
    permutations of one split, share the file) and returned in the pool's order. ``compute`` gets that text order
    (pool positions) and returns the array in it."""
    order = sorted(range(len(texts)), key=lambda i: texts[i])
    if path.is_file():
        in_text_order = np.load(path)
    else:
        in_text_order = compute(order)
        buffer = io.BytesIO()
        np.save(buffer, in_text_order)
        atomic_write_bytes(path, buffer.getvalue())
    values = np.empty_like(in_text_order)
    values[order] = in_text_order
    return values


def pool_embeddings(data_name: str, model: str, texts: Sequence[str]) -> np.ndarray:
    """The embeddings of every pool row, in the pool's order; computed once per task and model, then read from
    ``data/<data_name>/embeddings/``."""
    return cached_per_row(embedding_cache_file(data_name, model, texts), texts,
                          lambda order: embed_texts(model, [texts[i] for i in order]))


# --- selectors ----------------------------------------------------------------------------------------------------


def fit_kmeans(embeddings: np.ndarray, n: int, seed: int, restarts: int = 10):
    """k-means into ``n`` clusters seeded by ``seed``: the best of ``restarts`` k-means++ starts (ten for the selector
    cells; one for a prompt's candidates, PROMPT_CANDIDATE_SETTINGS, ten times less work)."""
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=n, random_state=seed, n_init=restarts).fit(embeddings)


def kmeans_representatives(embeddings: np.ndarray, n: int, seed: int, restarts: int = 10) -> list[int]:
    """The row nearest each of ``n`` k-means centres, largest cluster first (ties: lower cluster id)."""
    kmeans = fit_kmeans(embeddings, n, seed, restarts)
    distances = kmeans.transform(embeddings)  # rows x clusters
    sizes = np.bincount(kmeans.labels_, minlength=n)
    picks: list[int] = []
    taken: set[int] = set()
    for cluster in sorted(range(n), key=lambda c: (-sizes[c], c)):
        for row in np.argsort(distances[:, cluster], kind="stable"):  # nearest not yet taken (duplicates)
            if int(row) not in taken:
                picks.append(int(row))
                taken.add(int(row))
                break
    return picks


def nearest_neighbours(embeddings: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    """For each row, the indices of its ``k`` most cosine-similar other rows (embeddings are unit length)."""
    n = len(embeddings)
    k = min(k, n - 1)
    neighbours = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        similarity = embeddings[start:start + block] @ embeddings.T
        rows = np.arange(start, min(start + block, n))
        similarity[rows - start, rows] = -np.inf  # never one's own neighbour
        neighbours[rows] = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    return neighbours


def vote_k(embeddings: np.ndarray, n: int, k: int = VOTE_K_NEIGHBOURS, rho: float = VOTE_K_RHO) -> list[int]:
    """Fast vote-k: greedy picks by the discounted votes of unpicked rows (see the module docstring)."""
    from scipy.sparse import csr_matrix

    size = len(embeddings)
    neighbours = nearest_neighbours(embeddings, k)
    voters = np.repeat(np.arange(size), neighbours.shape[1])
    votes = csr_matrix((np.ones(voters.size), (voters, neighbours.ravel())), shape=(size, size))  # voter -> voted
    voted_by = votes.T.tocsr()  # voted row -> its voters
    covered = np.zeros(size)  # per voter: how many of its neighbours are picked
    picked = np.zeros(size, dtype=bool)
    picks: list[int] = []
    for _ in range(n):
        weight = np.where(picked, 0.0, rho ** -covered)
        score = votes.T @ weight
        score[picked] = -np.inf
        best = int(np.argmax(score))  # ties: the lowest row
        picks.append(best)
        picked[best] = True
        covered[voted_by[best].indices] += 1
    return picks


def typicality(embeddings: np.ndarray, neighbours: int, block: int = 1024) -> np.ndarray:
    """TypiClust's typicality: 1 / (mean Euclidean distance to the ``neighbours`` nearest other rows + 1e-5), in blocks
    of rows so that memory grows with the rows, not their square. The squared distances come from the cosine
    distances of cosine_distance_blocks (float64, rounded), so that the picks do not move with the block size or the
    last bits of a CPU's float32 kernels."""
    size = len(embeddings)
    if size < 2:
        return np.ones(size)
    k = max(1, min(neighbours, size - 1))
    values = np.empty(size)
    for start, distance in cosine_distance_blocks(embeddings, block, TYPICALITY_DECIMALS):
        stop = start + len(distance)
        squared = np.maximum(2.0 * distance, 0.0)  # unit vectors: |a-b|^2 = 2 - 2 a.b = 2 * cosine distance
        squared[np.arange(stop - start), np.arange(start, stop)] = np.inf
        nearest = np.sqrt(np.sort(np.partition(squared, k - 1, axis=1)[:, :k], axis=1))
        values[start:stop] = 1.0 / (nearest.mean(axis=1) + 1e-5)
    return values


def typiclust(embeddings: np.ndarray, n: int, seed: int, restarts: int = 10) -> list[int]:
    """TypiClust (see the module docstring): the most typical row of each cluster, largest clusters first."""
    labels = fit_kmeans(embeddings, n, seed, restarts).labels_
    sizes = np.bincount(labels, minlength=n)
    kept = [c for c in range(n) if sizes[c] > TYPICLUST_MIN_CLUSTER]
    rest = [c for c in range(n) if 0 < sizes[c] <= TYPICLUST_MIN_CLUSTER]  # used once the kept ones run dry
    by_size = lambda clusters: sorted(clusters, key=lambda c: (-sizes[c], c))  # noqa: E731
    picked = np.zeros(len(embeddings), dtype=bool)
    picks: list[int] = []
    for order in (by_size(kept), by_size(kept + rest)):
        while len(picks) < n:
            before = len(picks)
            for cluster in order:
                rows = np.flatnonzero((labels == cluster) & ~picked)
                if len(rows) and len(picks) < n:
                    best = rows[np.argmax(typicality(embeddings[rows], min(TYPICLUST_NEIGHBOURS, len(rows) // 2)))]
                    picks.append(int(best))
                    picked[best] = True
            if len(picks) == before:
                break
    return picks


def cosine_distance_blocks(embeddings: np.ndarray, block: int = DISTANCE_BLOCK,
                           decimals: int = DISTANCE_DECIMALS) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, cosine distances of rows first..first+block to every row), computed in float64 from the unit
    vectors and rounded to ``decimals``: the values compared are then the same whatever the CPU's matrix kernels and
    the block's shape (float32 products differ in their last bits between kernels, which moved balls' edges)."""
    vectors = np.asarray(embeddings, dtype=np.float64)
    for start in range(0, len(vectors), block):
        distance = vectors[start:start + block] @ vectors.T
        np.subtract(1.0, distance, out=distance)  # in place: one block in memory at a time
        yield start, np.round(distance, decimals, out=distance)


def purity_delta(embeddings: np.ndarray, classes: int, seed: int, purity: float = PROBCOVER_PURITY) -> float:
    """The largest cosine radius at which ``purity`` of the balls hold rows of one k-means cluster only."""
    from sklearn.cluster import KMeans

    # in float64: in float32 the sums of k-means differ with the thread count and the CPU's kernels, enough to choose
    # another of its ten starts or flip rows near the border, and the radius with them
    vectors = np.asarray(embeddings, dtype=np.float64)
    labels = KMeans(n_clusters=max(2, classes), random_state=seed, n_init=10).fit(vectors).labels_
    to_other = np.empty(len(embeddings))  # a ball of radius d is pure while d <= the distance to another cluster
    for start, distance in cosine_distance_blocks(embeddings):
        rows = slice(start, start + len(distance))
        distance[labels[rows, None] == labels[None, :]] = np.inf
        to_other[rows] = distance.min(axis=1)
    return float(np.sort(to_other)[int(np.floor((1.0 - purity) * len(to_other)))])


def coverage_graph(embeddings: np.ndarray, delta: float):
    """ProbCover's balls as a sparse 0/1 matrix: row i holds the rows within cosine distance < ``delta`` of row i
    (itself included); memory grows with the pairs inside a ball, not with the square of the rows."""
    from scipy.sparse import csr_matrix, vstack

    blocks = []
    for start, distance in cosine_distance_blocks(embeddings):
        inside = distance < delta
        inside[np.arange(len(distance)), np.arange(start, start + len(distance))] = True
        blocks.append(csr_matrix(inside, dtype=np.float64))
    return vstack(blocks, format="csr")


def probcover(embeddings: np.ndarray, n: int, delta: float) -> list[int]:
    """ProbCover's greedy maximum coverage of cosine balls of radius ``delta`` (see the module docstring)."""
    balls = coverage_graph(embeddings, delta)
    uncovered = np.ones(len(embeddings))
    picked = np.zeros(len(embeddings), dtype=bool)
    full_degree = np.diff(balls.indptr).astype(np.float64)
    picks: list[int] = []
    for _ in range(min(n, len(embeddings))):
        gain = balls @ uncovered if uncovered.any() else full_degree.copy()
        gain[picked] = -1
        best = int(np.argmax(gain))  # ties: the lowest row
        picks.append(best)
        picked[best] = True
        uncovered[balls.indices[balls.indptr[best]:balls.indptr[best + 1]]] = 0
    return picks


def recorded_delta(settings: "SelectorSettings") -> float | str:
    """ProbCover's radius as the CSV records it: the number given, or "purity" for the rule."""
    return "purity" if settings.probcover_delta is None else settings.probcover_delta


def _probcover(embeddings: np.ndarray, n: int, seed: int, settings: "SelectorSettings", classes: int) -> list[int]:
    delta = settings.probcover_delta if settings.probcover_delta is not None else \
        purity_delta(embeddings, classes, seed)
    return probcover(embeddings, n, delta)


# name -> f(candidate embeddings, n, run seed, settings, the task's number of classes): positions among the candidates
SELECTORS: dict[str, Callable[[np.ndarray, int, int, SelectorSettings, int], list[int]]] = {
    EMBEDDING_KMEANS: lambda embeddings, n, seed, settings, classes: kmeans_representatives(embeddings, n, seed,
                                                                                            settings.kmeans_restarts),
    VOTE_K: lambda embeddings, n, seed, settings, classes: vote_k(embeddings, n),
    TYPICLUST: lambda embeddings, n, seed, settings, classes: typiclust(embeddings, n, seed, settings.kmeans_restarts),
    PROBCOVER: _probcover,
}


def select_label_free(name: str, texts: Sequence[str], data_name: str, n: int, run: int,
                      settings: SelectorSettings, classes: int = 2, among: Sequence[int] | None = None) -> list[int]:
    """Pool positions of ``n`` rows chosen by selector ``name`` among the first candidates (or among the pool rows
    ``among``); reads no label (only the task's number of classes, which ProbCover's radius rule uses)."""
    if name not in SELECTORS:
        raise SelectorError(f"Unknown label-free selector {name!r}; use one of {', '.join(SELECTORS)}.")
    rows = list(among) if among is not None else list(range(candidate_count(settings, len(texts))))
    if n > len(rows) and among is not None:
        raise SelectorError(f"{name} is to pick {n} rows among the {len(rows)} rows the prompt showed; pick fewer, or "
                            "name a prompt that showed more with --selector-pool prompt:<folder>.")
    if n > len(rows):
        raise SelectorError(f"{name} is to pick {n} rows among {len(rows)} candidates; raise --selector-pool "
                            f"(0 = the whole pool of {len(texts)}).")
    embeddings = pool_embeddings(data_name, settings.embedding_model, list(texts))[rows]
    return [rows[pick] for pick in SELECTORS[name](embeddings, n, run, settings, classes)]
