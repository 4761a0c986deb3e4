"""The opinion map, computed whole or kept up to date as votes arrive.

:class:`OpinionMap` holds what Pol.is's math worker holds between updates: the votes, who is in
the map, the last components, base clusters and group clusterings, and the k-smoother. Each
``update`` takes only the votes that arrived since the last one, and starts every step from the
last result, as Pol.is does. :func:`compute` is the one-shot form; with ``replay`` it feeds a
conversation's votes in the order and batches they arrived, which is how Pol.is itself reached
the groups it published (its groups depend on that history).

Steps of an update (docs/opinions.md has the reasons and where heard departs from Pol.is):

1. votes into the matrix (a later vote replaces an earlier one on the same statement);
2. who is in the map: everyone with at least ``min(7, statements)`` votes, and never taken out
   again; while fewer than 15 are in, the most active voters are added;
3. PCA to two components over everyone who voted; sparsity-aware projection;
4. base clusters: k-means with k = 100 over the people in the map, warm-started;
5. groups: weighted k-means of the base clusters for k = 2 .. min(5, 2 + bases // 12),
   each warm-started from its own last clustering; k chosen by silhouette, but changed only
   once the same new k has won 4 updates running;
6. per group vote counts, representative statements, consensus, group-aware consensus,
   statement extremity and voting priority.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from heard.opinions.engine import kmeans as km
from heard.opinions.engine import pca as pca_
from heard.opinions.engine import stats
from heard.opinions.engine.matrix import VoteMatrix
from heard.opinions.engine.priority import statement_priority
from heard.opinions.engine.result import OpinionResult, VoteCounts
from heard.opinions.engine.votes import Vote

ENGINE_VERSION = "1.0.0"
ALGORITHM = "heard.opinions: the Pol.is pipeline (PCA, base clusters, k-smoothed groups, repness)"


@dataclass(frozen=True)
class Parameters:
    """Pol.is's defaults (math/src/polismath/math/conversation.clj)."""

    min_votes: int = 7  # to enter the map (or every statement, when there are fewer)
    greedy_participants: int = 15  # top up the map with the most active voters to this many
    base_k: int = 100
    max_groups: int = 5
    base_iters: int = 100
    # Pol.is passes :cluster-iters 100, but its k-means reads :max-iters (default 20), so its
    # groupings run at most 20 rounds; heard keeps what Pol.is does.
    group_iters: int = 20
    group_k_buffer: int = 4  # updates a new k must win in a row before the map takes it
    replay_window: float = 60.0  # seconds of votes per update when replaying history


@dataclass
class _Smoother:
    last_k: int | None = None
    count: int = 0
    smoothed_k: int | None = None

    def choose(self, best_k: int, buffer: int) -> int:
        self.count = self.count + 1 if best_k == self.last_k else 1
        self.last_k = best_k
        if self.count >= buffer or self.smoothed_k is None:
            self.smoothed_k = best_k
        return self.smoothed_k


@dataclass
class _State:
    in_map: set[int] = field(default_factory=set)
    comps: np.ndarray | None = None
    base: list[km.Cluster] = field(default_factory=list)
    groups_by_k: dict[int, list[km.Cluster]] = field(default_factory=dict)
    smoother: _Smoother = field(default_factory=_Smoother)
    updates: int = 0


class OpinionMap:
    """A conversation's map, updated incrementally. Not thread-safe; one per conversation."""

    def __init__(
        self,
        *,
        moderated_out: Collection[str] = (),
        meta: Collection[str] = (),
        parameters: Parameters | None = None,
    ) -> None:
        self.parameters = parameters or Parameters()
        self.matrix = VoteMatrix()
        self.moderated_out = {str(s) for s in moderated_out}
        self.meta = {str(s) for s in meta}
        self._state = _State()
        self._pending = False

    # --- input -------------------------------------------------------------------------------

    def add_votes(self, votes: Iterable[Vote]) -> None:
        """Take votes (in arrival order); they count from the next ``update``."""
        if self.matrix.apply(votes):
            self._pending = True

    def add_vote_arrays(
        self, participants: Sequence[str], statements: Sequence[str], values: Sequence[int]
    ) -> None:
        """The same for columns of ids and values (fast for millions of votes)."""
        rows = self.matrix.index_participants([str(p) for p in participants])
        cols = self.matrix.index_statements([str(s) for s in statements])
        if self.matrix.apply_arrays(rows, cols, np.asarray(values, dtype=np.int8)):
            self._pending = True

    def set_moderation(self, moderated_out: Collection[str], meta: Collection[str] = ()) -> None:
        """Statements taken out of the map (rejected, or meta statements about the process)."""
        self.moderated_out = {str(s) for s in moderated_out}
        self.meta = {str(s) for s in meta}

    # --- the update --------------------------------------------------------------------------

    def update(self, *, fresh_groups: bool = False) -> OpinionResult:
        """Recompute from the last state with the votes added since; returns the new map.

        ``fresh_groups`` regroups the base clusters from Pol.is's cold start (the first k
        distinct base clusters, k by silhouette at once) instead of warm-starting: what Pol.is
        does when its worker reloads a conversation (it keeps base clusters, not the groupings
        for every k, nor the smoother), and measurably the better guess of Pol.is's published
        groups for a conversation replayed from its votes (docs/opinions.md).
        """
        return self._result(*self.advance(fresh_groups=fresh_groups))

    def advance(
        self, *, fresh_groups: bool = False
    ) -> tuple[
        np.ndarray, np.ndarray, list[km.Cluster], np.ndarray, np.ndarray, np.ndarray, np.ndarray
    ]:
        """One update of the state (steps 1-5) without reading the result off it: replaying a
        history needs every step's clusters, but only the last step's statistics."""
        p = self.parameters
        state = self._state
        state.updates += 1
        self._pending = False
        matrix = self.matrix
        n_rows, width = matrix.shape
        values, voted = matrix.sparse()
        excluded = np.array(
            [s in self.moderated_out or s in self.meta for s in matrix.statements], dtype=bool
        )
        excluded_cols = np.flatnonzero(excluded)

        # 2. Who is in the map.
        counts = matrix.counts_by_row()
        threshold = min(p.min_votes, width)
        state.in_map.update(np.flatnonzero(counts >= threshold).tolist())
        if len(state.in_map) < p.greedy_participants:
            for row in np.argsort(-counts, kind="stable").tolist():
                if len(state.in_map) >= p.greedy_participants:
                    break
                state.in_map.add(row)

        # 3. PCA and projection (over everyone who voted, moderated-out columns zeroed).
        kept_values, kept_voted = values, voted
        if len(excluded_cols):
            keep = np.ones(width)
            keep[excluded_cols] = 0.0
            kept_values = values.multiply(keep[None, :]).tocsr()
            kept_voted = voted.multiply(keep[None, :]).tocsr()
        mu = pca_.column_means(kept_values, kept_voted)
        previous = None
        if state.comps is not None:
            previous = np.zeros((pca_.N_COMPONENTS, width))
            previous[:, : state.comps.shape[1]] = state.comps
        comps, eigenvalues = pca_.components(kept_values, kept_voted, mu, previous)
        state.comps = comps
        projection = pca_.project(values, voted, mu, comps, excluded_cols)

        # 4. Base clusters over the people in the map (in row order).
        members = np.array(sorted(state.in_map), dtype=np.int64)
        base = km.kmeans(
            projection[members],
            members,
            p.base_k,
            previous=state.base,
            max_iters=p.base_iters,
        )
        state.base = base

        # 5. Groups of base clusters, k by silhouette with smoothing.
        group_clusters = self._groups(base, fresh=fresh_groups)

        # 6. Everything read off the groups.
        labels = np.full(n_rows, -1, dtype=np.int64)
        base_of = {c.id: c for c in base}
        for g, cluster in enumerate(group_clusters):
            for base_id in cluster.members.tolist():
                labels[base_of[base_id].members] = g
        return projection, labels, group_clusters, comps, eigenvalues, mu, excluded

    def settle(self, most: int = 50) -> int:
        """Run updates with no new votes until the groups stop changing (at most ``most``).

        Pol.is's worker keeps updating a conversation between votes (its math tick runs far
        more often than votes arrive), and each update moves k-means on from where it stopped
        (it stops at a 0.01 tolerance, not at a fixed point) and counts towards the k-smoother.
        Settling does the same, so a replayed map ends where Pol.is's would have come to rest.
        Returns the number of updates run.
        """
        last: tuple | None = None
        steady = 0
        for run in range(1, most + 1):
            _projection, labels, *_rest = self.advance()
            key = tuple(labels.tolist())
            steady = steady + 1 if key == last else 0
            last = key
            if steady >= self.parameters.group_k_buffer:
                return run
        return most

    def _groups(self, base: list[km.Cluster], *, fresh: bool = False) -> list[km.Cluster]:
        p = self.parameters
        state = self._state
        if not base:
            return []
        centres = np.stack([c.center for c in base])
        ids = np.array([c.id for c in base], dtype=np.int64)
        sizes = np.array([len(c.members) for c in base], dtype=float)
        max_k = min(p.max_groups, 2 + len(base) // 12)
        scored: dict[int, float] = {}
        for k in range(2, max_k + 1):
            clustering = km.kmeans(
                centres,
                ids,
                k,
                previous=None if fresh else state.groups_by_k.get(k),
                weights=sizes,
                max_iters=p.group_iters,
            )
            state.groups_by_k[k] = clustering
            labels = np.empty(len(ids), dtype=np.int64)
            for g, cluster in enumerate(clustering):
                labels[np.isin(ids, cluster.members)] = g
            scored[k] = km.silhouette(centres, labels)
        # Keep only this update's range of k (as Pol.is does): a k computed when there were
        # more base clusters names base clusters that may no longer exist.
        for stale in [k for k in state.groups_by_k if k > max_k]:
            del state.groups_by_k[stale]
        if not scored:
            return [km.Cluster(0, ids, centres.mean(axis=0))]
        # The best k; on a tie the larger, as Clojure's max-key returns the last.
        best_k = max(sorted(scored), key=lambda k: (scored[k], k))
        if fresh:
            state.smoother = _Smoother()
        chosen = state.smoother.choose(best_k, p.group_k_buffer)
        if chosen not in state.groups_by_k:  # the smoothed k is out of range now
            state.smoother.smoothed_k = chosen = best_k
        return state.groups_by_k[chosen]

    def _result(
        self,
        projection: np.ndarray,
        labels: np.ndarray,
        group_clusters: list[km.Cluster],
        comps: np.ndarray,
        eigenvalues: np.ndarray,
        mu: np.ndarray,
        excluded: np.ndarray,
    ) -> OpinionResult:
        matrix = self.matrix
        statements = matrix.statements
        participants = matrix.participants
        n_groups = len(group_clusters)
        g_agree, g_disagree, g_seen = matrix.group_tallies(labels, n_groups)
        all_agree, all_disagree, all_seen = matrix.tallies()
        group_votes = [
            {
                statements[j]: VoteCounts(
                    int(g_agree[g, j]), int(g_disagree[g, j]), int(g_seen[g, j])
                )
                for j in np.flatnonzero(g_seen[g])
            }
            for g in range(n_groups)
        ]
        repness = stats.repness(statements, g_agree, g_disagree, g_seen, excluded)
        consensus = stats.consensus(statements, all_agree, all_disagree, all_seen, excluded)
        gac = stats.group_aware_consensus(g_agree, g_seen)
        statement_xy = pca_.statement_projections(mu, comps)
        extremity = np.linalg.norm(statement_xy, axis=1)
        in_group_agree, in_group_seen = g_agree.sum(0), g_seen.sum(0)
        in_group_pass = in_group_seen - in_group_agree - g_disagree.sum(0)
        priorities = {
            s: statement_priority(
                int(in_group_agree[j]),
                int(in_group_pass[j]),
                int(in_group_seen[j]),
                float(extremity[j]),
                is_meta=s in self.meta,
            )
            for j, s in enumerate(statements)
        }
        in_map = [participants[r] for r in sorted(self._state.in_map)]
        groups = {participants[r]: int(labels[r]) for r in np.flatnonzero(labels >= 0)}
        return OpinionResult(
            provenance=self.provenance(),
            statements=list(statements),
            participants=list(participants),
            in_map=in_map,
            groups=groups,
            projections={
                participants[r]: (float(x), float(y)) for r, (x, y) in enumerate(projection)
            },
            group_centres=[(float(c.center[0]), float(c.center[1])) for c in group_clusters],
            group_votes=group_votes,
            repness=repness,
            consensus=consensus,  # type: ignore[arg-type]
            group_aware_consensus={s: float(gac[j]) for j, s in enumerate(statements)},
            statement_projections={
                s: (float(statement_xy[j, 0]), float(statement_xy[j, 1]))
                for j, s in enumerate(statements)
            },
            extremity={s: float(extremity[j]) for j, s in enumerate(statements)},
            priorities=priorities,
            pca={
                "statements": list(statements),
                "center": mu.tolist(),
                "comps": comps.tolist(),
                "eigenvalues": eigenvalues.tolist(),
            },
            base_clusters=[
                {
                    "id": c.id,
                    "members": [participants[r] for r in c.members.tolist()],
                    "center": c.center.tolist(),
                }
                for c in self._state.base
            ],
        )

    def provenance(self) -> dict[str, Any]:
        """What anyone needs to rerun this map: engine, parameters, and a hash of the input."""
        matrix = self.matrix
        n_rows, width = matrix.shape
        inputs = {
            "votes": matrix.digest(),
            "moderated_out": sorted(self.moderated_out),
            "meta": sorted(self.meta),
        }
        canonical = json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return {
            "algorithm": ALGORITHM,
            "version": ENGINE_VERSION,
            "parameters": asdict(self.parameters),
            "input_hash": hashlib.sha256(canonical).hexdigest(),
            "votes_digest": matrix.digest(),
            "participants": n_rows,
            "statements": width,
            "votes": matrix.size,
            "updates": self._state.updates,
            "last_vote_at": matrix.last_at or None,
        }


def replay_batches(votes: Sequence[Vote], window: float) -> list[list[Vote]]:
    """Votes in time order (stable), cut into batches of ``window`` seconds from each batch's
    first vote: the updates Pol.is's worker would have run as they arrived."""
    ordered = sorted(votes, key=lambda v: v.at)
    batches: list[list[Vote]] = []
    start = None
    for vote in ordered:
        if start is None or vote.at - start >= window:
            batches.append([])
            start = vote.at
        batches[-1].append(vote)
    return batches


def compute(
    votes: Iterable[Vote],
    *,
    statements: Sequence[str] | None = None,
    moderated_out: Collection[str] = (),
    meta: Collection[str] = (),
    replay: bool = False,
    seed: int = 0,
    parameters: Parameters | None = None,
) -> OpinionResult:
    """The map of these votes. ``replay`` runs one update per ``replay_window`` of history.

    ``statements`` is accepted for callers that know the conversation's statements; as in
    Pol.is, a statement becomes a column of the map with its first vote, so unvoted statements
    do not widen it. ``seed`` is recorded for symmetry with other engines: every step here is
    deterministic (no random starts), so the same votes always give the same map.
    """
    del statements
    opinion_map = OpinionMap(moderated_out=moderated_out, meta=meta, parameters=parameters)
    vote_list = list(votes)
    if replay:
        window = opinion_map.parameters.replay_window
        batches = replay_batches(vote_list, window)
        for batch in batches[:-1]:
            opinion_map.add_votes(batch)
            opinion_map.advance()
        opinion_map.add_votes(batches[-1] if batches else [])
        result = opinion_map.update(fresh_groups=True)
    else:
        opinion_map.add_votes(vote_list)
        result = opinion_map.update()
    result.provenance["replay"] = replay
    result.provenance["seed"] = seed
    return result


# --- keeping the state between updates -----------------------------------------------------------

_STATE_FORMAT = 1


def _clusters_to_json(clusters: list[km.Cluster]) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "members": c.members.tolist(), "center": c.center.tolist()} for c in clusters
    ]


def _clusters_from_json(rows: list[dict[str, Any]]) -> list[km.Cluster]:
    return [
        km.Cluster(
            int(r["id"]), np.asarray(r["members"], dtype=np.int64), np.asarray(r["center"], float)
        )
        for r in rows
    ]


def dump_state(opinion_map: OpinionMap) -> bytes:
    """The whole state as bytes (numpy's .npz, no pickle), so the next update can start from
    it in another process: the platform keeps it beside each map it stores."""
    import io

    matrix, state = opinion_map.matrix, opinion_map._state
    meta = {
        "format": _STATE_FORMAT,
        "version": ENGINE_VERSION,
        "parameters": asdict(opinion_map.parameters),
        "moderated_out": sorted(opinion_map.moderated_out),
        "meta": sorted(opinion_map.meta),
        "participants": matrix.participants,
        "statements": matrix.statements,
        "digest": matrix._digest,
        "last_at": matrix.last_at,
        "in_map": sorted(state.in_map),
        "base": _clusters_to_json(state.base),
        "groups_by_k": {str(k): _clusters_to_json(v) for k, v in state.groups_by_k.items()},
        "smoother": asdict(state.smoother),
        "updates": state.updates,
    }
    n = matrix.size
    buffer = io.BytesIO()
    np.savez(  # uncompressed: an update writes it every time, and speed matters more
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        rows=matrix._rows[:n],
        cols=matrix._cols[:n],
        vals=matrix._vals[:n],
        keys=matrix._keys,
        positions=matrix._positions,
        comps=state.comps if state.comps is not None else np.zeros((0, 0)),
    )
    return buffer.getvalue()


def load_state(data: bytes) -> OpinionMap:
    """The map :func:`dump_state` wrote, ready for more votes. Refuses another format."""
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        meta = json.loads(bytes(stored["meta"]).decode("utf-8"))
        if meta.get("format") != _STATE_FORMAT or meta.get("version") != ENGINE_VERSION:
            raise ValueError(
                f"opinion-map state of format {meta.get('format')!r}, engine "
                f"{meta.get('version')!r}; this is engine {ENGINE_VERSION}: recompute afresh"
            )
        opinion_map = OpinionMap(
            moderated_out=meta["moderated_out"],
            meta=meta["meta"],
            parameters=Parameters(**meta["parameters"]),
        )
        matrix = opinion_map.matrix
        for participant in meta["participants"]:
            matrix._row_of(participant)
        for statement in meta["statements"]:
            matrix._column(statement)
        n = len(stored["vals"])
        matrix._grow(max(n, 1))
        matrix._rows[:n] = stored["rows"]
        matrix._cols[:n] = stored["cols"]
        matrix._vals[:n] = stored["vals"]
        matrix._keys = stored["keys"].astype(np.int64)
        matrix._positions = stored["positions"].astype(np.int64)
        matrix.size = n
        matrix._digest = [int(x) for x in meta["digest"]]
        matrix.last_at = float(meta["last_at"])
        comps = stored["comps"]
    state = opinion_map._state
    state.in_map = set(meta["in_map"])
    state.comps = comps if comps.size else None
    state.base = _clusters_from_json(meta["base"])
    state.groups_by_k = {int(k): _clusters_from_json(v) for k, v in meta["groups_by_k"].items()}
    state.smoother = _Smoother(**meta["smoother"])
    state.updates = int(meta["updates"])
    return opinion_map
