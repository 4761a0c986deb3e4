"""Reads of contributions, batched (one query per page, whatever its length)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from heard.engagements.models import Engagement
from heard.listen.models import Contribution
from heard.listen.vocab import QuoteConsent


def contributions_for_listing(engagement: Engagement) -> QuerySet[Contribution]:
    return (
        Contribution.objects.filter(engagement=engagement)
        .select_related("participant", "participant__hui", "hui", "hui__venue", "question")
        .order_by("received_at", "id")
    )


def apply_filters(
    qs: QuerySet[Contribution], params, *, everything: bool = False
) -> QuerySet[Contribution]:
    """Filter by channel, language, hui key, question key and a text search.

    On public pages the text search looks only at words the public may read; otherwise a
    search could confirm guesses about hidden or not-for-quoting words.
    """
    if channel := params.get("channel"):
        qs = qs.filter(channel=channel)
    if language := params.get("language"):
        qs = qs.filter(language=language)
    if hui := params.get("hui"):
        qs = qs.filter(hui__key=hui)
    if question := params.get("question"):
        qs = qs.filter(question__key=question)
    if q := params.get("q"):
        matches = Q(text__icontains=q[:200])
        if not everything:
            matches &= Q(is_hidden=False) & ~Q(quote_consent=QuoteConsent.NONE)
        qs = qs.filter(matches)
    return qs
