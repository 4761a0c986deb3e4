"""Pol.is's k-means: deterministic starts, warm starts from the last clustering, silhouettes.

Pol.is does not use k-means++ or random restarts. A first clustering starts from the first k
distinct points in row order; every later one starts from the previous clusters, re-centred on
their members' new positions, merged where two centres coincide, and topped up to k by splitting
off the point farthest from every centre, one at a time. Then Lloyd's iterations run until the
centres move less than 0.01 (or 100 rounds). So the groups of a conversation depend on the order
its votes arrived: heard keeps the same rules so that replaying a conversation's history gives
Pol.is's groups, and a live map does not reshuffle itself on every vote.

Clusters are plain data (:class:`Cluster`): an id that survives updates, the ids of its members
(participant rows for base clusters, base-cluster ids for groups) and a centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAME_CLUSTERING = 0.01


@dataclass(slots=True)
class Cluster:
    id: int
    members: np.ndarray  # ids of the points in it
    center: np.ndarray  # (2,)


def _centres(
    points: np.ndarray, labels: np.ndarray, n: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(centres n x 2, member counts n) for points labelled 0..n-1 (-1: in no cluster)."""
    inside = labels >= 0
    lab = labels[inside]
    w = np.ones(len(lab)) if weights is None else weights[inside]
    total = np.bincount(lab, weights=w, minlength=n)
    sums = np.stack(
        [np.bincount(lab, weights=w * points[inside, d], minlength=n) for d in range(2)], axis=1
    )
    counts = np.bincount(lab, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / total[:, None], counts


def _as_keys(points: np.ndarray) -> np.ndarray:
    """Each 2-d point as one complex number, so distinct points can be found by a 1-d sort."""
    return points[:, 0] + 1j * points[:, 1]


def _first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first ``k`` distinct rows, in order."""
    _values, first = np.unique(_as_keys(points), return_index=True)
    return np.sort(first)[:k]


def _nearest(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest centre (the last of equal minima, as Clojure's min-key picks) and
    its distance."""
    # Coordinate by coordinate (two n x k arrays, no n x k x 2 one), and exact: the expansion
    # |p|^2 - 2 p.c + |c|^2 loses the small distances that decide which point is farthest.
    dx = points[:, 0, None] - centres[None, :, 0]
    dy = points[:, 1, None] - centres[None, :, 1]
    squared = dx * dx + dy * dy
    nearest = squared.shape[1] - 1 - np.argmin(squared[:, ::-1], axis=1)
    return nearest, np.sqrt(squared[np.arange(len(points)), nearest])


def _previous_labels(ids: np.ndarray, previous: list[Cluster]) -> np.ndarray:
    """Each point's index in ``previous`` by membership (-1 for points new to the data)."""
    top = int(
        max(ids.max(), max((int(c.members.max()) for c in previous if len(c.members)), default=0))
    )
    lookup = np.full(top + 1, -1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    labels = np.full(len(ids), -1, dtype=np.int64)
    for index, cluster in enumerate(previous):
        rows = lookup[cluster.members]
        labels[rows[rows >= 0]] = index
    return labels


def _clean_start(
    points: np.ndarray,
    ids: np.ndarray,
    weights: np.ndarray | None,
    previous: list[Cluster],
    k: int,
) -> tuple[np.ndarray, list[int]]:
    """Pol.is's warm start: the previous clusters re-centred on where their members are now
    (dropped when none remain; merged when two centres coincide, the larger keeping its id),
    then the point farthest from every centre split off as a new cluster until there are k.
    Returns the starting centres and their ids."""
    labels = _previous_labels(ids, previous)
    cluster_ids = [c.id for c in previous]
    n_previous = len(previous)
    centres, counts = _centres(points, labels, n_previous, weights)
    alive = np.flatnonzero(counts > 0)
    if len(alive) == 0:
        # None of the old members is here: one cluster of everything, then split as below.
        labels = np.zeros(len(ids), dtype=np.int64)
        n_previous = 1
        cluster_ids = [max(cluster_ids, default=-1) + 1]
        centres, counts = _centres(points, labels, 1, weights)
        alive = np.array([0])
    # Merge coinciding centres: relabel to the first of each, keep the larger one's id.
    keep: dict[tuple[float, float], int] = {}
    remap = np.full(n_previous, -1, dtype=np.int64)
    for index in alive.tolist():
        key = (float(centres[index, 0]), float(centres[index, 1]))
        first = keep.setdefault(key, index)
        remap[index] = first
        if first != index and counts[index] > counts[first]:
            cluster_ids[first] = cluster_ids[index]
    order = sorted(set(remap[alive].tolist()))
    compact = np.full(n_previous, -1, dtype=np.int64)
    compact[order] = np.arange(len(order))
    labels = np.where(labels >= 0, compact[np.maximum(remap[labels], 0)], -1)
    live_ids = [cluster_ids[i] for i in order]
    possible = min(k, len(np.unique(_as_keys(points))))
    while True:
        centres, counts = _centres(points, labels, len(live_ids), weights)
        if np.any(counts == 0):  # a cluster emptied by a split disappears
            survivors = np.flatnonzero(counts > 0)
            relabel = np.full(len(live_ids), -1, dtype=np.int64)
            relabel[survivors] = np.arange(len(survivors))
            labels = np.where(labels >= 0, relabel[np.maximum(labels, 0)], -1)
            live_ids = [live_ids[i] for i in survivors.tolist()]
            centres = centres[survivors]
        if possible <= len(live_ids):
            return centres, live_ids
        _index, distance = _nearest(points, centres)
        far = len(distance) - 1 - int(np.argmax(distance[::-1]))  # last of equal maxima
        alone = labels[far] >= 0 and np.count_nonzero(labels == labels[far]) == 1
        if distance[far] <= 0 or alone:  # nothing left to split off
            return centres, live_ids
        labels[far] = len(live_ids)
        live_ids.append(max(live_ids) + 1)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Pol.is's convergence test: sorted centres pairwise within 0.01 (extra ones ignored)."""
    a_sorted = sorted(map(tuple, a.tolist()))
    b_sorted = sorted(map(tuple, b.tolist()))
    return all(
        np.hypot(x[0] - y[0], x[1] - y[1]) < SAME_CLUSTERING
        for x, y in zip(a_sorted, b_sorted, strict=False)
    )


def kmeans(
    points: np.ndarray,
    ids: np.ndarray,
    k: int,
    *,
    previous: list[Cluster] | None = None,
    weights: np.ndarray | None = None,
    max_iters: int = 100,
) -> list[Cluster]:
    """Cluster ``points`` (n x 2), whose identities are ``ids``, into at most ``k`` clusters.

    ``weights`` weigh the points in each centre (group clusters weigh base clusters by their
    size) but not in the assignment; empty clusters vanish. Returned sorted by id.
    """
    if len(points) == 0:
        return []
    ids = np.asarray(ids, dtype=np.int64)
    if previous:
        centres, cluster_ids = _clean_start(points, ids, weights, previous, k)
    else:
        first = _first_distinct(points, k)
        centres, cluster_ids = points[first].copy(), list(range(len(first)))
    nearest = np.zeros(len(points), dtype=np.int64)
    for _round in range(max_iters + 1):
        nearest, _distance = _nearest(points, centres)
        stepped, counts = _centres(points, nearest, len(cluster_ids), weights)
        used = np.flatnonzero(counts > 0)
        relabel = np.full(len(cluster_ids), -1, dtype=np.int64)
        relabel[used] = np.arange(len(used))
        nearest = relabel[nearest]
        cluster_ids = [cluster_ids[i] for i in used.tolist()]
        done = _same(centres, stepped[used])
        centres = stepped[used]
        if done:
            break
    order = np.argsort(cluster_ids, kind="stable")
    return [Cluster(cluster_ids[i], ids[nearest == i], centres[i].copy()) for i in order.tolist()]


def silhouette(points: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette over the points (unweighted, as Pol.is computes it over base clusters);
    a point alone in its cluster scores 0."""
    n = len(points)
    groups, own = np.unique(labels, return_inverse=True)
    if n < 2 or len(groups) < 2:
        return 0.0
    distance = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
    onehot = np.zeros((n, len(groups)))
    onehot[np.arange(n), own] = 1.0
    sizes = onehot.sum(axis=0)
    sums = distance @ onehot  # n x groups: total distance to each group's points
    own_size = sizes[own]
    a = np.where(own_size > 1, sums[np.arange(n), own] / np.maximum(own_size - 1, 1), 0.0)
    mean_to = sums / sizes[None, :]
    mean_to[np.arange(n), own] = np.inf
    b = mean_to.min(axis=1)
    top = np.maximum(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where((own_size > 1) & (top > 0), (b - a) / top, 0.0)
    return float(scores.mean())
