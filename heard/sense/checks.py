"""Checks a theme result must pass before the platform keeps it. Plain module (no Django).

The engine checks its own quotes; the platform checks again, against the words as stored, at
the moment it saves them, because what is saved is what analysts and reports will stand on:
every contribution placed exactly once, every quote an exact excerpt, no quote from someone
who asked not to be quoted. A failing check is an error that stops the save, never a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from heard.sense.themes.quotes import excerpt_problem
from heard.sense.themes.result import ThemeResult


class ResultRejected(ValueError):
    """The result breaks a rule; nothing of it is kept. The message says which and where."""


def check_complete(input_ids: Sequence[str], result: ThemeResult) -> None:
    """Every input id in exactly one theme or in ``unassigned``, and nothing else."""
    if problems := result.placement_problems(input_ids):
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
