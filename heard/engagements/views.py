"""The engagement's public page, its settings, its people, and joining it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.core.access import can, engagement_view
from heard.core.models import FacilitatorInvite, Membership
from heard.core.permissions import Action, Phase, Role
from heard.engagements.forms import (
    AudienceFormSet,
    DemographicFormSet,
    EngagementForm,
    InviteForm,
    JoinForm,
    NewEngagementForm,
    PhaseFormSet,
    QuestionFormSet,
)
from heard.engagements.models import Engagement, PhaseWindow
from heard.listen import services
from heard.listen.models import CHANNEL_CHOICES, Contribution
from heard.policy import services as policy_services


@engagement_view(Action.VIEW_ENGAGEMENT)
def engagement_page(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    counts = Contribution.objects.filter(engagement=engagement).aggregate(
        total=Count("id"),
        hidden=Count("id", filter=Q(is_hidden=True)),
        speakers=Count("participant", distinct=True),
    )
    channel_labels = dict(CHANNEL_CHOICES)
    by_channel = [
        {"channel": channel_labels.get(row["channel"], row["channel"]), "n": row["n"]}
        for row in Contribution.objects.filter(engagement=engagement)
        .values("channel")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]
    hui = engagement.hui.select_related("venue", "audience").order_by("starts_at")
    allowed = {a.value: can(request, a) for a in Action}
    ctx = {
        "engagement": engagement,
        "phase": request.phase,
        "schedule": engagement.phase_schedule(),
        "questions": engagement.questions.all(),
        "audiences": engagement.audiences.all(),
        "hui_list": hui[:200],
        "hui_count": hui.count(),
        # the regions alone, from the database: not by loading every hui and its venue again
        "regions": sorted(
            hui.exclude(venue=None).order_by().values_list("venue__region", flat=True).distinct()
        ),
        "counts": counts,
        "by_channel": by_channel,
        "roles": request.roles,
        "can": allowed,
        "is_participant": Role.PARTICIPANT in request.roles,
        # Those who draft the policy get its team page; the rest, the public one once issued.
        "policy_issued": not allowed[Action.DRAFT_POLICY.value]
        and policy_services.has_issued(engagement),
    }
    return render(request, "engagements/engagement.html", ctx)


@engagement_view(Action.EDIT_ENGAGEMENT)
def edit_engagement(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = EngagementForm(data, instance=engagement)
    formsets = {
        "questions": QuestionFormSet(data, instance=engagement, prefix="q"),
        "audiences": AudienceFormSet(data, instance=engagement, prefix="a"),
        "phases": PhaseFormSet(data, instance=engagement, prefix="p"),
        "demographics": DemographicFormSet(data, instance=engagement, prefix="d"),
    }
    if (
        request.method == "POST"
        and form.is_valid()
        and all(f.is_valid() for f in formsets.values())
    ):
        with transaction.atomic():
            form.save()
            for formset in formsets.values():
                formset.save()
        messages.success(request, _("Saved."))
        return redirect(engagement)
    return render(
        request, "engagements/edit.html", {"engagement": engagement, "form": form, **formsets}
    )


@engagement_view(Action.MANAGE_MEMBERS)
def members(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    new_link = None
    form = InviteForm(request.POST or None)
    if request.method == "POST" and request.POST.get("do") == "invite" and form.is_valid():
        _invite, token = FacilitatorInvite.issue(
            engagement,
            created_by=request.user,
            label=form.cleaned_data["label"],
            days=form.cleaned_data["days"],
            max_uses=form.cleaned_data["max_uses"],
        )
        new_link = request.build_absolute_uri(
            reverse("accept_invite", kwargs={"slug": engagement.slug, "token": token})
        )
        messages.success(request, _("Invite link made. Copy it now: it is shown only once."))
        form = InviteForm()
    elif request.method == "POST" and request.POST.get("do") == "revoke":
        FacilitatorInvite.objects.filter(
            engagement=engagement, pk=request.POST.get("invite")
        ).update(revoked=True)
        messages.success(request, _("Invite revoked."))
        return redirect("members", slug=engagement.slug)
    elif request.method == "POST" and request.POST.get("do") == "grant":
        user = get_user_model().objects.filter(username=request.POST.get("username", "")).first()
        role = request.POST.get("role")
        if user is None:
            messages.error(request, _("No account has that sign-in name."))
        elif role not in {Role.TEAM, Role.FACILITATOR, Role.WORKING_GROUP}:
            messages.error(request, _("Choose a role."))
        else:
            Membership.objects.get_or_create(engagement=engagement, user=user, role=role)
            messages.success(request, _("Role given."))
        return redirect("members", slug=engagement.slug)
    elif request.method == "POST" and request.POST.get("do") == "remove":
        Membership.objects.filter(engagement=engagement, pk=request.POST.get("membership")).exclude(
            user=request.user, role=Role.TEAM
        ).delete()
        messages.success(request, _("Role removed."))
        return redirect("members", slug=engagement.slug)
    ctx = {
        "engagement": engagement,
        "memberships": engagement.memberships.select_related("user").order_by(
            "role", "user__username"
        ),
        "invites": engagement.invites.order_by("-created_at")[:50],
        "form": form,
        "new_link": new_link,
        "participant_count": engagement.participants.count(),
    }
    return render(request, "engagements/members.html", ctx)


@engagement_view(Action.JOIN_AS_PARTICIPANT)
def join(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Join under a pseudonym. Someone not signed in makes an account in the same step."""
    from heard.core.forms import SignUpForm

    fields = list(engagement.demographic_fields.all())
    needs_account = not request.user.is_authenticated
    form = JoinForm(request.POST or None, demographic_fields=fields)
    account_form = SignUpForm(request.POST or None, prefix="account") if needs_account else None
    if (
        request.method == "POST"
        and form.is_valid()
        and (account_form is None or account_form.is_valid())
    ):
        from django.contrib.auth import login

        with transaction.atomic():
            user = request.user
            if account_form is not None:
                user = account_form.save()
            consent = form.cleaned_data.get("demographics_consent", False)
            services.join_as_participant(
                engagement,
                user,
                pseudonym=form.cleaned_data["pseudonym"],
                demographics=form.demographics(),
                demographics_consent=consent,
            )
        if account_form is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("You have joined. Thank you for taking part."))
        return redirect("submit_online", slug=engagement.slug)
    return render(
        request,
        "engagements/join.html",
        {"engagement": engagement, "form": form, "account_form": account_form},
    )


def accept_invite(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Follow a facilitator invite link: sign in (or make an account), then accept."""
    engagement = get_object_or_404(Engagement, slug=slug)
    invite = FacilitatorInvite.find(token)
    if invite is None or invite.engagement_id != engagement.pk or not invite.usable():
        return render(
            request, "engagements/invite_invalid.html", {"engagement": engagement}, status=410
        )
    if not request.user.is_authenticated:
        return render(
            request, "engagements/invite.html", {"engagement": engagement, "invite": invite}
        )
    if request.method == "POST":
        return _accept(request, engagement, invite)
    return render(request, "engagements/invite.html", {"engagement": engagement, "invite": invite})


def _accept(request: HttpRequest, engagement: Engagement, invite: FacilitatorInvite):
    with transaction.atomic():
        updated = FacilitatorInvite.objects.filter(
            pk=invite.pk, uses__lt=F("max_uses"), revoked=False
        ).update(uses=F("uses") + 1)
        if not updated:
            return render(
                request, "engagements/invite_invalid.html", {"engagement": engagement}, status=410
            )
        Membership.objects.get_or_create(
            engagement=engagement, user=request.user, role=Role.FACILITATOR
        )
    messages.success(request, _("You are now a facilitator of this engagement."))
    return redirect(engagement)


# Days from creation to each phase's start, for a new engagement; the team adjusts them.
DEFAULT_PHASE_OFFSETS = {
    Phase.PLAN: 0,
    Phase.LISTEN: 42,
    Phase.MAKE_SENSE: 140,
    Phase.REPORT: 182,
    Phase.DRAFT: 210,
    Phase.CHECK_BACK: 252,
    Phase.ENDORSE: 294,
    Phase.ADOPT: 336,
}


@login_required
def new_engagement(request: HttpRequest) -> HttpResponse:
    """Start an engagement. Site organisers (Django staff) may; the creator joins its team.

    Creating is site-wide, so it sits outside the per-engagement permission table.
    """
    if not request.user.is_staff:
        raise PermissionDenied(
            _("Only site organisers can start an engagement. Ask your site's administrator.")
        )
    form = NewEngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        today = timezone.localdate()
        with transaction.atomic():
            engagement = form.save()
            for phase, days in DEFAULT_PHASE_OFFSETS.items():
                PhaseWindow.objects.create(
                    engagement=engagement, phase=phase, starts_on=today + dt.timedelta(days=days)
                )
            Membership.objects.create(engagement=engagement, user=request.user, role=Role.TEAM)
        messages.success(
            request,
            _("Engagement started, in its planning phase. Add its questions, audiences and dates."),
        )
        return redirect("edit_engagement", slug=engagement.slug)
    return render(request, "engagements/new.html", {"form": form})
