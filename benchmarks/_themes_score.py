"""Scoring a theme run, independently of the engine that made it.

The benchmarks do not trust the engine's own checks: they verify here, from the items they gave
it, that every input id is in exactly one theme or in the unassigned bucket, and that every quote
is an exact excerpt of the contribution it names (and that this contribution is a member of the
theme it illustrates). Agreement with people's labels is V-measure and the adjusted Rand index,
with the unassigned bucket (and BERTopic's outlier topic -1) counted as one cluster of its own,
so leaving texts out is never free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sklearn.metrics import adjusted_rand_score, v_measure_score

from heard.sense.themes.result import Item, ThemeResult

UNASSIGNED = "-1"  # the cluster label of every unassigned text (BERTopic's outliers too)


@dataclass
class ResultCheck:
    """What the benchmark found when it checked a run's output itself."""

    problems: list[str] = field(default_factory=list)  # partition errors; must stay empty
    quotes: int = 0
    quotes_exact: int = 0  # text is a non-empty substring of its item's text, at ``start``
    quotes_of_non_members: int = 0  # quotes whose item is not a member of the theme
    quotes_without_consent: int = 0  # quotes of items that are not quotable
    quotes_per_theme: list[int] = field(default_factory=list)

    def add(self, other: ResultCheck) -> None:
        self.problems.extend(other.problems)
        self.quotes += other.quotes
        self.quotes_exact += other.quotes_exact
        self.quotes_of_non_members += other.quotes_of_non_members
        self.quotes_without_consent += other.quotes_without_consent
        self.quotes_per_theme.extend(other.quotes_per_theme)

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.quotes_exact == self.quotes
            and not self.quotes_of_non_members
            and not self.quotes_without_consent
        )

    def summary(self) -> dict[str, object]:
        per_theme = sorted(self.quotes_per_theme)
        return {
            "partition_problems": self.problems[:20],
            "partition_problem_count": len(self.problems),
            "quotes": self.quotes,
            "quotes_exact": self.quotes_exact,
            "quote_exactness": self.quotes_exact / self.quotes if self.quotes else None,
            "quotes_of_non_members": self.quotes_of_non_members,
            "quotes_without_consent": self.quotes_without_consent,
            "quotes_per_theme_min": per_theme[0] if per_theme else None,
            "quotes_per_theme_max": per_theme[-1] if per_theme else None,
            "ok": self.ok,
        }


def check_result(result: ThemeResult, items: Sequence[Item]) -> ResultCheck:
    """Check ``result`` against the ``items`` the engine was given (see the module docstring)."""
    check = ResultCheck()
    by_id = {item.id: item for item in items}
    seen: Counter[str] = Counter()
    for theme in result.themes:
        seen.update(theme.members)
    seen.update(result.unassigned)
    missing = [item_id for item_id in by_id if item_id not in seen]
    twice = [item_id for item_id, count in seen.items() if count > 1]
    unknown = [item_id for item_id in seen if item_id not in by_id]
    if missing:
        check.problems.append(f"{len(missing)} input ids in no theme and not unassigned")
    if twice:
        check.problems.append(f"{len(twice)} ids placed more than once (e.g. {twice[0]!r})")
    if unknown:
        check.problems.append(f"{len(unknown)} ids that were not in the input")
    for theme in result.themes:
        members = set(theme.members)
        check.quotes_per_theme.append(len(theme.quotes))
        for quote in theme.quotes:
            check.quotes += 1
            item = by_id.get(quote.id)
            if item is None:
                continue
            text = item.text
            start = quote.start
            if (
                quote.text
                and quote.text in text
                and start >= 0
                and text[start : start + len(quote.text)] == quote.text
            ):
                check.quotes_exact += 1
            if quote.id not in members:
                check.quotes_of_non_members += 1
            if not item.quotable:
                check.quotes_without_consent += 1
    return check


def assignment(result: ThemeResult, ids: Sequence[str]) -> list[str]:
    """The theme id of each of ``ids`` (``UNASSIGNED`` for the unassigned bucket)."""
    theme_of = {member: theme.id for theme in result.themes for member in theme.members}
    return [theme_of.get(item_id, UNASSIGNED) for item_id in ids]


def agreement(truth: Sequence[str | None], predicted: Sequence[str]) -> dict[str, float]:
    """V-measure and ARI over the texts that have a label (``None``: clustered, not scored),
    and the share of those the clustering left unassigned."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t is not None]
    if not pairs:
        return {"v_measure": float("nan"), "ari": float("nan"), "unassigned_share": float("nan")}
    labels, clusters = zip(*pairs, strict=True)
    return {
        "v_measure": float(v_measure_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
        "unassigned_share": sum(c == UNASSIGNED for c in clusters) / len(clusters),
    }
