"""What the map page says, read off a stored map (plain module, no Django import).

A stored map names statements by number and people by public id. This module joins it with
the statements' words (only those the public may read) and turns counts into the shares the
page shows: for each group what it agrees on and what sets it apart, the common ground across
groups, and every statement's agreement per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from heard.opinions.drawing import group_letter
from heard.opinions.engine.result import VoteCounts

COMMON_GROUND = 5


# A group's (or everyone's) votes on a statement, with the shares the page prints.
Share = VoteCounts

NONE = Share(0, 0, 0)


AGREES_ON = 5  # statements listed as what a group agrees on
AGREES_SHARE = 0.6  # ... each agreed with by at least this share of the group who saw it
AGREES_SEEN = 3  # ... and seen by at least this many of them


@dataclass(frozen=True)
class StatementLine:
    number: str
    text: str | None  # None: its words are not public (the map leaves such statements out)
    language: str
    direction: str  # "agree" or "disagree": what the group does more than the others
    group_share: Share
    others_share: Share


@dataclass
class GroupView:
    number: int
    letter: str
    size: int
    agrees_on: list[StatementLine] = field(default_factory=list)
    apart: list[StatementLine] = field(default_factory=list)


@dataclass
class Row:
    number: str
    text: str | None
    language: str
    everyone: Share  # everyone in a group (people not yet in the map are not counted)
    by_group: list[tuple[str, Share]]  # (group letter, its votes)
    # For consensus statements: (how many agreed or disagreed, of how many who saw it), over
    # everyone who voted, in the map or not, as the consensus is chosen.
    overall: tuple[int, int] | None = None

    @property
    def overall_percent(self) -> int:
        if not self.overall or not self.overall[1]:
            return 0
        return round(100 * self.overall[0] / self.overall[1])


@dataclass
class MapView:
    groups: list[GroupView]
    common_agree: list[Row]
    common_disagree: list[Row]
    group_aware: list[Row]
    rows: list[Row]
    in_map: int
    voters: int


def _share(counts: dict[str, int] | None) -> Share:
    if not counts:
        return NONE
    return Share(int(counts["A"]), int(counts["D"]), int(counts["S"]))


def build(result: dict[str, Any], words: dict[str, tuple[str, str]]) -> MapView:
    """The page's content. ``words``: statement number -> (text, language), for the
    statements the public may read only."""
    group_votes = result.get("group_votes") or {}
    n_groups = len(result.get("group_centres") or [])
    groups_of = result.get("groups") or {}
    sizes = [0] * n_groups
    for g in groups_of.values():
        if 0 <= int(g) < n_groups:
            sizes[int(g)] += 1
    statements = [str(s) for s in (result.get("pca") or {}).get("statements", [])]

    def share(g: int, s: str) -> Share:
        return _share((group_votes.get(str(g)) or {}).get(s))

    def total(s: str, *, leaving_out: int | None = None) -> Share:
        parts = [share(h, s) for h in range(n_groups) if h != leaving_out]
        return Share(*(sum(getattr(p, k) for p in parts) for k in ("agree", "disagree", "seen")))

    def row(s: str, overall: tuple[int, int] | None = None) -> Row:
        text, language = words.get(s, (None, ""))
        by_group = [(group_letter(g), share(g, s)) for g in range(n_groups)]
        return Row(s, text, language, total(s), by_group, overall)

    groups: list[GroupView] = []
    for g in range(n_groups):
        view = GroupView(g, group_letter(g), sizes[g])
        for stat in (result.get("repness_detail") or {}).get(str(g), []):
            s = str(stat["statement"])
            if s not in words:
                continue
            view.apart.append(
                StatementLine(s, *words[s], stat["direction"], share(g, s), total(s, leaving_out=g))
            )
        # What the group agrees on, whether or not others do: its highest agreement shares.
        shares = [(s, share(g, s)) for s in statements if s in words]
        agreed = [
            (s, mine)
            for s, mine in shares
            if mine.seen >= AGREES_SEEN and mine.agree >= AGREES_SHARE * mine.seen
        ]
        agreed.sort(key=lambda pair: -(pair[1].agree + 1) / (pair[1].seen + 2))
        view.agrees_on = [
            StatementLine(s, *words[s], "agree", mine, total(s, leaving_out=g))
            for s, mine in agreed[:AGREES_ON]
        ]
        groups.append(view)

    consensus = result.get("consensus_detail") or {}

    def common(direction: str) -> list[Row]:
        """The consensus statements in ``direction`` whose words are public."""
        found = (
            row(str(c["statement"]), (c["n_success"], c["n_trials"]))
            for c in consensus.get(direction, [])
        )
        return [r for r in found if r.text is not None]

    gac = result.get("group_aware_consensus") or {}
    ranked = sorted((s for s in statements if s in words), key=lambda s: -float(gac.get(s, 0)))
    group_aware = [row(s) for s in ranked[:COMMON_GROUND]] if n_groups > 1 else []
    rows = [row(s) for s in statements if s in words]
    return MapView(
        groups=groups,
        common_agree=common("agree"),
        common_disagree=common("disagree"),
        group_aware=group_aware,
        rows=rows,
        in_map=len(groups_of),
        voters=len(result.get("projections") or {}),
    )
