"""The opinion pages: conversations, voting one statement at a time, statements with their
counts and tallies, and the team's and facilitators' pages (seed, moderate, tally).

Every write goes through ``heard.opinions.services``; every form posts and redirects back (no
script needed), and a refused form shows the page again with its errors and what was typed.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heard.core.access import can, engagement_view
from heard.core.permissions import Action
from heard.engagements.models import Engagement
from heard.listen.models import Participant
from heard.opinions import drawing as drawing_
from heard.opinions import exchange, map_page, mapping, queries, services
from heard.opinions.forms import (
    ConversationForm,
    ModerateForm,
    SeedForm,
    StatementForm,
    TallyForm,
    VoteForm,
)
from heard.opinions.models import Conversation, MapSnapshot, Statement, Vote

PAGE_SIZE = 50
VOTE_LABELS = {
    Vote.Value.AGREE: "agree",
    Vote.Value.DISAGREE: "disagree",
    Vote.Value.PASS: "pass",
}


def _conversation(engagement: Engagement, number: int) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related("engagement"), engagement=engagement, number=number
    )


def _participant(request: HttpRequest, engagement: Engagement) -> Participant | None:
    if not request.user.is_authenticated:
        return None
    return Participant.objects.filter(engagement=engagement, user=request.user).first()


def _can(request: HttpRequest) -> dict[str, bool]:
    return {a.value: can(request, a) for a in Action}


# --- conversations ---------------------------------------------------------------------------


@engagement_view(Action.VIEW_OPINIONS)
def conversations(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    return render(
        request,
        "opinions/conversations.html",
        {
            "engagement": engagement,
            "conversations": queries.conversations_for_listing(engagement),
            "can": _can(request),
        },
    )


@engagement_view(Action.MANAGE_STATEMENTS)
def manage(request: HttpRequest, engagement: Engagement) -> HttpResponse:
    """The team's page: every conversation with its queue, and the form to open another."""
    form = ConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.create_conversation(
                engagement, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Conversation %(n)s is open. Add the statements people will start from.")
                % {"n": conversation.number},
            )
            return redirect("statements_seed", slug=engagement.slug, number=conversation.number)
    return render(
        request,
        "opinions/manage.html",
        {
            "engagement": engagement,
            "conversations": queries.conversations_for_listing(engagement),
            "form": form,
            "can": _can(request),
        },
        status=400 if form.errors else 200,
    )


# --- the participant's page --------------------------------------------------------------------


@engagement_view(Action.VIEW_OPINIONS)
def conversation_page(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    return _conversation_page(request, engagement, _conversation(engagement, number))


def _conversation_page(
    request: HttpRequest,
    engagement: Engagement,
    conversation: Conversation,
    *,
    statement_form: StatementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """One statement at a time with Agree / Disagree / Pass, the person's progress, their own
    votes (each can be changed) and statements, and the form to add one."""
    participant = _participant(request, engagement)
    can_vote = can(request, Action.VOTE) and participant is not None
    progress = queries.next_for(conversation, participant if can_vote else None)
    mine = (
        Paginator(queries.my_votes(conversation, participant), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        if participant
        else None
    )
    can_submit = (
        can(request, Action.SUBMIT_STATEMENT)
        and participant is not None
        and conversation.allow_participant_statements
    )
    if can_submit and statement_form is None:
        statement_form = StatementForm()
    return render(
        request,
        "opinions/conversation.html",
        {
            "engagement": engagement,
            "conversation": conversation,
            "participant": participant,
            "can_vote": can_vote,
            "progress": progress,
            "vote_key": uuid.uuid4(),
            "mine": mine,
            "my_statements": queries.my_statements(conversation, participant)
            if participant
            else [],
            "vote_labels": VOTE_LABELS,
            "can_submit": can_submit,
            "form": statement_form,
            "latest_map": queries.latest_map(conversation),
            "can": _can(request),
        },
        status=status,
    )


@require_POST
@engagement_view(Action.VOTE)
def vote(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """Keep one vote and go back: to the next statement, or to the person's list of votes when
    they changed one there (``back=mine``)."""
    conversation = _conversation(engagement, number)
    participant = get_object_or_404(Participant, engagement=engagement, user=request.user)
    form = VoteForm(request.POST)
    back = reverse("conversation", args=[engagement.slug, conversation.number])
    back += "#my-votes" if request.POST.get("back") == "mine" else "#vote"
    if not form.is_valid():
        messages.error(request, _("That vote could not be read; please vote again."))
        return redirect(back)
    statement = get_object_or_404(
        Statement.objects.select_related("conversation__engagement"),
        conversation=conversation,
        number=form.cleaned_data["statement"],
    )
    try:
        _vote, changed = services.cast_vote(
            statement,
            participant,
            form.cleaned_data["vote"],
            client_key=form.cleaned_data["client_key"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = dict(Vote.Value.choices)[form.cleaned_data["vote"]]
        if changed:
            # The map follows the votes: one update waits per conversation, however many come.
            mapping.schedule(conversation)
            messages.success(
                request,
                _("Your vote on statement %(n)s is kept: %(vote)s.")
                % {"n": statement.number, "vote": label},
            )
        else:
            messages.info(
                request,
                _("Your vote on statement %(n)s was already %(vote)s.")
                % {"n": statement.number, "vote": label},
            )
    return redirect(back)


@require_POST
@engagement_view(Action.SUBMIT_STATEMENT)
def submit(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    conversation = _conversation(engagement, number)
    participant = get_object_or_404(Participant, engagement=engagement, user=request.user)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            _statement, created = services.submit_statement(
                conversation,
                participant,
                form.cleaned_data["text"],
                language=form.cleaned_data["language"],
                client_key=form.cleaned_data["client_key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:  # it comes with its author's agree vote, which the map should see
                mapping.schedule(conversation)
            if not created:
                messages.info(request, _("We already had this statement: it is kept once."))
            elif conversation.is_strict:
                messages.success(
                    request,
                    _(
                        "Thank you. Your statement is kept, and others will see it once the "
                        "team has accepted it."
                    ),
                )
            else:
                messages.success(request, _("Thank you. Others can now vote on your statement."))
            return redirect(
                reverse("conversation", args=[engagement.slug, number]) + "#my-statements"
            )
    return _conversation_page(request, engagement, conversation, statement_form=form, status=400)


@require_POST
@engagement_view(Action.WITHDRAW_OWN)
def withdraw(request: HttpRequest, engagement: Engagement, number: int, sn: int) -> HttpResponse:
    """The author withdraws their statement: its words and salt are destroyed."""
    conversation = _conversation(engagement, number)
    statement = get_object_or_404(Statement, conversation=conversation, number=sn)
    participant = _participant(request, engagement)
    if participant is None or statement.author_id != participant.pk:
        raise PermissionDenied(_("You can withdraw only your own statements."))
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm: withdrawal cannot be undone."))
    else:
        try:
            services.withdraw_statement(statement, via="participant")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            mapping.schedule(statement.conversation)  # the map leaves it out from now on
            messages.success(
                request,
                _("Withdrawn. The words are destroyed; the record shows that they were withdrawn."),
            )
    return redirect(reverse("conversation", args=[engagement.slug, number]) + "#my-statements")


# --- statements, counts and tallies ------------------------------------------------------------


@engagement_view(Action.VIEW_OPINIONS)
def statements(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """Every statement with its votes and, apart from them, the hui tallies on it. A rejected
    statement shows its public reason; the team also sees its words."""
    conversation = _conversation(engagement, number)
    everything = can(request, Action.VIEW_ALL_CONTRIBUTIONS) or can(
        request, Action.MANAGE_STATEMENTS
    )
    qs = queries.statements_for_listing(conversation, everything=everything)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    votes = queries.vote_counts(conversation)
    hands = queries.tally_totals(conversation)
    rows = [(s, votes.get(s.pk, queries.NO_COUNTS), hands.get(s.pk)) for s in page.object_list]
    return render(
        request,
        "opinions/statements.html",
        {
            "engagement": engagement,
            "conversation": conversation,
            "page": page,
            "rows": rows,
            "everything": everything,
            "participant": _participant(request, engagement),
            "latest_map": queries.latest_map(conversation),
            "can": _can(request),
        },
    )


@engagement_view(Action.VIEW_OPINIONS)
def opinion_map(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """The opinion map: where people sit, each group with what it agrees on and what sets it
    apart, the common ground, and every statement's agreement per group, with its provenance.
    Only statements the public may read are named; hui tallies are shown apart, as tallies."""
    conversation = _conversation(engagement, number)
    snapshot = queries.latest_map(conversation)
    participant = _participant(request, engagement)
    pending = conversation.snapshots.filter(
        status__in=[MapSnapshot.Status.QUEUED, MapSnapshot.Status.RUNNING]
    ).exists()
    context: dict = {
        "engagement": engagement,
        "conversation": conversation,
        "latest_map": snapshot,
        "snapshot": snapshot,
        "pending": pending,
        "participant": participant,
        "can": _can(request),
    }
    if snapshot is not None:
        result = snapshot.result or {}
        you = participant.public_id if participant else None
        view = map_page.build(result, queries.public_words(conversation))
        drawing = drawing_.draw(result, you)
        my_group = (result.get("groups") or {}).get(you) if you else None
        hands = {str(n): c for n, c in queries.tally_totals_by_number(conversation).items()}
        context.update(
            view=view,
            drawing=drawing,
            my_group=None if my_group is None else drawing_.group_letter(int(my_group)),
            you_voted=bool(you and you in (result.get("projections") or {})),
            rows=[(row, hands.get(row.number)) for row in view.rows],
            provenance=snapshot.provenance,
            min_votes=(snapshot.provenance.get("parameters") or {}).get("min_votes", 7),
        )
    return render(request, "opinions/map.html", context)


@engagement_view(Action.VIEW_OPINIONS)
def open_data(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """The conversation in Pol.is's openData layout, zipped: the public scope for everyone;
    ``?scope=full`` (the rejected statements' words too) for those who may export everything."""
    conversation = _conversation(engagement, number)
    scope = "full" if request.GET.get("scope") == "full" else "public"
    if scope == "full" and not can(request, Action.EXPORT_FULL_DATA):
        raise PermissionDenied(_("Only the team may download the full data."))
    name = f"{engagement.slug}-conversation-{conversation.number}-{scope}"
    data = exchange.export_zip(conversation, scope=scope, folder_name=name)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@require_POST
@engagement_view(Action.MANAGE_STATEMENTS)
def map_update(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """Queue an update of the map now (votes also queue one as they arrive)."""
    conversation = _conversation(engagement, number)
    mapping.schedule(conversation)
    messages.success(request, _("The map is being updated; reload the page in a moment."))
    return redirect("opinion_map", engagement.slug, number)


# --- the team's pages ----------------------------------------------------------------------------


@engagement_view(Action.MANAGE_STATEMENTS)
def seed(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """The team adds the statements people start from; each post keeps one and comes back."""
    conversation = _conversation(engagement, number)
    form = SeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            statement, created = services.seed_statement(
                conversation,
                form.cleaned_data["text"],
                by=request.user,
                language=form.cleaned_data["language"],
                is_meta=form.cleaned_data["is_meta"],
                client_key=form.cleaned_data["client_key"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, _("Statement %(n)s is added.") % {"n": statement.number})
            else:
                messages.info(request, _("We already had this statement: it is kept once."))
            return redirect("statements_seed", slug=engagement.slug, number=number)
    seeds = conversation.statements.filter(is_seed=True).order_by("-number")
    return render(
        request,
        "opinions/seed.html",
        {
            "engagement": engagement,
            "conversation": conversation,
            "form": form,
            "seeds": Paginator(seeds, PAGE_SIZE).get_page(request.GET.get("page")),
            "can": _can(request),
        },
        status=400 if form.errors else 200,
    )


@engagement_view(Action.MANAGE_STATEMENTS)
def moderation(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    return _moderation_page(request, engagement, _conversation(engagement, number))


def _moderation_page(
    request: HttpRequest,
    engagement: Engagement,
    conversation: Conversation,
    *,
    bound: tuple[int, ModerateForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Waiting statements first (oldest first), then decided ones, each with its form."""
    waiting = list(
        conversation.statements.filter(
            status=Statement.Status.PENDING, withdrawn_at__isnull=True
        ).select_related("author")[: PAGE_SIZE * 2]
    )
    decided_qs = (
        conversation.statements.exclude(status=Statement.Status.PENDING)
        .filter(withdrawn_at__isnull=True)
        .select_related("author")
        .order_by("-number")
    )
    decided = Paginator(decided_qs, PAGE_SIZE).get_page(request.GET.get("page"))

    def with_form(statement: Statement) -> tuple[Statement, ModerateForm]:
        if bound and bound[0] == statement.pk:
            return statement, bound[1]
        return statement, ModerateForm(prefix=f"s{statement.number}", statement=statement)

    return render(
        request,
        "opinions/moderation.html",
        {
            "engagement": engagement,
            "conversation": conversation,
            "waiting": [with_form(s) for s in waiting],
            "waiting_total": conversation.statements.filter(
                status=Statement.Status.PENDING, withdrawn_at__isnull=True
            ).count(),
            "decided": decided,
            "decided_rows": [with_form(s) for s in decided.object_list],
            "can": _can(request),
        },
        status=status,
    )


@require_POST
@engagement_view(Action.MANAGE_STATEMENTS)
def moderate(request: HttpRequest, engagement: Engagement, number: int, sn: int) -> HttpResponse:
    conversation = _conversation(engagement, number)
    statement = get_object_or_404(
        Statement.objects.select_related("conversation__engagement"),
        conversation=conversation,
        number=sn,
    )
    form = ModerateForm(request.POST, prefix=f"s{sn}", statement=statement)
    decision = request.POST.get("decision")
    if decision not in (Statement.Status.ACCEPTED, Statement.Status.REJECTED):
        form.add_error(None, _("Choose accept or reject."))
    elif decision == Statement.Status.REJECTED and not form.data.get(f"s{sn}-reason", "").strip():
        form.add_error("reason", _("Give a reason; it is shown publicly."))
    if form.is_valid():
        try:
            services.moderate_statement(
                statement,
                decision,
                by=request.user,
                reason=form.cleaned_data["reason"],
                is_meta=form.cleaned_data["is_meta"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            mapping.schedule(statement.conversation)  # the map follows moderation, as Pol.is's
            if decision == Statement.Status.REJECTED:
                messages.success(
                    request,
                    _("Statement %(n)s is rejected. Its reason is public; its words are kept.")
                    % {"n": sn},
                )
            else:
                messages.success(request, _("Statement %(n)s is accepted.") % {"n": sn})
            return redirect("statements_moderate", slug=engagement.slug, number=number)
    return _moderation_page(
        request, engagement, conversation, bound=(statement.pk, form), status=400
    )


# --- hui tallies ---------------------------------------------------------------------------------


@engagement_view(Action.RECORD_TALLY)
def tallies(request: HttpRequest, engagement: Engagement, number: int) -> HttpResponse:
    """A facilitator enters a hui's show of hands on a statement; a second entry for the same
    hui and statement corrects the first (both are kept)."""
    conversation = _conversation(engagement, number)
    hui_list = list(engagement.hui.order_by("starts_at"))
    # Only statements people can see: a facilitator must not read words still waiting for the
    # team in a strict conversation (nor could a room vote on them).
    open_statements = list(queries.shown(conversation))
    initial = {k: request.GET[k] for k in ("hui", "statement") if k in request.GET}
    form = TallyForm(
        request.POST or None, initial=initial, hui_list=hui_list, statements=open_statements
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tally, changed = services.record_tally(
                data["statement"],
                data["hui"],
                agree=data["agree"],
                disagree=data["disagree"],
                passes=data["passes"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(
                    request,
                    _("The tally for statement %(n)s at %(hui)s is kept.")
                    % {"n": tally.statement.number, "hui": tally.hui.title},
                )
            else:
                messages.info(request, _("That tally was already kept, with the same counts."))
            return redirect("tallies", slug=engagement.slug, number=number)
    page = Paginator(queries.tallies(conversation), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "opinions/tallies.html",
        {
            "engagement": engagement,
            "conversation": conversation,
            "form": form,
            "page": page,
            "can": _can(request),
        },
        status=400 if form.errors else 200,
    )
