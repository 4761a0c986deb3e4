"""Conversations of statements people vote on, their votes, hui tallies, and map snapshots.

Rows here are written only through ``heard.opinions.services`` (one door per use case), which
appends each change to the record in the same transaction. Like contributions, a statement's
words are kept exactly and never edited: moderation rejects with a public reason and the words
stay stored; withdrawal by the author destroys the words and their salt (crypto-shredding).
Votes and tallies are never overwritten: a change is a new row that supersedes the old one, so
the history of every vote is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Engagement
from heard.listen.models import Participant
from heard.plan.models import Hui


class Conversation(models.Model):
    """A topic and the statements people vote on about it (a Pol.is conversation).

    An engagement may hold several, numbered 1, 2, ... in the order they were made.
    """

    class Moderation(models.TextChoices):
        # Pol.is's "strict moderation" switch: off shows a participant's statement at once
        # (it can still be rejected later); on holds it until the team accepts it.
        STRICT = "strict", _("Strict: participants' statements wait until the team accepts them")
        PERMISSIVE = (
            "permissive",
            _(
                "Permissive: participants' statements are shown at once, "
                "unless the team rejects them"
            ),
        )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="conversations"
    )
    number = models.PositiveIntegerField()
    topic = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.STRICT
    )
    allow_participant_statements = models.BooleanField(default=True)
    # For a conversation imported from Pol.is: where from, and its summary.csv as it was.
    source = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["engagement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="conversation_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.topic}"

    @property
    def is_strict(self) -> bool:
        return self.moderation == self.Moderation.STRICT


class Statement(models.Model):
    """One statement, kept exactly as written. ``number`` is its Pol.is comment-id."""

    class Status(models.TextChoices):
        # Pol.is's "moderated" column: 0, 1, -1.
        PENDING = "pending", _("Waiting for moderation")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="statements"
    )
    number = models.PositiveIntegerField()
    text = models.TextField()
    language = models.CharField(max_length=35, default="en")
    author = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text=_("The participant who wrote it; empty when the team seeded it."),
    )
    seeded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_seed = models.BooleanField(default=False)
    is_meta = models.BooleanField(
        default=False,
        help_text=_("About the conversation itself rather than the topic (Pol.is's is-meta)."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    hidden_reason = models.TextField(blank=True)
    # Not auto_now_add: an imported statement keeps the time it was written in Pol.is.
    created_at = models.DateTimeField(default=timezone.now)
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    # Where an imported statement came from (a Pol.is conversation) and its author's id there.
    imported_from = models.CharField(max_length=200, blank=True)
    external_author = models.CharField(max_length=100, blank=True)
    # The record: the words enter the log as a commitment to (salt, text); withdrawal destroys
    # both (crypto-shredding) and the entry still verifies.
    salt = models.BinaryField(null=True, editable=False)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["conversation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "number"], name="statement_number"),
            models.UniqueConstraint(
                fields=["conversation", "client_key"],
                condition=Q(client_key__isnull=False),
                name="statement_client_key",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | Q(withdrawn_at__isnull=False),
                name="statement_not_empty_unless_withdrawn",
            ),
            models.CheckConstraint(
                condition=Q(author__isnull=False) | Q(is_seed=True),
                name="statement_has_author_or_is_seed",
            ),
        ]
        indexes = [models.Index(fields=["conversation", "status"])]

    def __str__(self) -> str:
        return f"{self.conversation.number}.{self.number}: {self.text[:60]}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_shown(self) -> bool:
        """Whether people see it and may vote on it (see ``queries.shown``, the same rule)."""
        if self.is_withdrawn or self.status == self.Status.REJECTED:
            return False
        return self.status == self.Status.ACCEPTED or not self.conversation.is_strict


class Channel(models.TextChoices):
    """How a vote reached us."""

    ONLINE = "online", _("Online")
    HUI = "hui", _("At a hui")
    IMPORT = "import", _("Imported")


class Vote(models.Model):
    """One vote: 1 agree, -1 disagree, 0 pass. A change is a new row; the old one stays, no
    longer current, so the history of every vote is kept."""

    class Value(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="votes")
    value = models.SmallIntegerField(choices=Value.choices)
    cast_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    current = models.BooleanField(default=True)
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "statement"],
                condition=Q(current=True),
                name="one_current_vote",
            ),
            models.UniqueConstraint(
                fields=["participant", "client_key"],
                condition=Q(client_key__isnull=False),
                name="vote_client_key",
            ),
            models.CheckConstraint(condition=Q(value__in=[-1, 0, 1]), name="vote_value"),
        ]
        indexes = [models.Index(fields=["statement", "current"])]

    def __str__(self) -> str:
        return f"{self.participant_id} on {self.statement_id}: {self.value}"


class HuiTally(models.Model):
    """A show of hands at a hui on one statement, entered by a facilitator: counts, not people.

    Kept apart from individual votes and shown as a tally. A correction is a new row that
    supersedes the old one (history kept).
    """

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="tallies")
    hui = models.ForeignKey(Hui, on_delete=models.PROTECT, related_name="opinion_tallies")
    agree = models.PositiveIntegerField()
    disagree = models.PositiveIntegerField()
    passes = models.PositiveIntegerField(
        help_text=_("Those who neither agreed nor disagreed (Pol.is's pass).")
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    current = models.BooleanField(default=True)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "hui tallies"
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "hui"], condition=Q(current=True), name="one_current_tally"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hui_id} on {self.statement_id}: {self.agree}/{self.disagree}/{self.passes}"

    @property
    def total(self) -> int:
        return self.agree + self.disagree + self.passes


class ImportedParticipant(models.Model):
    """Who a participant was in the Pol.is conversation a conversation was imported from: their
    id there (so an export gives back the same ids) and the group Pol.is put them in (kept for
    comparison; heard's map computes its own)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="imported_participants"
    )
    external_id = models.CharField(max_length=100)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    polis_group = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="imported_participant_id"
            ),
            models.UniqueConstraint(
                fields=["conversation", "participant"], name="imported_participant_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} in conversation {self.conversation_id}"


class MapSnapshot(models.Model):
    """One computation of a conversation's opinion map (written by the map's own code)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="snapshots"
    )
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # The record index of the last vote this map has read: votes are read in record order,
    # which is commit order (appends take the log's lock), never by row id (ids are handed out
    # before commit, so a slower transaction could commit a lower id after a map has read past it).
    last_log_index = models.BigIntegerField(default=-1)
    result = models.JSONField(default=dict, blank=True)
    state = models.BinaryField(null=True, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    log_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["conversation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "number"], name="snapshot_number"),
        ]

    def __str__(self) -> str:
        return f"map {self.number} of conversation {self.conversation_id} ({self.status})"
