"""The participant's check-back page through the real views: who may open it (participants in the
check-back phase; the public is sent to sign in, the team and the wrong phase are refused), the
page with nothing to answer yet, answers saved by plain POST and by fetch (JSON), a double
submit kept once, refusals that keep what was typed, hostile words escaped, and a comment
withdrawn with a confirmation."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.policy import checkback, services
from heard.policy.models import ClauseFeedback
from heard.sense import services as sense
from tests import factories
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> Kāore he "tika" & <b>bold</b>'
INTRO = "Have we heard you correctly? Does this reflect your ideas?"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _policy(world) -> None:
    """Version 1 issued with three clauses (P1 traced to a theme), and a round open on it."""
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    p1 = services.write_clause(
        draft,
        "P1",
        heading_en="Ask first",
        text_en="Ask people **first**.",
        text_mi="Me pātai tuatahi.",
    )
    services.trace_clause(p1, themes=[services.themes_of(policy)[0].pk])
    services.write_clause(draft, "P2", text_en="Keep it safe.")
    services.write_clause(draft, "P3", text_mi="Tiakina.")
    world.version = services.issue(draft, by=world.team)
    world.round = checkback.open_round(world.version, by=world.team)


@pytest.fixture
def bare():
    """The check-back phase with a participant who signs in, and no policy yet."""
    world = make_world(Phase.CHECK_BACK)
    world.user = factories.make_member(world.engagement, Role.PARTICIPANT)
    world.person = world.engagement.participants.get(user=world.user)
    world.url = reverse("policy_check_back", args=[world.engagement.slug])
    return world


@pytest.fixture
def world(bare):
    _policy(bare)
    return bare


def _form(key: str = "P1", **fields) -> dict:
    return {
        "clause_key": key,
        "client_key": str(uuid.uuid4()),
        "quote_consent": "anonymous",
        **fields,
    }


def _current(world, key: str | None = "P1") -> ClauseFeedback:
    return checkback.my_feedback(world.round, world.person)[key]


def test_participants_may_answer_and_no_one_else(world):
    page = _client(world.user).get(world.url)
    assert page.status_code == 200
    assert INTRO in page.content.decode()

    anonymous = _client().get(world.url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert _client(world.team).get(world.url).status_code == 403
    public = factories.make_member(world.engagement, Role.PUBLIC)
    assert _client(public).post(world.url, _form(heard="yes")).status_code == 403
    assert not ClauseFeedback.objects.exists()


def test_the_wrong_phase_is_refused():
    world = make_world(Phase.DRAFT)
    user = factories.make_member(world.engagement, Role.PARTICIPANT)
    url = reverse("policy_check_back", args=[world.engagement.slug])
    response = _client(user).get(url)
    assert response.status_code == 403
    assert "check_back" not in response.content.decode()  # the reason is in words


def test_with_no_policy_or_no_round_there_is_nothing_to_answer_yet(bare):
    client = _client(bare.user)
    page = client.get(bare.url)
    assert page.status_code == 200
    assert "There is nothing to answer yet" in page.content.decode()
    assert 'name="heard"' not in page.content.decode()

    run = sense.start_run(bare.engagement, by=bare.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(bare.engagement, by=bare.team, title="Data policy")
    draft = services.latest_version(policy)
    services.write_clause(draft, "P1", text_en="Ask people first.")
    version = services.issue(draft, by=bare.team)  # issued, but no round yet
    page = client.get(bare.url)
    assert page.status_code == 200 and "There is nothing to answer yet" in page.content.decode()
    checkback.close_round(checkback.open_round(version, by=bare.team), by=bare.team)
    page = client.get(bare.url)
    assert page.status_code == 200 and "The check-back round has closed" in page.content.decode()

    refused = client.post(bare.url, _form(heard="yes"), follow=True)
    assert "nothing was saved" in refused.content.decode()
    assert not ClauseFeedback.objects.exists()


def test_every_clause_in_order_with_its_words_trace_and_form(world):
    html = _client(world.user).get(world.url).content.decode()
    positions = [html.index(f'id="clause-{key}"') for key in ("P1", "P2", "P3", "draft")]
    assert positions == sorted(positions)
    assert "<strong>first</strong>" in html and 'lang="mi">' in html and "Me pātai tuatahi." in html
    assert "Not written in English yet" in html  # P3: missing, never machine-filled
    assert reverse("policy_clause", args=[world.engagement.slug, "P1"]) in html
    for key in ("P1", "P2", "P3"):
        for question in ("heard", "reflects", "integrity"):
            assert f'id="cb-{key}-{question}_group"' in html
            assert f'id="cb-{key}-{question}_0"' in html
    assert "<legend>Have we heard you correctly?</legend>" in html
    assert html.count('value="anonymous"\n') + html.count('value="anonymous" ') >= 4
    assert 'name="heard"' not in html.split('id="clause-draft"')[1]  # the draft: a comment only
    keys = re.findall(r'name="client_key" value="([0-9a-f-]{36})"', html)
    assert len(keys) == 4 and len(set(keys)) == 4
    assert html.count('role="status"') >= 4


def test_answers_are_saved_and_shown_again(world):
    client = _client(world.user)
    response = client.post(
        world.url,
        _form(heard="yes", reflects="partly", integrity="unsure", comment="Ka pai.\r\nThanks."),
    )
    assert response.status_code == 302
    assert response["Location"] == world.url + "#clause-P1"
    row = _current(world)
    assert (row.heard, row.reflects, row.integrity) == ("yes", "partly", "unsure")
    assert row.comment == "Ka pai.\nThanks."  # only the browser's CRLF is undone
    assert row.quote_consent == "anonymous"

    page = client.get(world.url)
    html = page.content.decode()
    assert "Saved your answers on clause P1." in html
    assert re.search(r'id="cb-P1-heard_0"[^>]*checked|checked[^>]*id="cb-P1-heard_0"', html)
    assert re.search(r'id="cb-P1-reflects_1"[^>]*checked|checked[^>]*id="cb-P1-reflects_1"', html)
    assert "Ka pai.\nThanks.</textarea>" in html
    assert 'id="status-P1">Saved (' in html and 'id="status-P2">Not answered yet.' in html

    client.post(world.url, _form("", comment="The whole draft is fair.", quote_consent="quote"))
    draft = _current(world, None)
    assert draft.comment == "The whole draft is fair." and draft.quote_consent == "quote"
    assert draft.heard == ""


def test_a_double_submit_keeps_one(world):
    client = _client(world.user)
    sent = _form(heard="no", comment="You missed the point.")
    first = client.post(world.url, sent)
    again = client.post(world.url, sent, follow=True)
    assert first.status_code == 302 and again.status_code == 200
    assert ClauseFeedback.objects.count() == 1
    assert "Already saved" in again.content.decode()


def test_a_refusal_keeps_what_was_typed(world):
    client = _client(world.user)
    words = "Kāore au e whakaae.\x00"
    response = client.post(world.url, _form(heard="maybe", comment=words))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert "Select a valid choice" in html and "NUL" in html
    assert "Kāore au e whakaae." in html
    assert 'href="#cb-P1-heard_0"' in html  # the summary links to the field
    assert not ClauseFeedback.objects.exists()

    nothing = client.post(world.url, _form(comment="   "))
    assert nothing.status_code == 400
    assert "Answer a question or write a comment." in nothing.content.decode()
    empty_draft = client.post(world.url, _form(""))
    assert empty_draft.status_code == 400
    assert "Write a comment before saving." in empty_draft.content.decode()
    stray = client.post(world.url, _form("Z9", heard="yes"))
    assert stray.status_code == 400
    assert "Clause Z9 is not in the version" in stray.content.decode()
    assert not ClauseFeedback.objects.exists()


def test_hostile_words_are_kept_exactly_and_shown_escaped(world):
    client = _client(world.user)
    client.post(world.url, _form("P2", comment=HOSTILE))
    assert _current(world, "P2").comment == HOSTILE
    html = client.get(world.url).content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_fetch_gets_a_json_answer_and_a_fresh_key(world):
    client = _client(world.user)
    sent = _form(heard="partly")
    response = client.post(world.url, sent, headers={"Accept": "application/json"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] is True and answer["changed"] is True
    assert answer["message"] == "Saved your answers on clause P1."
    assert answer["client_key"] != sent["client_key"]
    uuid.UUID(answer["client_key"])

    again = client.post(world.url, sent, headers={"Accept": "application/json"}).json()
    assert again["saved"] is True and again["changed"] is False
    assert ClauseFeedback.objects.count() == 1

    changed = _form(heard="yes", client_key=answer["client_key"])
    assert client.post(world.url, changed, headers={"Accept": "application/json"}).json()["changed"]
    assert _current(world).heard == "yes"

    refused = client.post(
        world.url, _form(reflects="sometimes"), headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["saved"] is False and "Does this reflect your ideas?" in body["message"]
    assert "reflects" in body["errors"]


def test_a_comment_is_withdrawn_only_with_confirmation(world):
    client = _client(world.user)
    client.post(world.url, _form(heard="no", comment="Take this back later."))
    url = reverse("policy_check_back_withdraw", args=[world.engagement.slug])
    html = client.get(world.url).content.decode()
    assert "Withdraw my comment on clause P1" in html

    unconfirmed = client.post(url, {"clause_key": "P1"}, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    assert _current(world).comment == "Take this back later."

    done = client.post(url, {"clause_key": "P1", "confirm": "on"})
    assert done.status_code == 302 and done["Location"].endswith("#clause-P1")
    row = _current(world)
    assert row.comment == "" and row.withdrawn_at is not None and row.heard == "no"
    assert "Take this back later." not in client.get(world.url).content.decode()

    other = factories.make_member(world.engagement, Role.PARTICIPANT)
    stranger = _client(other).post(url, {"clause_key": "P1", "confirm": "on"}, follow=True)
    assert "no comment of yours" in stranger.content.decode()
