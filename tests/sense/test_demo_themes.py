"""``heard demo`` gives the demo engagement one finished theme analysis, with exact quotes,
once however often it runs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from heard.core import demo_loader
from heard.engagements.models import Engagement
from heard.sense.models import KeyQuote, ThemeRun

pytestmark = pytest.mark.django_db


def test_the_demo_shows_themes_with_exact_quotes_once(client):
    call_command("demo")
    call_command("demo")
    engagement = Engagement.objects.get(slug=demo_loader.DEMO_SLUG)
    run = ThemeRun.objects.get(engagement=engagement)
    assert (run.version, run.status) == (1, "done")
    live = engagement.contributions.filter(withdrawn_at__isnull=True)
    assert run.memberships.count() == live.count() == run.contribution_count
    themes = list(run.themes.all())
    assert len(themes) >= 3
    for theme in themes:
        languages = set(theme.memberships.values_list("contribution__language", flat=True))
        if theme.memberships.count() >= 5:
            assert languages != {"mi"}, f"{theme.label}: grouped by language, not by meaning"
    quotes = KeyQuote.objects.filter(theme__run=run).select_related("contribution")
    assert quotes.count() >= 3 * len(themes)
    for quote in quotes:
        c = quote.contribution
        assert quote.text and quote.text == c.text[quote.start : quote.start + quote.length]
        assert c.quote_consent != "none" and not c.is_hidden
    username, _ = demo_loader.demo_logins()[0]
    assert client.login(username=username, password=demo_loader.DEMO_PASSWORD)
    overview = client.get(reverse("themes", args=["demo"]), follow=True)
    assert overview.status_code == 200 and "Fits no theme" in overview.content.decode()
