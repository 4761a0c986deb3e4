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

import html as html_lib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heard.engagements.models import Engagement
from heard.listen.vocab import QuoteConsent
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType
from heard.report import evidence, gather, population, rendering
from heard.report.content import Edition, Quote, in_order
from heard.report.models import (
    CHANGE_NOTE_MAX,
    TEXT_MAX,
    ReportDraft,
    ReportPublication,
    ReportVersion,
)
from heard.sense import queries as sense_queries
from heard.sense.models import KeyQuote, ThemeMembership
from heard.sense.recording import staff_pseudonym

#: The engagement's draft, unsaved and empty when the team has written nothing yet.
draft_of = gather.draft_of


def orderable_themes(engagement: Engagement, draft: ReportDraft | None = None) -> list:
    """The themes the team may order: the latest finished run's standing themes, in the
    draft's order (as the report prints them). ``draft``: the draft, when already read."""
    run = sense_queries.latest_done_run(engagement)
    if run is None:
        return []
    draft = draft or draft_of(engagement)
    return in_order(list(sense_queries.standing_themes(run)), lambda t: t.pk, draft.theme_order)


def _text(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationError(
            _("Keep %(name)s under %(max)s characters.") % {"name": name, "max": f"{TEXT_MAX:,}"}
        )
    return value


def check_evidence(engagement: Engagement, texts: dict[str, str]) -> None:
    """Every evidence marker in the team's texts must point at a quote, statement or theme the
    report shows now; the error names each one that does not (``heard.report.evidence``)."""
    if not any(evidence.references(t) for t in texts.values()):
        return
    with translation.override(settings.LANGUAGE_CODE):
        available = set(gather.evidence_available(engagement))
    problems = [
        f"{name}: {', '.join(missing)}"
        for name, text in texts.items()
        if (missing := evidence.unresolved(text, available))
    ]
    if problems:
        raise ValidationError(
            _(
                "These links point at nothing in the report: %(list)s. Link only to a quote the "
                "report shows ([c:ID]), a statement in it ([s:1.4]) or a theme ([t:ID])."
            )
            % {"list": "; ".join(problems)}
        )


def save_draft(
    engagement: Engagement,
    *,
    by,
    introduction: str = "",
    next_steps: str = "",
    left_out: str = "",
    theme_order: Sequence[int] = (),
    bilingual: bool = False,
) -> ReportDraft:
    """Keep the team's texts, theme order and choice of headings. Not a record entry: nothing
    is public until it is published, and the published version's hashes commit to what these
    texts said."""
    standing = {t.pk for t in orderable_themes(engagement)}
    order = [int(pk) for pk in theme_order]
    if not set(order) <= standing or len(set(order)) != len(order):
        raise ValidationError(_("Order only the themes of the latest analysis, each once."))
    texts = {
        _("the introduction"): _text(introduction, _("the introduction")),
        _("what happens next"): _text(next_steps, _("what happens next")),
        _("what was left out"): _text(left_out, _("what was left out")),
    }
    check_evidence(engagement, texts)
    introduction, next_steps, left_out = texts.values()
    with transaction.atomic():
        draft, _created = ReportDraft.objects.select_for_update().get_or_create(
            engagement=engagement
        )
        draft.introduction = introduction
        draft.next_steps = next_steps
        draft.left_out = left_out
        draft.theme_order = order
        draft.bilingual = bool(bilingual)
        draft.updated_by = by
        draft.save()
    return draft


#: At most this many quotes under one theme (a report is read, not scrolled through).
QUOTES_PER_THEME_MAX = 20
#: The theme's own contributions offered as whole quotes, strongest members first.
CANDIDATE_MEMBERS = 100


@dataclass(frozen=True)
class Candidate:
    """A quote the team may choose for a theme: a key quote the analysis marked (often an
    excerpt) or a whole contribution of the theme; ``ref`` is what the draft keeps."""

    quote: Quote
    key_quote: bool

    @property
    def ref(self) -> tuple[int, int, int]:
        return (self.quote.contribution, self.quote.start, len(self.quote.text))

    @property
    def value(self) -> str:
        return "{}:{}:{}".format(*self.ref)


def standing_theme(engagement: Engagement, theme_id: int):
    """A standing theme of the latest finished analysis, or a clear error."""
    for theme in orderable_themes(engagement):
        if theme.pk == int(theme_id):
            return theme
    raise ValidationError(_("That theme is not one of the latest analysis's themes."))


def quote_candidates(engagement: Engagement, theme) -> list[Candidate]:
    """What the team may choose from for ``theme``: its key quotes, then its quotable
    contributions whole (the ``CANDIDATE_MEMBERS`` closest to the theme), each only if it may
    be quoted now. Excerpts are only those the analysis marked: an editor chooses words, never
    cuts them."""
    found: list[Candidate] = []
    seen: set[tuple[int, int, int]] = set()
    key_quotes = (
        KeyQuote.objects.filter(theme=theme)
        .select_related("contribution__participant")
        .order_by("position", "id")
    )
    for kq in key_quotes:
        quote = gather.quote_of(kq.contribution, kq.start, kq.length)
        if quote is not None and (cand := Candidate(quote, True)).ref not in seen:
            seen.add(cand.ref)
            found.append(cand)
    members = (
        ThemeMembership.objects.filter(run=theme.run, theme=theme)
        .select_related("contribution__participant")
        .filter(
            contribution__withdrawn_at__isnull=True,
            contribution__is_hidden=False,
        )
        .exclude(contribution__quote_consent=QuoteConsent.NONE)
        .order_by("-score", "contribution_id")[:CANDIDATE_MEMBERS]
    )
    for m in members:
        quote = gather.quote_of(m.contribution, 0, len(m.contribution.text))
        if quote is not None and (cand := Candidate(quote, False)).ref not in seen:
            seen.add(cand.ref)
            found.append(cand)
    return found


def save_theme_choice(
    engagement: Engagement,
    theme_id: int,
    *,
    by,
    chosen: Sequence[tuple[int, int, int]] | None,
    note: str = "",
) -> ReportDraft:
    """Keep which quotes a theme shows, in order (``None``: the analysis's key quotes, as
    before any choice), and the team's words under it. Only offered candidates can be chosen,
    so a quote is always a stored contribution's words or an excerpt the analysis marked."""
    theme = standing_theme(engagement, theme_id)
    note = _text(note, _("the words under the theme"))
    refs = None
    if chosen is not None:
        offered = {cand.ref for cand in quote_candidates(engagement, theme)}
        refs = [tuple(int(x) for x in ref) for ref in chosen]
        if not set(refs) <= offered:
            raise ValidationError(
                _("Choose only from the quotes offered: one of them may no longer be quotable.")
            )
        if len(set(refs)) != len(refs):
            raise ValidationError(_("Choose each quote once."))
        if len(refs) > QUOTES_PER_THEME_MAX:
            raise ValidationError(
                _("Choose at most %(n)s quotes for a theme.") % {"n": QUOTES_PER_THEME_MAX}
            )
    with transaction.atomic():
        draft, _created = ReportDraft.objects.select_for_update().get_or_create(
            engagement=engagement
        )
        choice = dict(draft.quote_choice or {})
        if refs is None:
            choice.pop(str(theme.pk), None)
        else:
            choice[str(theme.pk)] = [list(ref) for ref in refs]
        notes = dict(draft.theme_notes or {})
        if note:
            notes[str(theme.pk)] = note
        else:
            notes.pop(str(theme.pk), None)
        draft.quote_choice, draft.theme_notes, draft.updated_by = choice, notes, by
        draft.save()
        # Checked against the report with this choice in it (a note may link to a quote it
        # has just chosen); a refusal rolls the choice back too.
        check_evidence(engagement, {theme.label: note})
    return draft


#: population.MESSAGES, translatable (the same templates: a test keeps them equal).
SHARES_MESSAGES = {
    "no_name": gettext_lazy("A population share needs the group's name."),
    "long_name": gettext_lazy("Keep group names under %(max)s characters: %(group)s…"),
    "not_number": gettext_lazy("%(group)s: give the share as a number, e.g. 16.5."),
    "out_of_range": gettext_lazy("%(group)s: a share is a percentage between 0 and 100."),
    "twice": gettext_lazy("%(group)s is listed twice."),
    "too_many": gettext_lazy("Give at most %(max)s groups."),
    "over_100": gettext_lazy("The shares add up to %(total)s%%, more than 100%%."),
}


def population_names(engagement: Engagement, *, fields: list | None = None) -> dict[str, str]:
    """What the team may enter population shares for, key to name: the comparable dimensions,
    then each self-described question with set answers (``fields``: those questions, when
    already read)."""
    names = {key: name for key, name in gather.names().items() if key in gather.COMPARABLE}
    for f in gather.demographic_fields(engagement) if fields is None else fields:
        names[f"{gather.DEMOGRAPHIC}{f.key}"] = f.label
    return names


def population_dimensions(
    engagement: Engagement, draft: ReportDraft | None = None
) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """What the team may enter population shares for: (key, name, known groups as (key,
    label)), the groups being those heard, the engagement's audiences and set answers, and any
    already entered. ``draft``: the draft, when already read."""
    draft = draft or draft_of(engagement)
    who = {b.key: b for b in gather.breakdowns(engagement)}
    fields = gather.demographic_fields(engagement)
    extra: dict[str, list[str]] = {
        "audience": [str(a.name) for a in engagement.audiences.order_by("order", "id")]
    }
    for f in fields:
        extra[f"{gather.DEMOGRAPHIC}{f.key}"] = [str(choice) for choice in f.choices or []]
    dimensions = []
    for key, name in population_names(engagement, fields=fields).items():
        groups: dict[str, str] = {}
        for row in who[key].rows if key in who else []:
            if row.key and (row.people or row.contributions):
                groups.setdefault(row.key, row.label)
        for value in extra.get(key, []):
            groups.setdefault(value, value)
        for value in ((draft.population or {}).get(key) or {}).get("shares", {}):
            groups.setdefault(value, value)
        dimensions.append((key, name, list(groups.items())))
    return dimensions


def save_population(
    engagement: Engagement, dimension: str, *, by, source: str, shares: dict[str, object]
) -> ReportDraft:
    """Keep one dimension's population shares and where they come from (no shares: the
    dimension is not compared)."""
    if dimension not in population_names(engagement):
        raise ValidationError(_("Population shares cannot be given for that."))
    try:
        cleaned = population.clean_shares({g: v for g, v in shares.items() if str(v).strip()})
    except population.SharesError as error:
        raise ValidationError(str(SHARES_MESSAGES[error.code]) % error.params) from None
    source = (source or "").strip()
    if len(source) > population.SOURCE_MAX:
        raise ValidationError(
            _("Keep the source under %(n)s characters.") % {"n": population.SOURCE_MAX}
        )
    if cleaned and not source:
        raise ValidationError(
            _("Say where the population shares come from (e.g. Census 2023, usually resident).")
        )
    with transaction.atomic():
        draft, _created = ReportDraft.objects.select_for_update().get_or_create(
            engagement=engagement
        )
        entered = dict(draft.population or {})
        if cleaned:
            entered[dimension] = {"source": source, "shares": cleaned}
        else:
            entered.pop(dimension, None)
        draft.population, draft.updated_by = entered, by
        draft.save()
    return draft


def preview(engagement: Engagement) -> str:
    """The page as it would be published now (nothing is saved or appended)."""
    with translation.override(settings.LANGUAGE_CODE):
        return rendering.render_html(gather.gather(engagement))


def _note(change_note: str) -> str:
    change_note = (change_note or "").strip()
    if len(change_note) > CHANGE_NOTE_MAX:
        raise ValidationError(
            _("Keep the change note under %(max)s characters.") % {"max": f"{CHANGE_NOTE_MAX:,}"}
        )
    return change_note


def publish(engagement: Engagement, *, by, change_note: str = "") -> ReportVersion:
    """Render the report as the data stands, freeze it, and put its hashes in the record.
    Every version after the first needs a change note."""
    change_note = _note(change_note)
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
        interim = gather.interim(engagement)
        edition = Edition(
            number=number,
            published_at=now,
            change_note=change_note,
            versions_url=reverse("report_version", args=[engagement.slug, number]),
            interim=interim,
        )
        with translation.override(settings.LANGUAGE_CODE):
            report = gather.gather(engagement, edition=edition)
            html = rendering.render_html(report)
        pdf, pages = rendering.print_pdf(html)
        html_hash, pdf_hash = events.digest(html), events.digest(pdf)
        entry = record.append(
            EventType.REPORT_PUBLISHED,
            {
                "engagement": engagement.slug,
                "version": number,
                "html_sha256": html_hash,
                "pdf_sha256": pdf_hash,
                "by": staff_pseudonym(engagement, by),
                "change_note": bool(change_note),
                "change_note_sha256": events.digest(change_note) if change_note else None,
                "checkpoint_size": report.record.size if report.record else None,
                "interim": interim,
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
            interim=interim,
            log_index=entry.index,
            checkpoint_text=report.record.checkpoint if report.record else "",
            pages=pages,
        )


def check_change_note(engagement: Engagement, change_note: str) -> str:
    """The change note, checked before anything is queued: the next version after the first
    needs one (``publish`` checks again, under its lock)."""
    change_note = _note(change_note)
    if not change_note and ReportVersion.objects.filter(engagement=engagement).exists():
        raise ValidationError(
            _(
                "Say what changed since the last version and why: every correction carries a "
                "change note, printed in the report."
            )
        )
    return change_note


def request_publication(
    engagement: Engagement, *, by, change_note: str = "", enqueue: bool = True
) -> ReportPublication:
    """Queue the next version for the task worker (rendering the PDF takes seconds, more for a
    large engagement, too long for a page to wait on). One publication may be on its way per
    engagement: a second request while it is (a double click, two editors) gets that one."""
    change_note = check_change_note(engagement, change_note)
    with transaction.atomic():
        ReportDraft.objects.select_for_update().get_or_create(engagement=engagement)
        pending = (
            ReportPublication.objects.filter(
                engagement=engagement,
                status__in=[ReportPublication.Status.QUEUED, ReportPublication.Status.RUNNING],
            )
            .order_by("-created_at")
            .first()
        )
        if pending is not None:
            return pending
        publication = ReportPublication.objects.create(
            engagement=engagement, requested_by=by, change_note=change_note
        )
        if enqueue:
            from heard.report.tasks import publish_report

            result = publish_report.enqueue(publication.pk)
            publication.task_id = str(result.id)
            publication.save(update_fields=["task_id"])
    return publication


def run_publication(publication_id: int) -> dict:
    """The task body: publish the queued request once (a task delivered twice does nothing the
    second time); a failure is kept on the request with its message, then raised again so the
    worker reports it too."""
    claimed = ReportPublication.objects.filter(
        pk=publication_id, status=ReportPublication.Status.QUEUED
    ).update(status=ReportPublication.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return {"publication": publication_id, "skipped": "not queued"}
    publication = ReportPublication.objects.select_related("engagement", "requested_by").get(
        pk=publication_id
    )
    try:
        version = publish(
            publication.engagement, by=publication.requested_by, change_note=publication.change_note
        )
    except Exception as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        ReportPublication.objects.filter(pk=publication_id).update(
            status=ReportPublication.Status.FAILED,
            error=message[:2000] or type(error).__name__,
            finished_at=timezone.now(),
        )
        raise
    ReportPublication.objects.filter(pk=publication_id).update(
        status=ReportPublication.Status.DONE, version=version, finished_at=timezone.now()
    )
    return {"publication": publication_id, "version": version.number, "pages": version.pages}


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
    quoting = (
        ReportVersion.objects.filter(
            engagement__slug=engagement_slug,
            html__contains=f'data-contribution="{int(contribution_id)}"',
        )
        .only("pk", "number", "html", "redacted")
        .order_by("number")
    )
    for version in quoting:
        page, count = marker.subn(
            lambda m: m.group(1) + f"<em>{note}</em>" + m.group(3), version.html
        )
        if not count:
            continue
        redacted = sorted({*version.redacted, int(contribution_id)})
        digest = events.digest(page)
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
