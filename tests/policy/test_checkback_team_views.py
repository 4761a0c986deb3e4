"""Check-back pages through the real views: the team opens and closes rounds, the team and
facilitators enter hui tallies (a correction marks the earlier one), refusals keep what was
typed, and anyone reads the summary: clauses people say we got wrong first, the numbers online,
by hands and together, and only the comments that may be shown, escaped and with a name only
when the person let us use their pseudonym."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.listen import services as listen
from heard.listen.models import Participant
from heard.policy import checkback, services
from heard.policy.models import FeedbackRound, FeedbackTally
from heard.record import events
from heard.record.models import LogEntry
from heard.sense import services as sense
from tests import factories
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> Kāore e tika <b>tēnei</b>."


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(name: str, world) -> str:
    return reverse(name, args=[world.engagement.slug])


def _entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def _summary_box(page: str) -> str:
    return page.split('id="error-summary"')[1].split("</div>")[0]


def _issue_policy(world) -> None:
    """Version 1 of a policy with three clauses, issued (world.version)."""
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    services.write_clause(draft, "P1", text_en="Ask people first.")
    services.write_clause(
        draft, "P2", heading_en="Safety", heading_mi="Haumaru", text_en="Keep it safe."
    )
    services.write_clause(draft, "P3", text_en="Share back.")
    world.policy = policy
    world.version = services.issue(draft, by=world.team)


@pytest.fixture
def issued():
    """The check-back phase with version 1 issued and no round yet."""
    world = make_world(Phase.CHECK_BACK)
    _issue_policy(world)
    world.facilitator = factories.make_member(world.engagement, Role.FACILITATOR)
    return world


@pytest.fixture
def world(issued):
    """…and version 1 open for feedback, with four people who may answer."""
    issued.round = checkback.open_round(issued.version, by=issued.team)
    issued.people = [
        listen.voice_without_account(issued.engagement, source="online", tag=f"p{n}")
        for n in range(4)
    ]
    return issued


# -- who may do what ----------------------------------------------------------------------------


def test_the_manage_page_opens_for_the_team_in_draft_and_check_back_even_with_no_policy():
    for phase in Phase:
        engagement = factories.make_engagement(phase)
        team = factories.make_member(engagement, Role.TEAM)
        response = _client(team).get(reverse("policy_check_back_manage", args=[engagement.slug]))
        allowed = phase in {Phase.DRAFT, Phase.CHECK_BACK}
        assert response.status_code == (200 if allowed else 403), phase
        if allowed:
            assert "There is no policy yet" in response.content.decode()


def test_only_the_team_runs_check_back_and_facilitators_may_tally(world):
    manage, tally = _url("policy_check_back_manage", world), _url("policy_check_back_tally", world)
    participant = factories.make_member(world.engagement, Role.PARTICIPANT)
    member = factories.make_member(world.engagement, Role.WORKING_GROUP)
    stranger = factories.make_member(world.engagement, Role.PUBLIC)
    for user in (world.facilitator, participant, member, stranger):
        assert _client(user).get(manage).status_code == 403
        assert _client(user).post(manage, {"do": "close"}).status_code == 403
    assert _client().get(manage).status_code == 302  # sent to sign in
    for user in (world.team, world.facilitator):
        assert _client(user).get(tally).status_code == 200
    for user in (participant, member, stranger):
        assert _client(user).get(tally).status_code == 403
        assert _client(user).post(tally, {}).status_code == 403
    assert not FeedbackRound.objects.filter(closed_at__isnull=False).exists()


def test_a_facilitator_may_not_tally_once_check_back_is_over():
    engagement = factories.make_engagement(Phase.ENDORSE)
    facilitator = factories.make_member(engagement, Role.FACILITATOR)
    url = reverse("policy_check_back_tally", args=[engagement.slug])
    assert _client(facilitator).get(url).status_code == 403


def test_the_tally_page_says_when_no_round_is_open(issued):
    url = _url("policy_check_back_tally", issued)
    page = _client(issued.facilitator).get(url).content.decode()
    assert "No version of the policy is open for feedback" in page
    assert 'method="post"' not in page.split("<main")[1]
    assert _client(issued.facilitator).post(url, {"hui": "north"}).status_code == 400
    assert not FeedbackTally.objects.exists()


def test_the_team_page_links_to_check_back_while_it_may_run(issued):
    page = _client(issued.team).get(_url("policy_team", issued)).content.decode()
    assert _url("policy_check_back_manage", issued) in page


# -- opening and closing ------------------------------------------------------------------------


def test_the_team_opens_the_latest_issued_version_and_closes_its_round(issued):
    url = _url("policy_check_back_manage", issued)
    team = _client(issued.team)
    page = team.get(url).content.decode()
    assert "Open version 1 for feedback" in page and "Not taken back for feedback." in page
    assert "Close the round" not in page

    response = team.post(url, {"do": "open", "open-version": "1"})
    assert response.status_code == 302
    opened = FeedbackRound.objects.get(version=issued.version)
    assert _entry(opened.log_index)["version_hash"] == issued.version.content_hash
    page = team.get(url).content.decode()
    assert "Open version 1 for feedback" not in page and "Close the round" in page
    assert "0 people answered or commented" in page

    # Not confirmed: refused in the error summary; the round stays open.
    response = team.post(url, {"do": "close", "close-version": "1"})
    assert response.status_code == 400
    assert "Tick the box to confirm" in _summary_box(response.content.decode())
    opened.refresh_from_db()
    assert opened.open

    response = team.post(url, {"do": "close", "close-version": "1", "close-confirm": "on"})
    assert response.status_code == 302
    opened.refresh_from_db()
    assert not opened.open
    page = team.get(url).content.decode()
    assert "round closed" in page and "Close the round" not in page
    assert "Open version 1 for feedback" not in page  # one round per version

    # A second close (from a page loaded before): the service's refusal, in the summary.
    response = team.post(url, {"do": "close", "close-version": "1", "close-confirm": "on"})
    assert response.status_code == 400
    assert "This round is already closed." in _summary_box(response.content.decode())


def test_opening_a_version_that_is_no_longer_the_latest_or_already_open_is_refused(issued):
    url = _url("policy_check_back_manage", issued)
    team = _client(issued.team)
    draft = services.next_version(issued.policy, by=issued.team)
    v2 = services.issue(draft, by=issued.team)  # issued after the page showed version 1
    response = team.post(url, {"do": "open", "open-version": "1"})
    assert response.status_code == 400
    assert "Version 1 is not the latest issued version" in _summary_box(response.content.decode())
    assert not FeedbackRound.objects.exists()

    checkback.open_round(v2, by=issued.team)  # opened meanwhile, from another tab
    response = team.post(url, {"do": "open", "open-version": "2"})
    assert response.status_code == 400
    assert "already open for feedback" in _summary_box(response.content.decode())
    assert FeedbackRound.objects.count() == 1


def test_the_manage_page_counts_current_answers_once(world):
    a, b = world.people[:2]
    checkback.give_feedback(world.round, a, clause_key="P1", heard="yes")
    checkback.give_feedback(world.round, a, clause_key="P1", heard="no")  # changed: one answer
    checkback.give_feedback(world.round, a, clause_key=None, comment="Clear enough.")
    checkback.give_feedback(world.round, b, clause_key="P2", reflects="partly")
    for yes in (3, 4):
        checkback.record_tally(
            world.round,
            hui=world.hui_north,
            clause_key="P1",
            question="heard",
            counts={"yes": yes},
            by=world.team,
        )
    page = _client(world.team).get(_url("policy_check_back_manage", world)).content.decode()
    assert (
        "2 people answered or commented: 2 answers on clauses, 1 comment on the whole draft."
        in page
    )
    assert "1 tally" in page


# -- hui tallies --------------------------------------------------------------------------------


def _tally(world, **change) -> dict:
    data = {
        "hui": world.hui_north.key,
        "clause": "P1",
        "question": "heard",
        "yes": "5",
        "partly": "",
        "no": "1",
        "unsure": "",
        "note": "Read out in te reo and English.",
    }
    data.update(change)
    return data


def test_a_facilitator_enters_a_tally_and_a_correction_marks_the_first(world):
    url = _url("policy_check_back_tally", world)
    facilitator = _client(world.facilitator)
    page = facilitator.get(url).content.decode()
    assert f'<option value="{world.hui_north.key}">' in page
    assert '<option value="P2">P2 · Safety</option>' in page
    assert "Does it have integrity with the process we followed?" in page

    response = facilitator.post(url, _tally(world))
    assert response.status_code == 302 and response.url.endswith(f"?hui={world.hui_north.key}")
    first = FeedbackTally.objects.get()
    assert (first.yes, first.partly, first.no, first.unsure) == (5, 0, 1, 0)
    assert _entry(first.log_index)["clause"] == "P1"

    response = facilitator.post(url, _tally(world, yes="6"))
    assert response.status_code == 302
    assert FeedbackTally.objects.filter(superseded=True).get() == first
    page = facilitator.get(response.url).content.decode()
    assert page.count("Corrected by a later tally") == 1 and page.count("Current ·") == 1
    assert f'<option value="{world.hui_north.key}" selected>' in page  # the same hui, chosen


def test_a_refused_tally_keeps_what_was_typed(world):
    url = _url("policy_check_back_tally", world)
    facilitator = _client(world.facilitator)
    response = facilitator.post(url, _tally(world, yes="", no="", note="Kāore he ringa."))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter at least one hand." in _summary_box(page)
    assert f'<option value="{world.hui_north.key}" selected>' in page
    assert '<option value="P1" selected>' in page
    assert re.search(r'value="heard"[^>]*checked', page)
    assert "Kāore he ringa." in page

    response = facilitator.post(url, _tally(world, partly="-3", clause="P3"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_partly"' in _summary_box(page)
    assert 'value="-3"' in page and '<option value="P3" selected>' in page
    assert not FeedbackTally.objects.exists()


# -- the public summary -------------------------------------------------------------------------


def test_the_summary_is_a_404_until_a_round_exists(issued):
    url = _url("policy_check_back_summary", issued)
    response = _client().get(url)
    assert response.status_code == 404
    assert "No version of the policy has been taken back" in response.content.decode()
    checkback.open_round(issued.version, by=issued.team)
    assert _client().get(url).status_code == 200
    assert _client().get(url + "?version=9").status_code == 404
    assert _client().get(url + "?version=one").status_code == 404


def _articles(page: str) -> dict[str, str]:
    parts = page.split('<article class="clause" id="clause-')[1:]
    return {part.split('"')[0]: part.split("</article>")[0] for part in parts}


def _row(article: str, question: int, answer: str) -> list[str]:
    """The numbers in one answer's row of one question's table (online, hands, total, %)."""
    table = article.split('<table class="answers">')[question + 1].split("</table>")[0]
    row = table.split(f'<tr data-answer="{answer}">')[1].split("</tr>")[0]
    return re.findall(r"<td>([^<]*)</td>", row)


def test_the_summary_puts_what_we_got_wrong_first_with_the_numbers(world):
    a, b, c, d = world.people
    Participant.objects.filter(pk=a.pk).update(pseudonym="Kererū")
    Participant.objects.filter(pk=c.pk).update(pseudonym="Tūī")
    checkback.give_feedback(
        world.round, a, clause_key="P2", heard="no", comment="You missed us.", quote_consent="quote"
    )
    checkback.give_feedback(
        world.round, b, clause_key="P2", heard="no", comment="Private.", quote_consent="none"
    )
    checkback.give_feedback(
        world.round, c, clause_key="P1", heard="yes", comment="Ka pai.", quote_consent="anonymous"
    )
    checkback.give_feedback(world.round, d, clause_key="P3", heard="partly", reflects="no")
    checkback.give_feedback(world.round, d, clause_key=None, comment="Whole draft is clear.")
    for yes in (5, 6):  # the second corrects the first: only its hands count
        checkback.record_tally(
            world.round,
            hui=world.hui_north,
            clause_key="P1",
            question="heard",
            counts={"yes": yes, "no": 1},
            by=world.facilitator,
        )

    response = _client().get(_url("policy_check_back_summary", world))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    articles = _articles(page)
    assert list(articles) == ["P2", "P1", "P3"]

    p2, p1, p3 = articles["P2"], articles["P1"], articles["P3"]
    assert reverse("policy_clause", args=[world.engagement.slug, "P2"]) in p2
    assert '<span lang="mi">Haumaru</span>' in p2
    assert _row(p2, 0, "no") == ["2", "0", "2", "100%"]
    assert "You missed us." in p2 and "Kererū" in p2
    assert "Private." not in page
    assert "1 more comment is kept but not shown" in p2
    # Online 1 yes; hands 6 yes and 1 no (the corrected tally only): 7 of 8 said yes.
    assert _row(p1, 0, "yes") == ["1", "6", "7", "88%"]
    assert _row(p1, 0, "no") == ["0", "1", "1", "12%"]
    assert "Ka pai." in p1 and "Tūī" not in page and "Quoted without a name" in p1
    assert _row(p3, 1, "no") == ["1", "0", "1", "100%"]
    assert "No answers to this question yet." in p3  # integrity: nobody answered
    draft = page.split('id="draft-h"')[1]
    assert "Whole draft is clear." in draft and "Quoted without a name" in draft


def test_hostile_comments_are_shown_as_words_never_as_markup(world):
    checkback.give_feedback(
        world.round,
        world.people[0],
        clause_key="P1",
        heard="no",
        comment=HOSTILE,
        quote_consent="quote",
    )
    checkback.give_feedback(world.round, world.people[1], clause_key=None, comment=HOSTILE)
    page = _client().get(_url("policy_check_back_summary", world)).content.decode()
    assert "<script>alert(1)" not in page and "<b>tēnei</b>" not in page
    assert page.count(html.escape(HOSTILE)) == 2


def test_an_earlier_round_is_read_by_its_version(world):
    checkback.close_round(world.round, by=world.team)
    draft = services.next_version(world.policy, by=world.team)
    services.write_clause(draft, "P4", text_en="Report back each year.")
    v2 = services.issue(draft, by=world.team)
    checkback.open_round(v2, by=world.team)
    url = _url("policy_check_back_summary", world)
    page = _client().get(url).content.decode()
    assert "What people said about version 2" in page and "P4" in _articles(page)
    page = _client().get(url + "?version=1").content.decode()
    assert "What people said about version 1" in page and "P4" not in _articles(page)
