"""Reads for the opinion pages, batched: a page costs the same few queries at any size."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from heard.listen.models import Participant
from heard.opinions.models import Conversation, HuiTally, MapSnapshot, Statement, Vote
from heard.opinions.voting_order import Candidate, draw


def shown_q(conversation: Conversation) -> Q:
    """Statements people see and vote on: accepted ones, and, in a permissive conversation,
    those still waiting for moderation; never rejected or withdrawn ones."""
    q = Q(status=Statement.Status.ACCEPTED)
    if not conversation.is_strict:
        q |= Q(status=Statement.Status.PENDING)
    return q & Q(withdrawn_at__isnull=True)


def shown(conversation: Conversation) -> QuerySet[Statement]:
    return conversation.statements.filter(shown_q(conversation))


def public_words(conversation: Conversation) -> dict[str, tuple[str, str]]:
    """Statement number (as a string) -> (text, language), for the statements people see:
    the words every public output may print, in one query."""
    return {
        str(number): (text, language)
        for number, text, language in shown(conversation).values_list("number", "text", "language")
    }


def conversations_for_listing(engagement) -> list[Conversation]:
    """Every conversation of the engagement with its counts, in two queries (statements and
    voters counted apart, so the one join never multiplies the other)."""
    conversations = list(
        engagement.conversations.annotate(
            shown_count=Count(
                "statements",
                filter=Q(statements__withdrawn_at__isnull=True)
                & (
                    Q(statements__status=Statement.Status.ACCEPTED)
                    | Q(statements__status=Statement.Status.PENDING, moderation="permissive")
                ),
            ),
            pending_count=Count(
                "statements",
                filter=Q(
                    statements__status=Statement.Status.PENDING,
                    statements__withdrawn_at__isnull=True,
                ),
            ),
        ).order_by("number")
    )
    voters = dict(
        Vote.objects.filter(statement__conversation__engagement=engagement, current=True)
        .values("statement__conversation_id")
        .annotate(n=Count("participant", distinct=True))
        .values_list("statement__conversation_id", "n")
        .order_by()
    )
    for conversation in conversations:
        conversation.voter_count = voters.get(conversation.pk, 0)
    return conversations


@dataclass(frozen=True, slots=True)
class Counts:
    """Agree, disagree and pass counts (votes or a hui's hands)."""

    agree: int = 0
    disagree: int = 0
    passes: int = 0

    @property
    def seen(self) -> int:
        return self.agree + self.disagree + self.passes


NO_COUNTS = Counts()


def vote_counts(conversation: Conversation) -> dict[int, Counts]:
    """Statement id -> its current online (and imported) votes, in one query."""
    rows = (
        Vote.objects.filter(statement__conversation=conversation, current=True)
        .values("statement_id")
        .annotate(
            a=Count("id", filter=Q(value=Vote.Value.AGREE)),
            d=Count("id", filter=Q(value=Vote.Value.DISAGREE)),
            p=Count("id", filter=Q(value=Vote.Value.PASS)),
        )
        .order_by()
    )
    return {r["statement_id"]: Counts(r["a"], r["d"], r["p"]) for r in rows}


def tally_totals(conversation: Conversation) -> dict[int, Counts]:
    """Statement id -> the sum of the current hui tallies on it, in one query."""
    rows = (
        HuiTally.objects.filter(statement__conversation=conversation, current=True)
        .values("statement_id")
        .annotate(a=Sum("agree"), d=Sum("disagree"), p=Sum("passes"))
        .order_by()
    )
    return {r["statement_id"]: Counts(r["a"], r["d"], r["p"]) for r in rows}


def tally_totals_by_number(conversation: Conversation) -> dict[int, Counts]:
    """Statement number -> the sum of the current hui tallies on it, in one query."""
    rows = (
        HuiTally.objects.filter(statement__conversation=conversation, current=True)
        .values("statement__number")
        .annotate(a=Sum("agree"), d=Sum("disagree"), p=Sum("passes"))
        .order_by()
    )
    return {r["statement__number"]: Counts(r["a"], r["d"], r["p"]) for r in rows}


def latest_map(conversation: Conversation) -> MapSnapshot | None:
    return (
        conversation.snapshots.filter(status=MapSnapshot.Status.FINISHED)
        .order_by("-number")
        .defer("state")
        .first()
    )


def extremity(conversation: Conversation) -> dict[str, float]:
    """Statement number (as a string) -> how far it pulls people apart, from the latest map."""
    # Only the one key is read out of the stored map (a JSON path in the database), not the
    # whole result, which at 10,000 people is megabytes.
    values = (
        conversation.snapshots.filter(status=MapSnapshot.Status.FINISHED)
        .order_by("-number")
        .values_list("result__extremity", flat=True)
        .first()
    )
    return {str(k): float(v) for k, v in (values or {}).items()}


@dataclass(frozen=True)
class Progress:
    """Where a participant is in a conversation: the statement to show next, if any."""

    statement: Statement | None
    voted: int  # shown statements they have voted on
    total: int  # statements shown

    @property
    def remaining(self) -> int:
        return self.total - self.voted


def next_for(conversation: Conversation, participant: Participant | None) -> Progress:
    """The statement ``participant`` sees next (a weighted draw: ``voting_order``), with their
    progress. The draw is seeded by who they are and how far they have got, so reloading the
    page shows the same statement rather than a new one each time."""
    statements = shown(conversation)
    if participant is None:
        return Progress(None, 0, statements.count())
    mine = Vote.objects.filter(participant=participant, statement=OuterRef("pk"), current=True)
    rows = list(
        statements.annotate(mine=Exists(mine)).values_list("pk", "number", "is_meta", "mine")
    )
    open_rows = [r for r in rows if not r[3]]
    voted = len(rows) - len(open_rows)
    if not open_rows:
        return Progress(None, voted, len(rows))
    counts = vote_counts(conversation)
    far = extremity(conversation)
    candidates = [
        Candidate(
            key=pk,
            agrees=counts.get(pk, NO_COUNTS).agree,
            passes=counts.get(pk, NO_COUNTS).passes,
            seen=counts.get(pk, NO_COUNTS).seen,
            extremity=far.get(str(number), 0.0),
            is_meta=is_meta,
        )
        for pk, number, is_meta, _mine in open_rows
    ]
    rng = random.Random(f"{conversation.pk}:{participant.public_id}:{voted}")  # noqa: S311
    chosen = draw(candidates, rng)
    statement = Statement.objects.get(pk=chosen.key)
    return Progress(statement, voted, len(rows))


def my_votes(conversation: Conversation, participant: Participant) -> QuerySet[Vote]:
    """A participant's current votes in this conversation, newest first."""
    return (
        Vote.objects.filter(
            participant=participant, statement__conversation=conversation, current=True
        )
        .select_related("statement__conversation")
        .order_by("-cast_at", "-id")
    )


def my_statements(conversation: Conversation, participant: Participant) -> QuerySet[Statement]:
    return conversation.statements.filter(author=participant).order_by("-number")


def statements_for_listing(conversation: Conversation, *, everything: bool) -> QuerySet[Statement]:
    """The statements list: shown and rejected ones (rejected show their reason), withdrawn
    ones as withdrawn; with ``everything`` (the team) also those waiting in a strict one."""
    qs = conversation.statements.select_related("author")
    if not everything:
        qs = qs.filter(
            shown_q(conversation)
            | Q(status=Statement.Status.REJECTED)
            | Q(withdrawn_at__isnull=False)
        )
    return qs.order_by("number")


def tallies(conversation: Conversation) -> QuerySet[HuiTally]:
    """Every tally of the conversation, current and corrected, newest first."""
    return HuiTally.objects.filter(statement__conversation=conversation).select_related(
        "statement", "hui", "recorded_by"
    )
