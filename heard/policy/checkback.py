"""Check-back: taking an issued version back to the people, clause by clause.

"Have we heard you correctly? Does this reflect your ideas? Does it have integrity with the
process we followed?" A round opens on one issued version (its hash in the entry). Each person
answers the three questions for any clause, on a simple scale (yes, partly, no, not sure), and
may comment; they may also comment on the whole draft. Answers are saved as they go: a changed
answer is a new row and entry naming the one it replaces, so nothing anyone said is lost. A
comment is the person's words: kept exactly, with their quote consent, and in the record as a
salted commitment, never as words. Facilitators enter a hui's show of hands per clause and
question; a correction supersedes, and both are kept.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heard.listen.models import Participant
from heard.listen.services import unstorable
from heard.listen.vocab import QuoteConsent
from heard.opinions.services import TALLY_MAX
from heard.plan.models import Hui
from heard.policy.models import (
    REASON_MAX,
    TEXT_MAX,
    Answer,
    Clause,
    ClauseFeedback,
    ClauseVersion,
    FeedbackRound,
    FeedbackTally,
    PolicyVersion,
)
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.sense.recording import staff_pseudonym

#: The three questions, in order: (field name, question).
QUESTIONS = (
    ("heard", gettext_lazy("Have we heard you correctly?")),
    ("reflects", gettext_lazy("Does this reflect your ideas?")),
    ("integrity", gettext_lazy("Does it have integrity with the process we followed?")),
)
QUESTION_KEYS = tuple(key for key, _label in QUESTIONS)


def open_round(version: PolicyVersion, *, by) -> FeedbackRound:
    """Open an issued version for feedback (one round per version)."""
    if not version.issued:
        raise ValidationError(_("Only an issued version can be taken back: issue it first."))
    with transaction.atomic():
        if FeedbackRound.objects.filter(version=version).exists():
            raise ValidationError(_("This version is already open for feedback."))
        now = timezone.now()
        entry = record.append(
            EventType.POLICY_CHECK_BACK_OPENED,
            {
                "engagement": version.policy.engagement.slug,
                "version": version.number,
                "version_hash": version.content_hash,
                "by": staff_pseudonym(version.policy.engagement, by),
                "at": events.timestamp(now),
            },
        )
        return FeedbackRound.objects.create(
            version=version, opened_at=now, opened_by=by, log_index=entry.index
        )


def close_round(feedback_round: FeedbackRound, *, by) -> FeedbackRound:
    with transaction.atomic():
        locked = FeedbackRound.objects.select_for_update().get(pk=feedback_round.pk)
        if not locked.open:
            raise ValidationError(_("This round is already closed."))
        now = timezone.now()
        record.append(
            EventType.POLICY_CHECK_BACK_CLOSED,
            {
                "engagement": locked.version.policy.engagement.slug,
                "version": locked.version.number,
                "by": staff_pseudonym(locked.version.policy.engagement, by),
                "at": events.timestamp(now),
            },
        )
        locked.closed_at = now
        locked.save(update_fields=["closed_at"])
    return locked


def _still_open(feedback_round: FeedbackRound) -> None:
    """Checked again under a lock on the round: a round closed a moment ago takes nothing."""
    if FeedbackRound.objects.select_for_update().get(pk=feedback_round.pk).closed_at is not None:
        raise ValidationError(_("This check-back round is closed."))


def current_round(policy) -> FeedbackRound | None:
    """The open round on the policy's latest version that has one, if any."""
    return (
        FeedbackRound.objects.filter(version__policy=policy, closed_at=None)
        .select_related("version")
        .order_by("-version__number")
        .first()
    )


def _answer(value: str, label) -> str:
    value = (value or "").strip()
    if value and value not in Answer.values:
        raise ValidationError(_("Choose an answer to “%(question)s”.") % {"question": label})
    return value


def give_feedback(
    feedback_round: FeedbackRound,
    participant: Participant,
    *,
    clause_key: str | None,
    heard: str = "",
    reflects: str = "",
    integrity: str = "",
    comment: str = "",
    quote_consent: str = QuoteConsent.ANONYMOUS.value,
    client_key: uuid.UUID | None = None,
) -> tuple[ClauseFeedback, bool]:
    """Keep a person's answers on a clause (``clause_key``), or their comment on the whole
    draft (``None``). Returns (the current row, whether anything changed). Resending the same
    ``client_key`` (a double submit) or the same answers changes nothing."""
    if not feedback_round.open:
        raise ValidationError(_("This check-back round is closed."))
    if participant.engagement_id != feedback_round.version.policy.engagement_id:
        raise ValidationError(_("You are not a participant in this engagement."))
    answers = {key: _answer(value, label) for (key, label), value in
               zip(QUESTIONS, (heard, reflects, integrity), strict=True)}  # fmt: skip
    if clause_key is None and any(answers.values()):
        raise ValidationError(_("The questions are asked of each clause, not of the whole draft."))
    if len(comment or "") > TEXT_MAX:
        raise ValidationError(
            _("Keep a comment under %(max)s characters.") % {"max": f"{TEXT_MAX:,}"}
        )
    if problems := unstorable(comment or ""):
        raise ValidationError(problems)
    if not any(answers.values()) and not (comment or "").strip():
        raise ValidationError(_("Answer a question or write a comment."))
    if quote_consent not in {c.value for c in QuoteConsent}:
        raise ValidationError(_("Choose whether we may quote your comment."))
    clause = None
    if clause_key is not None:
        clause = get_clause(feedback_round, clause_key)
        if clause is None:
            raise ValidationError(_("Clause %(key)s is not in this version.") % {"key": clause_key})
    if client_key is not None:
        sent = ClauseFeedback.objects.filter(client_key=client_key).first()
        if sent is not None:
            if sent.participant_id != participant.pk:
                raise ValidationError(_("This form was already sent by someone else."))
            return sent, False
    with transaction.atomic():
        _still_open(feedback_round)
        previous = (
            ClauseFeedback.objects.select_for_update()
            .filter(round=feedback_round, clause=clause, participant=participant, current=True)
            .first()
        )
        if previous is not None and (
            {k: getattr(previous, k) for k in QUESTION_KEYS} == answers
            and previous.comment == (comment or "")
            and previous.quote_consent == quote_consent
        ):
            return previous, False
        if previous is not None:
            ClauseFeedback.objects.filter(pk=previous.pk).update(current=False)
        now = timezone.now()
        salt = events.new_salt()
        fields = {
            "engagement": feedback_round.version.policy.engagement.slug,
            "version": feedback_round.version.number,
            "clause": clause.key if clause else None,
            "participant": participant.public_id,
            "quote_consent": quote_consent,
            "commitment": events.commitment(salt, comment) if comment else None,
            "replaces": previous.log_index if previous else None,
            "at": events.timestamp(now),
        }
        fields.update({k: v or None for k, v in answers.items()})
        entry = record.append(EventType.POLICY_FEEDBACK, fields)
        try:
            row = ClauseFeedback.objects.create(
                round=feedback_round,
                clause=clause,
                participant=participant,
                comment=comment or "",
                quote_consent=quote_consent,
                salt=salt,
                replaces=previous,
                given_at=now,
                client_key=client_key,
                log_index=entry.index,
                **answers,
            )
        except IntegrityError:
            raise ValidationError(
                _("Your answers were being saved twice at once; reload the page to see them.")
            ) from None
    return row, True


def record_tally(
    feedback_round: FeedbackRound,
    *,
    hui: Hui,
    clause_key: str,
    question: str,
    counts: dict[str, int],
    note: str = "",
    by,
) -> FeedbackTally:
    """A hui's show of hands on one question about one clause; a correction supersedes."""
    if not feedback_round.open:
        raise ValidationError(_("This check-back round is closed."))
    if hui.engagement_id != feedback_round.version.policy.engagement_id:
        raise ValidationError(_("That hui is not one of this engagement's."))
    if question not in QUESTION_KEYS:
        raise ValidationError(_("Choose the question the hands answered."))
    cleaned = {}
    for answer in Answer.values:
        value = counts.get(answer, 0)
        if not isinstance(value, int) or value < 0 or value > TALLY_MAX:
            raise ValidationError(_("Counts are whole numbers from 0."))
        cleaned[answer] = value
    if not sum(cleaned.values()):
        raise ValidationError(_("Enter at least one hand."))
    if len(note or "") > REASON_MAX:
        raise ValidationError(_("Keep the note under %(max)s characters.") % {"max": REASON_MAX})
    clause = get_clause(feedback_round, clause_key)
    if clause is None:
        raise ValidationError(_("Clause %(key)s is not in this version.") % {"key": clause_key})
    with transaction.atomic():
        _still_open(feedback_round)
        FeedbackTally.objects.select_for_update().filter(
            round=feedback_round, clause=clause, hui=hui, question=question,
            superseded=False,
        ).update(superseded=True)  # fmt: skip
        now = timezone.now()
        entry = record.append(
            EventType.POLICY_FEEDBACK_TALLY,
            {
                "engagement": hui.engagement.slug,
                "version": feedback_round.version.number,
                "clause": clause_key,
                "hui": hui.key,
                "question": question,
                **cleaned,
                "by": staff_pseudonym(hui.engagement, by),
                "at": events.timestamp(now),
            },
        )
        return FeedbackTally.objects.create(
            round=feedback_round, clause=clause, hui=hui, question=question,
            note=(note or "").strip(), recorded_by=by, recorded_at=now, log_index=entry.index,
            **cleaned,
        )  # fmt: skip


def withdraw_feedback(row: ClauseFeedback) -> None:
    """The person withdraws a comment: its words and salt are destroyed (every version of it),
    the answers stay counted. A ``contribution``-style withdrawal for check-back words."""
    with transaction.atomic():
        chain = ClauseFeedback.objects.select_for_update().filter(
            round=row.round, clause=row.clause, participant=row.participant
        )
        now = timezone.now()
        chain.update(comment="", salt=None, withdrawn_at=now)
        record.append(
            EventType.POLICY_FEEDBACK,
            {
                "engagement": row.round.version.policy.engagement.slug,
                "version": row.round.version.number,
                "clause": row.clause.key if row.clause else None,
                "participant": row.participant.public_id,
                "withdrawn": True,
                "at": events.timestamp(now),
            },
        )


@dataclass
class QuestionSummary:
    key: str
    label: str
    online: Counter = field(default_factory=Counter)
    hands: Counter = field(default_factory=Counter)

    @property
    def total(self) -> Counter:
        return self.online + self.hands

    @property
    def answered(self) -> int:
        return sum(self.total.values())

    def share(self, answer: str) -> int:
        """The percentage of all answers (online and hands) that were ``answer``."""
        return round(100 * self.total[answer] / self.answered) if self.answered else 0


@dataclass
class ClauseSummary:
    key: str
    questions: list[QuestionSummary]
    comments: list[ClauseFeedback]  # current, quotable comments, oldest first
    withheld_comments: int  # comments kept but not shown (not for quoting, withdrawn)
    row: ClauseVersion | None = None  # the clause in the round's version (its headings)

    @property
    def got_wrong(self) -> int:
        """How many answered "no" to "Have we heard you correctly?" (online and hands)."""
        return self.questions[0].total[Answer.NO]

    @property
    def wrong_share(self) -> int:
        return self.questions[0].share(Answer.NO)


def summary(feedback_round: FeedbackRound) -> list[ClauseSummary]:
    """Per clause, the answers to each question (online and by hands), and the comments that
    may be shown; the clauses people say we got wrong first."""
    clause_rows = list(
        feedback_round.version.clause_versions.select_related("clause").order_by("position")
    )
    by_clause: dict[int, ClauseSummary] = {
        row.clause_id: ClauseSummary(
            row.clause.key,
            [QuestionSummary(key, str(label)) for key, label in QUESTIONS],
            [],
            0,
            row,
        )
        for row in clause_rows
    }
    current = (
        ClauseFeedback.objects.filter(round=feedback_round, current=True, clause__isnull=False)
        .select_related("participant")
        .order_by("given_at", "id")
    )
    for row in current:
        found = by_clause.get(row.clause_id)
        if found is None:
            continue
        for question in found.questions:
            value = getattr(row, question.key)
            if value:
                question.online[value] += 1
        if row.comment or row.withdrawn_at:
            if row.withheld() is None:
                found.comments.append(row)
            else:
                found.withheld_comments += 1
    tallies = FeedbackTally.objects.filter(round=feedback_round, superseded=False)
    for tally in tallies:
        found = by_clause.get(tally.clause_id)
        if found is None:
            continue
        question = next(q for q in found.questions if q.key == tally.question)
        for answer in Answer.values:
            question.hands[answer] += getattr(tally, answer)
    in_order = [by_clause[row.clause_id] for row in clause_rows]
    ranked = sorted(
        enumerate(in_order), key=lambda ns: (-ns[1].wrong_share, -ns[1].got_wrong, ns[0])
    )
    return [s for _n, s in ranked]


def draft_comments(feedback_round: FeedbackRound) -> tuple[list[ClauseFeedback], int]:
    """Comments on the whole draft that may be shown, and how many are kept but withheld."""
    rows = (
        ClauseFeedback.objects.filter(round=feedback_round, current=True, clause__isnull=True)
        .select_related("participant")
        .order_by("given_at", "id")
    )
    shown, withheld = [], 0
    for row in rows:
        if row.withheld() is None and row.comment:
            shown.append(row)
        else:
            withheld += 1
    return shown, withheld


def my_feedback(
    feedback_round: FeedbackRound, participant: Participant
) -> dict[str | None, ClauseFeedback]:
    """A person's current answers in a round, by clause key (None: the whole draft)."""
    rows = ClauseFeedback.objects.filter(
        round=feedback_round, participant=participant, current=True
    ).select_related("clause")
    return {(r.clause.key if r.clause else None): r for r in rows}


def get_clause(feedback_round: FeedbackRound, key: str) -> Clause | None:
    row = feedback_round.version.clause_versions.filter(clause__key=key).first()
    return row.clause if row else None
