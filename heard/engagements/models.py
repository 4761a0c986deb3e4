"""An engagement: the container every stage of the journey hangs off."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from heard.core.permissions import Phase

PHASE_LABELS = {
    Phase.PLAN: _("Plan & invite"),
    Phase.LISTEN: _("Listen"),
    Phase.MAKE_SENSE: _("Make sense"),
    Phase.REPORT: _("Report"),
    Phase.DRAFT: _("Draft"),
    Phase.CHECK_BACK: _("Check back"),
    Phase.ENDORSE: _("Amend & endorse"),
    Phase.ADOPT: _("Adopt"),
}
PHASE_CHOICES = [(p.value, PHASE_LABELS[p]) for p in Phase]


class Bilingual:
    """Pick the te reo Māori field when the page is in te reo Māori and the field is filled."""

    def localised(self, field: str) -> str:
        if (get_language() or "").startswith("mi"):
            value = getattr(self, f"{field}_mi", "")
            if value:
                return value
        return getattr(self, field)


class Engagement(Bilingual, models.Model):
    slug = models.SlugField(unique=True, max_length=60)
    title = models.CharField(max_length=200)
    title_mi = models.CharField(_("title in te reo Māori"), max_length=200, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    purpose = models.TextField(help_text=_("Why we are asking, in plain words."))
    purpose_mi = models.TextField(_("purpose in te reo Māori"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("engagement", kwargs={"slug": self.slug})

    @property
    def current_phase_label(self) -> str:
        return str(PHASE_LABELS[self.current_phase()])

    @property
    def localised_title(self) -> str:
        return self.localised("title")

    @property
    def localised_purpose(self) -> str:
        return self.localised("purpose")

    def current_phase(self, today: dt.date | None = None) -> Phase:
        """The phase whose window holds today: the latest one that has started.

        Phases are contiguous: each lasts until the next one starts, so an engagement is always
        in exactly one phase and the permission table always has a column to read. Before the
        first start date the engagement is being planned.
        """
        today = today or timezone.localdate()
        current = Phase.PLAN
        for window in self.phase_windows.all():
            if window.starts_on <= today:
                current = Phase(window.phase)
        return current

    def phase_schedule(self) -> list[dict]:
        """Each phase with its start and (derived) end date, for display."""
        windows = list(self.phase_windows.all())
        rows = []
        for i, window in enumerate(windows):
            nxt = windows[i + 1].starts_on if i + 1 < len(windows) else None
            rows.append(
                {
                    "phase": window.phase,
                    "label": PHASE_LABELS[Phase(window.phase)],
                    "starts_on": window.starts_on,
                    "ends_on": nxt - dt.timedelta(days=1) if nxt else None,
                }
            )
        return rows


class PhaseWindow(models.Model):
    """When a phase starts. It ends the day before the next phase starts."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="phase_windows"
    )
    phase = models.CharField(max_length=20, choices=PHASE_CHOICES)
    starts_on = models.DateField()

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "phase"], name="one_window_per_phase"),
        ]

    def __str__(self) -> str:
        return f"{self.phase} from {self.starts_on}"


class Audience(Bilingual, models.Model):
    """A community the engagement wants to hear from (configurable per engagement)."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="audiences")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    name_mi = models.CharField(max_length=120, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["engagement", "key"], name="audience_key")]

    def __str__(self) -> str:
        return self.name

    @property
    def localised_name(self) -> str:
        return self.localised("name")


class Question(Bilingual, models.Model):
    """An open question: just enough shape to start talking."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    text = models.TextField()
    text_mi = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["engagement", "key"], name="question_key")]

    def __str__(self) -> str:
        return self.text

    @property
    def localised_text(self) -> str:
        return self.localised("text")


class DemographicField(Bilingual, models.Model):
    """A self-described demographic question; always optional, asked only with consent."""

    class Kind(models.TextChoices):
        CHOICE = "choice", _("Choice")
        TEXT = "text", _("Free text (self-described)")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="demographic_fields"
    )
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    label_mi = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    choices = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "key"], name="demographic_key")
        ]

    def __str__(self) -> str:
        return self.label
