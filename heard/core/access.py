"""Who someone is in an engagement, and the view decorator that asks the permission table."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from heard.core.models import Membership
from heard.core.permissions import Action, Phase, Role, allowed_any
from heard.engagements.models import Engagement


def roles_for(user, engagement: Engagement) -> frozenset[Role]:
    """The roles a person holds here; anyone with none is the public."""
    if user is None or not user.is_authenticated:
        return frozenset({Role.PUBLIC})
    roles = {
        Role(r)
        for r in Membership.objects.filter(engagement=engagement, user=user).values_list(
            "role", flat=True
        )
    }
    if engagement.participants.filter(user=user).exists():
        roles.add(Role.PARTICIPANT)
    return frozenset(roles or {Role.PUBLIC})


def can(request: HttpRequest, action: Action, engagement: Engagement | None = None) -> bool:
    engagement = engagement or request.engagement
    roles = getattr(request, "roles", None)
    if roles is None or engagement is not getattr(request, "engagement", None):
        roles = roles_for(request.user, engagement)
    return allowed_any(roles, action, engagement.current_phase())


def enter_engagement(request: HttpRequest, slug: str, action: Action) -> bool:
    """Load the engagement named by ``slug`` onto the request with the person's roles and the
    current phase; say whether the permission table allows ``action``. Every engagement view,
    HTML or JSON, starts here."""
    engagement = get_object_or_404(Engagement.objects.prefetch_related("phase_windows"), slug=slug)
    request.engagement = engagement
    request.roles = roles_for(request.user, engagement)
    request.phase = engagement.current_phase()
    return allowed_any(request.roles, action, request.phase)


def engagement_view(action: Action) -> Callable:
    """Enter the engagement and refuse unless the table allows ``action``. Anonymous people
    refused are sent to sign in (they may hold a role once signed in); signed-in people get 403
    with the reason."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            if not enter_engagement(request, slug, action):
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                raise PermissionDenied(refusal_reason(action, request.phase))
            return view(request, request.engagement, *args, **kwargs)

        wrapper.heard_action = action
        return wrapper

    return decorate


def refusal_reason(action: Action, phase: Phase) -> str:
    from heard.core.permissions import ACTION_DESCRIPTIONS
    from heard.engagements.models import PHASE_LABELS

    return _(
        "Not allowed: “%(action)s” is not open to your role while the engagement is in its "
        "“%(phase)s” phase."
    ) % {"action": _(ACTION_DESCRIPTIONS[action]), "phase": PHASE_LABELS[phase]}
