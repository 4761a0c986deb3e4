"""The policy drafted from what was heard: clauses with stable keys, versions, and each clause's
trace to the themes and words it answers.

A ``Clause`` is the stable identity ("P1", "G2"...) that versions share; a ``ClauseVersion``
is its words and trace in one ``PolicyVersion``. A version is a draft the team edits until it
is *issued*: then its canonical content (``heard.policy.document``) is stored, its hash is a
record entry, and it is never edited again (the next version is made from it). A theme the
policy does not answer can be set aside only with a reason, which is public.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Engagement
from heard.listen.models import QUOTE_CONSENT_CHOICES, Contribution
from heard.listen.vocab import QuoteConsent, Withheld, withheld_reason
from heard.report.models import ImmutableError
from heard.sense.models import Theme, ThemeRun

TEXT_MAX = 20_000
REASON_MAX = 2_000
KEY_MAX = 20


class Policy(models.Model):
    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="policy")
    title = models.CharField(max_length=300)
    title_mi = models.CharField(max_length=300, blank=True)
    # The theme analysis the policy answers: traces and coverage are read against its themes.
    theme_run = models.ForeignKey(ThemeRun, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Clause(models.Model):
    """A clause's identity across versions: its key never changes once given."""

    class Kind(models.TextChoices):
        PREAMBLE = "preamble", _("Preamble")
        PRINCIPLE = "principle", _("Principle")
        GUIDELINE = "guideline", _("Guideline")
        CLAUSE = "clause", _("Clause")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="clauses")
    key = models.CharField(max_length=KEY_MAX)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "key"], name="policy_clause_key"),
        ]

    def __str__(self) -> str:
        return self.key


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (being written)")
        ISSUED = "issued", _("Issued (frozen, in the record)")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True, max_length=TEXT_MAX)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when issued, never after.
    canonical = models.TextField(blank=True)
    content_hash = models.CharField(max_length=80, blank=True)
    log_index = models.BigIntegerField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    @property
    def issued(self) -> bool:
        return self.status == self.Status.ISSUED


class ClauseVersion(models.Model):
    """A clause's words and trace in one version."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="clause_versions"
    )
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="versions")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Clause.Kind.choices, default=Clause.Kind.CLAUSE)
    heading_en = models.CharField(max_length=300, blank=True)
    heading_mi = models.CharField(max_length=300, blank=True)
    text_en = models.TextField(blank=True, max_length=TEXT_MAX)
    text_mi = models.TextField(blank=True, max_length=TEXT_MAX)
    themes = models.ManyToManyField(Theme, blank=True, related_name="clause_versions")
    not_from_engagement = models.TextField(blank=True, max_length=REASON_MAX)

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "clause"], name="one_clause_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.clause.key} in {self.version}"


class ClauseQuote(models.Model):
    """Words a clause answers: a span of a stored contribution, as the report quotes it."""

    clause_version = models.ForeignKey(
        ClauseVersion, on_delete=models.CASCADE, related_name="quotes"
    )
    contribution = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="+")
    start = models.PositiveIntegerField()
    length = models.PositiveIntegerField()

    class Meta:
        ordering = ["clause_version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clause_version", "contribution", "start", "length"],
                name="one_quote_per_clause_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution_id}[{self.start}:{self.start + self.length}]"


class ThemeSetAside(models.Model):
    """A theme the policy does not answer, and the team's public reason. Lifting it keeps the
    row (``lifted_at``): both are record entries."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="set_asides")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=REASON_MAX)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    log_index = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "theme"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_live_set_aside_per_theme",
            ),
        ]

    def __str__(self) -> str:
        return f"theme {self.theme_id} set aside"


class WorkingGroup(models.Model):
    """The independent group that oversees the policy and endorses a version."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="working_group"
    )
    name = models.CharField(max_length=200)
    name_mi = models.CharField(max_length=200, blank=True)
    mandate = models.TextField(
        max_length=TEXT_MAX, help_text=_("Who appointed the group, to do what, and how it decides.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A member of the working group. Members' names are published on the group's page (they
    act in public); the record holds their public id and role, not their names."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        MEMBER = "member", _("Member")

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    public_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    affiliation = models.CharField(max_length=200, blank=True)
    term_start = models.DateField()
    term_end = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    log_index = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["group", "term_start", "id"]

    def __str__(self) -> str:
        return self.name

    def serves_on(self, day) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)


class Decision(models.Model):
    """The group's decision on one issued version, bound to that version's hash, with each
    member's position, any dissent, and the minutes. Never edited: a later decision is a new
    row."""

    class Outcome(models.TextChoices):
        ENDORSE = "endorse", _("Endorse")
        ENDORSE_WITH_CHANGES = "endorse_with_changes", _("Endorse with changes")
        DECLINE = "decline", _("Decline")

    group = models.ForeignKey(WorkingGroup, on_delete=models.PROTECT, related_name="decisions")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="decisions")
    version_hash = models.CharField(max_length=80)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    changes = models.TextField(blank=True, max_length=TEXT_MAX)
    minutes = models.TextField(max_length=TEXT_MAX)
    decided_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    log_index = models.BigIntegerField()

    class Meta:
        ordering = ["group", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} v{self.version.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("A recorded decision is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A recorded decision is never deleted.")


class Position(models.Model):
    """One member's position on a decision, and their dissent in their own words."""

    class Stance(models.TextChoices):
        SUPPORT = "support", _("Supports")
        RESERVATIONS = "reservations", _("Supports, with reservations")
        OPPOSE = "oppose", _("Opposes")
        ABSTAIN = "abstain", _("Abstains")
        ABSENT = "absent", _("Absent")

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="positions")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="positions")
    stance = models.CharField(max_length=14, choices=Stance.choices)
    dissent = models.TextField(blank=True, max_length=REASON_MAX)

    class Meta:
        ordering = ["decision", "member__term_start", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "member"], name="one_position_each"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.stance}"


class FeedbackRound(models.Model):
    """A check-back round: one issued version taken back to the people, clause by clause."""

    version = models.OneToOneField(
        PolicyVersion, on_delete=models.PROTECT, related_name="feedback_round"
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    log_index = models.BigIntegerField()

    def __str__(self) -> str:
        return f"check-back on {self.version}"

    @property
    def open(self) -> bool:
        return self.closed_at is None


class Answer(models.TextChoices):
    """One answer to a check-back question: a simple scale, with "not sure" kept apart."""

    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")
    UNSURE = "unsure", _("Not sure")


class ClauseFeedback(models.Model):
    """A person's answers to the three questions on one clause (or, with no clause, their
    comment on the whole draft). A changed answer is a new row naming the one it replaces; the
    old row stays (``current`` false), as with votes. The comment is the person's words: kept
    exactly, with their quote consent, in the record as a salted commitment."""

    round = models.ForeignKey(FeedbackRound, on_delete=models.PROTECT, related_name="feedback")
    clause = models.ForeignKey(
        Clause, null=True, blank=True, on_delete=models.PROTECT, related_name="feedback"
    )
    participant = models.ForeignKey(
        "listen.Participant", on_delete=models.PROTECT, related_name="policy_feedback"
    )
    heard = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    reflects = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    integrity = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    comment = models.TextField(blank=True, max_length=TEXT_MAX)
    quote_consent = models.CharField(
        max_length=10, choices=QUOTE_CONSENT_CHOICES, default=QuoteConsent.ANONYMOUS.value
    )
    salt = models.BinaryField(max_length=32, null=True, editable=False)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    current = models.BooleanField(default=True)
    given_at = models.DateTimeField()
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    log_index = models.BigIntegerField()

    class Meta:
        ordering = ["round", "given_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "clause", "participant"],
                condition=models.Q(current=True),
                name="one_current_feedback",
            ),
            models.UniqueConstraint(
                fields=["round", "participant"],
                condition=models.Q(current=True, clause__isnull=True),
                name="one_current_draft_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"feedback on {self.clause_id or 'the draft'}"

    def withheld(self) -> Withheld | None:
        """Why the public may not read the comment, if they may not (see
        ``heard.listen.vocab.withheld_reason``; check-back comments are never hidden)."""
        return withheld_reason(
            withdrawn=self.withdrawn_at is not None, hidden=False, quote_consent=self.quote_consent
        )

    @property
    def attribution(self) -> str | None:
        """The name shown beside the comment: the person's pseudonym, only where they said we
        may quote them with it (never anything a pseudonym might fall back to)."""
        if self.quote_consent != QuoteConsent.QUOTE:
            return None
        return self.participant.pseudonym or None


class FeedbackTally(models.Model):
    """A hui's answers to one question on one clause, by show of hands, entered by a
    facilitator. A correction supersedes the earlier tally; both are kept."""

    round = models.ForeignKey(FeedbackRound, on_delete=models.PROTECT, related_name="tallies")
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="tallies")
    hui = models.ForeignKey("plan.Hui", on_delete=models.PROTECT, related_name="+")
    question = models.CharField(max_length=10)
    yes = models.PositiveIntegerField(default=0)
    partly = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    unsure = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, max_length=REASON_MAX)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    superseded = models.BooleanField(default=False)
    log_index = models.BigIntegerField()

    class Meta:
        ordering = ["round", "clause", "hui", "question", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "clause", "hui", "question"],
                condition=models.Q(superseded=False),
                name="one_live_feedback_tally",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hui_id} on {self.clause_id} ({self.question})"
