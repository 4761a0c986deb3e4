"""Links from the team's narrative to the evidence it rests on (no Django import).

The team writes plain text. A marker in square brackets points at something the report shows:

    [c:123]   the quote of contribution 123 (its id in the open data)
    [s:1.4]   statement 4 of conversation 1
    [t:17]    theme 17 (the id the team's page shows beside each theme)

The page prints each marker as a link to that quote, statement or theme, so a reader can go
from "most people wanted to be asked first" to the words it rests on. A marker must point at
something in the report when the team saves (``unresolved``); if what it points at leaves the
report later (words withdrawn, a theme merged), the link is printed as plain words saying so,
never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from heard.report.content import Evidence, Narrative, Segment

MARKER = re.compile(r"\[(c|s|t):\s*(\d{1,12}(?:\.\d{1,12})?)\]")
KINDS = {"c": "contribution", "s": "statement", "t": "theme"}

Resolver = Callable[[str, str], Evidence]


def references(text: str) -> list[tuple[str, str]]:
    """Every marker in ``text``, as (kind, ref), in order."""
    return [(m.group(1), m.group(2)) for m in MARKER.finditer(text or "")]


def paragraphs(text: str) -> list[str]:
    """Paragraphs as a blank line separates them (as Django's ``linebreaks`` reads text)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def narrative(text: str, resolve: Resolver) -> Narrative:
    """The team's text as paragraphs of words and evidence links."""
    result: Narrative = []
    for paragraph in paragraphs(text):
        segments: list[Segment] = []
        at = 0
        for match in MARKER.finditer(paragraph):
            if match.start() > at:
                segments.append(Segment(text=paragraph[at : match.start()]))
            segments.append(Segment(evidence=resolve(match.group(1), match.group(2))))
            at = match.end()
        if at < len(paragraph):
            segments.append(Segment(text=paragraph[at:]))
        result.append(segments)
    return result


def unresolved(text: str, available: set[tuple[str, str]]) -> list[str]:
    """The markers in ``text`` that point at nothing in the report, as written."""
    return [f"[{kind}:{ref}]" for kind, ref in references(text) if (kind, ref) not in available]
