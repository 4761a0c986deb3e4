"""Check-back: a round on an issued version, answers per clause saved as they go with their
history kept, comments with consent and withdrawal, hui tallies, and the summary with the
clauses people say we got wrong first."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from heard.core.permissions import Phase
from heard.listen import services as listen
from heard.policy import checkback, services
from heard.policy.models import ClauseFeedback, FeedbackTally
from heard.record import events
from heard.record.models import LogEntry
from heard.sense import services as sense
from tests import factories
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world(Phase.CHECK_BACK)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    for key, text in [("P1", "Ask people first."), ("P2", "Keep it safe."), ("P3", "Share back.")]:
        services.write_clause(draft, key, text_en=text)
    world.version = services.issue(draft, by=world.team)
    world.round = checkback.open_round(world.version, by=world.team)
    world.people = [
        listen.voice_without_account(world.engagement, source="online", tag=f"p{n}")
        for n in range(4)
    ]
    return world


def _entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def test_a_round_opens_only_on_an_issued_version_once(world):
    entry = _entry(world.round.log_index)
    assert entry["version_hash"] == world.version.content_hash
    with pytest.raises(ValidationError, match="already open"):
        checkback.open_round(world.version, by=world.team)
    draft = services.next_version(world.version.policy, by=world.team)
    with pytest.raises(ValidationError, match="Only an issued version"):
        checkback.open_round(draft, by=world.team)


def test_answers_are_saved_as_you_go_and_every_change_is_kept(world):
    person = world.people[0]
    first, changed = checkback.give_feedback(
        world.round, person, clause_key="P1", heard="yes", comment="Kia ora, good."
    )
    assert changed and first.current
    same, changed = checkback.give_feedback(
        world.round, person, clause_key="P1", heard="yes", comment="Kia ora, good."
    )
    assert same == first and not changed  # nothing new to keep
    second, changed = checkback.give_feedback(
        world.round, person, clause_key="P1", heard="partly", reflects="no", comment="Kia ora."
    )
    assert changed and second.replaces == first
    first.refresh_from_db()
    assert not first.current and first.comment == "Kia ora, good."  # kept, not overwritten
    entry = _entry(second.log_index)
    assert entry["replaces"] == first.log_index and entry["heard"] == "partly"
    assert "Kia ora" not in str(entry) and entry["commitment"]
    assert events.commitment(bytes(second.salt), "Kia ora.") == entry["commitment"]

    key = uuid.uuid4()
    row, _ = checkback.give_feedback(
        world.round, person, clause_key=None, comment="Overall fine.", client_key=key
    )
    again, changed = checkback.give_feedback(
        world.round, person, clause_key=None, comment="Overall fine.", client_key=key
    )
    assert again == row and not changed  # a double submit keeps one


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"clause_key": "P1"}, "Answer a question or write a comment"),
        ({"clause_key": "P9", "heard": "yes"}, "not in this version"),
        ({"clause_key": "P1", "heard": "maybe"}, "Choose an answer"),
        ({"clause_key": None, "heard": "yes"}, "of each clause"),
        ({"clause_key": "P1", "comment": "bad\x00"}, "NUL"),
        ({"clause_key": "P1", "comment": "x", "quote_consent": "all"}, "quote your comment"),
    ],
)
def test_bad_feedback_is_refused_saying_why(world, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        checkback.give_feedback(world.round, world.people[0], **kwargs)
    assert not ClauseFeedback.objects.exists()


def test_a_closed_round_takes_nothing_more(world):
    checkback.close_round(world.round, by=world.team)
    with pytest.raises(ValidationError, match="closed"):
        checkback.give_feedback(world.round, world.people[0], clause_key="P1", heard="yes")


def test_tallies_supersede_and_the_summary_puts_what_we_got_wrong_first(world):
    a, b, c, d = world.people
    checkback.give_feedback(
        world.round, a, clause_key="P2", heard="no", comment="You missed us.", quote_consent="quote"
    )
    checkback.give_feedback(
        world.round, b, clause_key="P2", heard="no", comment="Private.", quote_consent="none"
    )
    checkback.give_feedback(world.round, c, clause_key="P1", heard="yes")
    checkback.give_feedback(world.round, d, clause_key="P3", heard="partly")
    hui = factories.make_hui(world.engagement, key="checkback-hui")
    checkback.record_tally(
        world.round,
        hui=hui,
        clause_key="P1",
        question="heard",
        counts={"yes": 5, "no": 1},
        by=world.team,
    )
    corrected = checkback.record_tally(
        world.round,
        hui=hui,
        clause_key="P1",
        question="heard",
        counts={"yes": 6, "no": 1},
        by=world.team,
    )
    assert FeedbackTally.objects.filter(superseded=True).count() == 1
    assert _entry(corrected.log_index)["yes"] == 6
    with pytest.raises(ValidationError, match="at least one hand"):
        checkback.record_tally(
            world.round, hui=hui, clause_key="P1", question="heard", counts={}, by=None
        )

    found = checkback.summary(world.round)
    assert [s.key for s in found] == ["P2", "P1", "P3"]
    p2, p1 = found[0], found[1]
    assert p2.wrong_share == 100 and p2.questions[0].online["no"] == 2
    assert [c.comment for c in p2.comments] == ["You missed us."] and p2.withheld_comments == 1
    assert p1.questions[0].hands["yes"] == 6 and p1.questions[0].total["yes"] == 7

    # A comment withdrawn leaves the summary; its answers still count.
    row = ClauseFeedback.objects.get(participant=a, current=True)
    checkback.withdraw_feedback(row)
    p2 = checkback.summary(world.round)[0]
    assert p2.comments == [] and p2.withheld_comments == 2 and p2.questions[0].online["no"] == 2
    assert not ClauseFeedback.objects.filter(participant=a).exclude(comment="").exists()
