"""The working group's pages: its public page (mandate, members and their terms, and every
decision with each member's position and dissent, bound to the version's hash), the team's page
to form it and appoint members, and the page where the team or the group records a decision.

Every write goes through ``heard.policy.endorsement``; its refusals are shown in the form's error
summary with everything typed kept. The decision page lists the members serving on the day of
the decision; the day is chosen with a GET form (``?on=YYYY-MM-DD``), so changing it needs no
script.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.policy import endorsement, services
from heard.policy.group_forms import DayForm, DecisionForm, GroupForm, MemberForm
from heard.policy.models import Decision, GroupMember, PolicyVersion, WorkingGroup
from heard.policy.pages import tried
from heard.policy.views import _policy


def _group(engagement: Engagement) -> WorkingGroup | None:
    return WorkingGroup.objects.filter(engagement=engagement).first()


@dataclass(frozen=True)
class MemberRow:
    member: GroupMember
    serving_now: bool
    started: bool  # False: the term has not started yet


def _member_rows(group: WorkingGroup) -> list[MemberRow]:
    today = timezone.localdate()
    return [
        MemberRow(m, m.serves_on(today), m.term_start <= today)
        for m in group.members.order_by("term_start", "id")
    ]


def _decisions(group: WorkingGroup) -> list[Decision]:
    """Every decision, newest first, with its version and each member's position."""
    return list(
        group.decisions.select_related("version")
        .prefetch_related("positions__member")
        .order_by("-decided_on", "-recorded_at", "-id")
    )


# -- the public page ----------------------------------------------------------------------------


@engagement_view(Action.VIEW_ENGAGEMENT)
def group(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The group, its members and every decision it made; a short page (404) while there is
    no group."""
    found = _group(engagement)
    context = {
        "engagement": engagement,
        "can_manage": can(request, Action.MANAGE_WORKING_GROUP, engagement),
        "can_decide": can(request, Action.RECORD_DECISION, engagement),
    }
    if found is None:
        return render(request, "policy/group_none.html", context, status=404)
    context.update({"group": found, "members": _member_rows(found), "decisions": _decisions(found)})
    return render(request, "policy/group.html", context)


# -- forming the group and appointing members ---------------------------------------------------


def _render_manage(
    request: HttpRequest,
    engagement: Engagement,
    found: WorkingGroup | None,
    *,
    group_form: GroupForm | None = None,
    member_form: MemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, object] = {
        "engagement": engagement,
        "group": found,
        "can_decide": can(request, Action.RECORD_DECISION, engagement),
    }
    if found is None:
        context["group_form"] = group_form or GroupForm()
    else:
        context["members"] = _member_rows(found)
        context["member_form"] = member_form or MemberForm(
            initial={"term_start": timezone.localdate()}
        )
    return render(request, "policy/group_manage.html", context, status=status)


@engagement_view(Action.MANAGE_WORKING_GROUP)
def manage(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Form the group (once), then appoint its members for their terms (``do`` says which)."""
    found = _group(engagement)
    if request.method != "POST":
        return _render_manage(request, engagement, found)
    do = request.POST.get("do")
    if do == "form":
        if found is not None:  # formed meanwhile, from another page
            messages.error(request, _("This engagement already has a working group."))
            return redirect("policy_group_manage", slug=engagement.slug)
        form = GroupForm(request.POST)
        if form.is_valid() and tried(
            form,
            lambda: endorsement.form_group(
                engagement,
                name=form.cleaned_data["name"],
                name_mi=form.cleaned_data["name_mi"],
                mandate=form.cleaned_data["mandate"],
            ),
        ):
            messages.success(request, _("The working group is formed. Now appoint its members."))
            return redirect("policy_group_manage", slug=engagement.slug)
        return _render_manage(request, engagement, None, group_form=form, status=400)
    if do == "member":
        if found is None:
            return HttpResponseBadRequest(_("Form the working group first."))
        form = MemberForm(request.POST)
        if form.is_valid() and tried(
            form,
            lambda: endorsement.add_member(
                found,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                affiliation=form.cleaned_data["affiliation"],
                term_start=form.cleaned_data["term_start"],
                term_end=form.cleaned_data["term_end"],
                by=request.user,
            ),
        ):
            messages.success(
                request,
                _("%(name)s is appointed; the appointment is in the record.")
                % {"name": form.cleaned_data["name"].strip()},
            )
            return redirect("policy_group_manage", slug=engagement.slug)
        return _render_manage(request, engagement, found, member_form=form, status=400)
    return HttpResponseBadRequest(_("Unknown action."))


# -- recording a decision -----------------------------------------------------------------------


def _issued(engagement: Engagement) -> list[PolicyVersion]:
    """The issued versions, newest first (the latest is the default choice)."""
    policy = _policy(engagement)
    if policy is None:
        return []
    return list(services.issued_versions(policy).reverse())


def _version_choices(versions: list[PolicyVersion]) -> list[tuple[int, str]]:
    return [
        (
            v.number,
            _("Version %(n)s, issued %(when)s")
            % {"n": v.number, "when": date_format(timezone.localtime(v.issued_at), "j F Y")}
            if v.issued_at
            else _("Version %(n)s") % {"n": v.number},
        )
        for v in versions
    ]


def _posted_day(request: HttpRequest) -> dt.date | None:
    try:
        return forms.DateField().clean(request.POST.get("decided_on"))
    except ValidationError:
        return None


def _chosen_day(day_form: DayForm) -> dt.date:
    """The day asked for by ``?on=``, or today; a day that does not parse or is still to come
    is said so in the form and today is used."""
    today = timezone.localdate()
    if not day_form.is_bound or not day_form.is_valid():
        return today
    day = day_form.cleaned_data["on"]
    if day > today:
        day_form.add_error("on", _("A decision cannot be dated in the future."))
        return today
    return day


@engagement_view(Action.RECORD_DECISION)
def decide(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Record the group's decision on an issued version: the outcome, the changes it depends
    on, the minutes, and the position (and any dissent) of every member serving that day."""
    found = _group(engagement)
    versions = _issued(engagement)
    context: dict[str, object] = {
        "engagement": engagement,
        "group": found,
        "versions": versions,
        "can_manage": can(request, Action.MANAGE_WORKING_GROUP, engagement),
    }
    if found is None or not versions:
        if request.method == "POST":
            return HttpResponseBadRequest(_("There is nothing to decide on yet."))
        return render(request, "policy/decide.html", context)
    status = 200
    if request.method == "POST":
        day = _posted_day(request)
        day_form = DayForm(initial={"on": day or timezone.localdate()})
    else:
        day_form = DayForm(request.GET if "on" in request.GET else None)
        day = _chosen_day(day_form)
        if not day_form.is_bound:
            day_form = DayForm(initial={"on": day})
    members = endorsement.serving(found, day) if day else []
    by_number = {v.number: v for v in versions}
    form = DecisionForm(
        request.POST if request.method == "POST" else None,
        versions=_version_choices(versions),
        members=members,
        initial={"version": versions[0].number, "decided_on": day},
    )
    if request.method == "POST":
        status = 400
        decision = None
        if form.is_valid():
            decision = tried(
                form,
                lambda: endorsement.record_decision(
                    found,
                    by_number[form.cleaned_data["version"]],
                    outcome=form.cleaned_data["outcome"],
                    changes=form.cleaned_data["changes"],
                    minutes=form.cleaned_data["minutes"],
                    positions=form.positions(),
                    decided_on=form.cleaned_data["decided_on"],
                    by=request.user,
                ),
            )
        if decision is not None:
            messages.success(
                request,
                _(
                    "The decision on version %(n)s is recorded, bound to its hash: record "
                    "entry %(index)s."
                )
                % {"n": decision.version.number, "index": decision.log_index},
            )
            url = reverse("policy_group", args=[engagement.slug])
            return redirect(f"{url}#decision-{decision.pk}")
    context.update(
        {
            "form": form,
            "day_form": day_form,
            "day": day,
            "earlier": _decisions(found),
        }
    )
    return render(request, "policy/decide.html", context, status=status)
