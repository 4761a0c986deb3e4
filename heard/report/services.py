"""The one door through which the team's report texts are saved and versions are published.

Publishing, and what the printed checkpoint proves
--------------------------------------------------
1. A checkpoint is signed first (``record.issue_checkpoint``, committed on its own so appends
   elsewhere never wait on a render). It covers every entry the report counts or quotes.
2. The report is gathered and rendered (page, then PDF) with that checkpoint printed in it,
   and with its version number and change note printed in it too.
3. In the same transaction as the ``ReportVersion`` row, a ``report.published`` entry is
   appended holding the SHA-256 of the page's UTF-8 bytes and of the PDF's bytes: the record
   commits to exactly what was published. The *next* checkpoint covers that entry; a version
   cannot print a checkpoint that covers itself, because the checkpoint would have to sign a
   hash of the page it is printed in.

Versions are numbered 1, 2, ... per engagement, under a lock on the engagement's draft row,
so two people publishing at once get consecutive numbers. Every version after the first needs a
change note (what changed and why), printed in the page and kept on the version; the record
holds a digest of it, not its text (like theme summaries).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.report import gather, rendering
from heard.report.content import Edition, in_order
from heard.report.models import CHANGE_NOTE_MAX, TEXT_MAX, ReportDraft, ReportVersion
from heard.sense import queries as sense_queries
from heard.sense.recording import staff_pseudonym


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def draft_of(engagement: Engagement) -> ReportDraft:
    """The engagement's draft, unsaved and empty when the team has written nothing yet."""
    return ReportDraft.objects.filter(engagement=engagement).first() or ReportDraft(
        engagement=engagement
    )


def orderable_themes(engagement: Engagement) -> list:
    """The themes the team may order: the latest finished run's standing themes, in the
    draft's order (as the report prints them)."""
    run = sense_queries.latest_done_run(engagement)
    if run is None:
        return []
    return in_order(
        list(sense_queries.active_themes(run)), lambda t: t.pk, draft_of(engagement).theme_order
    )


def _text(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationError(
            _("Keep %(name)s under %(max)s characters.") % {"name": name, "max": f"{TEXT_MAX:,}"}
        )
    return value


def save_draft(
    engagement: Engagement,
    *,
    by,
    introduction: str = "",
    next_steps: str = "",
    left_out: str = "",
    theme_order: Sequence[int] = (),
) -> ReportDraft:
    """Keep the team's texts and theme order. Not a record entry: nothing is public until it
    is published, and the published version's hashes commit to what these texts said."""
    standing = {t.pk for t in orderable_themes(engagement)}
    order = [int(pk) for pk in theme_order]
    if not set(order) <= standing or len(set(order)) != len(order):
        raise ValidationError(_("Order only the themes of the latest analysis, each once."))
    with transaction.atomic():
        draft, _created = ReportDraft.objects.select_for_update().get_or_create(
            engagement=engagement
        )
        draft.introduction = _text(introduction, _("the introduction"))
        draft.next_steps = _text(next_steps, _("what happens next"))
        draft.left_out = _text(left_out, _("what was left out"))
        draft.theme_order = order
        draft.updated_by = by
        draft.save()
    return draft


def preview(engagement: Engagement) -> str:
    """The page as it would be published now (nothing is saved or appended)."""
    with translation.override(settings.LANGUAGE_CODE):
        return rendering.render_html(gather.gather(engagement))


def publish(engagement: Engagement, *, by, change_note: str = "") -> ReportVersion:
    """Render the report as the data stands, freeze it, and put its hashes in the record.
    Every version after the first needs a change note."""
    change_note = (change_note or "").strip()
    if len(change_note) > CHANGE_NOTE_MAX:
        raise ValidationError(
            _("Keep the change note under %(max)s characters.") % {"max": f"{CHANGE_NOTE_MAX:,}"}
        )
    record.issue_checkpoint()
    with transaction.atomic():
        ReportDraft.objects.select_for_update().get_or_create(engagement=engagement)
        last = ReportVersion.objects.filter(engagement=engagement).aggregate(n=Max("number"))["n"]
        number = (last or 0) + 1
        if number > 1 and not change_note:
            raise ValidationError(
                _(
                    "Say what changed since version %(n)s and why: every correction carries a "
                    "change note, printed in the report."
                )
                % {"n": last}
            )
        now = timezone.now()
        edition = Edition(
            number=number,
            published_at=now,
            change_note=change_note,
            versions_url=reverse("report_version", args=[engagement.slug, number]),
        )
        with translation.override(settings.LANGUAGE_CODE):
            report = gather.gather(engagement, edition=edition)
            html = rendering.render_html(report)
        pdf, pages = rendering.print_pdf(html)
        html_hash, pdf_hash = sha256(html.encode("utf-8")), sha256(pdf)
        entry = record.append(
            EventType.REPORT_PUBLISHED,
            {
                "engagement": engagement.slug,
                "version": number,
                "html_sha256": html_hash,
                "pdf_sha256": pdf_hash,
                "by": staff_pseudonym(engagement, by),
                "change_note": bool(change_note),
                "change_note_sha256": sha256(change_note.encode("utf-8")) if change_note else None,
                "checkpoint_size": report.record.size if report.record else None,
                "at": events.timestamp(now),
            },
        )
        return ReportVersion.objects.create(
            engagement=engagement,
            number=number,
            published_at=now,
            published_by=by,
            html=html,
            pdf=pdf,
            html_sha256=html_hash,
            pdf_sha256=pdf_hash,
            change_note=change_note,
            log_index=entry.index,
            checkpoint_text=report.record.checkpoint if report.record else "",
            pages=pages,
        )


WITHDRAWN_NOTE = "Withdrawn at the participant's request."


def redact_withdrawn(contribution_id: int, engagement_slug: str) -> int:
    """Honour a withdrawal in every published version that quotes it; returns how many.

    A version is frozen, but a person's right to withdraw comes first: the quote's words are
    replaced in the stored page by a visible note, the PDF (which cannot be edited in place) is
    no longer kept, and a ``report.redacted`` entry records the new page's hash beside the
    published one, which stays in the record. Called inside the withdrawal's transaction.
    """
    marker = re.compile(
        r'(<blockquote data-contribution="'
        + str(int(contribution_id))
        + r'"[^>]*>)(.*?)(</blockquote>)',
        re.S,
    )
    note = html_lib.escape(WITHDRAWN_NOTE)
    done = 0
    for version in ReportVersion.objects.filter(engagement__slug=engagement_slug).order_by(
        "number"
    ):
        page, count = marker.subn(
            lambda m: m.group(1) + f"<em>{note}</em>" + m.group(3), version.html
        )
        if not count:
            continue
        redacted = sorted({*version.redacted, int(contribution_id)})
        digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
        ReportVersion.objects.filter(pk=version.pk).update(html=page, pdf=b"", redacted=redacted)
        record.append(
            EventType.REPORT_REDACTED,
            {
                "engagement": engagement_slug,
                "version": version.number,
                "contribution": int(contribution_id),
                "html_sha256": digest,
                "at": events.timestamp(timezone.now()),
            },
        )
        done += 1
    return done
