"""Online contribution, the public record, and moderation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen import exporting, services
from heard.listen.forms import ContributionForm, ModerationForm
from heard.listen.models import CHANNEL_CHOICES, Contribution, Participant
from heard.listen.queries import apply_filters, contributions_for_listing
from heard.listen.vocab import Channel, QuoteConsent
from heard.record import services as record

PAGE_SIZE = 50


@engagement_view(Action.SUBMIT_CONTRIBUTION)
def submit_online(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    participant = Participant.objects.get(engagement=engagement, user=request.user)
    questions = list(engagement.questions.all())
    form = ContributionForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submission = services.Submission(
            text=data["text"],
            language=data["language"],
            channel=Channel.ONLINE,
            quote_consent=QuoteConsent(data["quote_consent"]),
            question=data["question"],
            client_key=data["client_key"],
        )
        try:
            contribution, created = services.submit_contribution(
                engagement, participant, submission
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, _("Thank you. Your words are kept."))
            else:
                messages.info(request, _("We already had this one: it is kept once."))
            return redirect("submitted", slug=engagement.slug, pk=contribution.pk)
    mine = participant.contributions.order_by("-received_at")[:20]
    return render(
        request,
        "listen/submit.html",
        {"engagement": engagement, "form": form, "participant": participant, "mine": mine},
    )


@engagement_view(Action.VIEW_ENGAGEMENT)
def submitted(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    contribution = get_object_or_404(
        Contribution, engagement=engagement, pk=pk, participant__user=request.user.pk
    )
    return render(
        request,
        "listen/submitted.html",
        {
            "engagement": engagement,
            "contribution": contribution,
            "can_submit": can(request, Action.SUBMIT_CONTRIBUTION),
            "receipt_code": _receipt_code(contribution),
        },
    )


def _listing(request: HttpRequest, engagement: Engagement, *, everything: bool) -> HttpResponse:
    qs = apply_filters(contributions_for_listing(engagement), request.GET, everything=everything)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "listen/record.html",
        {
            "engagement": engagement,
            "page": page,
            "everything": everything,
            "channels": CHANNEL_CHOICES,
            "hui_list": engagement.hui.only("key", "title"),
            "questions": engagement.questions.all(),
            "filters": request.GET,
            "query": params.urlencode(),
            "can_moderate": can(request, Action.MODERATE),
        },
    )


@engagement_view(Action.VIEW_PUBLIC_RECORD)
def public_record(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    return _listing(request, engagement, everything=False)


@engagement_view(Action.VIEW_ALL_CONTRIBUTIONS)
def all_contributions(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    return _listing(request, engagement, everything=True)


@engagement_view(Action.VIEW_PUBLIC_RECORD)
def contribution_detail(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    contribution = get_object_or_404(contributions_for_listing(engagement), pk=pk)
    everything = can(request, Action.VIEW_ALL_CONTRIBUTIONS)
    return render(
        request,
        "listen/contribution.html",
        {
            "engagement": engagement,
            "c": contribution,
            "everything": everything,
            "decisions": contribution.moderation.select_related("decided_by"),
            "can_moderate": can(request, Action.MODERATE),
            "form": ModerationForm(),
            "can_withdraw_own": can(request, Action.WITHDRAW_OWN)
            and _is_author(request, contribution),
            "can_withdraw_on_request": can(request, Action.WITHDRAW_ON_REQUEST),
            "receipt_code": _receipt_code(contribution),
        },
    )


def _receipt_code(contribution: Contribution) -> str | None:
    return (
        record.receipt_code(contribution.log_index) if contribution.log_index is not None else None
    )


@require_POST
@engagement_view(Action.MODERATE)
def moderate(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    contribution = get_object_or_404(Contribution, engagement=engagement, pk=pk)
    form = ModerationForm(request.POST)
    if form.is_valid():
        act = (
            services.unhide_contribution
            if request.POST.get("do") == "unhide"
            else services.hide_contribution
        )
        try:
            act(contribution, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Done. The decision and its reason are public."))
    else:
        messages.error(request, _("Give a reason; it is shown publicly."))
    return redirect("contribution", slug=engagement.slug, pk=pk)


@engagement_view(Action.EXPORT_FULL_DATA)
def export_full(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The whole engagement as one JSON document: the team's archive (``heard export json``)."""
    response = HttpResponse(
        exporting.dumps(exporting.collect(engagement)),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{engagement.slug}.json"'
    return response


def _is_author(request: HttpRequest, contribution: Contribution) -> bool:
    return (
        request.user.is_authenticated
        and contribution.participant.user_id is not None
        and contribution.participant.user_id == request.user.pk
    )


@require_POST
@engagement_view(Action.WITHDRAW_OWN)
def withdraw_own(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    """A participant withdraws what they said: the words and their salt are destroyed."""
    contribution = get_object_or_404(Contribution, engagement=engagement, pk=pk)
    if not _is_author(request, contribution):
        raise PermissionDenied(_("You can withdraw only what you said yourself."))
    return _withdraw(request, engagement, contribution, via="participant")


@require_POST
@engagement_view(Action.WITHDRAW_ON_REQUEST)
def withdraw_on_request(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    """The team withdraws a contribution because its author asked (e.g. a voice at a hui)."""
    contribution = get_object_or_404(Contribution, engagement=engagement, pk=pk)
    return _withdraw(request, engagement, contribution, via="team")


def _withdraw(request, engagement, contribution, *, via: str) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm: withdrawal cannot be undone."))
    else:
        try:
            services.withdraw_contribution(contribution, via=via)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Withdrawn. The words are destroyed; the record shows that they were withdrawn."),
            )
    return redirect("contribution", slug=engagement.slug, pk=contribution.pk)


@engagement_view(Action.VIEW_PUBLIC_RECORD)
def receipt(request: HttpRequest, engagement: Engagement, pk: int) -> HttpResponse:
    """The contribution's receipt (C2SP tlog-proof). Its author's copy also holds the salt that
    opens the commitment to their words, so they alone can prove those words are in the log."""
    contribution = get_object_or_404(Contribution, engagement=engagement, pk=pk)
    if contribution.log_index is None:
        raise Http404(_("This contribution is not in the record."))
    salt = (
        bytes(contribution.salt)
        if contribution.salt and _is_author(request, contribution)
        else None
    )
    body = record.receipt(contribution.log_index, salt=salt)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    name = f"{engagement.slug}-contribution-{contribution.pk}.tlog-proof"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
