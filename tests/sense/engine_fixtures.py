"""Shared material for the theme engine's tests: the demo engagement's contributions as engine
items, their embeddings computed once per test process, and the checks every result must pass.

Embedding the 528 demo texts is the slow part (minutes on a busy machine), so it happens once,
behind ``functools.cache``; the clustering tests hand the vectors to ``find_themes`` and run the
real embedding path only on small inputs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np

import heard.core
from heard.sense.themes.embeddings import embed
from heard.sense.themes.engine import find_themes
from heard.sense.themes.result import Item, ThemeResult

DEMO_FILE = Path(heard.core.__file__).parent / "demo" / "engagement.json"


@cache
def demo_rows() -> tuple[dict, ...]:
    """The demo's contributions with an id each (the file has none): ``d000``, ``d001``, ..."""
    rows = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["contributions"]
    return tuple({"id": f"d{n:03d}", **row} for n, row in enumerate(rows))


def demo_items() -> list[Item]:
    """As the platform hands them over: consent "quote" or "anonymous" may be quoted."""
    return [
        Item(
            id=row["id"],
            text=row["text"],
            language=row["language"],
            quotable=row["quote_consent"] != "none",
        )
        for row in demo_rows()
    ]


@cache
def demo_vectors() -> np.ndarray:
    """Accurate-mode embeddings of every demo text, in demo order; read-only."""
    vectors = embed([row["text"] for row in demo_rows()])
    vectors.setflags(write=False)
    return vectors


@cache
def demo_result(k: int | None, seed: int = 0) -> ThemeResult:
    """The whole demo grouped from its precomputed vectors (mode "supplied")."""
    return find_themes(demo_items(), k=k, seed=seed, embeddings=demo_vectors())


def demo_subset(step: int) -> tuple[list[Item], np.ndarray]:
    """Every ``step``-th demo item with its vectors: a quicker input of the same kind."""
    return demo_items()[::step], demo_vectors()[::step]


def small_corpus() -> list[Item]:
    """About thirty short texts on three clear demo topics, English and te reo: small enough to
    run the real embedding path end to end."""
    wanted = {"anonymisation": 10, "pacific-communities": 10, "provider-burden": 10}
    chosen: list[Item] = []
    for item, row in zip(demo_items(), demo_rows(), strict=True):
        if wanted.get(row["topic"], 0) > 0 and len(item.text) < 240:
            wanted[row["topic"]] -= 1
            chosen.append(item)
    return chosen


def theme_of(result: ThemeResult) -> dict[str, str]:
    """Member id -> theme id."""
    return {member: theme.id for theme in result.themes for member in theme.members}


def assert_partition(result: ThemeResult, ids: Iterable[str]) -> None:
    """Every input id exactly once, in one theme's members or in unassigned."""
    placed = [m for theme in result.themes for m in theme.members] + list(result.unassigned)
    duplicated = [i for i, n in Counter(placed).items() if n > 1]
    assert not duplicated, f"placed more than once: {duplicated[:10]}"
    expected, got = set(ids), set(placed)
    assert got == expected, f"lost {sorted(expected - got)[:9]}, made up {sorted(got - expected)}"
    assert len({theme.id for theme in result.themes}) == len(result.themes), "theme ids repeat"


def assert_quotes_exact(result: ThemeResult, items: Mapping[str, Item]) -> None:
    """Every quote an exact slice of its own, consenting member's text, at its offset."""
    for theme in result.themes:
        for quote in theme.quotes:
            assert quote.id in theme.members, f"{theme.id} quotes {quote.id}, not a member"
            item = items[quote.id]
            assert item.quotable, f"{quote.id} did not consent to be quoted"
            assert quote.text.strip(), f"empty quote for {quote.id}"
            assert item.text[quote.start : quote.start + len(quote.text)] == quote.text


def language_shares(result: ThemeResult, language: Mapping[str, str], tag: str) -> list[tuple]:
    """(members, members in ``tag``) for every theme, largest share first."""
    counts = [(len(t.members), sum(language[m] == tag for m in t.members)) for t in result.themes]
    return sorted(counts, key=lambda c: -c[1] / c[0])


def meaning_share(
    theme_members: Sequence[Sequence[str]], rows: Sequence[dict], tag: str = "mi"
) -> float:
    """Share of the ``tag`` texts whose theme's English members most often have the same hand
    topic as they do; a ``tag`` text that fits no theme counts as a miss."""
    by_id = {row["id"]: row for row in rows}
    targets = [row["id"] for row in rows if row["language"] == tag]
    hits = 0
    for members in theme_members:
        english = Counter(by_id[m]["topic"] for m in members if by_id[m]["language"] == "en")
        if not english:
            continue
        ranked = english.most_common(2)
        if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
            continue  # a tie for most common: no topic is the theme's, so no hit (strict)
        hits += sum(
            1 for m in members if by_id[m]["language"] == tag and by_id[m]["topic"] == ranked[0][0]
        )
    return hits / len(targets)
