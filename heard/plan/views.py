"""Hui: the list, one hui's page, and the team's forms for hui and venues."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.plan import services as plan_services
from heard.plan.forms import HuiForm, VenueForm
from heard.plan.models import Hui


@engagement_view(Action.VIEW_ENGAGEMENT)
def hui_detail(request: HttpRequest, engagement: Engagement, key: str) -> HttpResponse:
    hui = get_object_or_404(
        Hui.objects.select_related("venue", "audience").prefetch_related("facilitators"),
        engagement=engagement,
        key=key,
    )
    counts = hui.contributions.aggregate(
        n=Count("id"), speakers=Count("participant", distinct=True)
    )
    is_facilitator = hui.facilitators.filter(pk=request.user.pk).exists()
    return render(
        request,
        "plan/hui.html",
        {
            "engagement": engagement,
            "hui": hui,
            "counts": counts,
            "can_capture": can(request, Action.CAPTURE_AT_HUI),
            "can_manage": can(request, Action.MANAGE_HUI),
            "is_facilitator": is_facilitator,
        },
    )


@engagement_view(Action.MANAGE_HUI)
def hui_edit(request: HttpRequest, engagement: Engagement, key: str | None = None) -> HttpResponse:
    hui = (
        get_object_or_404(Hui, engagement=engagement, key=key)
        if key
        else Hui(engagement=engagement)
    )
    form = HuiForm(request.POST or None, instance=hui, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        hui = plan_services.save_hui(form)
        messages.success(request, _("Hui saved."))
        return redirect(hui)
    return render(
        request,
        "plan/hui_form.html",
        {"engagement": engagement, "form": form, "hui": hui if key else None},
    )


@engagement_view(Action.MANAGE_HUI)
def venue_new(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        venue = form.save(commit=False)
        venue.engagement = engagement
        venue.save()
        messages.success(request, _("Venue saved."))
        return redirect("hui_new", slug=engagement.slug)
    return render(request, "plan/venue_form.html", {"engagement": engagement, "form": form})
