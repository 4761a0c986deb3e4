"""Report pages: the team's page (texts, theme order, preview, publish) and the published
versions, which anyone who may see the engagement can read.

A published version is served exactly as it was frozen (the page's stored HTML, the stored PDF
bytes), so what a reader gets hashes to what the record holds. Publishing renders the PDF in
the request (a few seconds for the demo).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.report import gather, services
from heard.report.forms import (
    DraftForm,
    PopulationForm,
    PublishForm,
    ThemeChoiceForm,
    group_field,
)
from heard.report.models import ReportPublication, ReportVersion

FROZEN_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}


def _versions(engagement: Engagement):
    """Every version, newest first, without the heavy frozen columns."""
    return (
        ReportVersion.objects.filter(engagement=engagement).defer("html", "pdf").order_by("-number")
    )


def _frozen_html(version: ReportVersion) -> HttpResponse:
    response = HttpResponse(version.html, content_type="text/html; charset=utf-8")
    for key, value in FROZEN_HEADERS.items():
        response[key] = value
    return response


@engagement_view(Action.VIEW_ENGAGEMENT)
def latest(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The latest published version, served as frozen; a short page while there is none."""
    version = ReportVersion.objects.filter(engagement=engagement).order_by("-number").first()
    if version is None:
        return render(
            request,
            "report/none.html",
            {"engagement": engagement, "can_publish": can(request, Action.PUBLISH_REPORT)},
            status=404,
        )
    return _frozen_html(version)


def _version(engagement: Engagement, number: int) -> ReportVersion:
    return get_object_or_404(ReportVersion, engagement=engagement, number=number)


@engagement_view(Action.VIEW_ENGAGEMENT)
def version(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """One version: when, its change note, its hashes and record entry, and every version."""
    shown = get_object_or_404(_versions(engagement), number=number)
    return render(
        request,
        "report/version.html",
        {
            "engagement": engagement,
            "version": shown,
            "versions": list(_versions(engagement)),
            "can_publish": can(request, Action.PUBLISH_REPORT),
        },
    )


@engagement_view(Action.VIEW_ENGAGEMENT)
def version_html(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    return _frozen_html(_version(engagement, number))


@engagement_view(Action.VIEW_ENGAGEMENT)
def version_pdf(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    shown = _version(engagement, number)
    if not shown.pdf:  # redacted: it quoted words since withdrawn (services.redact_withdrawn)
        return HttpResponse(
            _(
                "This PDF quoted words a participant has since withdrawn, so it is no longer "
                "kept. The web version of this report shows where they were."
            ),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(bytes(shown.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{engagement.slug}-report-v{shown.number}.pdf"'
    )
    for key, value in FROZEN_HEADERS.items():
        response[key] = value
    return response


def _saved(request: HttpRequest, form, save: Callable[[], object], message: str) -> bool:
    """Run a service's ``save``: its refusal becomes the form's error, its success a message."""
    try:
        save()
    except ValidationError as error:
        form.add_error(None, error)
        return False
    messages.success(request, message)
    return True


def _render_team(
    request, engagement, draft_form, publish_form, status=200, *, draft=None
) -> HttpResponse:
    publications = list(
        ReportPublication.objects.filter(engagement=engagement)
        .select_related("version")
        .order_by("-created_at")[:5]
    )
    draft = draft or services.draft_of(engagement)
    return render(
        request,
        "report/team.html",
        {
            "engagement": engagement,
            "form": draft_form,
            "publish_form": publish_form,
            "versions": list(_versions(engagement)),
            "publishing": next((p for p in publications if p.in_progress), None),
            # The latest request, when it failed: its reason stays until the next one.
            "failed": publications[0]
            if publications and publications[0].status == ReportPublication.Status.FAILED
            else None,
            "chosen": {int(k) for k in (draft.quote_choice or {})},
            "noted": {int(k) for k in (draft.theme_notes or {})},
            "population": [
                (name, entered[key].get("source", ""))
                for key, name in services.population_names(engagement).items()
                if key in (entered := draft.population or {})
            ],
            "interim": gather.interim(engagement),
        },
        status=status,
    )


def _draft_form(engagement: Engagement, data=None, *, draft=None) -> DraftForm:
    draft = draft or services.draft_of(engagement)
    return DraftForm(
        data,
        themes=services.orderable_themes(engagement, draft),
        initial={
            "introduction": draft.introduction,
            "next_steps": draft.next_steps,
            "left_out": draft.left_out,
            "bilingual": draft.bilingual,
        },
    )


def _publication_status(engagement: Engagement) -> dict:
    latest = (
        ReportPublication.objects.filter(engagement=engagement)
        .select_related("version")
        .order_by("-created_at")
        .first()
    )
    if latest is None:
        return {"publishing": False, "message": "", "version_url": None}
    if latest.in_progress:
        return {
            "publishing": True,
            "message": _("Publishing the next version: %(status)s.")
            % {"status": latest.get_status_display()},
            "version_url": None,
        }
    if latest.status == ReportPublication.Status.FAILED:
        return {
            "publishing": False,
            "message": _("The publication failed; nothing was published. %(error)s")
            % {"error": latest.error},
            "version_url": None,
        }
    number = latest.version.number if latest.version else None
    return {
        "publishing": False,
        "message": _("Version %(n)s is published; its fingerprints are in the record.")
        % {"n": number},
        "version_url": reverse("report_version", args=[engagement.slug, number])
        if number
        else None,
    }


@engagement_view(Action.PUBLISH_REPORT)
def team(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The team's page: GET shows the draft (``?format=json``: how the latest publication is
    getting on, for the page's status line); POST saves it."""
    if request.method != "POST" and request.GET.get("format") == "json":
        return JsonResponse(_publication_status(engagement))
    if request.method != "POST":
        draft = services.draft_of(engagement)
        return _render_team(
            request, engagement, _draft_form(engagement, draft=draft), PublishForm(), draft=draft
        )
    form = _draft_form(engagement, request.POST)
    if form.is_valid():
        saved = _saved(
            request,
            form,
            lambda: services.save_draft(
                engagement,
                by=request.user,
                introduction=form.cleaned_data["introduction"],
                next_steps=form.cleaned_data["next_steps"],
                left_out=form.cleaned_data["left_out"],
                theme_order=form.theme_order(),
                bilingual=form.cleaned_data["bilingual"],
            ),
            _("Saved. The preview shows the report with these words."),
        )
        if saved:
            return redirect("report_team", slug=engagement.slug)
    return _render_team(request, engagement, form, PublishForm(), status=400)


@engagement_view(Action.PUBLISH_REPORT)
def preview(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The page as it would be published now; not saved, not public."""
    response = HttpResponse(services.preview(engagement), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@engagement_view(Action.PUBLISH_REPORT)
def publish(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Queue the next version for the task worker; the team's page shows it on its way."""
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            publication = services.request_publication(
                engagement, by=request.user, change_note=form.cleaned_data["change_note"]
            )
        except ValidationError as error:
            form.add_error("change_note", error)
        else:
            if publication.requested_by_id != request.user.pk or (
                publication.change_note != form.cleaned_data["change_note"].strip()
            ):
                messages.warning(
                    request,
                    _("A version is already being published; this one waits for it to finish."),
                )
            else:
                messages.success(
                    request,
                    _(
                        "Publishing: the page and the PDF are being built. This page shows when "
                        "the version is out."
                    ),
                )
            return redirect("report_team", slug=engagement.slug)
    return _render_team(request, engagement, _draft_form(engagement), form, status=400)


@engagement_view(Action.PUBLISH_REPORT)
def theme_choice(request: HttpRequest, engagement: Engagement, theme_id: int) -> HttpResponse:
    """Which quotes a theme shows, in what order, and the team's words under it."""
    try:
        theme = services.standing_theme(engagement, theme_id)
    except ValidationError as error:
        raise Http404(error.messages[0]) from None
    draft = services.draft_of(engagement)
    candidates = services.quote_candidates(engagement, theme)
    chosen = (draft.quote_choice or {}).get(str(theme.pk))
    note = (draft.theme_notes or {}).get(str(theme.pk), "")
    form = ThemeChoiceForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        chosen=[tuple(r) for r in chosen] if chosen is not None else None,
        initial={"note": note},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved = _saved(
                request,
                form,
                lambda: services.save_theme_choice(
                    engagement,
                    theme.pk,
                    by=request.user,
                    chosen=form.chosen(),
                    note=form.cleaned_data["note"],
                ),
                _("Saved. The preview shows the theme with these quotes."),
            )
            if saved:
                return redirect("report_team", slug=engagement.slug)
    return render(
        request,
        "report/theme_choice.html",
        {
            "engagement": engagement,
            "theme": theme,
            "form": form,
            "chosen_count": len(chosen) if chosen is not None else None,
            "limit": services.QUOTES_PER_THEME_MAX,
        },
        status=status,
    )


def _population_forms(engagement: Engagement, posted=None) -> list[PopulationForm]:
    draft = services.draft_of(engagement)
    entered = draft.population or {}
    forms = []
    for key, name, groups in services.population_dimensions(engagement, draft):
        form = PopulationForm(
            posted
            if posted is not None and posted.get(f"{group_field(key)}-dimension") == key
            else None,
            dimension=key,
            groups=groups,
            entered=entered.get(key),
        )
        form.name = name
        forms.append(form)
    return forms


@engagement_view(Action.PUBLISH_REPORT)
def population(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Population shares (e.g. census) to set who we heard against, one dimension per form."""
    forms = _population_forms(engagement, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        form = next((f for f in forms if f.is_bound), None)
        if form is None:
            return HttpResponse(_("Unknown dimension."), status=400)
        if form.is_valid():
            shares = form.shares()
            if form.is_valid():
                saved = _saved(
                    request,
                    form,
                    lambda: services.save_population(
                        engagement,
                        form.cleaned_data["dimension"],
                        by=request.user,
                        source=form.cleaned_data["source"],
                        shares=shares,
                    ),
                    _("Saved. The report compares this with who we heard."),
                )
                if saved:
                    return redirect("report_population", slug=engagement.slug)
    return render(
        request,
        "report/population.html",
        {"engagement": engagement, "forms": forms},
        status=status,
    )
