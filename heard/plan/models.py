"""Where and when we listen: venues and hui."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from heard.engagements.models import Audience, Engagement


class Venue(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="venues")
    name = models.CharField(max_length=200)
    place = models.CharField(_("town or city"), max_length=120)
    region = models.CharField(max_length=120)
    accessibility = models.TextField(_("accessibility notes"), blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["region", "place", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.place}"


class Hui(models.Model):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="hui")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="hui"
    )
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    audience = models.ForeignKey(
        Audience, on_delete=models.SET_NULL, null=True, blank=True, related_name="hui"
    )
    capacity = models.PositiveIntegerField()
    attendance = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How many came; blank until recorded.")
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_hui"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name_plural = "hui"
        constraints = [models.UniqueConstraint(fields=["engagement", "key"], name="hui_key")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("hui", kwargs={"slug": self.engagement.slug, "key": self.key})

    @property
    def place(self) -> str:
        return self.venue.place if self.venue else _("Online")

    @property
    def region(self) -> str:
        return self.venue.region if self.venue else _("Online")
