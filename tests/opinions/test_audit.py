"""``heard record verify`` checks the opinion rows against the record: words against their
commitment, moderation status against the decisions, votes and tallies against their entries,
and that the current vote or tally is the latest. A changed row is named."""

from __future__ import annotations

import pytest

from heard.opinions import services
from heard.opinions.models import HuiTally, Statement, Vote
from heard.record import keys
from heard.record.audit_db import audit_database

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(world):
    me, other = world.participant(world.voter), world.participant(world.other)
    mine, _ = services.submit_statement(world.conversation, me, "Ask first.")
    rude, _ = services.submit_statement(world.conversation, other, "They are crooks.")
    services.moderate_statement(
        mine, Statement.Status.ACCEPTED, by=world.team, is_meta=True, reason="On topic."
    )
    services.moderate_statement(rude, Statement.Status.REJECTED, by=world.team, reason="Rude.")
    gone, _ = services.submit_statement(world.conversation, other, "Second thoughts.")
    services.withdraw_statement(gone)
    services.cast_vote(world.seeds[0], me, 1)
    services.cast_vote(world.seeds[0], me, -1)
    services.cast_vote(world.seeds[1], other, 0)
    services.record_tally(world.seeds[0], world.hui, agree=5, disagree=1, passes=0, by=world.team)
    services.record_tally(world.seeds[0], world.hui, agree=6, disagree=1, passes=0, by=world.team)
    return world


def _swap_current() -> None:
    """Make an old vote count again in place of the latest one."""
    latest = Vote.objects.get(current=True, value=-1)
    Vote.objects.filter(pk=latest.pk).update(current=False)
    Vote.objects.filter(statement=latest.statement, participant=latest.participant).exclude(
        pk=latest.pk
    ).update(current=True)


def problems() -> list[str]:
    return audit_database(keys.vkey()).problems


def test_the_opinion_rows_audit_clean(busy):
    report = audit_database(keys.vkey())
    assert report.problems == []
    assert report.records == 6 + 6 + 2  # statements, votes (3 cast + 3 authors' agrees), tallies


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda: Statement.objects.filter(number=0).update(text="Agencies may do as they like."),
            "statement eng-",
        ),
        (
            lambda: Statement.objects.filter(status="rejected").update(status="accepted"),
            "but the record's decisions leave it rejected",
        ),
        (
            lambda: Statement.objects.filter(status="rejected").update(hidden_reason="Spam."),
            "another reason",
        ),
        (lambda: Statement.objects.filter(is_meta=True).update(is_meta=False), "meta mark"),
        (
            lambda: Vote.objects.filter(current=True, value=-1).update(value=1),
            "it differs from the record",
        ),
        (lambda: _swap_current(), "is not its latest entry"),
        (
            lambda: HuiTally.objects.filter(current=True).update(agree=60),
            "it differs from the record",
        ),
        (lambda: Vote.objects.filter(value=0).delete(), "is missing from the platform"),
    ],
)
def test_a_changed_row_is_named(busy, change, named):
    change()
    found = problems()
    assert any(named in p for p in found), found
