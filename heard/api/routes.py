"""The API's operations: read engagements, hui and the public record; submit a contribution.

Every operation asks the one permission table (``heard.core.permissions``) with the caller's
roles in that engagement, exactly as the pages do, and writes only through
``heard.listen.services``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from heard.api.auth import WRITE_AUTH, caller
from heard.api.schemas import (
    ContributionIn,
    ContributionOut,
    ContributionPage,
    EngagementOut,
    EngagementPage,
    HuiPage,
    Message,
    ValidationErrors,
)
from heard.core.access import enter_engagement, refusal_reason
from heard.core.models import Membership
from heard.core.permissions import Action, Role, allowed, allowed_any
from heard.engagements.models import PHASE_LABELS, Engagement
from heard.listen import services
from heard.listen.models import Contribution, Participant
from heard.listen.queries import apply_filters, contributions_for_listing
from heard.listen.vocab import Channel, QuoteConsent
from heard.plan.models import Hui

router = Router()

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
REFUSALS = {401: Message, 403: Message, 404: Message}


def _paginate(qs_or_list, limit: int, offset: int, serialise) -> dict:
    """One page: ``count`` is the total, ``items`` at most ``limit`` rows from ``offset``."""
    count = qs_or_list.count() if isinstance(qs_or_list, QuerySet) else len(qs_or_list)
    rows = qs_or_list[offset : offset + limit]
    return {"count": count, "limit": limit, "offset": offset, "items": [serialise(r) for r in rows]}


def _engagement(request: HttpRequest, slug: str, action: Action, user=None) -> Engagement:
    """The engagement named by ``slug`` if the caller's roles allow ``action`` in its current
    phase; otherwise 404, 401 (anonymous, and signing in could help) or 403 with the reason."""
    request.user = user if user is not None else caller(request)
    try:
        permitted = enter_engagement(request, slug, action)  # the same door as every page
    except Http404:
        raise HttpError(404, f"No engagement has the slug “{slug}”.") from None
    if not permitted:
        phase = request.phase
        if not request.user.is_authenticated and any(allowed(r, action, phase) for r in Role):
            raise HttpError(401, f"Sign in or send a bearer token. {refusal_reason(action, phase)}")
        raise HttpError(403, refusal_reason(action, phase))
    return request.engagement


def _roles_by_engagement(user) -> dict[int, set[Role]]:
    """Every engagement's roles for ``user`` in two queries (for listing many engagements)."""
    roles: dict[int, set[Role]] = {}
    if not user.is_authenticated:
        return roles
    for engagement_id, role in Membership.objects.filter(user=user).values_list(
        "engagement_id", "role"
    ):
        roles.setdefault(engagement_id, set()).add(Role(role))
    for engagement_id in Participant.objects.filter(user=user).values_list(
        "engagement_id", flat=True
    ):
        roles.setdefault(engagement_id, set()).add(Role.PARTICIPANT)
    return roles


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _engagement_summary(request: HttpRequest, engagement: Engagement) -> dict:
    return {
        "slug": engagement.slug,
        "title": engagement.title,
        "title_mi": engagement.title_mi,
        "summary": engagement.summary,
        "current_phase": engagement.current_phase().value,
        "url": _absolute(request, engagement.get_absolute_url()),
    }


def public_contribution(contribution: Contribution, *, authored: bool = False) -> dict:
    """A contribution as the public record shows it (``listen/_contribution.html``).

    Hidden words and words not for quoting are withheld (``text`` null, with ``withheld`` saying
    why); the pseudonym appears only with consent to be quoted by it. ``authored`` is for the
    person who wrote it, who is shown their own words back.
    """
    c = contribution
    not_for_quoting = c.quote_consent == QuoteConsent.NONE
    withheld = c.withheld(authored=authored)
    named = c.quote_consent == QuoteConsent.QUOTE and withheld is None
    return {
        "id": c.pk,
        "text": None if withheld else c.text,
        "withheld": withheld,
        "hidden": c.is_hidden,
        "hidden_reason": c.hidden_reason if c.is_hidden else None,
        "not_for_quoting": not_for_quoting,
        "withdrawn": c.withdrawn_at is not None,
        "quote_consent": c.quote_consent,
        "language": c.language,
        "channel": c.channel,
        "question": c.question.key if c.question_id else None,
        "hui": c.hui.key if c.hui_id else None,
        "participant": c.participant.public_id,
        "pseudonym": str(c.participant.display_name) if named else None,
        "received_at": c.received_at,
        "said_at": c.said_at,
    }


def _hui(hui: Hui) -> dict:
    venue = hui.venue
    return {
        "key": hui.key,
        "title": hui.title,
        "starts_at": hui.starts_at,
        "ends_at": hui.ends_at,
        "format": hui.format,
        "place": str(hui.place),
        "region": str(hui.region),
        "venue": None
        if venue is None
        else {
            "name": venue.name,
            "place": venue.place,
            "region": venue.region,
            "accessibility": venue.accessibility,
            "capacity": venue.capacity,
        },
        "audience": hui.audience.key if hui.audience_id else None,
        "capacity": hui.capacity,
        "attendance": hui.attendance,
    }


LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
OFFSET = Query(0, ge=0, description="How many to skip.")


@router.get("/engagements", response=EngagementPage, tags=["engagements"])
def list_engagements(request: HttpRequest, limit: int = LIMIT, offset: int = OFFSET):
    """Engagements the caller may see, newest first."""
    user = caller(request)
    roles = _roles_by_engagement(user)
    engagements = [
        e
        for e in Engagement.objects.prefetch_related("phase_windows").order_by("-created_at", "-id")
        if allowed_any(roles.get(e.pk) or {Role.PUBLIC}, Action.VIEW_ENGAGEMENT, e.current_phase())
    ]
    return _paginate(engagements, limit, offset, lambda e: _engagement_summary(request, e))


@router.get("/engagements/{slug}", response={200: EngagementOut, **REFUSALS}, tags=["engagements"])
def get_engagement(request: HttpRequest, slug: str):
    """One engagement: purpose, phases, questions, audiences and counts."""
    engagement = _engagement(request, slug, Action.VIEW_ENGAGEMENT)
    contributions = engagement.contributions.all()
    phase = engagement.current_phase()
    return {
        **_engagement_summary(request, engagement),
        "purpose": engagement.purpose,
        "purpose_mi": engagement.purpose_mi,
        "current_phase_label": str(PHASE_LABELS[phase]),
        "phases": [{**row, "label": str(row["label"])} for row in engagement.phase_schedule()],
        "questions": [
            {"key": q.key, "text": q.text, "text_mi": q.text_mi} for q in engagement.questions.all()
        ],
        "audiences": [
            {"key": a.key, "name": a.name, "name_mi": a.name_mi} for a in engagement.audiences.all()
        ],
        "counts": {
            "hui": engagement.hui.count(),
            "contributions": contributions.count(),
            "contributions_hidden": contributions.filter(is_hidden=True).count(),
            "participants_heard": contributions.values("participant").distinct().count(),
        },
    }


@router.get("/engagements/{slug}/hui", response={200: HuiPage, **REFUSALS}, tags=["hui"])
def list_hui(request: HttpRequest, slug: str, limit: int = LIMIT, offset: int = OFFSET):
    """The engagement's hui, in the order they are held."""
    engagement = _engagement(request, slug, Action.VIEW_ENGAGEMENT)
    qs = engagement.hui.select_related("venue", "audience").order_by("starts_at", "id")
    return _paginate(qs, limit, offset, _hui)


@router.get(
    "/engagements/{slug}/contributions",
    response={200: ContributionPage, **REFUSALS},
    tags=["contributions"],
)
def list_contributions(
    request: HttpRequest,
    slug: str,
    channel: Channel | None = None,
    language: str | None = Query(None, max_length=35, description="A language tag, e.g. mi."),
    hui: str | None = Query(None, max_length=60, description="A hui's key."),
    question: str | None = Query(None, max_length=60, description="A question's key."),
    limit: int = LIMIT,
    offset: int = OFFSET,
):
    """The public record, oldest first. Hidden and not-for-quoting words are withheld."""
    engagement = _engagement(request, slug, Action.VIEW_PUBLIC_RECORD)
    filters = {"channel": channel, "language": language, "hui": hui, "question": question}
    qs = apply_filters(contributions_for_listing(engagement), filters)
    return _paginate(qs, limit, offset, public_contribution)


@router.get(
    "/engagements/{slug}/contributions/{contribution_id}",
    response={200: ContributionOut, **REFUSALS},
    tags=["contributions"],
)
def get_contribution(request: HttpRequest, slug: str, contribution_id: int):
    """One contribution of the public record."""
    engagement = _engagement(request, slug, Action.VIEW_PUBLIC_RECORD)
    contribution = contributions_for_listing(engagement).filter(pk=contribution_id).first()
    if contribution is None:
        raise HttpError(404, f"This engagement has no contribution {contribution_id}.")
    return public_contribution(contribution)


def _invalid(field: str, message: str, kind: str) -> Status:
    return Status(
        422, {"detail": [{"loc": ["body", "payload", field], "msg": message, "type": kind}]}
    )


@router.post(
    "/engagements/{slug}/contributions",
    auth=WRITE_AUTH,
    response={
        200: ContributionOut,
        201: ContributionOut,
        409: Message,
        422: ValidationErrors,
        **REFUSALS,
    },
    tags=["contributions"],
)
def submit_contribution(request: HttpRequest, slug: str, payload: ContributionIn):
    """Submit a contribution as the signed-in participant, while the engagement is listening.

    201 with the new contribution; 200 with the same one when ``client_key`` was already used
    for these words (a retry); 409 when it was used for other words. The response shows you
    your own words back, whatever your quote consent.
    """
    user = request.auth
    engagement = _engagement(request, slug, Action.SUBMIT_CONTRIBUTION, user=user)
    participant = Participant.objects.get(engagement=engagement, user=user)
    question = None
    if payload.question is not None:
        question = engagement.questions.filter(key=payload.question).first()
        if question is None:
            known = ", ".join(engagement.questions.values_list("key", flat=True)) or "none"
            return _invalid(
                "question",
                f"This engagement has no question “{payload.question[:60]}” (its questions: "
                f"{known}). Leave it out to say something else.",
                "unknown_question",
            )
    submission = services.Submission(
        text=payload.text,
        language=payload.language,
        channel=Channel.ONLINE,
        quote_consent=QuoteConsent(payload.quote_consent),
        question=question,
        client_key=payload.client_key,
    )
    try:
        contribution, created = services.submit_contribution(engagement, participant, submission)
    except services.ClientKeyConflict:
        raise HttpError(
            409,
            "This client_key was already used for other words. Send a new random UUID "
            "with each new contribution.",
        ) from None
    except ValidationError as error:
        return _invalid("text", " ".join(error.messages), "rejected")
    contribution = contributions_for_listing(engagement).get(pk=contribution.pk)
    return Status(201 if created else 200, public_contribution(contribution, authored=True))
