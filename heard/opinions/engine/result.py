"""What the opinion map says, as plain data: groups, where people sit, what sets each group
apart, and the common ground. ``to_json`` is the command line's contract (and more)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["agree", "disagree"]


@dataclass(frozen=True, slots=True)
class StatementStat:
    """A statement's standing in one group (repness) or across everyone (consensus).

    ``n_success`` of ``n_trials`` who saw it voted ``direction``; ``p_success`` is that share
    with Pol.is's +1/+2 prior and ``p_test`` its z-score against one half. For repness,
    ``repness`` is the ratio of the group's share to everyone else's and ``repness_test`` the
    two-proportion z-score of the difference.
    """

    statement: str
    direction: Direction
    n_success: int
    n_trials: int
    p_success: float
    p_test: float
    repness: float | None = None
    repness_test: float | None = None
    best_agree: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statement": self.statement,
            "direction": self.direction,
            "n_success": self.n_success,
            "n_trials": self.n_trials,
            "p_success": self.p_success,
            "p_test": self.p_test,
        }
        if self.repness is not None:
            out["repness"] = self.repness
            out["repness_test"] = self.repness_test
            out["best_agree"] = self.best_agree
        return out


@dataclass(frozen=True, slots=True)
class VoteCounts:
    """Agree, disagree and seen (agree + disagree + pass) counts."""

    agree: int
    disagree: int
    seen: int

    @property
    def passes(self) -> int:
        return self.seen - self.agree - self.disagree

    def percent(self, n: int) -> int:
        """``n`` as a whole percentage of those who saw the statement (0 when nobody did)."""
        return round(100 * n / self.seen) if self.seen else 0

    @property
    def agree_percent(self) -> int:
        return self.percent(self.agree)

    @property
    def disagree_percent(self) -> int:
        return self.percent(self.disagree)

    @property
    def pass_percent(self) -> int:
        return self.percent(self.passes)


@dataclass(slots=True)
class OpinionResult:
    """One computation of the map. Group numbers are 0, 1, ... ordered as Pol.is orders them.

    ``groups`` holds only the participants in the map (enough votes); ``projections`` holds
    everyone who voted, so a newcomer still sees where they sit.
    """

    provenance: dict[str, Any]
    statements: list[str]  # the map's columns, in order
    participants: list[str]  # everyone with a vote, in row order
    in_map: list[str]
    groups: dict[str, int]
    projections: dict[str, tuple[float, float]]
    group_centres: list[tuple[float, float]]
    group_votes: list[dict[str, VoteCounts]]  # per group: statement -> counts
    repness: dict[int, list[StatementStat]]
    consensus: dict[Direction, list[StatementStat]]
    group_aware_consensus: dict[str, float]
    statement_projections: dict[str, tuple[float, float]]
    extremity: dict[str, float]
    priorities: dict[str, float]
    pca: dict[str, Any]
    base_clusters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def group_count(self) -> int:
        return len(self.group_centres)

    def group_members(self, group: int) -> list[str]:
        return [p for p, g in self.groups.items() if g == group]

    def agreement(self, statement: str, group: int) -> VoteCounts:
        """How ``group`` voted on ``statement`` (zeros when nobody in it saw the statement)."""
        return self.group_votes[group].get(statement, VoteCounts(0, 0, 0))

    def to_json(self) -> dict[str, Any]:
        """The command-line contract's keys, plus the rest of the map."""
        return {
            "provenance": self.provenance,
            "groups": dict(self.groups),
            "repness": {
                str(g): [s.statement for s in stats] for g, stats in sorted(self.repness.items())
            },
            "consensus": [s.statement for s in self.consensus["agree"]]
            + [s.statement for s in self.consensus["disagree"]],
            "pca": self.pca,
            "repness_detail": {
                str(g): [s.to_json() for s in stats] for g, stats in sorted(self.repness.items())
            },
            "consensus_detail": {
                d: [s.to_json() for s in stats] for d, stats in self.consensus.items()
            },
            "group_aware_consensus": self.group_aware_consensus,
            "group_votes": {
                str(g): {s: {"A": c.agree, "D": c.disagree, "S": c.seen} for s, c in votes.items()}
                for g, votes in enumerate(self.group_votes)
            },
            "projections": {p: list(xy) for p, xy in self.projections.items()},
            "group_centres": [list(xy) for xy in self.group_centres],
            "statement_projections": {s: list(xy) for s, xy in self.statement_projections.items()},
            "extremity": self.extremity,
            "base_clusters": self.base_clusters,
            "in_map": list(self.in_map),
            "priorities": self.priorities,
        }
