"""What sets each group apart (representativeness), and the common ground (consensus).

Pol.is's rules, vectorised over statements. For a group and a statement, with ``na``/``nd``
agrees/disagrees of ``ns`` who saw it (passes included):

- ``pa = (na + 1) / (ns + 2)``: the share agreeing, with a +1/+2 prior so that one vote is not
  certainty; ``pat`` its z-score against one half (``prop_test``).
- ``ra = pa / pa_rest``: how much more the group agrees than everyone in the *other* groups;
  ``rat`` the two-proportion z-score of that difference.
- the same for disagreeing (``pd``, ``pdt``, ``rd``, ``rdt``).

A statement represents a group when both its share and its difference are significant at 90 %
(z > 1.2816) for agreeing or for disagreeing; at most five are kept, ordered by
``repness x repness_test x p_success x p_test``, with the group's best "agree" statement first
and agreements before disagreements. A group with none significant still gets its best one.
Consensus: statements most people (in the map or not) agree with, or disagree with, significantly.
Group-aware consensus: the product over groups of each group's ``pa``, high only when every group
agrees.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heard.opinions.engine.result import StatementStat

Z_90 = 1.2816
PICK = 5


def prop_test(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """z-score of a share against one half, with +1 added to both counts (Pol.is's form)."""
    s, n = successes + 1.0, trials + 1.0
    return 2.0 * np.sqrt(n) * (s / n - 0.5)


def two_prop_test(
    succ_in: np.ndarray, succ_out: np.ndarray, pop_in: np.ndarray, pop_out: np.ndarray
) -> np.ndarray:
    """z-score of the difference between two shares, +1 added to every count; 0 where the
    pooled share is 1 (no variance: Pol.is's convention)."""
    s1, s2, n1, n2 = succ_in + 1.0, succ_out + 1.0, pop_in + 1.0, pop_out + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    return np.where(pooled >= 1.0, 0.0, np.nan_to_num(z))


def _finalised(statement: str, row: dict[str, float], *, best_agree: bool = False) -> StatementStat:
    """Choose agree or disagree, whichever the group differs on more (Pol.is: rat > rdt)."""
    if row["rat"] > row["rdt"]:
        keys = ("na", "pa", "pat", "ra", "rat", "agree")
    else:
        keys = ("nd", "pd", "pdt", "rd", "rdt", "disagree")
    n, p, pt, r, rt, direction = keys
    return StatementStat(
        statement=statement,
        direction=direction,  # type: ignore[arg-type]
        n_success=int(row[n]),
        n_trials=int(row["ns"]),
        p_success=float(row[p]),
        p_test=float(row[pt]),
        repness=float(row[r]),
        repness_test=float(row[rt]),
        best_agree=best_agree,
    )


def _metric(stat: StatementStat) -> float:
    return stat.repness * stat.repness_test * stat.p_success * stat.p_test  # type: ignore[operator]


def _beats_best_agree(row: dict[str, float], best: dict[str, float] | None) -> bool:
    if row["na"] == 0 and row["nd"] == 0:
        return False
    if best is not None and best["ra"] > 1.0:
        return row["ra"] * row["rat"] * row["pa"] * row["pat"] > (
            best["ra"] * best["rat"] * best["pa"] * best["pat"]
        )
    if best is not None:
        return row["pa"] * row["pat"] > best["pa"] * best["pat"]
    return bool(row["pat"] > Z_90 or (row["ra"] > 1.0 and row["pa"] > 0.5))


def repness(
    statements: Sequence[str],
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    excluded: np.ndarray,
) -> dict[int, list[StatementStat]]:
    """Representative statements per group from per-group counts (groups x statements)."""
    n_groups = agree.shape[0]
    out: dict[int, list[StatementStat]] = {}
    total_a, total_d, total_s = agree.sum(0), disagree.sum(0), seen.sum(0)
    for g in range(n_groups):
        na, nd, ns = agree[g], disagree[g], seen[g]
        ra_, rd_, rs_ = total_a - na, total_d - nd, total_s - ns
        table = {
            "na": na,
            "nd": nd,
            "ns": ns,
            "pa": (na + 1.0) / (ns + 2.0),
            "pd": (nd + 1.0) / (ns + 2.0),
            "pat": prop_test(na, ns),
            "pdt": prop_test(nd, ns),
        }
        table["ra"] = table["pa"] / ((ra_ + 1.0) / (rs_ + 2.0))
        table["rd"] = table["pd"] / ((rd_ + 1.0) / (rs_ + 2.0))
        table["rat"] = two_prop_test(na, ra_, ns, rs_)
        table["rdt"] = two_prop_test(nd, rd_, ns, rs_)
        passes = ((table["rat"] > Z_90) & (table["pat"] > Z_90)) | (
            (table["rdt"] > Z_90) & (table["pdt"] > Z_90)
        )
        sufficient: list[StatementStat] = []
        best: StatementStat | None = None
        best_agree: tuple[int, dict[str, float]] | None = None
        for j in np.flatnonzero(~excluded):
            row = {key: float(values[j]) for key, values in table.items()}
            if passes[j]:
                sufficient.append(_finalised(statements[j], row))
            if not sufficient:
                test = max(row["rat"], row["rdt"])
                if best is None or test > best.repness_test:  # type: ignore[operator]
                    best = _finalised(statements[j], row)
            if _beats_best_agree(row, best_agree[1] if best_agree else None):
                best_agree = (int(j), row)
        head: list[StatementStat] = []
        if best_agree is not None:
            head = [_finalised(statements[best_agree[0]], best_agree[1], best_agree=True)]
        elif best is not None:
            head = [best]
        if not sufficient:
            out[g] = head
            continue
        chosen = sorted(
            (
                s
                for s in sufficient
                if not head or s.statement != head[0].statement or not head[0].best_agree
            ),
            key=_metric,
            reverse=True,
        )
        top = (head if head and head[0].best_agree else []) + chosen
        top = top[:PICK]
        out[g] = [s for s in top if s.direction == "agree"] + [
            s for s in top if s.direction == "disagree"
        ]
    return out


def consensus(
    statements: Sequence[str],
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    excluded: np.ndarray,
) -> dict[str, list[StatementStat]]:
    """Up to five statements most agreed with, and five most disagreed with, by everyone."""
    out: dict[str, list[StatementStat]] = {}
    for direction, successes in (("agree", agree), ("disagree", disagree)):
        p = (successes + 1.0) / (seen + 2.0)
        test = prop_test(successes, seen)
        candidates = np.flatnonzero((p > 0.5) & (test > Z_90) & ~excluded)
        ranked = sorted(candidates, key=lambda j: -(p[j] * test[j]))[:PICK]
        out[direction] = [
            StatementStat(
                statement=statements[j],
                direction=direction,  # type: ignore[arg-type]
                n_success=int(successes[j]),
                n_trials=int(seen[j]),
                p_success=float(p[j]),
                p_test=float(test[j]),
            )
            for j in ranked
        ]
    return out


def group_aware_consensus(agree: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Per statement, the product over groups of ``(agree + 1) / (seen + 2)``."""
    if agree.shape[0] == 0:
        return np.zeros(agree.shape[1])
    return np.prod((agree + 1.0) / (seen + 2.0), axis=0)
