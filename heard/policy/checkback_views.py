"""The participant's check-back page: the version being checked back, clause by clause, each
with its words in both languages, what it answers, and a small form asking "Have we heard you
correctly? Does this reflect your ideas? Does it have integrity with the process we followed?",
a comment and quote consent; then a comment on the whole draft.

Why it is built this way: people answer on a phone at a hui as often as at a desk, with a
keyboard or a screen reader as often as a mouse. So every form works by plain POST and redirect
(no script needed), and a refusal shows the page again with the error summary and the typed
words kept. With script, ``check-back.js`` sends the same form with ``Accept: application/json``
as radios change, and the answer ({saved, message, client_key}) updates that clause's status
line without leaving the page. Every write goes through ``heard.policy.checkback``; a resend of
the same ``client_key`` keeps one save.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen.models import Participant
from heard.policy import checkback, services
from heard.policy.checkback_forms import FeedbackForm, WithdrawForm
from heard.policy.models import ClauseFeedback, FeedbackRound, Policy
from heard.policy.views import ClauseView, _clause_views, _policy

DRAFT = "draft"  # the slot of the whole-draft comment in ids and anchors


@dataclass
class Item:
    """One form on the page: a clause (or, with ``clause`` None, the whole draft), the form,
    the person's current answers, and the form to withdraw their comment."""

    slot: str
    clause: ClauseView | None
    form: FeedbackForm
    mine: ClauseFeedback | None
    withdraw: WithdrawForm

    @property
    def key(self) -> str:
        return self.clause.key if self.clause else ""

    @property
    def can_withdraw(self) -> bool:
        return bool(self.mine and self.mine.comment)


def _participant(request: HttpRequest, engagement: Engagement) -> Participant:
    """The signed-in person's participant record here (the permission table lets only
    participants in, but a team member who is also one is found the same way)."""
    found = Participant.objects.filter(engagement=engagement, user=request.user).first()
    if found is None:
        raise PermissionDenied(_("Only participants can answer the check-back questions."))
    return found


def _auto_id(slot: str) -> str:
    return f"cb-{slot}-%s"


def _initial(row: ClauseFeedback | None, key: str) -> dict:
    if row is None:
        return {"clause_key": key}
    return {
        "clause_key": key,
        "heard": row.heard,
        "reflects": row.reflects,
        "integrity": row.integrity,
        "comment": row.comment,
        "quote_consent": row.quote_consent,
    }


def _items(
    policy: Policy,
    feedback_round: FeedbackRound,
    participant: Participant,
    bound: FeedbackForm | None = None,
) -> list[Item]:
    """Every clause of the round's version in order, then the whole draft; ``bound`` (a form
    sent back with errors) takes its clause's place, so what was typed is kept."""
    mine = checkback.my_feedback(feedback_round, participant)
    clauses: list[ClauseView | None] = [
        *_clause_views(policy, services.content_of(feedback_round.version).clauses),
        None,
    ]
    items = []
    for clause in clauses:
        key = clause.key if clause else ""
        slot = key or DRAFT
        row = mine.get(key or None)
        form = bound
        if bound is None or (bound.data.get("clause_key") or "") != key:
            form = FeedbackForm(
                questions=clause is not None, initial=_initial(row, key), auto_id=_auto_id(slot)
            )
        withdraw = WithdrawForm(initial={"clause_key": key}, auto_id=f"cb-{slot}-withdraw-%s")
        items.append(Item(slot, clause, form, row, withdraw))
    return items


def _page(
    request: HttpRequest,
    engagement: Engagement,
    participant: Participant,
    bound: FeedbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = _policy(engagement)
    feedback_round = checkback.current_round(policy) if policy else None
    closed = bool(
        policy
        and feedback_round is None
        and FeedbackRound.objects.filter(version__policy=policy).exists()
    )
    items = _items(policy, feedback_round, participant, bound) if feedback_round else []
    placed = any(item.form is bound for item in items)
    return render(
        request,
        "policy/check_back.html",
        {
            "engagement": engagement,
            "policy": policy,
            "round": feedback_round,
            "closed": closed,
            "clauses": [i for i in items if i.clause],
            "draft": items[-1] if items else None,
            "questions": [str(label) for _key, label in checkback.QUESTIONS],
            # A form that fits no clause on the page (the version moved on): its errors on top.
            "stray": bound if bound is not None and not placed else None,
        },
        status=status,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(engagement: Engagement, key: str) -> str:
    return reverse("policy_check_back", args=[engagement.slug]) + f"#clause-{key or DRAFT}"


def _refused(request, engagement, participant, form: FeedbackForm) -> HttpResponse:
    if _wants_json(request):
        errors = [str(e) for e in form.non_field_errors()]
        errors += [f"{form[name].label}: {e}" for name in form.errors if name != "__all__"
                   for e in form.errors[name]]  # fmt: skip
        return JsonResponse(
            {"saved": False, "message": " ".join(errors), "errors": form.errors.get_json_data()},
            status=400,
        )
    return _page(request, engagement, participant, bound=form, status=400)


@require_http_methods(["GET", "POST"])
@engagement_view(Action.GIVE_FEEDBACK)
def check_back(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The page (GET); or keep one form's answers (POST) and go back to its clause."""
    participant = _participant(request, engagement)
    if request.method != "POST":
        return _page(request, engagement, participant)
    policy = _policy(engagement)
    feedback_round = checkback.current_round(policy) if policy else None
    if feedback_round is None:
        message = _("No draft is open for feedback now, so nothing was saved.")
        if _wants_json(request):
            return JsonResponse({"saved": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect("policy_check_back", slug=engagement.slug)
    key = (request.POST.get("clause_key") or "").strip()
    form = FeedbackForm(request.POST, questions=bool(key), auto_id=_auto_id(key or DRAFT))
    if key and checkback.get_clause(feedback_round, key) is None:
        form.add_error(
            None, _("Clause %(key)s is not in the version being checked back.") % {"key": key}
        )
        return _refused(request, engagement, participant, form)
    if not form.is_valid():
        return _refused(request, engagement, participant, form)
    try:
        _row, changed = checkback.give_feedback(
            feedback_round, participant, clause_key=key or None, **form.answers()
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _refused(request, engagement, participant, form)
    if changed:
        message = (
            _("Saved your answers on clause %(key)s.") % {"key": key}
            if key
            else _("Saved your comment on the whole draft.")
        )
    else:
        message = (
            _("Already saved: your answers on clause %(key)s are kept as they were.") % {"key": key}
            if key
            else _("Already saved: your comment on the whole draft is kept as it was.")
        )
    if _wants_json(request):
        # A fresh key for the next save from the same form: the one just used is spent.
        return JsonResponse(
            {"saved": True, "changed": changed, "message": message, "client_key": str(uuid.uuid4())}
        )
    messages.success(request, message)
    return redirect(_back(engagement, key))


@require_POST
@engagement_view(Action.WITHDRAW_OWN)
def withdraw(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The person withdraws their comment on a clause (or on the whole draft): its words are
    destroyed, every earlier version of them too; their answers stay counted."""
    participant = _participant(request, engagement)
    form = WithdrawForm(request.POST)
    key = (request.POST.get("clause_key") or "").strip()
    back = (
        _back(engagement, key)
        if can(request, Action.GIVE_FEEDBACK, engagement)
        else engagement.get_absolute_url()
    )
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("confirm", [])) or _("Try again."))
        return redirect(back)
    rows = ClauseFeedback.objects.filter(
        round__version__policy__engagement=engagement, participant=participant, current=True
    ).select_related("round__version__policy__engagement", "clause", "participant")
    policy = _policy(engagement)
    open_round = checkback.current_round(policy) if policy else None
    if open_round is not None:  # the comment on the page the person sees, not an older round's
        rows = rows.filter(round=open_round)
    rows = rows.filter(clause__key=key) if key else rows.filter(clause__isnull=True)
    row = rows.exclude(comment="").order_by("-given_at").first()
    if row is None:
        messages.info(request, _("There is no comment of yours there to withdraw."))
        return redirect(back)
    checkback.withdraw_feedback(row)
    messages.success(
        request,
        _(
            "Your comment is withdrawn: its words are destroyed, and the record shows that it "
            "was withdrawn. Your answers still count."
        ),
    )
    return redirect(back)
