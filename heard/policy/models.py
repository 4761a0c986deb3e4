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
from heard.listen.models import Contribution
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


class ImmutableError(Exception):
    """A recorded decision is never changed; record a new one."""


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
