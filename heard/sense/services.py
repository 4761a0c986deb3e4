"""The one door through which theme runs and analysts' edits are written.

Every use case is one function and one transaction, and appends one entry to the record
(``heard.record.services.append``) in that same transaction, naming who (a staff pseudonym,
never a name), what, and why (the analyst's reason, required). Pages, the task worker and the
demo all come through here. Runs are in ``runs`` (re-exported here); edits are below.

The record is public and holds no participant words: quotes enter it as spans of a
contribution, summaries as a digest of their text. A theme's new label is the analyst's own
words and enters it as written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.listen.models import Contribution
from heard.listen.vocab import Withheld
from heard.record.events import EventType
from heard.sense.models import (
    AssignedBy,
    KeyQuote,
    SummaryDraft,
    Theme,
    ThemeMembership,
    ThemeRun,
)
from heard.sense.recording import append, clean_reason
from heard.sense.runs import LABEL_MAX, analysis_input, run_analysis, start_run
from heard.sense.themes.quotes import excerpt_problem

__all__ = [
    "analysis_input",
    "clean_reason",
    "mark_key_quote",
    "merge_themes",
    "move_contributions",
    "rename_theme",
    "run_analysis",
    "split_theme",
    "start_run",
    "unmark_key_quote",
    "write_summary",
]

SUMMARY_MAX = 10_000


def _locked_done_run(run_id: int) -> ThemeRun:
    """The run, locked for this edit (edits to one run take turns); only a finished run edits."""
    run = ThemeRun.objects.select_for_update().select_related("engagement").get(pk=run_id)
    if run.status != ThemeRun.Status.DONE:
        raise ValidationError(_("Only a finished analysis can be edited."))
    return run


def _active(theme: Theme) -> None:
    if theme.merged_into_id is not None:
        raise ValidationError(
            _("“%(label)s” was merged into another theme; edit that one.") % {"label": theme.label}
        )


def locked_theme(theme: Theme) -> tuple[ThemeRun, Theme]:
    """The theme's run, locked and finished, and the theme as it is now, still standing."""
    run = _locked_done_run(theme.run_id)
    theme = Theme.objects.get(pk=theme.pk)
    _active(theme)
    return run, theme


def _label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise ValidationError(_("Give the theme a name."))
    if len(label) > LABEL_MAX:
        raise ValidationError(_("Keep the name under %(max)s characters.") % {"max": LABEL_MAX})
    return label


def rename_theme(theme: Theme, *, label: str, by, reason: str) -> Theme:
    label, reason = _label(label), clean_reason(reason)
    with transaction.atomic():
        run, theme = locked_theme(theme)
        if label == theme.label:
            raise ValidationError(_("That is already the theme's name."))
        old = theme.label
        theme.label = label
        theme.save(update_fields=["label"])
        append(
            EventType.THEME_RENAMED,
            run,
            by=by,
            reason=reason,
            subject=theme,
            **_theme_ref(theme),
            label=label,
        )
    theme.old_label = old
    return theme


def _theme_ref(theme: Theme | None, prefix: str = "theme") -> dict[str, Any]:
    """How the record names a theme: its number, and the engine's stable id when it has one."""
    if theme is None:
        return {prefix: None}
    return {prefix: theme.pk, f"{prefix}_engine_id": theme.engine_id or None}


def merge_themes(
    themes: Iterable[Theme], *, into: Theme, by, reason: str, label: str = ""
) -> Theme:
    """Merge ``themes`` into ``into``: their members and key quotes move there (marked as a
    person's placement); the merged themes keep their rows, empty, pointing at ``into``."""
    reason = clean_reason(reason)
    others = [t for t in themes if t.pk != into.pk]
    if not others:
        raise ValidationError(_("Choose at least one other theme to merge into this one."))
    with transaction.atomic():
        run = _locked_done_run(into.run_id)
        into = Theme.objects.get(pk=into.pk)
        others = list(Theme.objects.filter(pk__in=[t.pk for t in others]))
        for theme in [into, *others]:
            if theme.run_id != run.pk:
                raise ValidationError(_("Themes from different analyses cannot be merged."))
            _active(theme)
        now = timezone.now()
        moved = ThemeMembership.objects.filter(run=run, theme__in=others).update(
            theme=into, assigned_by=AssignedBy.PERSON, assigned_by_user=by, assigned_at=now
        )
        _move_quotes(KeyQuote.objects.filter(theme__in=others), into)
        Theme.objects.filter(pk__in=[t.pk for t in others]).update(merged_into=into)
        if label:
            into.label = _label(label)
            into.save(update_fields=["label"])
        append(
            EventType.THEME_MERGED,
            run,
            by=by,
            reason=reason,
            subject=into,
            **_theme_ref(into, "into"),
            merged=sorted(t.pk for t in others),
            contributions_moved=moved,
            label=into.label if label else None,
        )
    return into


def _move_quotes(quotes, to: Theme | None) -> int:
    """Key quotes follow their contribution to its new theme; with no theme they lapse."""
    if to is None:
        return quotes.delete()[0]
    moved = 0
    for quote in quotes:
        duplicate = KeyQuote.objects.filter(
            theme=to, contribution_id=quote.contribution_id, start=quote.start, length=quote.length
        ).exists()
        if duplicate:
            quote.delete()
        else:
            KeyQuote.objects.filter(pk=quote.pk).update(theme=to)
            moved += 1
    return moved


def split_theme(
    theme: Theme, *, contribution_ids: Sequence[int], label: str, by, reason: str
) -> Theme:
    """Move the chosen members of ``theme`` into a new theme named ``label``."""
    label, reason = _label(label), clean_reason(reason)
    chosen = sorted({int(i) for i in contribution_ids})
    if not chosen:
        raise ValidationError(_("Choose the contributions that go into the new theme."))
    with transaction.atomic():
        run, theme = locked_theme(theme)
        members = set(
            ThemeMembership.objects.filter(run=run, theme=theme).values_list(
                "contribution_id", flat=True
            )
        )
        if not set(chosen) <= members:
            raise ValidationError(_("Only members of this theme can be split off from it."))
        if set(chosen) == members:
            raise ValidationError(
                _("Leave at least one contribution in the theme, or rename it instead.")
            )
        position = (run.themes.aggregate(p=Max("position"))["p"] or 0) + 1
        new = Theme.objects.create(
            run=run,
            label=label,
            origin=Theme.Origin.ANALYST,
            split_from=theme,
            created_by=by,
            position=position,
        )
        _reassign(run, chosen, new, by)
        _move_quotes(KeyQuote.objects.filter(theme=theme, contribution_id__in=chosen), new)
        append(
            EventType.THEME_SPLIT,
            run,
            by=by,
            reason=reason,
            subject=new,
            **_theme_ref(theme, "theme"),
            new_theme=new.pk,
            label=label,
            contributions=chosen,
        )
    return new


def _reassign(run: ThemeRun, contribution_ids: Sequence[int], to: Theme | None, by) -> int:
    return ThemeMembership.objects.filter(run=run, contribution_id__in=contribution_ids).update(
        theme=to, assigned_by=AssignedBy.PERSON, assigned_by_user=by, assigned_at=timezone.now()
    )


def move_contributions(
    run: ThemeRun, contribution_ids: Sequence[int], *, to: Theme | None, by, reason: str
) -> int:
    """Move contributions into ``to``, or into "fits no theme" when ``to`` is None. Returns how
    many moved (those already there stay, and are not counted)."""
    reason = clean_reason(reason)
    chosen = sorted({int(i) for i in contribution_ids})
    if not chosen:
        raise ValidationError(_("Choose at least one contribution to move."))
    with transaction.atomic():
        run = _locked_done_run(run.pk)
        if to is not None:
            to = Theme.objects.get(pk=to.pk)
            if to.run_id != run.pk:
                raise ValidationError(_("That theme belongs to another analysis."))
            _active(to)
        rows = list(
            ThemeMembership.objects.filter(run=run, contribution_id__in=chosen).values_list(
                "contribution_id", "theme_id"
            )
        )
        if len(rows) != len(chosen):
            raise ValidationError(_("Some of those contributions are not in this analysis."))
        target = to.pk if to else None
        moving = sorted(cid for cid, theme_id in rows if theme_id != target)
        if not moving:
            raise ValidationError(_("Those contributions are already there."))
        sources = sorted(
            {theme_id for _cid, theme_id in rows if theme_id != target},
            key=lambda t: (t is not None, t or 0),
        )
        _reassign(run, moving, to, by)
        _move_quotes(
            KeyQuote.objects.filter(theme__run=run, contribution_id__in=moving).exclude(
                theme_id=target
            ),
            to,
        )
        append(
            EventType.THEME_MEMBERS_MOVED,
            run,
            by=by,
            reason=reason,
            subject=to,
            contributions=moving,
            sources=sources,
            to=target,
            to_no_theme=to is None,
        )
    return len(moving)


def quote_problem(contribution: Contribution, start: int, excerpt: str) -> str | None:
    """Why these words may not be a key quote, if they may not: the public record's one
    withholding rule (``Contribution.withheld``), then exactness."""
    withheld = contribution.withheld()
    if withheld is not None:
        return {
            Withheld.WITHDRAWN: _("This contribution was withdrawn; its words are gone."),
            Withheld.HIDDEN: _(
                "This contribution is hidden by moderation, so it cannot be quoted."
            ),
            Withheld.NOT_FOR_QUOTING: _(
                "The person asked not to be quoted: their words are counted, never quoted."
            ),
        }[withheld]
    if excerpt_problem(contribution.text, start, excerpt):
        return _(
            "The quote must be the contribution's exact words, letter for letter; "
            "these are not. Copy them from the contribution."
        )
    return None


def find_excerpt(text: str, excerpt: str) -> int | None:
    """Where ``excerpt`` first occurs in ``text`` (None if it does not)."""
    if not excerpt:
        return None
    position = text.find(excerpt)
    return position if position >= 0 else None


def mark_key_quote(
    theme: Theme,
    contribution: Contribution,
    *,
    excerpt: str,
    by,
    reason: str,
    start: int | None = None,
) -> KeyQuote:
    """Mark ``excerpt`` of ``contribution`` as a key quote of ``theme``. The excerpt must be the
    contribution's exact words (at ``start``, or where it first occurs) and the person must
    have allowed quoting; the contribution must be in the theme."""
    reason = clean_reason(reason)
    with transaction.atomic():
        run, theme = locked_theme(theme)
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if not ThemeMembership.objects.filter(
            run=run, theme=theme, contribution=contribution
        ).exists():
            raise ValidationError(_("Only a contribution in this theme can be its key quote."))
        if start is None:
            start = find_excerpt(contribution.text, excerpt)
            if start is None and not contribution.is_withdrawn:
                raise ValidationError(
                    _(
                        "These words are not in the contribution exactly as typed. Copy them "
                        "from the contribution, letter for letter."
                    )
                )
        if problem := quote_problem(contribution, start or 0, excerpt):
            raise ValidationError(problem)
        quote, created = KeyQuote.objects.get_or_create(
            theme=theme,
            contribution=contribution,
            start=start,
            length=len(excerpt),
            defaults={
                "marked_by": AssignedBy.PERSON,
                "marked_by_user": by,
                "position": theme.key_quotes.count(),
            },
        )
        if not created:
            raise ValidationError(_("That quote is already a key quote of this theme."))
        append(
            EventType.THEME_KEY_QUOTE_MARKED,
            run,
            by=by,
            reason=reason,
            subject=theme,
            **_theme_ref(theme),
            contribution=contribution.pk,
            start=start,
            length=len(excerpt),
        )
    return quote


def unmark_key_quote(quote: KeyQuote, *, by, reason: str) -> None:
    reason = clean_reason(reason)
    with transaction.atomic():
        quote = KeyQuote.objects.select_related("theme").get(pk=quote.pk)
        run = _locked_done_run(quote.theme.run_id)
        _active(quote.theme)
        quote.delete()
        append(
            EventType.THEME_KEY_QUOTE_UNMARKED,
            run,
            by=by,
            reason=reason,
            subject=quote.theme,
            **_theme_ref(quote.theme),
            contribution=quote.contribution_id,
            start=quote.start,
            length=quote.length,
            marked_by=quote.marked_by,
        )


def write_summary(
    theme: Theme, *, text: str, by, reason: str, draft: SummaryDraft | None = None
) -> Theme:
    """Keep an analyst's summary of the theme. The record holds a digest of it (a summary may
    quote people, and the record holds no participant words), so it can show it was not
    changed since.

    ``draft`` is the language model's draft the text was adopted from (``heard.sense.drafts``):
    the theme keeps a link to it, so its citations stay with the summary, and the record says
    which draft and model; a summary written by hand clears the link."""
    reason = clean_reason(reason)
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > SUMMARY_MAX:
        raise ValidationError(
            _("Keep the summary under %(max)s characters.") % {"max": f"{SUMMARY_MAX:,}"}
        )
    with transaction.atomic():
        run, theme = locked_theme(theme)
        if text == theme.summary:
            raise ValidationError(_("The summary is unchanged."))
        theme.summary, theme.summary_by, theme.summary_at = text, by, timezone.now()
        theme.summary_draft = draft
        theme.save(update_fields=["summary", "summary_by", "summary_at", "summary_draft"])
        drafted = {"draft": draft.pk, "draft_model": draft.provenance.get("model")} if draft else {}
        append(
            EventType.THEME_SUMMARY_WRITTEN,
            run,
            by=by,
            reason=reason,
            subject=theme,
            **_theme_ref(theme),
            summary_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            characters=len(text),
            **drafted,
        )
    return theme
