"""Every cell of the permission table, driven through the real views.

For each (role, action, phase) a person holding that role tries the action on an engagement in
that phase, over HTTP, and the outcome must be what ``heard.core.permissions.TABLE`` says. A new
action without a probe here fails ``test_every_action_has_a_probe``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Action, Phase, Role, allowed, as_markdown
from heard.listen.models import Contribution
from tests import factories


@dataclass
class World:
    client: Client
    engagement: object
    hui: object
    contribution: Contribution
    user: object = None


def _get_url(build: Callable[[World], str]) -> Callable[[World], object]:
    return lambda w: w.client.get(build(w))


def _moderate(w: World):
    url = reverse("moderate", kwargs={"slug": w.engagement.slug, "pk": w.contribution.pk})
    return w.client.post(url, {"do": "hide", "reason": "Names a staff member."})


def _own_contribution(w: World) -> Contribution:
    """The acting person's own contribution when they are a participant, else someone else's."""
    from heard.listen.models import Participant

    mine = Participant.objects.filter(engagement=w.engagement, user=w.user).first()
    if mine is None:
        return w.contribution
    if not hasattr(w, "_own"):
        w._own = factories.make_contribution(w.engagement, "My own words", participant=mine)
    return w._own


def _withdraw_own(w: World):
    target = _own_contribution(w)
    url = reverse("withdraw_own", kwargs={"slug": w.engagement.slug, "pk": target.pk})
    return w.client.post(url, {"confirm": "yes"})


def _withdrawn_own(w: World) -> bool:
    target = _own_contribution(w)
    target.refresh_from_db()
    return target.is_withdrawn


def _withdraw_on_request(w: World):
    url = reverse(
        "withdraw_on_request", kwargs={"slug": w.engagement.slug, "pk": w.contribution.pk}
    )
    return w.client.post(url, {"confirm": "yes"})


def _withdrawn(w: World) -> bool:
    w.contribution.refresh_from_db()
    return w.contribution.is_withdrawn


def _start_theme_run(w: World):
    return w.client.post(reverse("theme_run_start", args=[w.engagement.slug]), {"k": ""})


def _theme_run_started(w: World) -> bool:
    from heard.sense.models import ThemeRun

    return ThemeRun.objects.filter(engagement=w.engagement).exists()


def _conversation(w: World):
    """A conversation with one seeded statement, made by the team through the services."""
    from heard.opinions import services as opinions

    if not hasattr(w, "_conversation"):
        w._conversation = opinions.create_conversation(w.engagement, topic="Data", by=None)
        opinions.seed_statement(w._conversation, "Agencies should ask first.", by=None)
    return w._conversation


def _opinions_url(name: str, w: World) -> str:
    return reverse(name, args=[w.engagement.slug, _conversation(w).number])


def _vote(w: World):
    return w.client.post(_opinions_url("vote", w), {"statement": 0, "vote": "agree"})


def _voted(w: World) -> bool:
    from heard.opinions.models import Vote

    return Vote.objects.filter(statement__conversation=_conversation(w)).exists()


def _submit_statement(w: World):
    import uuid

    data = {"text": "Ask whānau first.", "language": "en", "client_key": uuid.uuid4()}
    return w.client.post(_opinions_url("statement_submit", w), data)


def _statement_submitted(w: World) -> bool:
    return _conversation(w).statements.filter(author__isnull=False).exists()


def _manage_statements(w: World):
    url = reverse("opinions_manage", args=[w.engagement.slug])
    return w.client.post(url, {"topic": "Another topic", "moderation": "strict"})


def _conversation_opened(w: World) -> bool:
    return w.engagement.conversations.filter(topic="Another topic").exists()


def _record_tally(w: World):
    data = {"hui": w.hui.key, "statement": "0", "agree": 3, "disagree": 1, "passes": 0}
    return w.client.post(_opinions_url("tallies", w), data)


def _tallied(w: World) -> bool:
    from heard.opinions.models import HuiTally

    return HuiTally.objects.filter(hui=w.hui).exists()


def _publish_report(w: World):
    url = reverse("report_publish", args=[w.engagement.slug])
    return w.client.post(url, {"change_note": ""})


def _report_published(w: World) -> bool:
    """Publishing is queued for the task worker: the permitted request leaves a publication
    on its way (tests/report run the worker and check the version)."""
    from heard.report.models import ReportPublication

    return ReportPublication.objects.filter(engagement=w.engagement).exists()


def _moderated(w: World) -> bool:
    w.contribution.refresh_from_db()
    return w.contribution.is_hidden


PROBES: dict[Action, Callable[[World], object]] = {
    Action.VIEW_ENGAGEMENT: _get_url(lambda w: reverse("engagement", args=[w.engagement.slug])),
    Action.EDIT_ENGAGEMENT: _get_url(
        lambda w: reverse("edit_engagement", args=[w.engagement.slug])
    ),
    Action.MANAGE_MEMBERS: _get_url(lambda w: reverse("members", args=[w.engagement.slug])),
    Action.MANAGE_HUI: _get_url(lambda w: reverse("hui_new", args=[w.engagement.slug])),
    Action.JOIN_AS_PARTICIPANT: _get_url(lambda w: reverse("join", args=[w.engagement.slug])),
    Action.SUBMIT_CONTRIBUTION: _get_url(
        lambda w: reverse("submit_online", args=[w.engagement.slug])
    ),
    Action.CAPTURE_AT_HUI: _get_url(
        lambda w: reverse("capture", args=[w.engagement.slug, w.hui.key])
    ),
    Action.IMPORT_CONTRIBUTIONS: _get_url(
        lambda w: reverse("import_upload", args=[w.engagement.slug])
    ),
    Action.MODERATE: _moderate,
    Action.VIEW_PUBLIC_RECORD: _get_url(
        lambda w: reverse("public_record", args=[w.engagement.slug])
    ),
    Action.VIEW_ALL_CONTRIBUTIONS: _get_url(
        lambda w: reverse("all_contributions", args=[w.engagement.slug])
    ),
    Action.WITHDRAW_OWN: _withdraw_own,
    Action.WITHDRAW_ON_REQUEST: _withdraw_on_request,
    Action.EXPORT_FULL_DATA: _get_url(lambda w: reverse("export_full", args=[w.engagement.slug])),
    Action.VIEW_THEMES: _get_url(lambda w: reverse("theme_runs", args=[w.engagement.slug])),
    Action.ANALYSE_THEMES: _start_theme_run,
    Action.VIEW_OPINIONS: _get_url(lambda w: _opinions_url("conversation", w)),
    Action.VOTE: _vote,
    Action.SUBMIT_STATEMENT: _submit_statement,
    Action.MANAGE_STATEMENTS: _manage_statements,
    Action.RECORD_TALLY: _record_tally,
    Action.PUBLISH_REPORT: _publish_report,
    Action.DRAFT_POLICY: _get_url(lambda w: reverse("policy_team", args=[w.engagement.slug])),
    Action.MANAGE_WORKING_GROUP: _get_url(
        lambda w: reverse("policy_group_manage", args=[w.engagement.slug])
    ),
    Action.RECORD_DECISION: _get_url(lambda w: reverse("policy_decide", args=[w.engagement.slug])),
    Action.RUN_CHECK_BACK: _get_url(
        lambda w: reverse("policy_check_back_manage", args=[w.engagement.slug])
    ),
    Action.GIVE_FEEDBACK: _get_url(
        lambda w: reverse("policy_check_back", args=[w.engagement.slug])
    ),
    Action.RECORD_FEEDBACK_TALLY: _get_url(
        lambda w: reverse("policy_check_back_tally", args=[w.engagement.slug])
    ),
}

# Actions whose effect we check beyond the status code.
EFFECTS: dict[Action, Callable[[World], bool]] = {
    Action.MODERATE: _moderated,
    Action.WITHDRAW_OWN: _withdrawn_own,
    Action.WITHDRAW_ON_REQUEST: _withdrawn,
    Action.ANALYSE_THEMES: _theme_run_started,
    Action.VOTE: _voted,
    Action.SUBMIT_STATEMENT: _statement_submitted,
    Action.MANAGE_STATEMENTS: _conversation_opened,
    Action.RECORD_TALLY: _tallied,
    Action.PUBLISH_REPORT: _report_published,
}


def test_every_action_has_a_probe():
    assert set(PROBES) == set(Action)


def test_docs_page_matches_the_table():
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
    assert page.read_text(encoding="utf-8") == as_markdown(), (
        "docs/permissions.md is out of date: run `make docs`"
    )


CELLS = list(itertools.product(Role, Action, Phase))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "action", "phase"), CELLS, ids=[f"{r}-{a}-{p}" for r, a, p in CELLS]
)
def test_cell(role: Role, action: Action, phase: Phase):
    engagement = factories.make_engagement(phase)
    hui = factories.make_hui(engagement)
    contribution = factories.make_contribution(engagement, hui=hui)
    client = Client()
    user = None
    if role != Role.PUBLIC:
        user = factories.make_member(engagement, role)
        client.force_login(user)
    world = World(
        client=client, engagement=engagement, hui=hui, contribution=contribution, user=user
    )

    response = PROBES[action](world)
    expected = allowed(role, action, phase)

    if expected:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"]
        if action in EFFECTS:
            assert EFFECTS[action](world)
    else:
        if role == Role.PUBLIC:
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403, response.status_code
        if action in EFFECTS:
            assert not EFFECTS[action](world)
