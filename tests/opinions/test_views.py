"""The opinion pages: a participant votes one statement at a time and changes a vote; the team
opens a conversation, seeds and moderates; a facilitator enters a tally; and who is refused."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from heard.opinions import services
from heard.opinions.models import Conversation, HuiTally, Statement, Vote
from heard.record.models import LogEntry
from tests.opinions.conftest import SEEDS

pytestmark = pytest.mark.django_db


def url(name: str, world, **kwargs) -> str:
    return reverse(
        name, kwargs={"slug": world.engagement.slug, "number": world.conversation.number, **kwargs}
    )


def text(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    return html.unescape(response.content.decode())


def shown_statement(response) -> int | None:
    found = re.search(r'<blockquote[^>]*data-statement="(\d+)"', response.content.decode())
    return int(found.group(1)) if found else None


def test_a_participant_votes_one_statement_at_a_time_then_changes_a_vote(client, world):
    client.force_login(world.voter)
    page = client.get(url("conversation", world))
    assert "You have voted on 0 of 3 statements." in text(page)
    seen = []
    for n in range(3):
        number = shown_statement(page)
        assert number is not None and number not in seen
        assert client.get(url("conversation", world)).content.count(b"<blockquote") == 1
        assert shown_statement(client.get(url("conversation", world))) == number  # stable
        seen.append(number)
        response = client.post(
            url("vote", world),
            {"statement": number, "vote": "agree", "client_key": uuid.uuid4()},
        )
        assert response.status_code == 302 and response["Location"].endswith("#vote")
        page = client.get(url("conversation", world))
        assert f"You have voted on {n + 1} of 3 statements." in text(page)
        assert "is kept: Agree" in text(page)
    assert sorted(seen) == [0, 1, 2]
    assert "You have voted on every statement." in text(page)
    assert text(page).count("Your vote") >= 1 and SEEDS[2] in text(page)

    me = world.participant(world.voter)
    response = client.post(url("vote", world), {"statement": 1, "vote": "disagree", "back": "mine"})
    assert response["Location"].endswith("#my-votes")
    history = Vote.objects.filter(participant=me, statement__number=1).order_by("id")
    assert [(v.value, v.current) for v in history] == [(1, False), (-1, True)]
    assert LogEntry.objects.filter(kind="vote.cast").count() == 4


def test_a_double_submitted_vote_is_kept_once(client, world):
    client.force_login(world.voter)
    form = {"statement": 0, "vote": "pass", "client_key": uuid.uuid4()}
    client.post(url("vote", world), form)
    client.post(url("vote", world), form)
    assert Vote.objects.count() == 1
    assert "already Pass" in text(client.get(url("conversation", world)))


def test_a_participant_adds_a_statement_which_waits_for_the_team(client, world):
    client.force_login(world.voter)
    words = "  Ask whānau first,\r\nevery time.  "
    response = client.post(
        url("statement_submit", world),
        {"text": words, "language": "en", "client_key": uuid.uuid4()},
    )
    assert response.status_code == 302
    statement = Statement.objects.get(author__user=world.voter)
    assert statement.text == "  Ask whānau first,\nevery time.  "  # only the form's CRLF
    page = text(client.get(url("conversation", world)))
    assert "Your statements" in page and "Waiting for moderation" in page
    assert "Ask whānau first" not in text(client.get(url("conversation_statements", world)))
    assert (
        "Ask whānau first"
        not in text(client.get(url("conversation", world))).split("Your statements")[0]
    )  # not offered to vote on while it waits
    too_long = "x" * 1200
    refused = client.post(
        url("statement_submit", world),
        {"text": too_long, "language": "en", "client_key": uuid.uuid4()},
    )
    assert refused.status_code == 400
    assert "There is a problem" in text(refused) and too_long in text(refused)


def test_the_team_moderates_and_a_rejection_shows_its_reason_not_its_words(client, world):
    author = world.participant(world.voter)
    statement, _ = services.submit_statement(world.conversation, author, "The minister is a liar.")
    client.force_login(world.team)
    queue = text(client.get(url("statements_moderate", world)))
    assert "1 statement waiting" in queue and "The minister is a liar." in queue
    target = url("statement_moderate", world, sn=statement.number)
    refused = client.post(target, {"decision": "rejected", f"s{statement.number}-reason": ""})
    assert refused.status_code == 400 and "Give a reason" in text(refused)
    client.post(
        target, {"decision": "rejected", f"s{statement.number}-reason": "Attacks a person."}
    )
    statement.refresh_from_db()
    assert statement.status == "rejected" and statement.text == "The minister is a liar."
    team_view = text(client.get(url("conversation_statements", world)))
    assert "The minister is a liar." in team_view and "Attacks a person." in team_view
    client.logout()
    public = text(client.get(url("conversation_statements", world)))
    assert "Rejected by moderation. Reason: Attacks a person." in public
    assert "The minister is a liar." not in public
    client.force_login(world.voter)  # the author still reads their own words
    assert "The minister is a liar." in text(client.get(url("conversation", world)))


def test_the_team_opens_a_conversation_and_seeds_it(client, world):
    client.force_login(world.team)
    manage = reverse("opinions_manage", args=[world.engagement.slug])
    response = client.post(
        manage,
        {"topic": "Data and tamariki", "moderation": "permissive", "description": ""},
    )
    conversation = Conversation.objects.get(engagement=world.engagement, number=2)
    assert response["Location"] == reverse(
        "statements_seed", args=[world.engagement.slug, conversation.number]
    )
    assert not conversation.allow_participant_statements and not conversation.is_strict
    seed_url = reverse("statements_seed", args=[world.engagement.slug, 2])
    form = {"text": "<b>Keep</b> it exact ", "language": "en", "is_meta": "on"}
    key = uuid.uuid4()
    client.post(seed_url, {**form, "client_key": key})
    client.post(seed_url, {**form, "client_key": key})  # a double click
    seeded = conversation.statements.get()
    assert seeded.text == "<b>Keep</b> it exact " and seeded.is_meta and seeded.number == 0
    assert "&lt;b&gt;Keep&lt;/b&gt;" in client.get(seed_url).content.decode()
    assert client.post(manage, {"topic": ""}).status_code == 400


def test_a_facilitator_enters_a_tally_shown_apart_from_votes(client, world):
    client.force_login(world.facilitator)
    form = {"hui": world.hui.key, "statement": "1", "agree": 9, "disagree": 4, "passes": 2}
    assert client.post(url("tallies", world), form).status_code == 302
    client.post(url("tallies", world), {**form, "agree": 11, "note": "Recounted."})
    rows = list(HuiTally.objects.order_by("id"))
    assert [(t.agree, t.current) for t in rows] == [(9, False), (11, True)]
    page = text(client.get(url("tallies", world)))
    assert "Corrected by a later tally" in page and "Recounted." in page
    refused = client.post(url("tallies", world), {**form, "agree": -3})
    assert refused.status_code == 400 and HuiTally.objects.count() == 2
    listing = text(client.get(url("conversation_statements", world)))
    assert "11 agree, 4 disagree, 2 pass" in listing  # the tally, in its own column
    assert "0 agree, 0 disagree, 0 pass" in listing  # and no votes made of it
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("who", "name", "data", "expected"),
    [
        ("team", "vote", {"statement": 0, "vote": "agree"}, 403),
        ("facilitator", "statements_moderate", None, 403),
        ("voter", "tallies", None, 403),
        ("voter", "statements_seed", None, 403),
        (None, "vote", {"statement": 0, "vote": "agree"}, 302),
    ],
)
def test_refusals(client, world, who, name, data, expected):
    if who:
        client.force_login(getattr(world, who))
    target = url(name, world)
    response = client.post(target, data) if data is not None else client.get(target)
    assert response.status_code == expected
    if who is None:
        assert "/accounts/login/" in response["Location"]
    assert not Vote.objects.exists()


def test_only_the_author_may_withdraw_a_statement(client, world):
    statement, _ = services.submit_statement(
        world.conversation, world.participant(world.voter), "Mine to withdraw."
    )
    target = url("statement_withdraw", world, sn=statement.number)
    client.force_login(world.other)
    assert client.post(target, {"confirm": "yes"}).status_code == 403
    client.force_login(world.voter)
    client.post(target, {"confirm": "yes"})
    statement.refresh_from_db()
    assert statement.is_withdrawn and statement.text == ""


def test_the_engagement_page_links_to_the_conversations(client, world):
    page = text(client.get(reverse("engagement", args=[world.engagement.slug])))
    assert reverse("opinions", args=[world.engagement.slug]) in page
    listing = text(client.get(reverse("opinions", args=[world.engagement.slug])))
    assert world.conversation.topic in listing and "3 statements" in listing
    assert "There is no map yet" in text(client.get(url("opinion_map", world)))


def test_list_pages_cost_the_same_few_queries_at_any_size(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.voter)
    me = world.participant(world.voter)
    for n in range(40):
        statement, _ = services.seed_statement(world.conversation, f"Point {n}", by=world.team)
        services.cast_vote(statement, me, n % 3 - 1)
        services.record_tally(statement, world.hui, agree=n, disagree=1, passes=0, by=world.team)
    for name in ("conversation", "conversation_statements", "tallies"):
        if name == "tallies":
            client.force_login(world.facilitator)
        with django_assert_max_num_queries(20):
            assert client.get(url(name, world)).status_code == 200
