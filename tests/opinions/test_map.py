"""The opinion map in the platform: votes queue an update, the real worker runs it
incrementally from the stored state, the record gets an entry, and the page shows it."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from heard.core.permissions import Role
from heard.listen.models import Participant
from heard.opinions import mapping, services
from heard.opinions.engine.engine import compute
from heard.opinions.engine.votes import Vote as EngineVote
from heard.opinions.models import MapSnapshot, Statement, Vote
from heard.opinions.services import NewVote
from heard.record.models import LogEntry
from tests import factories
from tests.opinions.conftest import make_world
from tests.worker import run_worker

CAMP_STATEMENTS = [
    "Agencies should never share our data without asking.",
    "Sharing data between agencies makes services better.",
    "Data should stay in Aotearoa.",
    "Government should use data to target help early.",
    "People should be able to see all the data held about them.",
    "Algorithms should decide who gets support.",
    "Iwi should govern data about their people.",
    "Data use needs an independent watchdog.",
]


def _camps(world, people: int = 24) -> tuple[list[Participant], dict[str, int]]:
    """Participants in two camps voting opposite ways on the camp statements (and all agreeing
    with the first seed); returns them and each one's camp."""
    rng = random.Random(4)
    statements = list(world.seeds)
    for text in CAMP_STATEMENTS:
        statements.append(services.seed_statement(world.conversation, text, by=world.team)[0])
    participants, camp_of, votes = [], {}, []
    for i in range(people):
        user = factories.make_member(world.engagement, Role.PARTICIPANT)
        participant = Participant.objects.get(engagement=world.engagement, user=user)
        camp = i % 2
        participants.append(participant)
        camp_of[participant.public_id] = camp
        for j, statement in enumerate(statements):
            value = 1 if j == 0 else (1 if (j % 2) == camp else -1)
            if rng.random() < 0.1:
                value = 0
            votes.append(NewVote(participant, statement, value, statement.created_at))
    services.cast_votes(world.conversation, votes)
    return participants, camp_of


@pytest.mark.django_db(transaction=True)
def test_a_vote_queues_one_update_that_the_worker_runs_into_the_record(client):
    world = make_world()
    _camps(world)
    client.force_login(world.voter)
    target = world.seeds[1]
    url = reverse("vote", args=[world.engagement.slug, world.conversation.number])
    assert client.post(url, {"statement": target.number, "vote": "agree"}).status_code == 302
    client.post(url, {"statement": world.seeds[2].number, "vote": "disagree"})
    assert Vote.objects.filter(participant__user=world.voter).count() == 2
    # Two votes, one waiting update.
    assert MapSnapshot.objects.filter(status=MapSnapshot.Status.QUEUED).count() == 1

    run_worker()

    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1
    snapshot = MapSnapshot.objects.get()
    assert snapshot.status == MapSnapshot.Status.FINISHED, snapshot.error
    assert snapshot.result["groups"] and len(snapshot.result["group_centres"]) == 2
    assert snapshot.last_log_index == Vote.objects.order_by("-log_index").first().log_index
    entry = LogEntry.objects.get(index=snapshot.log_index)
    assert entry.kind == "opinion.map_computed"
    assert snapshot.provenance["input_hash"] in bytes(entry.leaf).decode()


@pytest.mark.django_db
def test_updates_read_only_new_votes_and_agree_with_a_full_computation(
    django_assert_max_num_queries,
):
    world = make_world()
    _participants, camp_of = _camps(world)
    first = mapping.compute_now(world.conversation)
    assert first.status == MapSnapshot.Status.FINISHED
    groups = first.result["groups"]
    same_camp = {}
    for person, group in groups.items():
        same_camp.setdefault(camp_of[person], set()).add(group)
    assert all(len(g) == 1 for g in same_camp.values()) and len(same_camp) == 2

    # One more vote: the next update starts from the stored state and reads that one row.
    voter = Participant.objects.get(engagement=world.engagement, user=world.voter)
    services.cast_vote(world.seeds[0], voter, 1)
    second = mapping.compute_now(world.conversation)
    assert second.number == first.number + 1
    assert second.provenance["votes"] == first.provenance["votes"] + 1
    first.refresh_from_db()
    assert first.state is None and second.state is not None  # only the newest keeps its state

    # The same votes computed from scratch have the same input hash.
    current = Vote.objects.filter(current=True).select_related("participant", "statement")
    full = compute(
        EngineVote(v.participant.public_id, str(v.statement.number), v.value) for v in current
    )
    assert full.provenance["input_hash"] == second.provenance["input_hash"]


@pytest.mark.django_db
def test_rejected_statements_are_left_out_of_the_map(client):
    world = make_world()
    _camps(world)
    voter = Participant.objects.get(engagement=world.engagement, user=world.voter)
    statement, _ = services.submit_statement(world.conversation, voter, "All of them are liars.")
    services.moderate_statement(
        statement, Statement.Status.REJECTED, by=world.team, reason="Personal attack."
    )
    snapshot = mapping.compute_now(world.conversation)
    out = str(statement.number)
    comps = snapshot.result["pca"]["comps"]
    column = snapshot.result["pca"]["statements"].index(out)
    assert all(c[column] == 0 for c in comps)
    named = {s for group in snapshot.result["repness"].values() for s in group}
    assert out not in named and out not in snapshot.result["consensus"]
    page = client.get(reverse("opinion_map", args=[world.engagement.slug, 1])).content.decode()
    assert "All of them are liars." not in page


@pytest.mark.django_db
def test_the_map_page_shows_groups_common_ground_tallies_and_where_you_sit(client):
    world = make_world()
    participants, _camp_of = _camps(world)
    services.record_tally(world.seeds[0], world.hui, agree=12, disagree=1, passes=2, by=world.team)
    mapping.compute_now(world.conversation)
    url = reverse("opinion_map", args=[world.engagement.slug, world.conversation.number])

    anonymous = client.get(url)
    assert anonymous.status_code == 200
    page = anonymous.content.decode()
    assert "<svg" in page and 'role="img"' in page
    assert "Group A" in page and "Group B" in page
    assert "What sets this group apart" in page and "Common ground" in page
    assert world.seeds[0].text in page  # everyone agrees with it
    assert "12 agree, 1 disagree, 2 pass" in page  # the tally, shown as hands
    assert "Input hash" in page

    member = participants[0]
    client.force_login(member.user)
    mine = client.get(url).content.decode()
    assert "You are in group" in mine and ">You</text>" in mine


@pytest.mark.django_db
def test_the_team_can_ask_for_an_update_and_others_cannot(client):
    world = make_world()
    url = reverse("opinion_map_update", args=[world.engagement.slug, 1])
    client.force_login(world.voter)
    assert client.post(url).status_code == 403
    client.force_login(world.team)
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert MapSnapshot.objects.filter(status=MapSnapshot.Status.QUEUED).count() == 1


@pytest.mark.django_db
def test_before_any_map_the_page_says_so(client):
    world = make_world()
    page = client.get(reverse("opinion_map", args=[world.engagement.slug, 1]))
    assert page.status_code == 200
    assert "There is no map yet" in page.content.decode()


@pytest.mark.django_db
def test_moderation_queues_an_update_and_a_stale_one_is_given_up(client):
    import datetime as dt

    from django.utils import timezone

    world = make_world()
    voter = Participant.objects.get(engagement=world.engagement, user=world.voter)
    statement, _ = services.submit_statement(world.conversation, voter, "A new thought.")
    client.force_login(world.team)
    url = reverse("statement_moderate", args=[world.engagement.slug, 1, statement.number])
    response = client.post(url, {"decision": "accepted"})
    assert response.status_code == 302
    waiting = MapSnapshot.objects.get(status=MapSnapshot.Status.QUEUED)
    # A worker died with it: after 15 minutes the next vote gives it up and queues anew.
    MapSnapshot.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=20)
    )
    fresh = mapping.schedule(world.conversation)
    assert fresh.pk != waiting.pk
    waiting.refresh_from_db()
    assert waiting.status == MapSnapshot.Status.FAILED and "15 minutes" in waiting.error


@pytest.mark.django_db
def test_facilitators_are_not_offered_statements_waiting_for_the_team(client):
    world = make_world()  # strict moderation
    voter = Participant.objects.get(engagement=world.engagement, user=world.voter)
    services.submit_statement(world.conversation, voter, "Words the team has not read yet")
    client.force_login(world.facilitator)
    page = client.get(reverse("tallies", args=[world.engagement.slug, 1])).content.decode()
    assert world.seeds[0].text[:30] in page
    assert "Words the team has not read yet" not in page
