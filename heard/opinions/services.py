"""The one door through which conversations, statements, votes and hui tallies are written.

Every use case is one function, run in one transaction that also appends its record entry, so a
crash leaves neither half. Pages, the demo and the Pol.is import all come through here.

The rules, enforced once:

- a statement's words are kept exactly (only an HTML form's CRLF becomes LF, in the form); they
  enter the record as a salted commitment, never as words; nobody edits them; moderation
  accepts or rejects, a rejection with a public reason, and the words stay stored;
- the author may withdraw their statement: its words and salt are destroyed;
- every vote and every tally is a new row and a new entry; a change supersedes the previous
  row (kept, no longer current) and its entry names the entry it replaces; casting the same
  vote again changes nothing and appends nothing;
- a ``client_key`` (made by the form) makes a resent form the same statement or vote.

People appear in entries only as pseudonymous ids: participants by their public id, staff by
the per-engagement staff pseudonym the theme edits use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import Participant
from heard.listen.services import ClientKeyConflict, unstorable
from heard.listen.vocab import is_language_tag
from heard.opinions.models import Channel, Conversation, HuiTally, Statement, Vote
from heard.plan.models import Hui
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.sense.recording import staff_pseudonym

STATEMENT_MAX_CHARS = 1_000
TOPIC_MAX_CHARS = 300
REASON_MAX_CHARS = 1_000
TALLY_MAX = 100_000  # more hands than any hall holds: a typing slip, not a tally
_NUMBER_ATTEMPTS = 5


def statement_problems(text: str) -> list[str]:
    """Why these words cannot be kept as a statement, if they cannot. Never alters them."""
    problems = []
    if not text or not text.strip():
        problems.append(_("The statement is empty."))
    problems += unstorable(text)
    if len(text) > STATEMENT_MAX_CHARS:
        problems.append(
            _(
                "The statement is %(n)s characters long; the limit is %(max)s. A statement is "
                "one short point people can agree or disagree with."
            )
            % {"n": f"{len(text):,}", "max": f"{STATEMENT_MAX_CHARS:,}"}
        )
    return problems


def _check_words(text: str, language: str) -> None:
    problems = statement_problems(text)
    if not is_language_tag(language):
        problems.append(
            _("“%(tag)s” is not a language tag such as en, mi or sm.") % {"tag": language}
        )
    if problems:
        raise ValidationError(problems)


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(_("Give a reason; it is shown publicly."))
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError(
            _("Keep the reason under %(max)s characters.") % {"max": f"{REASON_MAX_CHARS:,}"}
        )
    return reason


def _at(moment: dt.datetime) -> str:
    return events.timestamp(moment)


def _where(statement: Statement, conversation: Conversation | None = None) -> dict:
    """The fields that name a statement in the record: engagement, conversation, number."""
    conversation = conversation or statement.conversation
    return {
        "engagement": conversation.engagement.slug,
        "conversation": conversation.number,
        "statement": statement.number,
    }


# --- conversations ---------------------------------------------------------------------------


def create_conversation(
    engagement: Engagement,
    *,
    topic: str,
    by,
    description: str = "",
    moderation: str = Conversation.Moderation.STRICT,
    allow_participant_statements: bool = True,
) -> Conversation:
    """Open a new conversation (the next number in the engagement)."""
    topic = (topic or "").strip()
    if not topic:
        raise ValidationError(_("Give the conversation a topic."))
    if len(topic) > TOPIC_MAX_CHARS:
        raise ValidationError(
            _("Keep the topic under %(max)s characters.") % {"max": TOPIC_MAX_CHARS}
        )
    if moderation not in Conversation.Moderation.values:
        raise ValidationError(_("Moderation is either strict or permissive."))
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                latest = engagement.conversations.aggregate(n=Max("number"))["n"] or 0
                conversation = Conversation.objects.create(
                    engagement=engagement,
                    number=latest + 1,
                    topic=topic,
                    description=description,
                    moderation=moderation,
                    allow_participant_statements=allow_participant_statements,
                    created_by=by,
                )
                entry = record.append(
                    EventType.CONVERSATION_CREATED,
                    {
                        "engagement": engagement.slug,
                        "conversation": conversation.number,
                        "topic": topic,
                        "moderation": moderation,
                        "participant_statements": allow_participant_statements,
                        "by": staff_pseudonym(engagement, by),
                        "at": _at(conversation.created_at),
                    },
                )
                Conversation.objects.filter(pk=conversation.pk).update(log_index=entry.index)
                conversation.log_index = entry.index
            return conversation
        except IntegrityError:
            # Two conversations made at once took the same number; the loser takes the next.
            if attempt == _NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# --- statements ------------------------------------------------------------------------------


def seed_statement(
    conversation: Conversation,
    text: str,
    *,
    by,
    language: str = "en",
    is_meta: bool = False,
    client_key: uuid.UUID | None = None,
) -> tuple[Statement, bool]:
    """A statement from the engagement team, accepted as it is made. Returns it and whether it
    is new (a resent form with the same ``client_key`` returns the first)."""
    return _add_statement(
        conversation,
        text,
        language,
        author=None,
        seeded_by=by,
        is_meta=is_meta,
        status=Statement.Status.ACCEPTED,
        client_key=client_key,
    )


def submit_statement(
    conversation: Conversation,
    participant: Participant,
    text: str,
    *,
    language: str = "en",
    client_key: uuid.UUID | None = None,
    author_agrees: bool = True,
) -> tuple[Statement, bool]:
    """A participant's statement. It waits for moderation (Pol.is's "unmoderated"); while it
    waits it is shown only in a permissive conversation. As in Pol.is, its author is taken to
    agree with it: their agree vote is cast with it (``author_agrees``)."""
    if not conversation.allow_participant_statements:
        raise ValidationError(_("This conversation takes statements from the team only."))
    if participant.engagement_id != conversation.engagement_id:
        raise ValidationError(_("That participant belongs to another engagement."))
    statement, created = _add_statement(
        conversation,
        text,
        language,
        author=participant,
        seeded_by=None,
        is_meta=False,
        status=Statement.Status.PENDING,
        client_key=client_key,
        author_agrees=author_agrees,
    )
    return statement, created


def import_statement(
    conversation: Conversation,
    text: str,
    *,
    number: int,
    status: str,
    author: Participant | None,
    language: str = "en",
    is_meta: bool = False,
    created_at: dt.datetime | None = None,
    imported_from: str = "",
    external_author: str = "",
    by=None,
) -> Statement:
    """A statement brought in from another tool (a Pol.is export), keeping its number (the
    comment-id), moderation status and time. With no ``author`` it is one of the team's seeds.
    Its author's votes come with the import; none is added here."""
    if status not in Statement.Status.values:
        raise ValidationError(_("Unknown moderation status: %(s)s") % {"s": status})
    statement, _created = _add_statement(
        conversation,
        text,
        language,
        author=author,
        seeded_by=by if author is None else None,
        is_meta=is_meta,
        status=status,
        client_key=None,
        number=number,
        created_at=created_at,
        imported_from=imported_from,
        external_author=external_author,
        author_agrees=False,
    )
    return statement


def _add_statement(
    conversation: Conversation,
    text: str,
    language: str,
    *,
    author: Participant | None,
    seeded_by,
    is_meta: bool,
    status: str,
    client_key: uuid.UUID | None,
    number: int | None = None,
    created_at: dt.datetime | None = None,
    imported_from: str = "",
    external_author: str = "",
    author_agrees: bool = False,
) -> tuple[Statement, bool]:
    _check_words(text, language)
    if client_key is not None and (existing := _same_key(conversation, client_key, author, text)):
        return existing, False
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                if number is None:
                    latest = conversation.statements.aggregate(n=Max("number"))["n"]
                    next_number = 0 if latest is None else latest + 1
                else:
                    next_number = number
                statement = Statement.objects.create(
                    conversation=conversation,
                    number=next_number,
                    text=text,
                    language=language,
                    author=author,
                    seeded_by=seeded_by,
                    is_seed=author is None,
                    is_meta=is_meta,
                    status=status,
                    client_key=client_key,
                    created_at=created_at or timezone.now(),
                    imported_from=imported_from,
                    external_author=external_author,
                    salt=(salt := events.new_salt()),
                )
                entry = record.append(
                    EventType.STATEMENT_SUBMITTED,
                    submitted_event(statement, salt, imported=bool(imported_from) or None),
                )
                Statement.objects.filter(pk=statement.pk).update(log_index=entry.index)
                statement.log_index = entry.index
                if author_agrees and author is not None:
                    _cast(statement, author, Vote.Value.AGREE, None, Channel.ONLINE, None)
            return statement, True
        except IntegrityError:
            if client_key is not None and (
                existing := _same_key(conversation, client_key, author, text)
            ):
                return existing, False  # the same form, sent twice at once: the other won
            if number is not None or attempt == _NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def submitted_event(statement: Statement, salt: bytes, *, imported: bool | None = None) -> dict:
    """What the record says of a new statement: who (a pseudonymous id) and where, not the
    words, which enter as a salted commitment."""
    conversation = statement.conversation
    return {
        **_where(statement),
        "participant": statement.author.public_id if statement.author_id else None,
        "by": staff_pseudonym(conversation.engagement, statement.seeded_by)
        if statement.is_seed
        else None,
        "seed": statement.is_seed,
        "meta": statement.is_meta,
        "language": statement.language,
        "status": statement.status,
        "imported": imported,
        "commitment": events.commitment(salt, statement.text),
        "received": _at(statement.created_at),
    }


def _same_key(
    conversation: Conversation, client_key: uuid.UUID, author: Participant | None, text: str
) -> Statement | None:
    existing = Statement.objects.filter(conversation=conversation, client_key=client_key).first()
    if existing is None:
        return None
    if existing.author_id != (author.pk if author else None) or existing.text != text:
        raise ClientKeyConflict(
            _(
                "This submission key was already used for a different statement. Nothing was "
                "kept; please send it again."
            )
        )
    return existing


def moderate_statement(
    statement: Statement,
    decision: str,
    *,
    by,
    reason: str = "",
    is_meta: bool | None = None,
) -> Statement:
    """Accept or reject a statement. A rejection needs a reason, shown publicly in place of the
    words; the words stay stored (the team still sees them). A decision may be reversed later,
    which is a new decision and a new entry. ``is_meta`` marks it as about the conversation."""
    if decision not in (Statement.Status.ACCEPTED, Statement.Status.REJECTED):
        raise ValueError(decision)
    reject = decision == Statement.Status.REJECTED
    reason = _clean_reason(reason, required=reject)
    with transaction.atomic():
        locked = (
            Statement.objects.select_for_update()
            .select_related("conversation__engagement")
            .get(pk=statement.pk)
        )
        if locked.is_withdrawn:
            raise ValidationError(_("This statement was withdrawn; there is nothing to decide."))
        meta_changed = is_meta is not None and is_meta != locked.is_meta
        if locked.status == decision and not meta_changed:
            raise ValidationError(
                _("This statement is already rejected.")
                if reject
                else _("This statement is already accepted.")
            )
        now = timezone.now()
        meta = locked.is_meta if is_meta is None else is_meta
        Statement.objects.filter(pk=locked.pk).update(
            status=decision, hidden_reason=reason if reject else "", is_meta=meta
        )
        record.append(
            EventType.STATEMENT_REJECTED if reject else EventType.STATEMENT_ACCEPTED,
            {
                **_where(locked),
                "by": staff_pseudonym(locked.conversation.engagement, by),
                "reason": reason or None,
                "meta": meta if meta_changed else None,
                "at": _at(now),
            },
        )
    statement.refresh_from_db(fields=["status", "hidden_reason", "is_meta"])
    return statement


def withdraw_statement(statement: Statement, *, via: str = "participant") -> Statement:
    """Honour the author's request to withdraw their statement: destroy its words and salt.

    The log keeps its entry (a commitment nobody can now open) and gains a withdrawal entry.
    Votes already cast on it stay (they are the voters', not the author's); it is no longer
    shown. ``via``: "participant" (the author, signed in) or "team" (on the author's request).
    """
    if via not in {"participant", "team"}:
        raise ValueError(via)
    with transaction.atomic():
        locked = (
            Statement.objects.select_for_update()
            .select_related("conversation__engagement")
            .get(pk=statement.pk)
        )
        if locked.is_seed:
            raise ValidationError(
                _("The team's own statements are not withdrawn; reject it with a reason instead.")
            )
        if locked.is_withdrawn:
            raise ValidationError(_("This statement was already withdrawn."))
        now = timezone.now()
        Statement.objects.filter(pk=locked.pk).update(text="", salt=None, withdrawn_at=now)
        record.append(EventType.STATEMENT_WITHDRAWN, {**_where(locked), "via": via, "at": _at(now)})
    statement.refresh_from_db(fields=["text", "salt", "withdrawn_at"])
    return statement


# --- votes -----------------------------------------------------------------------------------


def cast_vote(
    statement: Statement,
    participant: Participant,
    value: int,
    *,
    client_key: uuid.UUID | None = None,
    channel: str = Channel.ONLINE,
    cast_at: dt.datetime | None = None,
) -> tuple[Vote, bool]:
    """Keep a participant's vote on a statement they can see. Returns the current vote and
    whether this call changed anything.

    A changed vote is a new row and a new entry naming the entry it replaces; the old row
    stays, no longer current. The same vote again (or the same ``client_key`` again: a double
    click, a resent form) changes nothing.
    """
    if value not in Vote.Value.values:
        raise ValidationError(_("A vote is agree, disagree or pass."))
    if participant.engagement_id != statement.conversation.engagement_id:
        raise ValidationError(_("That participant belongs to another engagement."))
    if not statement.is_shown:
        raise ValidationError(_("This statement is not open for votes."))
    if client_key is not None and (existing := _vote_by_key(participant, client_key)):
        return _same_vote(existing, statement, value), False
    try:
        with transaction.atomic():
            return _cast(statement, participant, value, client_key, channel, cast_at)
    except IntegrityError:
        # Two votes by one person on one statement raced (two tabs, a resent form) and the
        # other one won: the same form is that vote; another vote now supersedes it.
        if client_key is not None and (existing := _vote_by_key(participant, client_key)):
            return _same_vote(existing, statement, value), False
        with transaction.atomic():
            return _cast(statement, participant, value, client_key, channel, cast_at)


def _vote_by_key(participant: Participant, client_key: uuid.UUID) -> Vote | None:
    return Vote.objects.filter(participant=participant, client_key=client_key).first()


def _same_vote(existing: Vote, statement: Statement, value: int) -> Vote:
    if existing.statement_id != statement.pk or existing.value != value:
        raise ClientKeyConflict(
            _("This vote's key was already used for another vote. Nothing was kept; vote again.")
        )
    return existing


def _cast(
    statement: Statement,
    participant: Participant,
    value: int,
    client_key: uuid.UUID | None,
    channel: str,
    cast_at: dt.datetime | None,
) -> tuple[Vote, bool]:
    """Inside a transaction: supersede the current vote, if it differs, and keep the new one."""
    current = (
        Vote.objects.select_for_update()
        .filter(statement=statement, participant=participant, current=True)
        .first()
    )
    if current is not None and current.value == value:
        return current, False
    if current is not None:
        Vote.objects.filter(pk=current.pk).update(current=False)
    vote = Vote.objects.create(
        statement=statement,
        participant=participant,
        value=value,
        cast_at=cast_at or timezone.now(),
        channel=channel,
        client_key=client_key,
    )
    entry = record.append(
        EventType.VOTE_CAST,
        vote_event(statement, participant, vote, replaces=current.log_index if current else None),
    )
    Vote.objects.filter(pk=vote.pk).update(log_index=entry.index)
    vote.log_index = entry.index
    return vote, True


def vote_event(
    statement: Statement,
    participant: Participant,
    vote: Vote,
    *,
    replaces: int | None,
    conversation: Conversation | None = None,
) -> dict:
    """What the record says of a vote: who (a pseudonymous id), on what, which way, when, and
    which earlier entry it replaces."""
    return {
        **_where(statement, conversation),
        "participant": participant.public_id,
        "vote": vote.value,
        "channel": vote.channel,
        "cast": _at(vote.cast_at),
        "replaces": replaces,
    }


@dataclass(frozen=True, slots=True)
class NewVote:
    """One vote for ``cast_votes``: the bulk path of the demo and of imports."""

    participant: Participant
    statement: Statement
    value: int
    cast_at: dt.datetime


def cast_votes(
    conversation: Conversation,
    votes: Iterable[NewVote],
    *,
    channel: str = Channel.ONLINE,
    keep_repeats: bool = False,
) -> int:
    """Keep many votes at once, in order, with the same rules as ``cast_vote`` (every change a
    new row and a new entry naming the one it replaces; a repeat of the current vote is
    nothing), but with one lock and bulk writes. Statements need not be open for votes: an
    import brings votes on statements later rejected. Returns how many votes were kept.

    ``keep_repeats`` keeps a vote that repeats the current one as a row of its own (a Pol.is
    export lists such repeats, and an import must give back every row it took in)."""
    votes = list(votes)
    for vote in votes:
        if vote.value not in Vote.Value.values:
            raise ValidationError(_("A vote is agree, disagree or pass."))
        if vote.statement.conversation_id != conversation.pk:
            raise ValidationError(_("That statement belongs to another conversation."))
        if vote.participant.engagement_id != conversation.engagement_id:
            raise ValidationError(_("That participant belongs to another engagement."))
    kept = 0
    with transaction.atomic():
        # (participant id, statement id) -> (row id, value, log index) of the current vote
        current: dict[tuple[int, int], tuple[int, int, int | None]] = {
            (p, s): (pk, v, i)
            for pk, p, s, v, i in Vote.objects.filter(
                statement__conversation=conversation, current=True
            ).values_list("pk", "participant_id", "statement_id", "value", "log_index")
        }
        # A batch may hold several votes by one person on one statement: each round takes at
        # most one per pair, so an entry can name the entry it replaces, appended a round before.
        pending = votes
        while pending:
            this_round, later, seen = [], [], set()
            for vote in pending:
                key = (vote.participant.pk, vote.statement.pk)
                (later if key in seen else this_round).append(vote)
                seen.add(key)
            kept += _cast_round(conversation, this_round, current, channel, keep_repeats)
            pending = later
    return kept


def _cast_round(
    conversation: Conversation,
    votes: Sequence[NewVote],
    current: dict,
    channel: str,
    keep_repeats: bool = False,
) -> int:
    rows, bodies, superseded = [], [], []
    for vote in votes:
        key = (vote.participant.pk, vote.statement.pk)
        previous = current.get(key)
        if previous is not None and previous[1] == vote.value and not keep_repeats:
            continue
        row = Vote(
            statement=vote.statement,
            participant=vote.participant,
            value=vote.value,
            cast_at=vote.cast_at,
            channel=channel,
        )
        rows.append(row)
        bodies.append(
            (
                EventType.VOTE_CAST,
                vote_event(
                    vote.statement,
                    vote.participant,
                    row,
                    replaces=previous[2] if previous else None,
                    conversation=conversation,
                ),
            )
        )
        if previous is not None:
            superseded.append(previous[0])
    if not rows:
        return 0
    entries = record.append_many(bodies)
    for row, entry in zip(rows, entries, strict=True):
        row.log_index = entry.index
    if superseded:
        Vote.objects.filter(pk__in=superseded).update(current=False)
    Vote.objects.bulk_create(rows, batch_size=2_000)
    for row in rows:
        current[(row.participant_id, row.statement_id)] = (row.pk, row.value, row.log_index)
    return len(rows)


# --- hui tallies -----------------------------------------------------------------------------


def record_tally(
    statement: Statement,
    hui: Hui,
    *,
    agree: int,
    disagree: int,
    passes: int,
    by,
    note: str = "",
) -> tuple[HuiTally, bool]:
    """Keep a show of hands at a hui on a statement. A second tally for the same statement and
    hui is a correction: it supersedes the first (kept, no longer current) and its entry names
    the entry it replaces. The same counts again change nothing. Returns the current tally and
    whether this call changed anything. The note stays with the team; the record holds counts."""
    counts = {"agree": agree, "disagree": disagree, "pass": passes}
    for name, n in counts.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValidationError(
                _("Counts are whole numbers, 0 or more (%(name)s).") % {"name": name}
            )
        if n > TALLY_MAX:
            raise ValidationError(
                _("%(n)s is more hands than any hui holds; check the count.") % {"n": n}
            )
    conversation = statement.conversation
    if hui.engagement_id != conversation.engagement_id:
        raise ValidationError(_("That hui belongs to another engagement."))
    if statement.is_withdrawn or statement.status == Statement.Status.REJECTED:
        raise ValidationError(_("This statement is not open for votes."))
    with transaction.atomic():
        previous = (
            HuiTally.objects.select_for_update()
            .filter(statement=statement, hui=hui, current=True)
            .first()
        )
        if (
            previous is not None
            and (previous.agree, previous.disagree, previous.passes) == (agree, disagree, passes)
            and previous.note == note
        ):
            return previous, False
        if previous is not None:
            HuiTally.objects.filter(pk=previous.pk).update(current=False)
        tally = HuiTally.objects.create(
            statement=statement,
            hui=hui,
            agree=agree,
            disagree=disagree,
            passes=passes,
            note=note,
            recorded_by=by,
        )
        entry = record.append(
            EventType.TALLY_RECORDED,
            {
                **_where(statement),
                "hui": hui.key,
                **counts,
                "by": staff_pseudonym(conversation.engagement, by),
                "at": _at(tally.recorded_at),
                "replaces": previous.log_index if previous else None,
            },
        )
        HuiTally.objects.filter(pk=tally.pk).update(log_index=entry.index)
        tally.log_index = entry.index
    return tally, True
