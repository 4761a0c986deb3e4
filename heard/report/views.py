"""Report pages: the team's page (texts, theme order, preview, publish) and the published
versions, which anyone who may see the engagement can read.

A published version is served exactly as it was frozen (the page's stored HTML, the stored PDF
bytes), so what a reader gets hashes to what the record holds. Publishing renders the PDF in
the request (a few seconds for the demo).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.report import services
from heard.report.forms import DraftForm, PublishForm
from heard.report.models import ReportVersion

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


def _render_team(request, engagement, draft_form, publish_form, status=200) -> HttpResponse:
    return render(
        request,
        "report/team.html",
        {
            "engagement": engagement,
            "form": draft_form,
            "publish_form": publish_form,
            "versions": list(_versions(engagement)),
        },
        status=status,
    )


def _draft_form(engagement: Engagement, data=None) -> DraftForm:
    draft = services.draft_of(engagement)
    return DraftForm(
        data,
        themes=services.orderable_themes(engagement),
        initial={
            "introduction": draft.introduction,
            "next_steps": draft.next_steps,
            "left_out": draft.left_out,
        },
    )


@engagement_view(Action.PUBLISH_REPORT)
def team(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The team's page: GET shows the draft; POST saves it."""
    if request.method != "POST":
        return _render_team(request, engagement, _draft_form(engagement), PublishForm())
    form = _draft_form(engagement, request.POST)
    if form.is_valid():
        try:
            services.save_draft(
                engagement,
                by=request.user,
                introduction=form.cleaned_data["introduction"],
                next_steps=form.cleaned_data["next_steps"],
                left_out=form.cleaned_data["left_out"],
                theme_order=form.theme_order(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved. The preview shows the report with these words."))
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
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            published = services.publish(
                engagement, by=request.user, change_note=form.cleaned_data["change_note"]
            )
        except ValidationError as error:
            form.add_error("change_note", error)
        else:
            messages.success(
                request,
                _("Version %(n)s is published; its fingerprints are in the record.")
                % {"n": published.number},
            )
            return redirect("report_version", slug=engagement.slug, number=published.number)
    return _render_team(request, engagement, _draft_form(engagement), form, status=400)
