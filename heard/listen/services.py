"""The one door through which contributions and their moderation are written.

Every use case is one function, run in one transaction. Pages, the API, the importer, the demo
and the offline-capture sync all come through here, so that the record (issue 3) sees every write
and so that the rules (exact words, idempotency, consent) are enforced once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement, Question
from heard.listen.models import Contribution, ModerationDecision, Participant
from heard.listen.vocab import CHANNELS_AT_HUI, Channel, QuoteConsent, is_language_tag
from heard.plan.models import Hui
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType


@dataclass(frozen=True)
class Submission:
    """What a person said, and what they told us about it. ``text`` is kept byte for byte."""

    text: str
    language: str
    channel: Channel
    quote_consent: QuoteConsent
    question: Question | None = None
    hui: Hui | None = None
    said_at: object | None = None
    client_key: uuid.UUID | None = None


def unstorable(text: str) -> list[str]:
    """Characters no database can keep exactly (a NUL, broken Unicode): the one rule every
    kind of words (contributions, statements) is checked by. Never alters the text."""
    problems = []
    if "\x00" in text:
        problems.append(_("The text contains a NUL character, which cannot be stored."))
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        problems.append(
            _(
                "The text contains an unpaired surrogate (broken Unicode), which "
                "cannot be stored. Please copy the text again from its source."
            )
        )
    return problems


def text_problems(text: str) -> list[str]:
    """Why these words cannot be kept as given, if they cannot. Never alters them."""
    problems = []
    if not text or not text.strip():
        problems.append(_("The contribution is empty."))
    problems += unstorable(text)
    if len(text) > settings.HEARD_CONTRIBUTION_MAX_CHARS:
        problems.append(
            _("The text is %(n)s characters long; the limit is %(max)s. Please split it.")
            % {"n": f"{len(text):,}", "max": f"{settings.HEARD_CONTRIBUTION_MAX_CHARS:,}"}
        )
    return problems


def _check(engagement: Engagement, submission: Submission) -> None:
    problems = text_problems(submission.text)
    if not is_language_tag(submission.language):
        problems.append(
            _("“%(tag)s” is not a language tag such as en, mi or sm.")
            % {"tag": submission.language}
        )
    if submission.question and submission.question.engagement_id != engagement.pk:
        problems.append(_("That question belongs to another engagement."))
    if submission.hui and submission.hui.engagement_id != engagement.pk:
        problems.append(_("That hui belongs to another engagement."))
    if submission.channel in CHANNELS_AT_HUI and submission.hui is None:
        problems.append(_("Say which hui this was captured at."))
    if problems:
        raise ValidationError(problems)


def submit_contribution(
    engagement: Engagement,
    participant: Participant,
    submission: Submission,
    *,
    recorded_by=None,
    import_batch=None,
    source_line: int | None = None,
) -> tuple[Contribution, bool]:
    """Keep a contribution. Returns it and whether it is new.

    A resubmission with the same ``client_key`` (a double-clicked button, a resent offline
    queue) returns the first one instead of keeping the words twice.
    """
    _check(engagement, submission)
    if submission.client_key is not None:
        existing = Contribution.objects.filter(
            engagement=engagement, client_key=submission.client_key
        ).first()
        if existing:
            return _same_submission(existing, participant, submission), False
    try:
        with transaction.atomic():
            contribution = Contribution.objects.create(
                engagement=engagement,
                participant=participant,
                text=submission.text,
                language=submission.language,
                channel=submission.channel,
                quote_consent=submission.quote_consent,
                question=submission.question,
                hui=submission.hui,
                said_at=submission.said_at,
                client_key=submission.client_key,
                recorded_by=recorded_by,
                import_batch=import_batch,
                source_line=source_line,
                salt=(salt := events.new_salt()),
            )
            entry = record.append(
                EventType.CONTRIBUTION_SUBMITTED, submitted_event(contribution, participant, salt)
            )
            Contribution.objects.filter(pk=contribution.pk).update(log_index=entry.index)
            contribution.log_index = entry.index
    except IntegrityError:
        # Two copies of the same submission raced; the other one won. Same words, same key.
        existing = Contribution.objects.filter(
            engagement=engagement, client_key=submission.client_key
        ).first()
        if existing is None:
            raise
        return _same_submission(existing, participant, submission), False
    return contribution, True


def submitted_event(contribution: Contribution, participant: Participant, salt: bytes) -> dict:
    """What the record says of a new contribution: everything but the words and the person,
    who appears only as a pseudonymous id; the words as a salted commitment."""
    return {
        "engagement": contribution.engagement.slug,
        "contribution": contribution.pk,
        "participant": participant.public_id,
        "channel": contribution.channel,
        "language": contribution.language,
        "question": contribution.question.key if contribution.question_id else None,
        "hui": contribution.hui.key if contribution.hui_id else None,
        "quote_consent": contribution.quote_consent,
        "commitment": events.commitment(salt, contribution.text),
        "received": events.timestamp(contribution.received_at),
    }


class ClientKeyConflict(ValidationError):
    """A client key already used for other words or by someone else: never hand those back."""


def _same_submission(
    existing: Contribution, participant: Participant, submission: Submission
) -> Contribution:
    if existing.participant_id != participant.pk or existing.text != submission.text:
        raise ClientKeyConflict(
            _(
                "This submission key was already used for different words. Nothing was kept; "
                "please send it again."
            )
        )
    return existing


def speaker_at_hui(hui: Hui, tag: str) -> Participant:
    """The pseudonymous participant a facilitator's speaker tag stands for at this hui.

    An empty tag means "someone in the room": one participant per hui holds those words, so a
    count of speakers is never inflated by notes nobody attributed.
    """
    tag = tag.strip()[:40]
    participant, _created = Participant.objects.get_or_create(
        engagement_id=hui.engagement_id,
        hui=hui,
        speaker_tag=tag,
    )
    return participant


def voice_without_account(engagement: Engagement, *, source: str, tag: str = "") -> Participant:
    """The pseudonymous participant behind words that came with no account and no hui: a paper
    form posted in, an email, a row of an imported file. One participant per (source, tag), so
    the same writer within one source is counted once; an untagged writer is one per source.

    The tag is kept only to tell writers apart; it is never shown as a name, because a file's
    "speaker" column may hold a real name.
    """
    key = f"{source}/{tag.strip()}"
    limit = Participant._meta.get_field("speaker_tag").max_length
    if len(key) > limit:
        # Cutting the key short would make two long tags one person: use a digest instead.
        key = f"{source}/#{hashlib.sha256(key.encode()).hexdigest()}"[:limit]
    participant, _created = Participant.objects.get_or_create(
        engagement=engagement, hui=None, user=None, speaker_tag=key
    )
    return participant


def join_as_participant(
    engagement: Engagement,
    user,
    *,
    pseudonym: str,
    demographics: dict | None = None,
    demographics_consent: bool = False,
) -> tuple[Participant, bool]:
    """Make ``user`` a participant of ``engagement`` under ``pseudonym`` (idempotent)."""
    existing = Participant.objects.filter(engagement=engagement, user=user).first()
    if existing:
        return existing, False
    participant = Participant.objects.create(
        engagement=engagement,
        user=user,
        pseudonym=pseudonym.strip()[:80],
        demographics=(demographics or {}) if demographics_consent else {},
        demographics_consent=demographics_consent,
    )
    return participant, True


def hide_contribution(contribution: Contribution, *, reason: str, by) -> ModerationDecision:
    """Hide a contribution from public views. Its words are untouched; the reason is public."""
    return _moderate(contribution, ModerationDecision.Action.HIDE, reason, by)


def unhide_contribution(contribution: Contribution, *, reason: str, by) -> ModerationDecision:
    return _moderate(contribution, ModerationDecision.Action.UNHIDE, reason, by)


def _moderate(contribution: Contribution, action: str, reason: str, by) -> ModerationDecision:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason; it is shown publicly."))
    hide = action == ModerationDecision.Action.HIDE
    with transaction.atomic():
        locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if locked.is_hidden == hide:
            raise ValidationError(
                _("This contribution is already hidden.")
                if hide
                else _("This contribution is not hidden.")
            )
        if locked.is_withdrawn:
            raise ValidationError(_("This contribution was withdrawn; there is nothing to show."))
        decision = ModerationDecision.objects.create(
            contribution=locked, action=action, reason=reason, decided_by=by
        )
        Contribution.objects.filter(pk=locked.pk).update(
            is_hidden=hide, hidden_reason=reason if hide else ""
        )
        record.append(
            EventType.CONTRIBUTION_HIDDEN if hide else EventType.CONTRIBUTION_UNHIDDEN,
            {
                "engagement": locked.engagement.slug,
                "contribution": locked.pk,
                "reason": reason,
                "at": events.timestamp(decision.decided_at),
            },
        )
    contribution.refresh_from_db(fields=["is_hidden", "hidden_reason"])
    return decision


def withdraw_contribution(contribution: Contribution, *, via: str) -> Contribution:
    """Honour a person's request to withdraw what they said: destroy the words and their salt.

    The log keeps its entry (a commitment nobody can now open) and gains a withdrawal entry, so
    it still verifies and every public view says "withdrawn at the participant's request".
    ``via`` says how the request came: "participant" (themselves, signed in) or "team" (on
    the person's request, e.g. a voice at a hui who has no account).
    """
    if via not in {"participant", "team"}:
        raise ValueError(via)
    with transaction.atomic():
        locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if locked.is_withdrawn:
            raise ValidationError(_("This contribution was already withdrawn."))
        now = timezone.now()
        Contribution.objects.filter(pk=locked.pk).update(text="", salt=None, withdrawn_at=now)
        record.append(
            EventType.CONTRIBUTION_WITHDRAWN,
            {
                "engagement": locked.engagement.slug,
                "contribution": locked.pk,
                "via": via,
                "at": events.timestamp(now),
            },
        )
        # Published findings that quote these words lose them too (heard.report; imported
        # here because the report is a later stage that reads this one, not the reverse).
        from heard.report.services import redact_withdrawn

        redact_withdrawn(locked.pk, locked.engagement.slug)
    contribution.refresh_from_db(fields=["text", "salt", "withdrawn_at"])
    return contribution
