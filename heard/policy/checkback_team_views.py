"""Check-back pages for those who run it, and the public summary of what people said.

- The team's page opens an issued version for feedback and closes its round, and shows every
  issued version with its round and how many have answered.
- Facilitators (and the team) enter a hui's show of hands on one question about one clause; a
  second entry for the same hui, clause and question corrects the first, and both are listed.
- Anyone who may see the engagement reads the summary: per clause, in the order
  ``checkback.summary`` gives (the clauses people say we got wrong first), each question's
  answers as a bar and as a table of the numbers, and the comments that may be shown, in the
  person's exact words.

Every write goes through ``heard.policy.checkback``; its refusals are shown in the page's error
summary with what was typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.policy import checkback, services
from heard.policy.checkback_team_forms import CloseForm, OpenForm, TallyForm
from heard.policy.models import (
    Answer,
    ClauseFeedback,
    ClauseVersion,
    FeedbackRound,
    FeedbackTally,
    Policy,
    PolicyVersion,
)
from heard.policy.pages import tried
from heard.policy.views import _policy

PAGE_SIZE = 50
#: The colour of each answer in the bars (the table beside each bar holds the numbers).
ANSWER_COLOURS = {
    Answer.YES: "#1e6b2f",
    Answer.PARTLY: "#7aa86b",
    Answer.NO: "#a4161a",
    Answer.UNSURE: "#8a8a8a",
}


# -- opening and closing rounds -----------------------------------------------------------------


@dataclass
class VersionRow:
    """An issued version as the team's page lists it: its round, if any, and how many answered."""

    version: PolicyVersion
    round: FeedbackRound | None
    people: int = 0
    clause_answers: int = 0
    draft_comments: int = 0
    tallies: int = 0
    close_form: CloseForm | None = None


def _close_form(number: object, data=None) -> CloseForm:
    """A round's close form; its ids name the version, as the page may hold several."""
    suffix = str(number) if str(number).isdigit() else "x"
    return CloseForm(
        data,
        prefix="close",
        auto_id=f"id_close{suffix}_%s",
        initial=None if data is not None else {"version": number},
    )


def _version_rows(policy: Policy | None, bound_close: CloseForm | None) -> list[VersionRow]:
    """Every issued version, newest first, each with its round and the counts of what was said
    (current answers only: a changed answer counts once)."""
    if policy is None:
        return []
    versions = services.issued_versions(policy).reverse()
    rounds = {
        r.version_id: r
        for r in FeedbackRound.objects.filter(version__policy=policy).annotate(
            people=Count("feedback__participant", filter=Q(feedback__current=True), distinct=True),
            clause_answers=Count(
                "feedback",
                filter=Q(feedback__current=True, feedback__clause__isnull=False),
                distinct=True,
            ),
            draft_comments=Count(
                "feedback",
                filter=Q(feedback__current=True, feedback__clause__isnull=True),
                distinct=True,
            ),
            live_tallies=Count("tallies", filter=Q(tallies__superseded=False), distinct=True),
        )
    }
    rows = []
    for version in versions:
        found = rounds.get(version.pk)
        row = VersionRow(version, found)
        if found is not None:
            row.people, row.clause_answers = found.people, found.clause_answers
            row.draft_comments, row.tallies = found.draft_comments, found.live_tallies
            if found.open:
                posted = bound_close.data.get("close-version") if bound_close else None
                row.close_form = (
                    bound_close if posted == str(version.number) else _close_form(version.number)
                )
        rows.append(row)
    return rows


def _render_manage(
    request: HttpRequest,
    engagement: Engagement,
    *,
    open_form: OpenForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    policy = _policy(engagement)
    rows = _version_rows(policy, close_form)
    latest = rows[0] if rows else None
    openable = latest.version if latest is not None and latest.round is None else None
    if open_form is None and openable is not None:
        open_form = OpenForm(prefix="open", initial={"version": openable.number})
    return render(
        request,
        "policy/check_back_manage.html",
        {
            "engagement": engagement,
            "policy": policy,
            "rows": rows,
            "openable": openable,
            "still_open": [r for r in rows if r.round is not None and r.round.open],
            "has_round": any(r.round is not None for r in rows),
            "open_form": open_form,
            "bound_close": close_form,
            "can_tally": can(request, Action.RECORD_FEEDBACK_TALLY, engagement),
            "can_draft": can(request, Action.DRAFT_POLICY, engagement),
        },
        status=status,
    )


@engagement_view(Action.RUN_CHECK_BACK)
def manage(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Open the latest issued version for feedback, or close an open round (``do`` says
    which); every issued version with its round and how many have answered."""
    if request.method != "POST":
        return _render_manage(request, engagement)
    policy = _policy(engagement)
    if policy is None:
        return HttpResponseBadRequest(_("There is no policy to take back yet."))
    do = request.POST.get("do")
    if do == "open":
        form = OpenForm(request.POST, prefix="open")
        latest = services.latest_issued(policy)
        if form.is_valid():
            number = form.cleaned_data["version"]
            if latest is None or latest.number != number:
                form.add_error(
                    None,
                    _(
                        "Version %(n)s is not the latest issued version: read the page again "
                        "and open the latest if it is still needed."
                    )
                    % {"n": number},
                )
            elif tried(form, lambda: checkback.open_round(latest, by=request.user)):
                messages.success(
                    request,
                    _(
                        "Version %(n)s is open for feedback: people can answer now, and "
                        "facilitators can enter hui tallies. The opening is in the record."
                    )
                    % {"n": number},
                )
                return redirect("policy_check_back_manage", slug=engagement.slug)
        return _render_manage(request, engagement, open_form=form, status=400)
    if do == "close":
        form = _close_form(request.POST.get("close-version", ""), request.POST)
        if form.is_valid():
            number = form.cleaned_data["version"]
            found = FeedbackRound.objects.filter(
                version__policy=policy, version__number=number
            ).first()
            if found is None:
                form.add_error(None, _("Version %(n)s has no round to close.") % {"n": number})
            elif tried(form, lambda: checkback.close_round(found, by=request.user)):
                messages.success(
                    request,
                    _("The round on version %(n)s is closed. What people said is kept.")
                    % {"n": number},
                )
                return redirect("policy_check_back_manage", slug=engagement.slug)
        return _render_manage(request, engagement, close_form=form, status=400)
    return HttpResponseBadRequest(_("Unknown action."))


# -- hui tallies --------------------------------------------------------------------------------


def _clause_rows(version: PolicyVersion) -> list[ClauseVersion]:
    return list(version.clause_versions.select_related("clause").order_by("position", "id"))


@engagement_view(Action.RECORD_FEEDBACK_TALLY)
def tally(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """Enter a hui's show of hands on one question about one clause of the version open for
    feedback; the tallies entered so far, corrected ones marked."""
    policy = _policy(engagement)
    feedback_round = checkback.current_round(policy) if policy else None
    if feedback_round is None:
        if request.method == "POST":
            return HttpResponseBadRequest(_("No version is open for feedback."))
        return render(
            request,
            "policy/check_back_tally.html",
            {
                "engagement": engagement,
                "round": None,
                "can_run": can(request, Action.RUN_CHECK_BACK, engagement),
            },
        )
    hui_list = list(engagement.hui.order_by("starts_at", "id"))
    clauses = _clause_rows(feedback_round.version)
    initial = {k: request.GET[k] for k in ("hui", "clause", "question") if k in request.GET}
    form = TallyForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        hui_list=hui_list,
        clauses=clauses,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if tried(
            form,
            lambda: checkback.record_tally(
                feedback_round,
                hui=data["hui"],
                clause_key=data["clause"],
                question=data["question"],
                counts=form.counts(),
                note=data["note"],
                by=request.user,
            ),
        ):
            messages.success(
                request,
                _("The tally for clause %(key)s at %(hui)s is kept, and is in the record.")
                % {"key": data["clause"], "hui": data["hui"].title},
            )
            url = reverse("policy_check_back_tally", args=[engagement.slug])
            # The next entry is most likely from the same hui: keep it chosen.
            return redirect(f"{url}?hui={data['hui'].key}")
    entered = (
        FeedbackTally.objects.filter(round=feedback_round)
        .select_related("hui", "clause", "recorded_by")
        .order_by("-recorded_at", "-id")
    )
    page = Paginator(entered, PAGE_SIZE).get_page(request.GET.get("page"))
    questions = {key: str(label) for key, label in checkback.QUESTIONS}
    for entry in page:
        entry.question_label = questions.get(entry.question, entry.question)
    return render(
        request,
        "policy/check_back_tally.html",
        {
            "engagement": engagement,
            "round": feedback_round,
            "form": form,
            "page": page,
            "no_hui": not hui_list,
            "can_run": can(request, Action.RUN_CHECK_BACK, engagement),
        },
        status=400 if form.errors else 200,
    )


# -- the public summary -------------------------------------------------------------------------


@dataclass
class AnswerRow:
    value: str
    label: str
    colour: str
    online: int
    hands: int
    total: int
    share: int  # a whole percentage, as the table shows it
    x: float  # where its part of the bar starts, in percent
    width: float  # its part of the bar, in percent (exact, so the parts fill the bar)


@dataclass
class QuestionView:
    key: str
    label: str
    rows: list[AnswerRow]
    online: int
    hands: int
    answered: int


@dataclass
class CommentView:
    comment: str
    name: str  # the pseudonym, only with "quote" consent; "" otherwise


@dataclass
class ClauseSummaryView:
    key: str
    rank: int
    clause: ClauseVersion | None
    questions: list[QuestionView]
    comments: list[CommentView]
    withheld: int
    got_wrong: int
    wrong_share: int
    answered: int = field(default=0)


def _question_view(question: checkback.QuestionSummary) -> QuestionView:
    answered = question.answered
    rows, x = [], 0.0
    labels = dict(Answer.choices)
    for value in Answer.values:
        total = question.total[value]
        width = 100 * total / answered if answered else 0.0
        rows.append(
            AnswerRow(
                value=value,
                label=str(labels[value]),
                colour=ANSWER_COLOURS[value],
                online=question.online[value],
                hands=question.hands[value],
                total=total,
                share=question.share(value),
                x=round(x, 3),
                width=round(width, 3),
            )
        )
        x += width
    return QuestionView(
        key=question.key,
        label=question.label,
        rows=rows,
        online=sum(question.online.values()),
        hands=sum(question.hands.values()),
        answered=answered,
    )


def _comments(rows: list[ClauseFeedback]) -> list[CommentView]:
    """The words exactly as given; a name only where the person said we may quote them with
    their pseudonym (``ClauseFeedback.attribution``)."""
    return [CommentView(row.comment, row.attribution or "") for row in rows]


def _rounds(policy: Policy | None) -> list[FeedbackRound]:
    if policy is None:
        return []
    return list(
        FeedbackRound.objects.filter(version__policy=policy)
        .select_related("version")
        .defer("version__canonical")
        .order_by("-version__number")
    )


def _chosen_round(request: HttpRequest, rounds: list[FeedbackRound]) -> FeedbackRound | None:
    """The round on ``?version=N``, or the latest; a version with no round is a 404."""
    asked = request.GET.get("version")
    if asked is None:
        return rounds[0] if rounds else None
    try:
        number = int(asked)
    except ValueError:
        raise Http404(_("Unknown version.")) from None
    found = next((r for r in rounds if r.version.number == number), None)
    if found is None:
        raise Http404(_("Version %(n)s was not taken back for feedback.") % {"n": number})
    return found


@engagement_view(Action.VIEW_ENGAGEMENT)
def summary(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """What people said about a version, clause by clause, the clauses they say we got wrong
    first; then their comments on the whole draft. A short page (404) while no round exists."""
    policy = _policy(engagement)
    rounds = _rounds(policy)
    chosen = _chosen_round(request, rounds)
    context: dict[str, object] = {
        "engagement": engagement,
        "round": chosen,
        "rounds": rounds,
        "can_run": can(request, Action.RUN_CHECK_BACK, engagement),
        "can_tally": can(request, Action.RECORD_FEEDBACK_TALLY, engagement),
    }
    if chosen is None:
        return render(request, "policy/check_back_summary.html", context, status=404)
    found = checkback.summary(chosen)
    shown, withheld = checkback.draft_comments(chosen)
    clauses = []
    for rank, item in enumerate(found, start=1):
        questions = [_question_view(q) for q in item.questions]
        clauses.append(
            ClauseSummaryView(
                key=item.key,
                rank=rank,
                clause=item.row,
                questions=questions,
                comments=_comments(item.comments),
                withheld=item.withheld_comments,
                got_wrong=item.got_wrong,
                wrong_share=item.wrong_share,
                answered=questions[0].answered,
            )
        )
    context.update(
        {
            "clauses": clauses,
            "draft_comments": _comments(shown),
            "draft_withheld": withheld,
        }
    )
    return render(request, "policy/check_back_summary.html", context)
