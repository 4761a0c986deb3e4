"""The demo's conversation: statements in English and te reo Māori, a rejected and a pending
one, votes from about 150 people in three opinion groups with common ground, hui tallies;
all of it in the record, and loaded once."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from heard.core import demo_loader
from heard.engagements.models import Engagement
from heard.opinions import queries
from heard.opinions.demo import TOPIC, load_demo_conversation
from heard.opinions.models import HuiTally, Statement, Vote
from heard.record import keys
from heard.record.audit_db import audit_database
from heard.record.models import LogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo engagement with its conversation, loaded once for this module."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        demo_loader.load_demo()
        engagement = Engagement.objects.get(slug=demo_loader.DEMO_SLUG)
        counts = load_demo_conversation(engagement)
        yield engagement, counts
        call_command("flush", interactive=False, verbosity=0)
    demo_loader._demo_password_hash.cache_clear()  # made with this module's hasher


def test_the_conversation_has_what_the_demo_promises(demo):
    engagement, counts = demo
    conversation = engagement.conversations.get(topic=TOPIC)
    statements = list(conversation.statements.all())
    assert 24 <= len(statements) == counts["statements"] <= 28
    status = Counter(s.status for s in statements)
    assert status == {"accepted": len(statements) - 2, "rejected": 1, "pending": 1}
    rejected = next(s for s in statements if s.status == "rejected")
    assert rejected.hidden_reason and rejected.text  # reason public, words kept
    maori = [s for s in statements if s.language == "mi"]
    assert len(maori) == 3
    for s in maori:
        assert unicodedata.is_normalized("NFC", s.text) and any(c in s.text for c in "āēīōū")
    assert any(s.is_meta for s in statements)
    assert sum(not s.is_seed for s in statements) >= 3

    votes = Vote.objects.filter(statement__conversation=conversation)
    voters = votes.values("participant").distinct().count()
    assert 140 <= voters <= 160 and votes.count() == counts["votes"] + 4  # + authors' agrees
    assert not votes.filter(log_index__isnull=True).exists()
    assert (
        not votes.filter(statement__status="rejected").exclude(participant=rejected.author).exists()
    )
    kinds = Counter(LogEntry.objects.values_list("kind", flat=True))
    assert kinds["vote.cast"] == votes.count()
    assert kinds["statement.submitted"] == len(statements)

    tallies = HuiTally.objects.filter(statement__conversation=conversation)
    assert tallies.filter(current=True).values("hui").distinct().count() >= 3
    assert tallies.filter(current=True).values("statement").distinct().count() >= 4
    assert tallies.filter(current=False).exists()  # a correction, with its history
    assert kinds["tally.recorded"] == tallies.count()


def test_votes_show_groups_that_differ_and_common_ground(demo):
    engagement, _counts = demo
    conversation = engagement.conversations.get(topic=TOPIC)
    counts = queries.vote_counts(conversation)
    by_text = {s.text: counts[s.pk] for s in conversation.statements.filter(status="accepted")}
    ground = by_text[
        "Agencies should tell people plainly what information they hold about them, and why."
    ]
    assert ground.agree > 0.8 * ground.seen
    divided = by_text["I trust government agencies to keep my information safe."]
    assert divided.agree > 0.25 * divided.seen and divided.disagree > 0.4 * divided.seen


def test_the_demo_has_a_finished_map_with_groups_and_common_ground(demo, client):
    engagement, _counts = demo
    conversation = engagement.conversations.get(topic=TOPIC)
    snapshot = queries.latest_map(conversation)
    assert snapshot is not None and snapshot.log_index is not None
    result = snapshot.result
    assert len(result["group_centres"]) >= 2
    assert len(result["groups"]) >= 140
    assert result["consensus_detail"]["agree"]  # common ground
    page = client.get(reverse("opinion_map", args=[engagement.slug, conversation.number]))
    assert page.status_code == 200
    assert b"Group A" in page.content and b"Common ground" in page.content


def test_it_loads_once_the_record_audits_and_a_visitor_can_vote(demo, client):
    engagement, _counts = demo
    before = LogEntry.objects.count()
    assert load_demo_conversation(engagement) is None
    assert LogEntry.objects.count() == before
    assert audit_database(keys.vkey()).problems == []
    username, what = demo_loader.demo_logins()[-1]
    assert what == "participant"
    client.force_login(get_user_model().objects.get(username=username))
    conversation = engagement.conversations.get(topic=TOPIC)
    page = client.get(reverse("conversation", args=[engagement.slug, conversation.number]))
    assert page.status_code == 200 and b"<blockquote" in page.content  # statements left to vote
    assert Statement.objects.filter(conversation=conversation).count() >= 24
