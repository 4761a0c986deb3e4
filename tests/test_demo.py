"""The demo engagement loads through the real services, richly, and only once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import reverse

from heard.core import demo_loader
from heard.core.models import Membership
from heard.engagements.models import Engagement
from heard.listen.models import Contribution

pytestmark = pytest.mark.django_db
OPINION_KINDS = {"conversation", "statement", "vote", "tally", "opinion"}


def test_demo_loads_rich_engagement_once(client):
    content = demo_loader.load_content()
    call_command("demo", no_themes=True)  # themes: tests/sense/test_demo_themes.py
    call_command("demo", no_themes=True)  # second run: nothing doubles
    engagement = Engagement.objects.get(slug="demo")
    contributions = Contribution.objects.filter(engagement=engagement)
    assert contributions.count() == len(content["contributions"]) >= 300
    assert engagement.hui.count() >= 24
    assert len({h.venue.region for h in engagement.hui.all() if h.venue}) >= 10
    channels = Counter(contributions.values_list("channel", flat=True))
    assert set(channels) == {"online", "hui", "paper", "email", "transcript"}
    languages = Counter(contributions.values_list("language", flat=True))
    assert languages["mi"] >= 20
    assert contributions.filter(is_hidden=True).count() == len(content["moderation"]) >= 3
    roles = Counter(Membership.objects.filter(engagement=engagement).values_list("role", flat=True))
    assert roles["team"] and roles["facilitator"] and roles["working_group"]
    # words are exactly the content's words, in order
    texts = list(contributions.order_by("id").values_list("text", flat=True))
    assert texts == [c["text"] for c in content["contributions"]]
    assert engagement.current_phase() == "listen"
    # the demo's whole history is in the record: every hui, contribution and moderation decision
    from heard.record.models import LogEntry

    kinds = Counter(LogEntry.objects.values_list("kind", flat=True))
    opinions = {k: n for k, n in kinds.items() if k.split(".")[0] in OPINION_KINDS}
    assert kinds - Counter(opinions) == {
        "hui.recorded": engagement.hui.count(),
        "contribution.submitted": contributions.count(),
        "contribution.hidden": contributions.filter(is_hidden=True).count(),
    }
    assert opinions  # the demo's conversation: tests/opinions/test_demo_conversation.py
    assert not contributions.filter(log_index__isnull=True).exists()
    # every hui contribution names its hui and whoever recorded it
    assert not contributions.filter(channel="hui", hui__isnull=True).exists()
    assert not contributions.filter(channel="hui", recorded_by__isnull=True).exists()


def test_demo_pages_render(client):
    call_command("demo", no_themes=True)
    assert client.get(reverse("engagement", args=["demo"])).status_code == 200
    page = client.get(reverse("public_record", args=["demo"]))
    assert page.status_code == 200
    assert page.context["page"].paginator.count >= 300
    username, _ = demo_loader.demo_logins()[0]
    assert client.login(username=username, password=demo_loader.DEMO_PASSWORD)
    assert client.get(reverse("all_contributions", args=["demo"])).status_code == 200
