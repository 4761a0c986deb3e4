"""How theme work reaches the record: who (a staff pseudonym), what, and why.

Shared by the run and edit services. Every entry is appended inside the transaction of the rows
it describes, and a ``ThemeEdit`` row keeps the run's history for its pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.sense.models import StaffPseudonym, Theme, ThemeEdit, ThemeRun

REASON_MAX = 2_000


def staff_pseudonym(engagement: Engagement, user) -> str | None:
    """The record's name for a staff member in this engagement (made on first use)."""
    if user is None:
        return None
    alias, _created = StaffPseudonym.objects.get_or_create(engagement=engagement, user=user)
    return alias.public_id


def clean_reason(reason: str) -> str:
    """An analyst's reason, required: the record must say why, not only what."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why: the reason is kept in the record with the edit."))
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("Keep the reason under %(max)s characters.") % {"max": f"{REASON_MAX:,}"}
        )
    return reason


def append(
    kind: EventType,
    run: ThemeRun,
    *,
    by,
    reason: str = "",
    subject: Theme | None = None,
    **fields: Any,
) -> ThemeEdit:
    """Append an entry about ``run`` and keep its history row (call inside the transaction)."""
    now = timezone.now()
    body = {
        "engagement": run.engagement.slug,
        "run": run.version,
        "by": staff_pseudonym(run.engagement, by),
        "reason": reason or None,
        "at": events.timestamp(now),
        **fields,
    }
    entry = record.append(kind, body)
    detail = {k: v for k, v in fields.items() if v is not None}
    return ThemeEdit.objects.create(
        run=run,
        theme=subject,
        kind=str(kind),
        by=by,
        reason=reason,
        detail=detail,
        log_index=entry.index,
    )
