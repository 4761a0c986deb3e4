"""Theme pages: runs (with live progress), the overview, a theme, and the contribution browser.

Reading needs ``VIEW_THEMES``; running and editing need ``ANALYSE_THEMES``. Every edit goes
through ``heard.sense.services`` and asks why; a refused edit shows the page again with the
form's errors and loses nothing typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen.models import CHANNEL_CHOICES
from heard.sense import drafts, queries, services
from heard.sense.forms import (
    MembersForm,
    MergeForm,
    QuoteForm,
    ReasonForm,
    RenameForm,
    RunForm,
    SummaryForm,
)
from heard.sense.models import AssignedBy, KeyQuote, SummaryDraft, Theme, ThemeRun
from heard.sense.themes.summaries import Rejection

PAGE_SIZE = 50
RECENT_EDITS = 20


def _run(engagement: Engagement, version: int) -> ThemeRun:
    return get_object_or_404(
        ThemeRun.objects.select_related("started_by", "engagement"),
        engagement=engagement,
        version=version,
    )


# The engine's stage names, as the page says them.
STAGES = {
    "": gettext_lazy("waiting for the worker"),
    "reading": gettext_lazy("reading the contributions"),
    "embedding": gettext_lazy("reading what each one says"),
    "grouping": gettext_lazy("grouping them into themes"),
    "describing": gettext_lazy("naming the themes and choosing quotes"),
    "done": gettext_lazy("done"),
}


def _progress(run: ThemeRun) -> dict:
    """How far a run has got, for the page's status region and its small poller."""
    stage = str(STAGES.get(run.stage, run.stage))
    return {
        "version": run.version,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "stage": run.stage,
        "percent": run.percent,
        "message": _("Analysis %(v)s: %(stage)s, %(pct)s%% done.")
        % {"v": run.version, "stage": stage, "pct": run.percent},
    }


@engagement_view(Action.VIEW_THEMES)
def themes_home(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The latest finished analysis, or the runs page while there is none."""
    run = queries.latest_done_run(engagement)
    if run is None:
        return redirect("theme_runs", slug=engagement.slug)
    return redirect("theme_overview", slug=engagement.slug, version=run.version)


@engagement_view(Action.VIEW_THEMES)
def runs(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Every run of the analysis, newest first, with progress while one runs; and the form to
    start another (posted to ``start_run``)."""
    all_runs = list(engagement.theme_runs.select_related("started_by"))
    if request.GET.get("format") == "json":
        return JsonResponse({"runs": [_progress(r) for r in all_runs if r.in_progress]})
    return _render_runs(request, engagement, all_runs, RunForm())


def _render_runs(request, engagement, all_runs, form, status=200) -> HttpResponse:
    return render(
        request,
        "sense/runs.html",
        {
            "engagement": engagement,
            "runs": all_runs,
            "form": form,
            "in_progress": [_progress(r) for r in all_runs if r.in_progress],
            "can_analyse": can(request, Action.ANALYSE_THEMES),
            "Status": ThemeRun.Status,
        },
        status=status,
    )


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def start_run(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            run = services.start_run(
                engagement,
                by=request.user,
                k=form.cleaned_data["k"],
                fast=form.cleaned_data["fast"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Analysis %(v)s is queued. This page shows its progress.") % {"v": run.version},
            )
            return redirect("theme_runs", slug=engagement.slug)
    all_runs = list(engagement.theme_runs.select_related("started_by"))
    return _render_runs(request, engagement, all_runs, form, status=400)


@engagement_view(Action.VIEW_THEMES)
def overview(request: HttpRequest, engagement: Engagement, version: int) -> HttpResponse:
    run = _run(engagement, version)
    themes = list(queries.active_themes(run)) if run.status == ThemeRun.Status.DONE else []
    spread = queries.breakdowns(run)
    unassigned = run.memberships.filter(theme__isnull=True).count()
    return render(
        request,
        "sense/overview.html",
        {
            "engagement": engagement,
            "run": run,
            "themes": [(t, spread[t.pk]) for t in themes],
            "unassigned": unassigned,
            "unassigned_spread": spread[None],
            "placed_total": sum(t.size for t in themes) + unassigned,
            "newer": queries.newer_contributions(run),
            "withdrawn_since": queries.withdrawn_since(run),
            "merged": run.themes.filter(merged_into__isnull=False).select_related("merged_into"),
            "edits": run.edits.select_related("by", "theme")[:RECENT_EDITS],
            "other_runs": engagement.theme_runs.exclude(pk=run.pk).only("version", "status"),
            "no_theme": queries.NO_THEME,
            "can_analyse": can(request, Action.ANALYSE_THEMES),
        },
    )


def _theme(run: ThemeRun, pk: int) -> Theme:
    return get_object_or_404(
        Theme.objects.select_related("merged_into", "split_from", "summary_by", "created_by"),
        run=run,
        pk=pk,
    )


def _theme_page(request, engagement, run, theme, *, forms=None, status=200) -> HttpResponse:
    """A theme: its name, keywords, summary, key quotes, members (machine or person placed,
    with scores) and history; and, for analysts, a form for every edit."""
    forms = forms or {}
    members_qs = queries.memberships(run).filter(theme=theme)
    page = Paginator(members_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    others = run.themes.filter(merged_into__isnull=True).exclude(pk=theme.pk).order_by("position")
    quotable = [
        m
        for m in page
        if m.contribution.quote_consent != "none"
        and not m.contribution.is_hidden
        and not m.contribution.is_withdrawn
    ]
    editable = run.status == ThemeRun.Status.DONE and theme.is_active
    context = {
        "engagement": engagement,
        "run": run,
        "theme": theme,
        "page": page,
        "quotes": theme.key_quotes.select_related("contribution", "marked_by_user"),
        "edits": theme.edits.select_related("by")[:RECENT_EDITS],
        "merged_from": theme.merged_from.all(),
        "split_into": theme.split_into.all(),
        "can_analyse": can(request, Action.ANALYSE_THEMES) and editable,
        "rename_form": forms.get("rename") or RenameForm(prefix="rename"),
        "summary_form": forms.get("summary")
        or SummaryForm(prefix="summary", initial={"summary": theme.summary}),
        "merge_form": forms.get("merge") or MergeForm(prefix="merge", themes=others),
        "members_form": forms.get("members")
        or MembersForm(prefix="members", themes=others, members=[m.contribution_id for m in page]),
        "quote_form": forms.get("quote") or QuoteForm(prefix="quote", members=quotable),
        "unmark_form": forms.get("unmark") or ReasonForm(prefix="unmark"),
        "no_theme": queries.NO_THEME,
        **_draft_context(engagement, theme, forms.get("adopt")),
    }
    return render(request, "sense/theme.html", context, status=status)


# Why a sentence of a draft is not shown, as the page says it (after "not shown because").
REJECTIONS = {
    Rejection.EMPTY: gettext_lazy("it has no words"),
    Rejection.UNCITED: gettext_lazy("it cites no quote"),
    Rejection.UNKNOWN_QUOTE: gettext_lazy("it cites a quote the model was not given"),
}


def _draft_context(engagement, theme: Theme, adopt_form) -> dict:
    """The language model's latest draft of the theme's summary (only while summaries are on),
    and the adopted summary's citations; each citation links to the cited words on the page."""
    anchors: dict[int, str] = {}
    for q in theme.key_quotes.all():
        anchors.setdefault(q.contribution_id, f"#key-quote-{q.pk}")

    def cited(sentences) -> list[dict]:
        return [
            {
                "text": s["text"],
                "cites": [
                    (c, anchors.get(c) or reverse("contribution", args=[engagement.slug, c]))
                    for c in s["contributions"]
                ],
            }
            for s in sentences
        ]

    adopted = theme.summary_draft
    context = {
        "llm_on": drafts.summaries_enabled(),
        "adopted_sentences": cited(adopted.sentences) if adopted else [],
    }
    draft = context["llm_on"] and theme.summary_drafts.select_related("requested_by").first()
    if draft:
        context |= {
            "draft": draft,
            "draft_sentences": cited(draft.sentences),
            "draft_rejected": [
                {**r, "why": REJECTIONS.get(r["reason"], r["reason"])} for r in draft.rejected
            ],
            "draft_failure": drafts.failure_message(draft.failure) if draft.failure else "",
            "adopt_form": adopt_form or ReasonForm(prefix="adopt"),
        }
    return context


@engagement_view(Action.VIEW_THEMES)
def theme_detail(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    run = _run(engagement, version)
    return _theme_page(request, engagement, run, _theme(run, pk))


def _edit(request, engagement, version, pk, name, form, act) -> HttpResponse:
    """Validate ``form``, call ``act(form.cleaned_data)`` (a service), and go back to the
    theme; on a refusal show the theme again with the form's errors (nothing typed is lost)."""
    run = _run(engagement, version)
    theme = _theme(run, pk)
    if form.is_valid():
        try:
            done = act(run, theme, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done["message"])
            target = done.get("theme", theme)
            return redirect("theme_detail", slug=engagement.slug, version=run.version, pk=target.pk)
    return _theme_page(request, engagement, run, theme, forms={name: form}, status=400)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def rename(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    def act(run, theme, data):
        services.rename_theme(theme, label=data["label"], by=request.user, reason=data["reason"])
        return {"message": _("Renamed. The record keeps the new name and your reason.")}

    form = RenameForm(request.POST, prefix="rename")
    return _edit(request, engagement, version, pk, "rename", form, act)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def summary(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    def act(run, theme, data):
        services.write_summary(theme, text=data["summary"], by=request.user, reason=data["reason"])
        return {"message": _("Summary kept. The record holds its fingerprint and your reason.")}

    form = SummaryForm(request.POST, prefix="summary")
    return _edit(request, engagement, version, pk, "summary", form, act)


def _summaries_on() -> None:
    """Without an endpoint the language model's pages do not exist (ADR 0018)."""
    if not drafts.summaries_enabled():
        raise Http404(_("Summaries by a language model are not turned on on this site."))


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def draft_request(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    """Queue a draft of the summary by the operator's language model; back to the theme."""
    _summaries_on()
    run = _run(engagement, version)
    theme = _theme(run, pk)
    try:
        drafts.request_draft(theme, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The language model is writing a draft. Reload this page in a moment to see it."),
        )
    return redirect("theme_detail", slug=engagement.slug, version=run.version, pk=theme.pk)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def draft_adopt(request: HttpRequest, engagement: Engagement, version: int, pk: int, dpk: int):
    """Use a draft as the theme's summary, through ``services.write_summary`` (asks why)."""
    _summaries_on()
    draft = get_object_or_404(SummaryDraft, pk=dpk, theme_id=pk, theme__run__engagement=engagement)

    def act(run, theme, data):
        drafts.adopt_draft(draft, by=request.user, reason=data["reason"])
        return {
            "message": _(
                "The draft is now the theme’s summary. The record holds its fingerprint and "
                "your reason."
            )
        }

    form = ReasonForm(request.POST, prefix="adopt")
    return _edit(request, engagement, version, pk, "adopt", form, act)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def merge(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    run = _run(engagement, version)
    others = run.themes.filter(merged_into__isnull=True).exclude(pk=pk)

    def act(run, theme, data):
        services.merge_themes(
            data["others"], into=theme, by=request.user, reason=data["reason"], label=data["label"]
        )
        return {"message": _("Merged. Their contributions and key quotes are now here.")}

    form = MergeForm(request.POST, prefix="merge", themes=others)
    return _edit(request, engagement, version, pk, "merge", form, act)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def members(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    """Move the ticked members elsewhere, or split them off into a new theme."""
    run = _run(engagement, version)
    others = run.themes.filter(merged_into__isnull=True).exclude(pk=pk)
    member_ids = run.memberships.filter(theme_id=pk).values_list("contribution_id", flat=True)

    def act(run, theme, data):
        ids = data["contributions"]
        if data["do"] == "split":
            new = services.split_theme(
                theme,
                contribution_ids=ids,
                label=data["label"],
                by=request.user,
                reason=data["reason"],
            )
            return {
                "message": _("Split. The new theme holds the contributions you chose."),
                "theme": new,
            }
        to = _target(run, data["to"])
        n = services.move_contributions(run, ids, to=to, by=request.user, reason=data["reason"])
        return {"message": _moved_message(n, to)}

    form = MembersForm(request.POST, prefix="members", themes=others, members=list(member_ids))
    return _edit(request, engagement, version, pk, "members", form, act)


def _target(run: ThemeRun, value: str) -> Theme | None:
    if value == queries.NO_THEME:
        return None
    return get_object_or_404(Theme, run=run, pk=int(value))


def _moved_message(n: int, to: Theme | None) -> str:
    if to is None:
        return _("%(n)s moved to “fits no theme”.") % {"n": n}
    return _("%(n)s moved to “%(label)s”.") % {"n": n, "label": to.label}


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def mark_quote(request: HttpRequest, engagement: Engagement, version: int, pk: int):
    run = _run(engagement, version)
    members_qs = run.memberships.filter(theme_id=pk).select_related("contribution")

    def act(run, theme, data):
        member = members_qs.get(contribution_id=data["contribution"])
        services.mark_key_quote(
            theme,
            member.contribution,
            excerpt=data["excerpt"],
            by=request.user,
            reason=data["reason"],
        )
        return {"message": _("Marked as a key quote: checked to be the person’s exact words.")}

    form = QuoteForm(request.POST, prefix="quote", members=members_qs)
    return _edit(request, engagement, version, pk, "quote", form, act)


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def unmark_quote(request: HttpRequest, engagement: Engagement, version: int, pk: int, qpk: int):
    quote = get_object_or_404(KeyQuote, pk=qpk, theme_id=pk, theme__run__engagement=engagement)

    def act(run, theme, data):
        services.unmark_key_quote(quote, by=request.user, reason=data["reason"])
        return {"message": _("No longer a key quote. The record keeps why.")}

    form = ReasonForm(request.POST, prefix="unmark")
    return _edit(request, engagement, version, pk, "unmark", form, act)


@engagement_view(Action.VIEW_THEMES)
def browse(request: HttpRequest, engagement: Engagement, version: int) -> HttpResponse:
    """Every contribution of the run, filtered by theme (or none), channel, hui, audience,
    language, who placed it and words; analysts may move the ticked ones."""
    run = _run(engagement, version)
    return _browse_page(request, engagement, run)


def _browse_page(request, engagement, run, form=None, status=200) -> HttpResponse:
    qs = queries.filter_memberships(queries.memberships(run), request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    themes = list(run.themes.filter(merged_into__isnull=True).order_by("position"))
    return render(
        request,
        "sense/browse.html",
        {
            "engagement": engagement,
            "run": run,
            "page": page,
            "themes": themes,
            "filters": request.GET,
            "query": params.urlencode(),
            "channels": CHANNEL_CHOICES,
            "hui_list": engagement.hui.only("key", "title"),
            "audiences": engagement.audiences.all(),
            "languages": sorted(
                set(run.memberships.values_list("contribution__language", flat=True))
            ),
            "placed_choices": AssignedBy.choices,
            "no_theme": queries.NO_THEME,
            "form": form
            or MembersForm(
                prefix="members", themes=themes, members=[m.contribution_id for m in page]
            ),
            "can_analyse": can(request, Action.ANALYSE_THEMES)
            and run.status == ThemeRun.Status.DONE,
        },
        status=status,
    )


@require_POST
@engagement_view(Action.ANALYSE_THEMES)
def browse_move(request: HttpRequest, engagement: Engagement, version: int) -> HttpResponse:
    """Move the contributions ticked in the browser; back to the same filtered page."""
    run = _run(engagement, version)
    themes = run.themes.filter(merged_into__isnull=True)
    ids = run.memberships.values_list("contribution_id", flat=True)
    form = MembersForm(request.POST, prefix="members", themes=themes, members=list(ids))
    if form.is_valid():
        data = form.cleaned_data
        try:
            to = _target(run, data["to"])
            n = services.move_contributions(
                run, data["contributions"], to=to, by=request.user, reason=data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _moved_message(n, to))
            url = reverse("theme_browse", args=[engagement.slug, run.version])
            back = request.POST.get("back", "")
            return redirect(f"{url}?{back}" if back else url)
    return _browse_page(request, engagement, run, form=form, status=400)
