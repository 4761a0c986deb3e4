"""What the theme engine takes in and gives back.

Plain frozen dataclasses so that the engine, the command line, the Django app and the
benchmarks all speak one shape, and so that a result can be turned into the JSON of the
command-line contract (``to_json``) without knowing about Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    """One contribution as the engine sees it.

    ``quotable`` is the person's quote consent: an item that is not quotable is still grouped
    (what they said counts) but never quoted. ``language`` is a BCP 47 tag such as ``en`` or
    ``mi`` when known; the engine centres embeddings per language so that te reo Māori is
    grouped by what it says, not by being te reo.
    """

    id: str
    text: str
    language: str | None = None
    quotable: bool = True


@dataclass(frozen=True)
class Quote:
    """An exact excerpt: ``text == source_text[start:start + len(text)]``, checked in code."""

    id: str
    text: str
    start: int


@dataclass(frozen=True)
class Theme:
    """One theme. ``id`` is stable across reruns of the same input (derived from its members)."""

    id: str
    label: str
    keywords: tuple[str, ...]
    members: tuple[str, ...]
    quotes: tuple[Quote, ...]
    #: member id -> similarity to the theme's centre (cosine, -1..1): how typical the member is.
    scores: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ThemeResult:
    """A whole run. Every input id is in exactly one theme's members or in ``unassigned``."""

    provenance: dict[str, Any]
    themes: tuple[Theme, ...]
    unassigned: tuple[str, ...]

    def placement_problems(self, input_ids: Sequence[str]) -> list[str]:
        """What breaks "every input id in exactly one theme or in unassigned, nothing else"
        (empty when nothing does). The engine and the platform both check it."""
        placed = Counter(self.unassigned)
        for theme in self.themes:
            placed.update(theme.members)
        twice = sorted(i for i, n in placed.items() if n > 1)
        missing = sorted(set(input_ids) - set(placed))
        unknown = sorted(set(placed) - set(input_ids))
        problems = []
        if missing:
            problems.append(f"{len(missing)} contributions were left out (e.g. {missing[:5]})")
        if twice:
            problems.append(f"{len(twice)} contributions were placed twice (e.g. {twice[:5]})")
        if unknown:
            problems.append(f"{len(unknown)} ids were not in the input (e.g. {unknown[:5]})")
        return problems

    def to_json(self) -> dict[str, Any]:
        """The command-line contract's JSON object."""
        return {
            "provenance": self.provenance,
            "themes": [
                {
                    "id": theme.id,
                    "label": theme.label,
                    "keywords": list(theme.keywords),
                    "members": list(theme.members),
                    "quotes": [{"id": q.id, "text": q.text} for q in theme.quotes],
                }
                for theme in self.themes
            ],
            "unassigned": list(self.unassigned),
        }
