"""How close an opinion map is to Pol.is's: the figures the agreement benchmark reports.

- **ARI** (``sklearn.metrics.adjusted_rand_score``) over the participants *both* put in a group:
  who is in the map at all is reported apart (``in map``, ``common``), so the index measures the
  grouping alone.
- **Group matching**: each of Pol.is's groups is paired with at most one of the tool's, the
  pairing that shares the most members in total (Hungarian assignment on the overlap counts,
  ``scipy.optimize.linear_sum_assignment``); a Pol.is group left without a partner (the tool
  found fewer groups) scores 0 below.
- **Representative statements**: per Pol.is group, the Jaccard index of its repness comment ids
  and those of its partner; averaged over Pol.is's groups.
- **Consensus**: the Jaccard index of the (direction, comment id) pairs, agree and disagree
  together (two empty sets agree perfectly: 1).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np


def jaccard(a: Collection, b: Collection) -> float:
    a, b = set(a), set(b)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def ari_on_common(truth: Mapping[str, int], found: Mapping[str, int]) -> tuple[float | None, int]:
    """The adjusted Rand index over the participants in both maps, and how many those are."""
    from sklearn.metrics import adjusted_rand_score

    common = sorted(set(truth) & set(found))
    if len(common) < 2:
        return None, len(common)
    score = adjusted_rand_score([truth[p] for p in common], [found[p] for p in common])
    return float(score), len(common)


def match_groups(truth: Mapping[str, int], found: Mapping[str, int]) -> dict[int, int]:
    """Pol.is's group -> the tool's group sharing the most members (one to one, total best)."""
    from scipy.optimize import linear_sum_assignment

    truth_ids = sorted(set(truth.values()))
    found_ids = sorted(set(found.values()))
    if not truth_ids or not found_ids:
        return {}
    overlap = np.zeros((len(truth_ids), len(found_ids)), dtype=np.int64)
    row = {g: i for i, g in enumerate(truth_ids)}
    col = {g: j for j, g in enumerate(found_ids)}
    for participant in set(truth) & set(found):
        overlap[row[truth[participant]], col[found[participant]]] += 1
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return {
        truth_ids[i]: found_ids[j] for i, j in zip(rows, cols, strict=True) if overlap[i, j] > 0
    }


def repness_overlap(
    truth_repness: Mapping[int, Collection[int]],
    found_repness: Mapping[int, Collection[int]],
    matching: Mapping[int, int],
) -> float | None:
    """Mean over Pol.is's groups of the Jaccard index with the matched group's repness."""
    if not truth_repness:
        return None
    scores = [
        jaccard(statements, found_repness.get(matching[g], ())) if g in matching else 0.0
        for g, statements in truth_repness.items()
    ]
    return float(np.mean(scores))


def score(
    truth_groups: Mapping[str, int],
    truth_repness: Mapping[int, Collection[int]] | None,
    truth_consensus: Collection[tuple[str, int]] | None,
    outcome: Mapping,
) -> dict:
    """Every figure for one tool's ``outcome`` (groups, repness, consensus as the children
    print them: ids as strings in keys, comment ids as integers)."""
    groups = {str(p): int(g) for p, g in outcome["groups"].items()}
    ari, common = ari_on_common(truth_groups, groups)
    figures: dict = {
        "in_map": len(groups),
        "groups": len(set(groups.values())),
        "common": common,
        "ari": ari,
    }
    matching = match_groups(truth_groups, groups)
    if truth_repness is not None:
        found = {int(g): set(s) for g, s in outcome["repness"].items()}
        figures["repness_jaccard"] = repness_overlap(truth_repness, found, matching)
    if truth_consensus is not None:
        found_consensus = {(d, int(s)) for d, s in outcome["consensus"]}
        figures["consensus_jaccard"] = jaccard(truth_consensus, found_consensus)
    figures["matching"] = {str(k): v for k, v in matching.items()}
    return figures
