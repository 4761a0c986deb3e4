"""Site-wide pages: the list of engagements, sign-up and the person's own account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from heard.core.forms import SignUpForm
from heard.core.models import Membership
from heard.engagements.models import Engagement
from heard.listen.models import Participant


def home(request: HttpRequest) -> HttpResponse:
    engagements = (
        Engagement.objects.prefetch_related("phase_windows")
        .annotate(
            n_hui=Count("hui", distinct=True),
            n_public=Count(
                "contributions", filter=Q(contributions__is_hidden=False), distinct=True
            ),
        )
        .order_by("-created_at")
    )
    return render(request, "heard/home.html", {"engagements": engagements})


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. You are signed in."))
            return redirect(_safe_next(request) or "home")
    else:
        form = SignUpForm()
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


@login_required
def my_account(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("engagement")
    participations = (
        Participant.objects.filter(user=request.user)
        .select_related("engagement")
        .annotate(n=Count("contributions"))
    )
    return render(
        request,
        "heard/my_account.html",
        {"memberships": memberships, "participations": participations},
    )
