"""What the team writes into the findings report, and each version it published.

``ReportDraft`` holds the team's own words (introduction, what happens next, what was left out
and why) and the order of the themes; it never holds a quote, so an editor cannot alter what
anyone said: quotes are read from the stored contributions when the report is rendered.

``ReportVersion`` is a published report, frozen: the page and the PDF exactly as they were
served, their SHA-256 (which the record's ``report.published`` entry also holds), and the
signed checkpoint printed in them. Rows are written only by ``heard.report.services.publish``
and are never edited or deleted (``save`` refuses an update, ``delete`` refuses outright).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Engagement
from heard.sense.models import BackgroundWork

TEXT_MAX = 20_000
CHANGE_NOTE_MAX = 2_000


class ReportDraft(models.Model):
    """The editable parts of an engagement's report (one per engagement)."""

    engagement = models.OneToOneField(
        Engagement, on_delete=models.CASCADE, related_name="report_draft"
    )
    introduction = models.TextField(_("Introduction"), blank=True, max_length=TEXT_MAX)
    next_steps = models.TextField(_("What happens next"), blank=True, max_length=TEXT_MAX)
    left_out = models.TextField(_("What was left out and why"), blank=True, max_length=TEXT_MAX)
    # Theme ids (heard.sense Theme) in the order the team chose; empty: the engine's order.
    theme_order = models.JSONField(default=list, blank=True)
    # Which quotes each theme shows, in order: {"theme id": [[contribution id, start, length]]}.
    # References only: the words are read from the contribution at render time, and a choice
    # that no longer fits them (withdrawn, hidden, consent changed) is dropped then.
    quote_choice = models.JSONField(default=dict, blank=True)
    # The team's words under each theme ("what we make of it"): {"theme id": text}.
    theme_notes = models.JSONField(default=dict, blank=True)
    # Population shares the team entered to compare who we heard against (e.g. census):
    # {"dimension": {"source": text, "shares": {"group": percent}}} (``heard.report.population``).
    population = models.JSONField(default=dict, blank=True)
    bilingual = models.BooleanField(
        _("Headings in English and te reo Māori"),
        default=False,
        help_text=_("Each heading is printed in both languages."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Report draft for {self.engagement.slug}"


class ReportPublication(BackgroundWork):
    """A request to publish the next version, done by the task worker (rendering the PDF takes
    seconds, longer for a large engagement). One may be on its way per engagement at a time,
    so a double click publishes once."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="report_publications"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.TextField(blank=True, max_length=CHANGE_NOTE_MAX)
    version = models.OneToOneField(
        "ReportVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["engagement", "-created_at"]

    def __str__(self) -> str:
        return f"{self.engagement.slug} report publication ({self.status})"


class ImmutableError(Exception):
    """A published version is never changed or removed; publish a correction instead."""


class ReportVersion(models.Model):
    """One published version of the report, frozen."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, related_name="report_versions"
    )
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    html = models.TextField()
    pdf = models.BinaryField()
    html_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    change_note = models.TextField(blank=True, max_length=CHANGE_NOTE_MAX)
    # Published before the report phase: "what we have heard so far", and said so in it.
    interim = models.BooleanField(default=False)
    log_index = models.BigIntegerField(help_text="The record entry report.published.")
    checkpoint_text = models.TextField(blank=True)
    pages = models.PositiveIntegerField(default=0)
    # Contributions whose words were withdrawn after this version was published: their quotes
    # are gone from the stored page, and the PDF is no longer kept (``services.redact``).
    redacted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["engagement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="one_report_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="report_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.engagement.slug} report v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("A published report version is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A published report version is never deleted.")
