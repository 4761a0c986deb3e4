"""The working group and its decisions: bound to an issued version's hash, every serving member's
position recorded, dissent kept in their words, and all of it in the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from heard.core.permissions import Phase
from heard.policy import endorsement, services
from heard.policy.models import Decision, ImmutableError
from heard.record import events
from heard.record.models import LogEntry
from heard.sense import services as sense
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def world():
    world = make_world(Phase.ENDORSE)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    clause = services.write_clause(draft, "P1", text_en="Ask people first.")
    services.trace_clause(clause, themes=[services.themes_of(policy)[0].pk])
    world.version = services.issue(draft, by=world.team)
    world.group = endorsement.form_group(
        world.engagement, name="Independent working group", mandate="Appointed by the minister."
    )
    world.chair = endorsement.add_member(
        world.group, name="Hana Kōrero", role="chair", term_start=dt.date(2026, 1, 1)
    )
    world.member = endorsement.add_member(
        world.group,
        name="Sam Ritchie",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2027, 1, 1),
    )
    world.former = endorsement.add_member(
        world.group,
        name="Former Member",
        term_start=dt.date(2025, 1, 1),
        term_end=dt.date(2025, 12, 31),
    )
    return world


def _entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def test_a_decision_is_bound_to_the_version_hash_with_every_position(world):
    decision = endorsement.record_decision(
        world.group,
        world.version,
        outcome="endorse_with_changes",
        changes="Say how long information is kept.",
        minutes="Met on 2 November; discussed P1.",
        positions={
            world.chair.pk: ("support", ""),
            world.member.pk: ("oppose", "P1 does not go far enough for whānau."),
        },
        decided_on=DAY,
        by=world.team,
    )
    assert decision.version_hash == world.version.content_hash
    entry = _entry(decision.log_index)
    assert entry["type"] == "policy.decision" and entry["version_hash"] == decision.version_hash
    assert entry["n_support"] == 1 and entry["n_oppose"] == 1 and entry["dissents"] == 1
    assert "whānau" not in str(entry) and "Met on" not in str(entry)  # digests, not words
    positions = {p.member.name: (p.stance, p.dissent) for p in decision.positions.all()}
    assert positions["Sam Ritchie"] == ("oppose", "P1 does not go far enough for whānau.")
    assert "Former Member" not in positions
    member_entry = _entry(world.chair.log_index)
    assert member_entry["member"] == world.chair.public_id and "Hana" not in str(member_entry)
    with pytest.raises(ImmutableError):
        decision.save()
    with pytest.raises(ImmutableError):
        decision.delete()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"positions": "missing"}, "every member serving that day: Sam Ritchie"),
        ({"positions": "former"}, "Only members serving"),
        ({"outcome": "endorse_with_changes"}, "which changes"),
        ({"minutes": " "}, "minutes"),
        ({"outcome": "maybe"}, "Choose the decision"),
        ({"decided_on": dt.date(2999, 1, 1)}, "future"),
        ({"decided_on": dt.date(2020, 1, 1)}, "No member"),
    ],
)
def test_a_decision_is_refused_saying_why(world, change, message):
    positions = {world.chair.pk: ("support", ""), world.member.pk: ("abstain", "")}
    if change.get("positions") == "missing":
        positions = {world.chair.pk: ("support", "")}
    elif change.get("positions") == "former":
        positions[world.former.pk] = ("support", "")
    args = {
        "outcome": change.get("outcome", "endorse"),
        "minutes": change.get("minutes", "Minutes."),
        "decided_on": change.get("decided_on", DAY),
    }
    with pytest.raises(ValidationError, match=message):
        endorsement.record_decision(world.group, world.version, positions=positions, **args)
    assert not Decision.objects.exists()


def test_only_an_issued_version_can_be_decided_on(world):
    draft = services.next_version(world.version.policy, by=world.team)
    with pytest.raises(ValidationError, match="Only an issued version"):
        endorsement.record_decision(
            world.group,
            draft,
            outcome="endorse",
            minutes="Minutes.",
            positions={world.chair.pk: ("support", ""), world.member.pk: ("support", "")},
            decided_on=DAY,
        )


def test_group_and_member_checks(world):
    with pytest.raises(ValidationError, match="already has a working group"):
        endorsement.form_group(world.engagement, name="Another", mandate="Also appointed.")
    with pytest.raises(ValidationError, match="ends on or after"):
        endorsement.add_member(
            world.group, name="X", term_start=dt.date(2026, 5, 1), term_end=dt.date(2026, 4, 1)
        )
