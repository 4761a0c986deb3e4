"""Grouping vectors into themes: the number chosen automatically, nothing dropped.

The method, and why:

1. **Centre per language.** Every embedding model tried places a te reo Māori text nearest other
   te reo texts whatever they say; subtracting each language's mean vector removes that shared
   offset so texts group by meaning (docs/research/themes-embeddings.md measured this).
2. **UMAP to 5 dimensions** (cosine, 15 neighbours), as BERTopic does: k-means on the raw
   384-dimensional vectors is worse (banking77 V-measure 0.66 vs 0.74 at the true k), and the
   silhouette only has a peak to find in the reduced space.
3. **k-means at the k with the best silhouette** over a geometric grid of candidates around
   sqrt(n/2) (see :func:`candidate_ks`), or at the k the analyst asks for. k-means, unlike
   HDBSCAN, gives every text a theme; step 5 decides who fits none.
4. **Large inputs** (more than ``SAMPLE_LIMIT`` texts, ``FAST_SAMPLE_LIMIT`` in the fast
   mode): steps 2-3 run on a fixed, evenly spaced sample; every text is then given the theme
   whose centre (in the full vectors) is nearest.
5. **Fits no theme:** a text whose similarity to its theme's centre is far below its theme-mates'
   (under the theme's median minus ``OUTLIER_MADS`` median absolute deviations), a text with no
   words, and every member of a theme smaller than ``MIN_THEME_SIZE`` go to the explicit
   unassigned bucket, where the analyst sees them.
6. **No language islands.** Centring is not always enough: on the demo at 33 themes one theme
   of 12 held 10 te reo texts on unrelated topics. A theme that is >= 80 % one language, when
   that language is a minority of the input, is dissolved and each member joins the nearest
   other theme by meaning. The cost: a real theme that only te reo speakers raised is split
   up; its members stay findable by language in the browser, and the provenance says how many
   themes were dissolved. Step 6 runs before step 5.

Deterministic: fixed seeds, single-threaded UMAP (``random_state`` forces it), inputs sorted by
id by the caller.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from heard.sense.themes.embeddings import normalise, row_norms

#: Languages with fewer texts than this keep their vectors as they are: a mean of a handful of
#: texts is mostly what those few texts say.
MIN_TEXTS_TO_CENTRE = 10
SAMPLE_LIMIT = 10_000
#: The fast mode learns its themes from a smaller sample: UMAP is single-threaded when seeded,
#: and its cost, not the embedding, is what a million contributions would otherwise wait for.
FAST_SAMPLE_LIMIT = 4_000
SILHOUETTE_SAMPLE = 5_000
UMAP_DIMENSIONS = 5
UMAP_NEIGHBOURS = 15
MIN_THEME_SIZE = 3
MAX_THEMES = 150
OUTLIER_MADS = 3.0
#: A theme at least this share one language, a language that is a minority of the input, is
#: taken for the model grouping by language rather than meaning (step 6).
LANGUAGE_ISLAND_SHARE = 0.8
#: Chunk rows when comparing many texts with every centre, to bound memory at 10^6 texts.
ASSIGN_CHUNK = 50_000

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Grouping:
    """Theme number per text (-1: fits no theme), each text's similarity to its theme's centre,
    and how k was settled."""

    labels: np.ndarray
    similarity: np.ndarray
    k: int
    k_chosen_automatically: bool
    silhouette: float | None
    parameters: dict[str, object]


def _chunks(rows: np.ndarray) -> list[np.ndarray]:
    return [rows[start : start + ASSIGN_CHUNK] for start in range(0, len(rows), ASSIGN_CHUNK)]


def language_tags(languages: Sequence[str | None]) -> np.ndarray:
    """Primary language subtags, lower case ("mi-NZ" -> "mi"); "" where unknown."""
    return np.array([(lang or "").split("-")[0].lower() for lang in languages])


def centre_by_language(vectors: np.ndarray, languages: Sequence[str | None]) -> np.ndarray:
    """Subtract each sizeable language's mean vector, then bring rows back to unit length."""
    out = vectors.copy()
    tags = language_tags(languages)
    norms = row_norms(vectors)
    for tag in sorted(set(tags.tolist())):
        rows = np.flatnonzero(tags == tag)
        if tag and len(rows) >= MIN_TEXTS_TO_CENTRE:
            present = rows[norms[rows] > 0]
            if len(present):
                mean = sum(vectors[chunk].sum(axis=0) for chunk in _chunks(present)) / len(present)
                for chunk in _chunks(present):  # by chunks: no copies of all rows at once
                    out[chunk] -= mean
    return normalise(out, in_place=True)


def group(
    vectors: np.ndarray,
    *,
    k: int | None = None,
    seed: int = 0,
    fast: bool = False,
    languages: Sequence[str | None] | None = None,
    progress: Progress | None = None,
) -> Grouping:
    """Themes for unit-length (already centred) vectors. ``k`` fixes the number of themes."""
    n = len(vectors)
    has_words = row_norms(vectors) > 0
    usable = np.flatnonzero(has_words)
    labels = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n, dtype=np.float32)
    parameters: dict[str, object] = {
        "umap_dimensions": UMAP_DIMENSIONS,
        "umap_neighbours": UMAP_NEIGHBOURS,
        "sample_limit": FAST_SAMPLE_LIMIT if fast else SAMPLE_LIMIT,
        "min_theme_size": MIN_THEME_SIZE,
        "outlier_mads": OUTLIER_MADS,
        "max_themes": MAX_THEMES,
        "seed": seed,
    }
    if k is not None and k < 1:
        raise ValueError(f"the number of themes must be at least 1, not {k}")
    if len(usable) < MIN_THEME_SIZE:
        return Grouping(labels, similarity, 0, k is None, None, parameters)

    limit = FAST_SAMPLE_LIMIT if fast else SAMPLE_LIMIT
    sample = usable[:: max(1, -(-len(usable) // limit))]
    reduced = _reduce(vectors[sample], seed)
    if progress:
        progress(0.5)
    if k is None:
        k_used, silhouette = _best_k(reduced, seed)
    else:
        k_used, silhouette = min(k, len(sample)), None
    sample_labels = _kmeans(reduced, k_used, seed)
    if progress:
        progress(0.8)

    # Every row usable (the usual case): a view, not a 1.5 GB copy at a million texts.
    present = vectors if len(usable) == n else vectors[usable]
    centres = _centres(vectors[sample], sample_labels, k_used)
    if len(sample) == len(usable):
        labels[usable] = sample_labels
    else:
        labels[usable] = _nearest(present, centres)
    dissolved = 0
    if languages is not None:
        tags = language_tags(languages)
        dissolved, labels[usable] = _dissolve_language_islands(
            present, labels[usable], tags[usable]
        )
    parameters["language_islands_dissolved"] = dissolved
    placed = labels[usable]
    centres = _centres(present, placed, k_used)
    similarity[usable] = np.concatenate(
        [
            np.einsum("ij,ij->i", present[c], centres[placed[c]])
            for c in _chunks(np.arange(len(placed)))
        ]
    )
    _mark_misfits(labels, similarity)
    if progress:
        progress(1.0)
    return Grouping(labels, similarity, k_used, k is None, silhouette, parameters)


def _dissolve_language_islands(
    vectors: np.ndarray, labels: np.ndarray, tags: np.ndarray
) -> tuple[int, np.ndarray]:
    """Themes that are mostly one minority language, their members sent to the nearest other
    theme (step 6 of the module docstring). Returns (themes dissolved, labels)."""
    everyone = len(tags)
    language_sizes = {tag: int((tags == tag).sum()) for tag in set(tags.tolist())}
    themes = sorted({int(x) for x in labels})
    islands = []
    for theme in themes:
        rows = labels == theme
        size = int(rows.sum())
        if size < MIN_THEME_SIZE:
            continue
        values, counts = np.unique(tags[rows], return_counts=True)
        top = int(np.argmax(counts))
        tag = str(values[top])
        if (
            tag
            and counts[top] / size >= LANGUAGE_ISLAND_SHARE
            and language_sizes[tag] / everyone < 0.5
        ):
            islands.append(theme)
    kept = [t for t in themes if t not in islands]
    if not islands or not kept:
        return 0, labels
    new = labels.copy()
    centres = _centres(vectors, labels, int(labels.max()) + 1)[kept]
    moving = np.isin(labels, islands)
    new[moving] = np.array(kept)[_nearest(vectors[moving], centres)]
    return len(islands), new


def _reduce(vectors: np.ndarray, seed: int) -> np.ndarray:
    """UMAP to a few dimensions; for tiny inputs (where UMAP's graph is meaningless) PCA."""
    n = len(vectors)
    if n <= UMAP_NEIGHBOURS * 2:
        from sklearn.decomposition import PCA

        dims = max(1, min(UMAP_DIMENSIONS, n - 1))
        return PCA(n_components=dims, random_state=seed).fit_transform(vectors)
    import umap

    with warnings.catch_warnings():
        # umap warns that random_state disables parallelism: that is the point (determinism).
        warnings.simplefilter("ignore", UserWarning)
        reducer = umap.UMAP(
            n_components=UMAP_DIMENSIONS,
            n_neighbors=UMAP_NEIGHBOURS,
            min_dist=0.0,
            metric="cosine",
            random_state=seed,
        )
        return reducer.fit_transform(vectors)


def candidate_ks(n: int) -> list[int]:
    """A geometric grid from half to twice the rule of thumb sqrt(n/2) (Mardia et al. 1979),
    at most MAX_THEMES and at most one theme per MIN_THEME_SIZE texts.

    The floor matters: UMAP often makes a few well-separated islands (on the demo, two at
    silhouette 0.89) and an unbounded silhouette picks them, leaving an analyst two themes for
    500 contributions. Within the range the silhouette decides.
    """
    rule = math.sqrt(n / 2)
    top = max(2, min(MAX_THEMES, math.ceil(2 * rule), n // MIN_THEME_SIZE))
    bottom = max(2, min(top, math.floor(rule / 2)))
    grid = np.unique(np.round(np.geomspace(bottom, top, num=12)).astype(int))
    return [int(k) for k in grid if 2 <= k <= n - 1] or [1]


def _best_k(reduced: np.ndarray, seed: int) -> tuple[int, float | None]:
    from sklearn.metrics import silhouette_score

    ks = candidate_ks(len(reduced))
    if ks == [1]:
        return 1, None
    rng = np.random.default_rng(seed)
    size = min(SILHOUETTE_SAMPLE, len(reduced))
    rows = np.sort(rng.choice(len(reduced), size=size, replace=False))
    best_k, best_score = ks[0], -2.0
    for k in ks:
        labels = _kmeans(reduced, k, seed)
        if len(set(labels[rows].tolist())) < 2:
            continue
        score = float(silhouette_score(reduced[rows], labels[rows]))
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    return best_k, (best_score if best_score > -2 else None)


def _kmeans(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    if k <= 1:
        return np.zeros(len(points), dtype=np.int64)
    return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(points).astype(np.int64)


def _centres(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    centres = np.zeros((k, vectors.shape[1]), dtype=np.float32)
    np.add.at(centres, labels, vectors)
    return normalise(centres)


def _nearest(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    out = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), ASSIGN_CHUNK):
        out[start : start + ASSIGN_CHUNK] = np.argmax(
            vectors[start : start + ASSIGN_CHUNK] @ centres.T, axis=1
        )
    return out


def _mark_misfits(labels: np.ndarray, similarity: np.ndarray) -> None:
    """Move misfits and too-small themes to -1, in place (see the module docstring, step 5)."""
    for theme in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == theme)
        sims = similarity[rows]
        median = float(np.median(sims))
        mad = float(np.median(np.abs(sims - median)))
        labels[rows[sims < median - OUTLIER_MADS * 1.4826 * mad]] = -1
    # then every theme left too small (before or after losing its misfits)
    for theme in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == theme)
        if len(rows) < MIN_THEME_SIZE:
            labels[rows] = -1
