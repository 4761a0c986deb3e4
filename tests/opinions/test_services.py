"""The opinion services: one door per use case, each appending its record entry.

Words are kept exactly and enter the record only as a commitment; moderation keeps rejected
words; votes and tallies keep their history; a resent form keeps nothing twice.
"""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from heard.core.permissions import Phase, Role
from heard.listen.services import ClientKeyConflict
from heard.opinions import services
from heard.opinions.models import Conversation, HuiTally, Statement, Vote
from heard.opinions.services import NewVote
from heard.record import events
from heard.record.models import LogEntry
from tests import factories
from tests.opinions.conftest import make_world

pytestmark = pytest.mark.django_db

HOSTILE = [
    "  leading and trailing spaces  ",
    "<script>alert('x')</script> & <b>bold</b>",
    "Right-to-left \u202eoverride\u202c and zero\u200bwidth",
    "Emoji 🙂🏽 and 𝕞𝕒𝕥𝕙",
    unicodedata.normalize("NFD", "Māori with decomposed macrons: ā ē ī ō ū"),
    "Two\nlines\r\nand a tab\t.",
    "DROP TABLE opinions_statement; --",
]


def entry(index: int) -> dict:
    return events.decode(bytes(LogEntry.objects.get(index=index).leaf))


def entries(kind: str) -> list[dict]:
    return [
        events.decode(bytes(leaf))
        for leaf in LogEntry.objects.filter(kind=kind)
        .order_by("index")
        .values_list("leaf", flat=True)
    ]


def test_conversations_are_numbered_and_recorded_with_a_staff_pseudonym(world):
    second = services.create_conversation(world.engagement, topic="  Second topic ", by=world.team)
    assert (world.conversation.number, second.number) == (1, 2)
    assert second.topic == "Second topic"
    made = entries("conversation.created")
    assert [e["conversation"] for e in made] == [1, 2]
    assert made[1]["by"].startswith("s-") and world.team.username not in str(made)
    assert made[1]["moderation"] == "strict" and made[1]["participant_statements"] is True
    with pytest.raises(ValidationError):
        services.create_conversation(world.engagement, topic="   ", by=world.team)


def test_seeds_are_numbered_from_zero_accepted_and_committed_not_written(world):
    assert [s.number for s in world.seeds] == [0, 1, 2]
    assert all(s.status == Statement.Status.ACCEPTED and s.is_seed for s in world.seeds)
    assert all(s.is_shown for s in world.seeds)
    for seed in world.seeds:
        body = entry(seed.log_index)
        assert body["type"] == "statement.submitted" and body["seed"] is True
        assert body["statement"] == seed.number and body["by"].startswith("s-")
        assert "participant" not in body
        assert events.commitment_matches(body["commitment"], bytes(seed.salt), seed.text)
        assert seed.text not in bytes(LogEntry.objects.get(index=seed.log_index).leaf).decode()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_words_are_kept_exactly(world, text):
    mine = world.participant(world.voter)
    statement, created = services.submit_statement(world.conversation, mine, text)
    assert created
    statement.refresh_from_db()
    assert statement.text == text
    assert events.commitment_matches(
        entry(statement.log_index)["commitment"], bytes(statement.salt), text
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "empty"), ("   \n ", "empty"), ("a\x00b", "NUL"), ("x" * 1001, "limit")],
)
def test_words_that_cannot_be_kept_are_refused_not_altered(world, text, problem):
    before = LogEntry.objects.count()
    with pytest.raises(ValidationError, match=problem):
        services.submit_statement(world.conversation, world.participant(world.voter), text)
    assert LogEntry.objects.count() == before
    assert not Statement.objects.filter(author__isnull=False).exists()


def test_strict_moderation_holds_a_statement_until_accepted(world):
    mine = world.participant(world.voter)
    statement, _ = services.submit_statement(world.conversation, mine, "Ask before sharing.")
    assert statement.status == Statement.Status.PENDING and not statement.is_shown
    body = entry(statement.log_index)
    assert body["participant"] == mine.public_id and body["status"] == "pending"
    # Pol.is takes the author to agree with their own statement: a vote, in the record.
    vote = Vote.objects.get(statement=statement, participant=mine)
    assert vote.value == 1 and entry(vote.log_index)["type"] == "vote.cast"
    with pytest.raises(ValidationError, match="not open"):
        services.cast_vote(statement, world.participant(world.other), 1)
    services.moderate_statement(statement, Statement.Status.ACCEPTED, by=world.team)
    assert statement.is_shown
    services.cast_vote(statement, world.participant(world.other), 1)
    accepted = entries("statement.accepted")[-1]
    assert accepted["statement"] == statement.number and accepted["by"].startswith("s-")


def test_permissive_moderation_shows_a_statement_at_once_unless_rejected(db):
    world = make_world(moderation=Conversation.Moderation.PERMISSIVE)
    statement, _ = services.submit_statement(
        world.conversation, world.participant(world.voter), "Ask before sharing."
    )
    assert statement.status == Statement.Status.PENDING and statement.is_shown
    services.cast_vote(statement, world.participant(world.other), -1)
    services.moderate_statement(
        statement, Statement.Status.REJECTED, by=world.team, reason="Off topic."
    )
    assert not statement.is_shown


def test_rejection_needs_a_reason_and_keeps_the_words(world):
    text = "The data team are crooks, every one of them."
    statement, _ = services.submit_statement(
        world.conversation, world.participant(world.voter), text
    )
    with pytest.raises(ValidationError, match="reason"):
        services.moderate_statement(statement, Statement.Status.REJECTED, by=world.team, reason=" ")
    services.moderate_statement(
        statement, Statement.Status.REJECTED, by=world.team, reason="A personal attack."
    )
    statement.refresh_from_db()
    assert statement.status == "rejected" and statement.text == text
    assert statement.hidden_reason == "A personal attack."
    rejected = entries("statement.rejected")[-1]
    assert rejected["reason"] == "A personal attack." and text not in str(rejected)
    with pytest.raises(ValidationError, match="already rejected"):
        services.moderate_statement(
            statement, Statement.Status.REJECTED, by=world.team, reason="Again."
        )
    # A decision can be reversed: a new decision, a new entry; the reason is no longer shown.
    services.moderate_statement(statement, Statement.Status.ACCEPTED, by=world.team)
    assert statement.hidden_reason == "" and statement.is_shown
    assert len(entries("statement.accepted")) == 1


def test_a_changed_vote_supersedes_the_old_one_and_history_is_kept(world):
    me = world.participant(world.voter)
    seed = world.seeds[0]
    first, changed = services.cast_vote(seed, me, 1)
    assert changed
    again, changed = services.cast_vote(seed, me, 1)
    assert not changed and again.pk == first.pk
    assert len(entries("vote.cast")) == 1  # the same vote again is nothing new
    second, changed = services.cast_vote(seed, me, -1)
    services.cast_vote(seed, me, 0)
    history = list(Vote.objects.filter(statement=seed, participant=me).order_by("id"))
    assert [(v.value, v.current) for v in history] == [(1, False), (-1, False), (0, True)]
    cast = entries("vote.cast")
    assert [e["vote"] for e in cast] == [1, -1, 0]
    assert "replaces" not in cast[0]
    assert cast[1]["replaces"] == first.log_index and cast[2]["replaces"] == second.log_index
    assert cast[2]["participant"] == me.public_id and cast[2]["statement"] == seed.number


def test_a_resent_vote_is_kept_once_and_a_reused_key_is_refused(world):
    me = world.participant(world.voter)
    key = uuid.uuid4()
    vote, created = services.cast_vote(world.seeds[0], me, 1, client_key=key)
    again, created_again = services.cast_vote(world.seeds[0], me, 1, client_key=key)
    assert created and not created_again and again.pk == vote.pk
    with pytest.raises(ClientKeyConflict):
        services.cast_vote(world.seeds[0], me, -1, client_key=key)
    # Changed since, then the old form arrives again: it changes nothing back.
    services.cast_vote(world.seeds[0], me, -1, client_key=uuid.uuid4())
    stale, changed = services.cast_vote(world.seeds[0], me, 1, client_key=key)
    assert not changed and stale.pk == vote.pk
    assert Vote.objects.get(statement=world.seeds[0], participant=me, current=True).value == -1
    assert len(entries("vote.cast")) == 2


def test_a_resent_statement_is_kept_once(world):
    me = world.participant(world.voter)
    key = uuid.uuid4()
    first, created = services.submit_statement(world.conversation, me, "Ask first.", client_key=key)
    again, created_again = services.submit_statement(
        world.conversation, me, "Ask first.", client_key=key
    )
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(ClientKeyConflict):
        services.submit_statement(world.conversation, me, "Other words.", client_key=key)
    assert len(entries("statement.submitted")) == len(world.seeds) + 1


def test_votes_are_refused_across_engagements_and_on_bad_values(world):
    elsewhere = factories.make_engagement(Phase.LISTEN)
    stranger = factories.make_member(elsewhere, Role.PARTICIPANT)
    outsider = elsewhere.participants.get(user=stranger)
    with pytest.raises(ValidationError, match="another engagement"):
        services.cast_vote(world.seeds[0], outsider, 1)
    with pytest.raises(ValidationError):
        services.cast_vote(world.seeds[0], world.participant(world.voter), 2)
    assert not Vote.objects.exists()


def test_tallies_are_counts_and_a_correction_supersedes(world):
    seed = world.seeds[1]
    first, changed = services.record_tally(
        seed, world.hui, agree=12, disagree=3, passes=5, by=world.facilitator, note="Hall full."
    )
    assert changed and first.current
    same, changed = services.record_tally(
        seed, world.hui, agree=12, disagree=3, passes=5, by=world.facilitator, note="Hall full."
    )
    assert not changed and same.pk == first.pk
    services.record_tally(
        seed, world.hui, agree=14, disagree=3, passes=3, by=world.team, note="Recounted."
    )
    rows = list(HuiTally.objects.filter(statement=seed).order_by("id"))
    assert [(t.agree, t.current) for t in rows] == [(12, False), (14, True)]
    recorded = entries("tally.recorded")
    assert len(recorded) == 2
    assert recorded[0]["hui"] == world.hui.key and recorded[0]["pass"] == 5
    assert recorded[1]["replaces"] == first.log_index
    assert "Hall full." not in str(recorded)  # the note stays with the team
    assert not Vote.objects.exists()  # tallies are not votes
    for bad in ({"agree": -1}, {"disagree": 1.5}, {"passes": 10**6}):
        counts = {"agree": 1, "disagree": 1, "passes": 1, **bad}
        with pytest.raises(ValidationError):
            services.record_tally(seed, world.hui, by=world.team, **counts)
    other_hui = factories.make_hui(factories.make_engagement())
    with pytest.raises(ValidationError, match="another engagement"):
        services.record_tally(seed, other_hui, agree=1, disagree=0, passes=0, by=world.team)


def test_withdrawal_destroys_the_words_keeps_the_votes_and_the_entry(world):
    me = world.participant(world.voter)
    statement, _ = services.submit_statement(world.conversation, me, "My own point.")
    services.moderate_statement(statement, Statement.Status.ACCEPTED, by=world.team)
    services.cast_vote(statement, world.participant(world.other), -1)
    services.withdraw_statement(statement)
    statement.refresh_from_db()
    assert statement.text == "" and statement.salt is None and statement.is_withdrawn
    assert not statement.is_shown
    assert entries("statement.withdrawn")[-1]["statement"] == statement.number
    assert Vote.objects.filter(statement=statement).count() == 2
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw_statement(statement)
    with pytest.raises(ValidationError, match="reject it"):
        services.withdraw_statement(world.seeds[0])


def test_bulk_votes_keep_order_history_and_entries(world):
    me, other = world.participant(world.voter), world.participant(world.other)
    before, _ = services.cast_vote(world.seeds[0], me, 1)
    now = timezone.now()
    kept = services.cast_votes(
        world.conversation,
        [
            NewVote(me, world.seeds[0], 1, now),  # the same as now: nothing
            NewVote(me, world.seeds[1], -1, now),
            NewVote(other, world.seeds[1], 0, now),
            NewVote(me, world.seeds[1], 1, now),  # a change within the batch
            NewVote(me, world.seeds[0], -1, now),
        ],
    )
    assert kept == 4
    history = list(
        Vote.objects.filter(participant=me, statement=world.seeds[1]).order_by("log_index")
    )
    assert [(v.value, v.current) for v in history] == [(-1, False), (1, True)]
    assert entry(history[1].log_index)["replaces"] == history[0].log_index
    changed = Vote.objects.get(participant=me, statement=world.seeds[0], current=True)
    assert changed.value == -1 and entry(changed.log_index)["replaces"] == before.log_index
    assert Vote.objects.filter(current=True).count() == 3
    assert len(entries("vote.cast")) == 5
