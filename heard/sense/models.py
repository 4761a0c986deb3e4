"""Theme runs and what analysts make of them.

A run is one pass of the theme engine over an engagement's contributions. Runs are versioned
(1, 2, 3, ... per engagement): a new run never overwrites an old one, and analysts' edits apply
to one run. Rows here are written only through ``heard.sense.services``, which puts every edit
into the record with who, what and why.

What a person said is never copied here: a key quote is a (contribution, start, length) span
whose words are read from the contribution, so withdrawing the contribution (which destroys
its words) leaves no copy of them behind.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Engagement
from heard.listen.models import Contribution


class AssignedBy(models.TextChoices):
    """Who put a contribution in its theme (or marked a quote): the engine or a person."""

    MACHINE = "machine", _("The theme engine")
    PERSON = "person", _("A person")


def new_staff_public_id() -> str:
    return "s-" + secrets.token_hex(5)


class StaffPseudonym(models.Model):
    """How the record names a staff member who edited themes: a random id per engagement.

    The record is public and holds no personal information (docs/record.md), yet an analyst's
    edit must say who made it. The team can turn this id back into a person (the pages show
    them the name); the public sees only that the same person made these edits. One id per
    engagement, so the public cannot link one person's work across engagements.
    """

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=20, unique=True, default=new_staff_public_id)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "user"], name="one_staff_pseudonym"),
        ]

    def __str__(self) -> str:
        return self.public_id


class BackgroundWork(models.Model):
    """What the task worker does for a page (an analysis, a summary draft): queued, running,
    done or failed with why, and when; the page shows it while it is on its way."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ThemeRun(BackgroundWork):
    """One analysis of an engagement, numbered per engagement. Never overwritten."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="theme_runs")
    version = models.PositiveIntegerField()
    stage = models.CharField(max_length=60, blank=True)
    fraction = models.FloatField(default=0.0)
    k = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Number of themes asked for; empty: chosen by the engine"),
    )
    fast = models.BooleanField(default=False)
    seed = models.IntegerField(default=0)
    provenance = models.JSONField(default=dict, blank=True)
    contribution_count = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["engagement", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "version"], name="theme_run_version"),
        ]

    def __str__(self) -> str:
        return f"{self.engagement.slug} run {self.version} ({self.status})"

    @property
    def percent(self) -> int:
        return round(100 * max(0.0, min(1.0, self.fraction)))


class Theme(models.Model):
    """A theme in one run: the engine's, or one an analyst made by splitting another.

    A theme merged into another keeps its row (``merged_into``), with no members left, so that
    links and the record still name something.
    """

    class Origin(models.TextChoices):
        MACHINE = "machine", _("Found by the theme engine")
        ANALYST = "analyst", _("Made by an analyst")

    run = models.ForeignKey(ThemeRun, on_delete=models.CASCADE, related_name="themes")
    engine_id = models.CharField(
        max_length=64, blank=True, help_text=_("The engine's stable id; empty for analysts' themes")
    )
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=200)
    machine_label = models.CharField(max_length=200, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    summary_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary_at = models.DateTimeField(null=True, blank=True)
    summary_draft = models.ForeignKey(
        "SummaryDraft",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The language model's draft the summary was adopted from, with its citations"),
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MACHINE)
    merged_into = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="merged_from"
    )
    split_from = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="split_into"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "engine_id"],
                condition=~Q(engine_id=""),
                name="theme_engine_id_once_per_run",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.merged_into_id is None


class ThemeMembership(models.Model):
    """Where one contribution sits in one run: a theme, or no theme (``theme`` empty).

    Exactly one row per contribution per run (a constraint), so nothing is dropped and nothing
    counted twice. ``assigned_by`` tells the engine's placements from a person's; the engine's
    own placement stays in ``machine_theme`` and ``score`` after a person moves it. A theme that
    holds members cannot be deleted on its own (RESTRICT): only with its whole run.
    """

    run = models.ForeignKey(ThemeRun, on_delete=models.CASCADE, related_name="memberships")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="theme_memberships"
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.RESTRICT, null=True, blank=True, related_name="memberships"
    )
    machine_theme = models.ForeignKey(
        Theme, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(
        null=True, blank=True, help_text=_("How typical of its machine theme (cosine, -1 to 1)")
    )
    assigned_by = models.CharField(
        max_length=10, choices=AssignedBy.choices, default=AssignedBy.MACHINE
    )
    assigned_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "-score", "contribution_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "contribution"], name="one_membership_per_contribution"
            ),
        ]
        indexes = [models.Index(fields=["run", "theme"])]

    def __str__(self) -> str:
        return f"#{self.contribution_id} in {self.theme_id or 'no theme'} ({self.assigned_by})"

    @property
    def by_person(self) -> bool:
        return self.assigned_by == AssignedBy.PERSON


class KeyQuote(models.Model):
    """An exact excerpt of a contribution that stands for its theme.

    Stored as a span, never as a copy of the words: ``text`` reads them from the contribution,
    and was checked to be exact (and the person's quote consent honoured) when it was marked.
    """

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="key_quotes")
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="key_quotes"
    )
    start = models.PositiveIntegerField()
    length = models.PositiveIntegerField()
    marked_by = models.CharField(
        max_length=10, choices=AssignedBy.choices, default=AssignedBy.MACHINE
    )
    marked_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["theme", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "contribution", "start", "length"], name="key_quote_once"
            ),
            models.CheckConstraint(condition=Q(length__gt=0), name="key_quote_not_empty"),
        ]

    def __str__(self) -> str:
        return f"#{self.contribution_id}[{self.start}:{self.start + self.length}]"

    @property
    def text(self) -> str:
        """The quoted words, read from the contribution ("" once it is withdrawn)."""
        return self.contribution.text[self.start : self.start + self.length]


class ThemeEdit(models.Model):
    """One analyst edit or run event, as written to the record: the pages' history of a run.

    The record entry (``log_index``) is the authority; this row lets a page list a run's history
    with the editor's name (for the team) without reading the whole log.
    """

    run = models.ForeignKey(ThemeRun, on_delete=models.CASCADE, related_name="edits")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="edits"
    )
    kind = models.CharField(max_length=40)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    log_index = models.BigIntegerField(unique=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-log_index"]

    def __str__(self) -> str:
        return f"{self.kind} (entry {self.log_index})"


class SummaryDraft(BackgroundWork):
    """A summary of a theme drafted by the operator's language model: machine-written, cited.

    Only made when the operator configured an endpoint (docs/decisions/0018). Each sentence
    keeps the contributions it cites (checked to exist by ``heard.sense.themes.summaries`` and,
    before saving, to be members of this theme that may be quoted); sentences that failed the
    check are kept apart with why, for the team to see, never as part of the summary. A draft
    is not the theme's summary until an analyst adopts it through ``services.write_summary``,
    which records who, what and why. Like quotes, a draft holds no copy of people's words
    beyond the model's own sentences.
    """

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="summary_drafts")
    # [{"text": "...", "contributions": [12, 40]}]: the sentences, each with what it cites.
    sentences = models.JSONField(default=list, blank=True)
    # [{"text": "...", "reason": "uncited", "cited": ["Q9"]}]: refused by the citation check.
    rejected = models.JSONField(default=list, blank=True)
    # Endpoint host, model, prompt version, input hash (never the API key, never the quotes).
    provenance = models.JSONField(default=dict, blank=True)
    failure = models.CharField(max_length=40, blank=True, help_text=_("Why it failed (a code)"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["theme", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"draft {self.pk} of theme {self.theme_id} ({self.status})"

    @property
    def text(self) -> str:
        """The summary as it would be adopted: the sentences' words, without their citations."""
        return " ".join(s["text"] for s in self.sentences)

    def cited(self) -> list[int]:
        """Every contribution the sentences cite, once each, in order of first citation."""
        return list(dict.fromkeys(c for s in self.sentences for c in s["contributions"]))
