"""Representative quotes: exact excerpts of what people wrote, chosen by how typical they are.

A quote is an offset into the stored text, and its text is sliced from there, so it is exact
by construction; :func:`check_quotes` checks it anyway and raises, because a report that
misquotes someone is worse than no report. Only texts whose writer consented to being quoted
are quoted. Long texts are quoted by their most on-theme sentence(s), never paraphrased.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from heard.sense.themes.result import Item, Quote

MIN_QUOTES = 3
MAX_QUOTES = 10
#: A text this long or shorter is quoted whole; a longer one by its best run of sentences.
WHOLE_TEXT_LIMIT = 320
#: Sentence ends: ., ! or ? (one or more), then space or end; also line breaks.
SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)|\n+")


class QuoteMismatch(ValueError):
    """A quote that is not an exact excerpt of its contribution, or quotes someone who did
    not consent. Raised, never logged and skipped: the run must not be saved."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed off both ends; offsets into ``text``."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if end > begin:
            trimmed.append((begin, end))
    return trimmed


def excerpt(text: str, keywords: Sequence[str]) -> tuple[int, int] | None:
    """The span to quote: the whole text when short, else the run of consecutive sentences (up
    to WHOLE_TEXT_LIMIT characters) that mentions the theme's key phrases most."""
    spans = sentence_spans(text)
    if not spans:
        return None
    whole = (spans[0][0], spans[-1][1])
    if whole[1] - whole[0] <= WHOLE_TEXT_LIMIT:
        return whole
    folded = text.casefold()
    terms = [k.casefold() for k in keywords]

    def hits(begin: int, end: int) -> int:
        part = folded[begin:end]
        return sum(part.count(term) for term in terms)

    best: tuple[int, int] | None = None
    best_key: tuple[int, int] = (-1, 0)
    for i, (begin, _) in enumerate(spans):
        end = spans[i][1]
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - begin <= WHOLE_TEXT_LIMIT:
            j += 1
            end = spans[j][1]
        key = (hits(begin, end), -i)  # most key phrases; earliest on a tie
        if key > best_key:
            best, best_key = (begin, end), key
    assert best is not None
    return best


def choose_quotes(
    members: Sequence[Item],
    similarity: Mapping[str, float],
    keywords: Sequence[str],
) -> tuple[Quote, ...]:
    """Up to MAX_QUOTES quotes from the most typical consenting members, no two alike.

    Fewer than MIN_QUOTES only when the theme has fewer consenting, distinct members: a quote
    is never invented or borrowed from someone who said no.
    """
    ranked = sorted(members, key=lambda m: (-similarity.get(m.id, 0.0), m.id))
    quotes: list[Quote] = []
    seen: set[str] = set()
    for member in ranked:
        if len(quotes) >= MAX_QUOTES:
            break
        if not member.quotable:
            continue
        span = excerpt(member.text, keywords)
        if span is None:
            continue
        text = member.text[span[0] : span[1]]
        folded = " ".join(text.casefold().split())
        if folded in seen:
            continue
        seen.add(folded)
        quotes.append(Quote(id=member.id, text=text, start=span[0]))
    return tuple(quotes)


def excerpt_problem(source: str, start: int, excerpt: str) -> str | None:
    """Why ``excerpt`` is not the exact text of ``source`` at ``start``, if it is not. The one
    exactness rule: the engine, the platform's save and analysts' key quotes all use it."""
    if not excerpt:
        return "the quote is empty"
    if start < 0 or start + len(excerpt) > len(source):
        return f"characters {start}-{start + len(excerpt)} are outside the contribution"
    if source[start : start + len(excerpt)] != excerpt:
        return f"the words at character {start} are not the quote, letter for letter"
    return None


def check_quotes(quotes: Sequence[Quote], items: Mapping[str, Item]) -> None:
    """Every quote an exact excerpt of a consenting contribution, or QuoteMismatch."""
    for quote in quotes:
        item = items.get(quote.id)
        if item is None:
            raise QuoteMismatch(f"quote cites {quote.id!r}, which is not in the input")
        if not item.quotable:
            raise QuoteMismatch(f"quote cites {quote.id!r}, whose writer did not consent")
        if not quote.text or quote.text.isspace():
            raise QuoteMismatch(f"empty quote for {quote.id!r}")
        if excerpt_problem(item.text, quote.start, quote.text):
            raise QuoteMismatch(
                f"quote for {quote.id!r} is not the text at offset {quote.start}: "
                f"{quote.text[:60]!r}"
            )
