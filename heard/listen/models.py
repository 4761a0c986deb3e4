"""What people said, exactly as they said it, and who (pseudonymously) said it.

Rows here are written only through ``heard.listen.services`` (one door per use case), which is
where the record (issue 3) attaches. Words are never edited or deleted: moderation hides, with a
public reason, and is itself a row.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Engagement, Question
from heard.listen.vocab import Channel, QuoteConsent, withheld_reason
from heard.plan.models import Hui

CHANNEL_CHOICES = [
    (Channel.ONLINE.value, _("Online")),
    (Channel.HUI.value, _("At a hui")),
    (Channel.PAPER.value, _("On paper")),
    (Channel.EMAIL.value, _("By email")),
    (Channel.TRANSCRIPT.value, _("Transcript")),
]
QUOTE_CONSENT_CHOICES = [
    (QuoteConsent.QUOTE.value, _("You may quote me, with my pseudonym")),
    (QuoteConsent.ANONYMOUS.value, _("You may quote me, but without any name")),
    (QuoteConsent.NONE.value, _("Don't quote me; count what I said")),
]


def new_public_id() -> str:
    """A short random pseudonymous id: says nothing about the person, cannot be guessed."""
    return "p-" + secrets.token_hex(5)


class Participant(models.Model):
    """A person who took part, known only by a pseudonym and a random id.

    Online participants have an account; a voice at a hui is a participant with no account,
    identified within that hui by the tag the facilitator gave them ("A", "kuia", "table 3").
    """

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="participants"
    )
    public_id = models.CharField(max_length=20, unique=True, default=new_public_id)
    pseudonym = models.CharField(max_length=80, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
    )
    hui = models.ForeignKey(
        Hui, on_delete=models.PROTECT, null=True, blank=True, related_name="speakers"
    )
    speaker_tag = models.CharField(max_length=40, blank=True)
    demographics = models.JSONField(default=dict, blank=True)
    demographics_consent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "user"],
                condition=Q(user__isnull=False),
                name="one_participant_per_user",
            ),
            models.UniqueConstraint(
                fields=["hui", "speaker_tag"],
                condition=Q(hui__isnull=False),
                name="one_speaker_per_tag",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.pseudonym:
            return self.pseudonym
        if self.hui_id and self.speaker_tag:
            return f"{self.hui.title}: {self.speaker_tag}"
        return self.public_id


class ImportBatch(models.Model):
    """An uploaded file of hui notes, kept whole so a preview and its confirmation may be served
    by different web processes and the import can run on the worker."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed, waiting for a decision")
        QUEUED = "queued", _("Queued")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    class Mode(models.TextChoices):
        ALL = "all", _("All rows")
        GOOD_ONLY = "good_only", _("Good rows only")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    mode = models.CharField(max_length=12, choices=Mode.choices, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class Contribution(models.Model):
    """Words someone gave us, kept exactly: never trimmed, normalised, edited or deleted."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="contributions"
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="contributions"
    )
    text = models.TextField()
    language = models.CharField(max_length=35, default="en")
    channel = models.CharField(max_length=12, choices=CHANNEL_CHOICES)
    hui = models.ForeignKey(
        Hui, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_contributions",
    )
    quote_consent = models.CharField(max_length=10, choices=QUOTE_CONSENT_CHOICES)
    said_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was said, if known (e.g. at the hui)")
    )
    received_at = models.DateTimeField(auto_now_add=True)
    client_key = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Idempotency key: a resent form or offline queue "
            "item with the same key is the same contribution."
        ),
    )
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    source_line = models.PositiveIntegerField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    # The record: the words enter the log as a commitment to (salt, text). Withdrawal destroys
    # both text and salt (crypto-shredding); the log entry stays and still verifies.
    salt = models.BinaryField(null=True, editable=False)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "client_key"],
                condition=Q(client_key__isnull=False),
                name="contribution_client_key",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | Q(withdrawn_at__isnull=False),
                name="contribution_not_empty_unless_withdrawn",
            ),
        ]
        indexes = [
            models.Index(fields=["engagement", "is_hidden"]),
            models.Index(fields=["engagement", "channel"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.text[:60]}"

    def withheld(self, *, authored: bool = False) -> str | None:
        """Why the public may not read these words, if they may not (see vocab.withheld_reason)."""
        return withheld_reason(
            withdrawn=self.withdrawn_at is not None,
            hidden=self.is_hidden,
            quote_consent=self.quote_consent,
            authored=authored,
        )

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ModerationDecision(models.Model):
    """Hide or unhide, with a public reason. The words stay; this row says why they are hidden."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hide")
        UNHIDE = "unhide", _("Unhide")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.PROTECT, related_name="moderation"
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} #{self.contribution_id}: {self.reason}"
