"""Checks a theme result must pass before the platform keeps it. Plain module (no Django).

The engine checks its own quotes; the platform checks again, against the words as stored, at
the moment it saves them, because what is saved is what analysts and reports will stand on:
every contribution placed exactly once, every quote an exact excerpt, no quote from someone
who asked not to be quoted. A failing check is an error that stops the save, never a warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from heard.sense.themes.result import ThemeResult


class ResultRejected(ValueError):
    """The result breaks a rule; nothing of it is kept. The message says which and where."""


def excerpt_problem(source: str, start: int, excerpt: str) -> str | None:
    """Why ``excerpt`` is not the exact text of ``source`` at ``start``, if it is not."""
    if not excerpt:
        return "the quote is empty"
    if start < 0 or start + len(excerpt) > len(source):
        return f"characters {start}-{start + len(excerpt)} are outside the contribution"
    if source[start : start + len(excerpt)] != excerpt:
        return f"the words at character {start} are not the quote, letter for letter"
    return None


def check_complete(input_ids: Sequence[str], result: ThemeResult) -> None:
    """Every input id in exactly one theme or in ``unassigned``, and nothing else."""
    placed = Counter(result.unassigned)
    for theme in result.themes:
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
    if problems:
        raise ResultRejected("; ".join(problems))


def check_quotes(
    result: ThemeResult, texts: Mapping[str, str], quotable: Mapping[str, bool]
) -> None:
    """Every quote an exact excerpt of its contribution's stored words, taken from a member of
    its theme whose author allowed quoting."""
    for theme in result.themes:
        members = set(theme.members)
        for quote in theme.quotes:
            where = f"theme {theme.id}, quote from contribution {quote.id}"
            if quote.id not in members:
                raise ResultRejected(f"{where}: that contribution is not in the theme")
            if not quotable.get(quote.id, False):
                raise ResultRejected(f"{where}: its author did not allow quoting")
            if problem := excerpt_problem(texts.get(quote.id, ""), quote.start, quote.text):
                raise ResultRejected(f"{where}: {problem}")
