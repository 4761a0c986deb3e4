"""Pol.is openData in and out of an engagement: bring a conversation in, give any back.

Import keeps everything the folder holds: every comment with its id (as the statement's
number), author, time and moderation; every row of the vote history, repeats included, with its
time; each voter's Pol.is id and Pol.is's group for them. Each comment and vote goes through the
one door the rest of the platform uses (``services``), so each is an entry in the record.

Export writes the same layout from heard's rows: statements as comments, the whole vote
history as votes.csv, current votes per person with heard's own opinion group as
participants-votes.csv, and a summary. Imported people keep their Pol.is ids; others are
numbered in order of first appearance. ``scope="public"`` withholds the words the site does not
show (rejected statements, and those still waiting in a strict conversation), as every public
output does (decision 11); withdrawn words are gone in both scopes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import Participant
from heard.opinions import queries, services
from heard.opinions.models import (
    Channel,
    Conversation,
    ImportedParticipant,
    Statement,
    Vote,
)
from heard.opinions.open_data import (
    OpenDataError,
    PolisComment,
    PolisConversation,
    PolisVote,
    read_conversation,
    write_conversation,
    zip_conversation,
)
from heard.opinions.services import NewVote

STATUS_OF = {
    1: Statement.Status.ACCEPTED,
    0: Statement.Status.PENDING,
    -1: Statement.Status.REJECTED,
}
MODERATED_OF = {v: k for k, v in STATUS_OF.items()}
REJECTED_REASON = "Rejected by the moderators of the Pol.is conversation it was imported from."


def _moment(ms: int | None, fallback: dt.datetime) -> dt.datetime:
    return fallback if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def import_folder(
    engagement: Engagement, folder: Path, *, by=None, topic: str | None = None
) -> Conversation:
    """Read an openData folder (``OpenDataError`` names any problem) and import it."""
    return import_conversation(
        engagement, read_conversation(folder), source=folder.name, by=by, topic=topic
    )


def import_conversation(
    engagement: Engagement,
    data: PolisConversation,
    *,
    source: str,
    by=None,
    topic: str | None = None,
) -> Conversation:
    """One transaction: the conversation, its people, statements and votes, or nothing."""
    problems = import_problems(data)
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise OpenDataError("; ".join(problems[:10]) + more)
    now = timezone.now()
    with transaction.atomic():
        conversation = services.create_conversation(
            engagement,
            topic=(topic or data.summary.get("topic") or source)[:300],
            description=data.summary.get("conversation-description", ""),
            moderation=Conversation.Moderation.PERMISSIVE,
            allow_participant_statements=True,
            by=by,
        )
        conversation.source = {
            "imported_from": source,
            "summary": data.summary,
            "votes_source": data.votes_source,
        }
        conversation.save(update_fields=["source"])
        people = _people(conversation, data)
        statements: dict[str, Statement] = {}
        for comment in sorted(data.comments, key=lambda c: int(c.id)):
            status = STATUS_OF[comment.moderated]
            statement = services.import_statement(
                conversation,
                comment.body,
                number=int(comment.id),
                # A rejection is a decision with a reason: taken in pending, then rejected.
                status=Statement.Status.PENDING if status == Statement.Status.REJECTED else status,
                author=people[comment.author] if comment.author is not None else None,
                is_meta=comment.is_meta,
                created_at=_moment(comment.created_ms, now),
                imported_from=source,
                external_author=comment.author or "",
                by=by,
            )
            if status == Statement.Status.REJECTED:
                services.moderate_statement(statement, status, by=by, reason=_(REJECTED_REASON))
            statements[comment.id] = statement
        # In time order (the file's order among equal times): the last vote by time is the
        # current one, as the reader and the map take it.
        in_time = sorted(data.votes, key=lambda v: v.at_ms if v.at_ms is not None else 0)
        services.cast_votes(
            conversation,
            (
                NewVote(people[v.voter], statements[v.statement], v.value, _moment(v.at_ms, now))
                for v in in_time
            ),
            channel=Channel.IMPORT,
            keep_repeats=True,
        )
    return conversation


MAX_NUMBER = 2**31 - 1  # a statement number is a PositiveIntegerField (PostgreSQL's integer)
MAX_MS = 253_402_300_799_999  # the last millisecond of year 9999, the latest datetime holds


def import_problems(data: PolisConversation) -> list[str]:
    """What in a well-formed folder heard still cannot keep exactly, each named: checked
    before anything is written, so a refused import leaves nothing behind."""
    problems = []
    for comment in data.comments:
        where = f"comments.csv comment-id {comment.id}"
        if not comment.id.isdigit() or int(comment.id) > MAX_NUMBER:
            problems.append(f"{where}: not a whole number up to {MAX_NUMBER:,}")
        for problem in services.statement_problems(comment.body):
            problems.append(f"{where}: {problem}")
        if comment.created_ms is not None and not 0 <= comment.created_ms <= MAX_MS:
            problems.append(f"{where}: timestamp {comment.created_ms} is not a date")
    longest = ImportedParticipant._meta.get_field("external_id").max_length
    for voter in {v.voter for v in data.votes} | {c.author for c in data.comments if c.author}:
        if len(voter) > longest:
            problems.append(f"participant id {voter[:20]}...: longer than 100 characters")
    for vote in data.votes:
        if vote.at_ms is not None and not 0 <= vote.at_ms <= MAX_MS:
            problems.append(f"votes.csv: timestamp {vote.at_ms} is not a date")
            break
    return problems


def _people(conversation: Conversation, data: PolisConversation) -> dict[str, Participant]:
    """A pseudonymous participant for every Pol.is id (authors and voters), in order of first
    appearance, with the id and Pol.is's group kept beside them."""
    ids: list[str] = []
    seen: set[str] = set()
    for external in (
        [c.author for c in data.comments] + [v.voter for v in data.votes] + list(data.groups)
    ):
        if external is not None and external not in seen:
            seen.add(external)
            ids.append(external)
    participants = Participant.objects.bulk_create(
        [Participant(engagement=conversation.engagement) for _ in ids]
    )
    ImportedParticipant.objects.bulk_create(
        [
            ImportedParticipant(
                conversation=conversation,
                external_id=external,
                participant=participant,
                polis_group=data.groups.get(external),
            )
            for external, participant in zip(ids, participants, strict=True)
        ]
    )
    return dict(zip(ids, participants, strict=True))


# --- export --------------------------------------------------------------------------------------


def _voter_ids(conversation: Conversation, voters_in_order: list[int]) -> dict[int, str]:
    """Participant pk -> the id written for them: their Pol.is id when imported, otherwise the
    next free whole number in order of first appearance (so ids never clash). ``voters_in_order``:
    the vote history's participants, in the order written."""
    imported = dict(conversation.imported_participants.values_list("participant_id", "external_id"))
    used = {int(x) for x in imported.values() if x.isdigit()}
    ids = dict(imported)
    counter = 0
    order = voters_in_order + list(
        conversation.statements.exclude(author=None).values_list("author_id", flat=True)
    )
    for pk in order:
        if pk in ids:
            continue
        while counter in used:
            counter += 1
        ids[pk] = str(counter)
        used.add(counter)
    return ids


def export_conversation(conversation: Conversation, *, scope: str = "full") -> PolisConversation:
    """The conversation as openData (see the module docstring for ``scope``)."""
    if scope not in ("full", "public"):
        raise ValueError("scope is 'full' or 'public'")
    history = list(
        Vote.objects.filter(statement__conversation=conversation)
        .order_by("cast_at", "pk")
        .values_list("participant_id", "statement__number", "value", "cast_at")
    )  # read once: it gives both the voters' order and the rows
    voter = _voter_ids(conversation, [row[0] for row in history])
    votes = [
        PolisVote(str(number), voter[pk], value, round(at.timestamp() * 1000))
        for pk, number, value, at in history
    ]
    # Pol.is's agrees/disagrees count rows of the vote history, not only current votes.
    rows = Counter((v.statement, v.value) for v in votes)
    # The public reads only the words the site shows: not rejected ones, and not ones still
    # waiting for the team in a strict conversation.
    shown_numbers = (
        set(queries.shown(conversation).values_list("number", flat=True))
        if scope == "public"
        else None
    )
    comments = []
    for s in conversation.statements.order_by("number"):
        withheld = s.is_withdrawn or (shown_numbers is not None and s.number not in shown_numbers)
        author = s.external_author or (voter.get(s.author_id) if s.author_id else None)
        comments.append(
            PolisComment(
                id=str(s.number),
                author=author,
                body="" if withheld else s.text,
                created_ms=round(s.created_at.timestamp() * 1000),
                moderated=MODERATED_OF[s.status],
                agrees=rows[(str(s.number), 1)],
                disagrees=rows[(str(s.number), -1)],
                is_meta=s.is_meta,
            )
        )
    snapshot = queries.latest_map(conversation)
    public_ids = dict(Participant.objects.filter(pk__in=list(voter)).values_list("pk", "public_id"))
    heard_groups = (snapshot.result or {}).get("groups", {}) if snapshot else {}
    # One row per person who voted (as in Pol.is), with heard's group or none.
    voted = {v.voter for v in votes}
    groups = {
        written: heard_groups.get(public_ids.get(pk))
        for pk, written in voter.items()
        if written in voted
    }
    return PolisConversation(
        comments=comments,
        votes=votes,
        groups=groups,
        summary=_summary(conversation, comments, votes, heard_groups),
        votes_source="votes.csv",
    )


def _summary(conversation, comments, votes, groups) -> dict[str, str]:
    summary = dict((conversation.source or {}).get("summary") or {})
    voters = {v.voter for v in votes}
    summary.update(
        {
            "topic": conversation.topic,
            "url": summary.get("url", ""),
            "views": summary.get("views", str(len(voters))),
            "voters": str(len(voters)),
            "voters-in-conv": str(len(groups)),
            "commenters": str(len({c.author for c in comments if c.author is not None})),
            "comments": str(len(comments)),
            "groups": str(len(set(groups.values()))),
            "conversation-description": conversation.description,
        }
    )
    return summary


def _zone(tz: ZoneInfo | None) -> ZoneInfo:
    """The time zone of the files' human ``datetime`` column: ``tz``, or the site's."""
    return tz or ZoneInfo(settings.TIME_ZONE)


def export_folder(
    conversation: Conversation, folder: Path, *, scope: str = "full", tz: ZoneInfo | None = None
) -> list[Path]:
    """Write the openData files into ``folder`` (made if missing); returns their paths."""
    return write_conversation(export_conversation(conversation, scope=scope), folder, tz=_zone(tz))


def export_zip(
    conversation: Conversation, *, scope: str, folder_name: str, tz: ZoneInfo | None = None
) -> bytes:
    """The same files zipped under ``folder_name/`` (the download the site offers)."""
    return zip_conversation(
        export_conversation(conversation, scope=scope), tz=_zone(tz), folder_name=folder_name
    )
