"""Which themes the policy answers, which it sets aside and why, and which clauses stand on
nothing (no Django import).

A theme is *answered* when a clause of the version cites it (or quotes one of its
contributions), *set aside* when the team wrote a public reason for leaving it, and otherwise
*unanswered*: the coverage view lists those first, because a finding the policy ignores in
silence is what check-back exists to catch. A clause *without evidence* cites nothing and gives
no reason for not coming from the engagement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from heard.policy.document import ClauseContent


@dataclass(frozen=True)
class Coverage:
    answered: dict[int, list[str]]  # theme id -> the clause keys that answer it, in order
    set_aside: dict[int, str]  # theme id -> the team's public reason
    unanswered: list[int]  # theme ids, in the themes' order
    without_evidence: list[str]  # clause keys citing nothing and giving no reason
    not_from_engagement: dict[str, str]  # clause key -> its reason

    @property
    def complete(self) -> bool:
        return not self.unanswered and not self.without_evidence


def coverage(
    themes: Iterable[int],
    clauses: Iterable[ClauseContent],
    set_aside: Mapping[int, str],
    theme_of_contribution: Mapping[int, int] | None = None,
) -> Coverage:
    """The coverage of ``themes`` (in their order) by ``clauses``. A quote counts for the theme
    its contribution sits in (``theme_of_contribution``). A theme both answered and set aside
    counts as answered: the set-aside reason no longer applies and is not shown."""
    themes = list(themes)
    clauses = list(clauses)
    theme_of_contribution = theme_of_contribution or {}
    answered: dict[int, list[str]] = {}
    for clause in clauses:
        cited = set(clause.themes) | {
            theme_of_contribution[q.contribution]
            for q in clause.quotes
            if q.contribution in theme_of_contribution
        }
        for theme in sorted(cited):
            answered.setdefault(theme, []).append(clause.key)
    known = set(themes)
    return Coverage(
        answered={t: answered[t] for t in themes if t in answered},
        set_aside={t: r for t, r in set_aside.items() if t in known and t not in answered},
        unanswered=[t for t in themes if t not in answered and t not in set_aside],
        without_evidence=[
            c.key for c in clauses if not c.has_evidence and not c.not_from_engagement.strip()
        ],
        not_from_engagement={
            c.key: c.not_from_engagement for c in clauses if c.not_from_engagement.strip()
        },
    )
