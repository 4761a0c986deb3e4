"""The working group's pages through the real views: who may form the group, appoint members
and record a decision (the team, and in the endorse phase the group's own members), the public
page of the group and its decisions, refusals that keep what was typed, the day of the decision
choosing who takes a position, and the decision bound to the version's hash and record entry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from heard.core.permissions import Phase, Role
from heard.policy import endorsement, services
from heard.policy.models import Decision, GroupMember, WorkingGroup
from heard.record import events
from heard.record.models import LogEntry
from heard.sense import services as sense
from tests import factories
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HOSTILE = "<script>alert(1)</script> P1 does not go far enough for whānau."


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(name: str, world) -> str:
    return reverse(name, args=[world.engagement.slug])


def _entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def _policy(world) -> None:
    """A policy with two issued versions (world.v1, world.v2)."""
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    clause = services.write_clause(draft, "P1", text_en="Ask people first.")
    services.trace_clause(clause, themes=[services.themes_of(policy)[0].pk])
    world.v1 = services.issue(draft, by=world.team)
    second = services.next_version(policy, by=world.team)
    services.write_clause(second, "P1", text_en="Always ask people first.")
    world.v2 = services.issue(second, by=world.team)


@pytest.fixture
def bare():
    """The endorse phase, with a policy but no working group."""
    world = make_world(Phase.ENDORSE)
    _policy(world)
    return world


@pytest.fixture
def world(bare):
    """…and a group: a chair and a member serving now, a former member whose term ended."""
    bare.group = endorsement.form_group(
        bare.engagement,
        name="Independent working group",
        name_mi="Rōpū mahi motuhake",
        mandate="Appointed by the minister.\n\nDecides by consensus.",
    )
    bare.chair = endorsement.add_member(
        bare.group,
        name="Hana Kōrero",
        role="chair",
        affiliation="Ngāti Kahu",
        term_start=TODAY - dt.timedelta(days=100),
    )
    bare.member = endorsement.add_member(
        bare.group, name="Sam Ritchie", term_start=TODAY - dt.timedelta(days=100)
    )
    bare.former = endorsement.add_member(
        bare.group,
        name="Former Member",
        term_start=TODAY - dt.timedelta(days=400),
        term_end=TODAY - dt.timedelta(days=200),
    )
    return bare


def _decision_data(world, **change) -> dict:
    data = {
        "version": world.v2.number,
        "decided_on": TODAY.isoformat(),
        "outcome": "endorse_with_changes",
        "changes": "Say how long information is kept.",
        "minutes": "Met today; discussed P1.",
        f"stance_{world.chair.pk}": "support",
        f"dissent_{world.chair.pk}": "",
        f"stance_{world.member.pk}": "oppose",
        f"dissent_{world.member.pk}": HOSTILE,
    }
    data.update(change)
    return data


# -- who may do what ----------------------------------------------------------------------------


def test_the_manage_page_opens_for_the_team_after_planning_even_without_a_group():
    for phase in Phase:
        engagement = factories.make_engagement(phase)
        team = factories.make_member(engagement, Role.TEAM)
        url = reverse("policy_group_manage", args=[engagement.slug])
        response = _client(team).get(url)
        assert response.status_code == (403 if phase == Phase.PLAN else 200), phase
        if phase != Phase.PLAN:
            assert 'name="do" value="form"' in response.content.decode()


def test_the_decide_page_says_what_is_missing():
    world = make_world(Phase.ENDORSE)
    url = _url("policy_decide", world)
    page = _client(world.team).get(url).content.decode()
    assert "There is no working group yet" in page and "No version of the policy is issued" in page
    assert 'method="post"' not in page.split("<main")[1]
    assert _client(world.team).post(url, {}).status_code == 400  # nothing to decide on
    _policy(world)
    endorsement.form_group(world.engagement, name="Group", mandate="Appointed.")
    page = _client(world.team).get(url).content.decode()
    assert "No member of the group was serving on" in page
    assert "There is no working group yet" not in page
    assert _client(world.team).post(url, {"decided_on": TODAY.isoformat()}).status_code == 400
    assert not Decision.objects.exists()


def test_others_may_not_manage_or_decide(world):
    facilitator = factories.make_member(world.engagement, Role.FACILITATOR)
    member = factories.make_member(world.engagement, Role.WORKING_GROUP)
    participant = factories.make_member(world.engagement, Role.PARTICIPANT)
    manage, decide = _url("policy_group_manage", world), _url("policy_decide", world)
    for user in (facilitator, member, participant):
        response = _client(user).post(manage, {"do": "member", "name": "X", "role": "member"})
        assert response.status_code == 403
    for user in (facilitator, participant):
        assert _client(user).post(decide, _decision_data(world)).status_code == 403
    assert _client().get(manage).status_code == 302  # sent to sign in
    assert _client().post(decide, _decision_data(world)).status_code == 302
    assert not Decision.objects.exists()
    assert world.group.members.count() == 3
    # Outside the endorse phase no one records a decision, not even the team.
    checking = factories.make_engagement(Phase.CHECK_BACK)
    team = factories.make_member(checking, Role.TEAM)
    assert _client(team).get(reverse("policy_decide", args=[checking.slug])).status_code == 403


def test_the_public_page_is_a_404_until_the_group_is_formed(bare):
    response = _client().get(_url("policy_group", bare))
    assert response.status_code == 404
    assert "There is no working group yet" in response.content.decode()
    team_page = _client(bare.team).get(_url("policy_group", bare)).content.decode()
    assert _url("policy_group_manage", bare) in team_page


# -- forming the group and appointing members -----------------------------------------------------


def test_the_team_forms_the_group_and_appoints_members(bare):
    team = _client(bare.team)
    url = _url("policy_group_manage", bare)
    response = team.post(url, {"do": "form", "name": " ", "name_mi": "Rōpū", "mandate": "By law."})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and 'value="Rōpū"' in page and "By law." in page
    response = team.post(
        url, {"do": "form", "name": "The group", "name_mi": "", "mandate": "By law."}
    )
    assert response.status_code == 302
    group = WorkingGroup.objects.get(engagement=bare.engagement)
    assert group.mandate == "By law."

    start, end = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=20)
    member = {
        "do": "member",
        "name": "Aroha Tūhoe",
        "role": "chair",
        "affiliation": "Te Rūnanga",
        "term_start": start.isoformat(),
        "term_end": end.isoformat(),
    }
    response = team.post(url, member)  # the service refuses: the term ends before it starts
    assert response.status_code == 400
    page = response.content.decode()
    assert "A term ends on or after the day it starts." in page.split('class="error-summary"')[1]
    assert 'value="Aroha Tūhoe"' in page and f'value="{start.isoformat()}"' in page
    assert re.search(r'value="chair"[^>]*checked', page)
    assert not group.members.exists()

    response = team.post(url, {**member, "term_end": ""})
    assert response.status_code == 302
    appointed = GroupMember.objects.get(group=group)
    assert appointed.term_end is None and appointed.role == "chair"
    entry = _entry(appointed.log_index)
    assert entry["type"] == "policy.member_added" and entry["member"] == appointed.public_id
    page = team.get(url).content.decode()
    assert "Aroha Tūhoe" in page and "Serving now" in page and 'name="do" value="form"' not in page


# -- recording a decision -------------------------------------------------------------------------


def test_the_decide_page_lists_who_serves_on_the_day(world):
    url = _url("policy_decide", world)
    page = _client(world.team).get(url).content.decode()
    assert "Hana Kōrero" in page and "Sam Ritchie" in page and "Former Member" not in page
    assert f'name="stance_{world.chair.pk}"' in page
    assert f'<option value="{world.v2.number}" selected>' in page  # the latest issued version
    assert f'name="decided_on" value="{TODAY.isoformat()}"' in page
    assert page.count("<legend>") >= 3  # the outcome, and one fieldset per member

    then = TODAY - dt.timedelta(days=300)
    page = _client(world.team).get(url, {"on": then.isoformat()}).content.decode()
    assert "Former Member" in page and "Sam Ritchie" not in page
    assert f'name="decided_on" value="{then.isoformat()}"' in page

    for bad in ("not a date", (TODAY + dt.timedelta(days=3)).isoformat()):
        response = _client(world.team).get(url, {"on": bad})
        assert response.status_code == 200
        page = response.content.decode()
        assert 'class="error-summary"' in page and "Sam Ritchie" in page  # today's members


def test_a_refusal_keeps_everything_typed(world):
    team = _client(world.team)
    data = _decision_data(world, changes="", minutes="Our minutes, kept.")
    response = team.post(_url("policy_decide", world), data)
    assert response.status_code == 400
    page = response.content.decode()
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "Say which changes the endorsement depends on." in summary
    assert "Our minutes, kept." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; P1 does not go far enough" in page
    assert re.search(r'value="endorse_with_changes"[^>]*checked', page)
    assert re.search(rf'name="stance_{world.member.pk}" value="oppose"[^>]*checked', page)
    assert not Decision.objects.exists()

    # A position left out is refused by the form, linked to that member's radios.
    data = _decision_data(world)
    del data[f"stance_{world.chair.pk}"]
    page = team.post(_url("policy_decide", world), data).content.decode()
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert f'href="#id_stance_{world.chair.pk}_0"' in summary
    assert "Choose a position for Hana Kōrero." in summary
    assert not Decision.objects.exists()


def test_a_decision_is_bound_to_the_version_hash_and_its_record_entry(world):
    response = _client(world.team).post(_url("policy_decide", world), _decision_data(world))
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert response["Location"].endswith(f"/policy/group/#decision-{decision.pk}")
    assert decision.version == world.v2 and decision.version_hash == world.v2.content_hash
    assert decision.recorded_by == world.team
    entry = _entry(decision.log_index)
    assert entry["type"] == "policy.decision" and entry["version_hash"] == world.v2.content_hash
    assert entry["version"] == 2 and entry["n_oppose"] == 1 and entry["dissents"] == 1
    stances = {p.member.name: (p.stance, p.dissent) for p in decision.positions.all()}
    assert stances == {"Hana Kōrero": ("support", ""), "Sam Ritchie": ("oppose", HOSTILE)}

    page = _client().get(_url("policy_group", world)).content.decode()
    assert f'<code class="version-hash">{world.v2.content_hash}</code>' in page
    assert reverse("policy_canonical", args=[world.engagement.slug, 2]) in page
    assert reverse("record_entry", args=[decision.log_index]) in page
    assert reverse("policy_version", args=[world.engagement.slug, 2]) in page
    assert "<blockquote>&lt;script&gt;alert(1)&lt;/script&gt; P1 does not go far enough" in page
    assert "<script>alert(1)" not in page
    assert "Say how long information is kept." in page and "Met today; discussed P1." in page
    assert 'lang="mi">Rōpū mahi motuhake' in page and "Appointed by the minister." in page
    assert "Former Member" in page and "Term ended" in page and "Serving now" in page


def test_a_working_group_member_records_a_decision_on_an_earlier_version(world):
    member = factories.make_member(world.engagement, Role.WORKING_GROUP)
    data = _decision_data(world, version=1, outcome="decline", changes="")
    data[f"dissent_{world.member.pk}"] = ""
    response = _client(member).post(_url("policy_decide", world), data)
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.recorded_by == member and decision.version == world.v1
    assert decision.version_hash == world.v1.content_hash != world.v2.content_hash


def test_decisions_are_listed_newest_first_and_shown_on_the_version_and_clause_pages(world):
    public = _client()
    version_page = public.get(reverse("policy_version", args=[world.engagement.slug, 2]))
    assert "has not decided on this version" in version_page.content.decode()
    for n, (version, outcome, days_ago) in enumerate(
        [(world.v1, "decline", 20), (world.v2, "endorse", 5)]
    ):
        endorsement.record_decision(
            world.group,
            version,
            outcome=outcome,
            minutes=f"Minutes {n}.",
            positions={world.chair.pk: ("support", ""), world.member.pk: ("abstain", "")},
            decided_on=TODAY - dt.timedelta(days=days_ago),
        )
    page = public.get(_url("policy_group", world)).content.decode()
    assert page.index("Version 2: Endorse") < page.index("Version 1: Decline")

    page = public.get(reverse("policy_version", args=[world.engagement.slug, 1])).content.decode()
    part = page.split('id="endorsement"')[1].split("</section>")[0]
    assert "Decline" in part and "Endorse</strong>" not in part
    assert _url("policy_group", world) in part and "Independent working group" in part

    page = public.get(reverse("policy_clause", args=[world.engagement.slug, "P1"])).content.decode()
    part = page.split('id="endorsement"')[1].split("</section>")[0]
    assert part.index("Endorse</strong>") < part.index("Decline</strong>")
    assert _url("policy_group", world) in part


def test_the_version_and_clause_pages_say_nothing_of_a_group_that_does_not_exist(bare):
    public = _client()
    page = public.get(reverse("policy_version", args=[bare.engagement.slug, 1])).content.decode()
    assert 'id="endorsement"' not in page
    page = public.get(reverse("policy_clause", args=[bare.engagement.slug, "P1"])).content.decode()
    assert 'id="endorsement"' not in page
