"""Writes for hui, through the record: every saved hui is a "hui recorded" entry."""

from __future__ import annotations

from django.db import transaction

from heard.plan.models import Hui
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType


def hui_event(hui: Hui) -> dict:
    return {
        "engagement": hui.engagement.slug,
        "hui": hui.key,
        "title": hui.title,
        "starts": events.timestamp(hui.starts_at),
        "ends": events.timestamp(hui.ends_at),
        "format": hui.format,
        "place": hui.venue.place if hui.venue_id else None,
        "region": hui.venue.region if hui.venue_id else None,
        "audience": hui.audience.key if hui.audience_id else None,
        "capacity": hui.capacity,
        "attendance": hui.attendance,
    }


def record_hui(hui: Hui) -> None:
    """Put the hui as it now stands into the record (call after saving it)."""
    record.append(EventType.HUI_RECORDED, hui_event(hui))  # append runs in a transaction


def save_hui(form) -> Hui:
    """Save a hui form and record it, in one transaction."""
    with transaction.atomic():
        hui = form.save()
        record_hui(hui)
    return hui
