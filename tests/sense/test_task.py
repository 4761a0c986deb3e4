"""The analysis on the real task worker, with the real engine: from the button to the themes."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from heard.record.models import LogEntry
from heard.sense.models import KeyQuote, ThemeRun
from tests.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_started_on_the_page_is_done_by_the_worker_with_exact_quotes(client, world):
    client.force_login(world.team)
    start = reverse("theme_run_start", args=[world.engagement.slug])
    assert client.post(start, {"k": ""}).status_code == 302
    run = ThemeRun.objects.get()
    assert run.status == "queued"

    run_worker()

    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    run.refresh_from_db()
    assert (run.status, run.stage, run.fraction, run.error) == ("done", "done", 1.0, "")
    assert run.started_at <= run.finished_at
    assert run.provenance["input_hash"] and run.provenance["embedding"]["model"]
    analysed = {c.pk for c in world.contributions if c.pk != world.withdrawn.pk}
    placed = list(run.memberships.values_list("contribution_id", flat=True))
    assert sorted(placed) == sorted(analysed)  # each exactly once, the withdrawn one not at all
    themes = list(run.themes.all())
    assert len(themes) >= 2
    for theme in themes:
        assert theme.label and theme.keywords and theme.engine_id
    quotes = KeyQuote.objects.filter(theme__run=run).select_related("contribution")
    assert quotes.exists()
    refused = {world.not_for_quoting.pk, world.hidden.pk}
    for quote in quotes:
        assert quote.contribution_id not in refused
        assert quote.text == quote.contribution.text[quote.start : quote.start + quote.length]
    assert LogEntry.objects.filter(kind="theme.run_finished").count() == 1

    overview = client.get(reverse("theme_overview", args=[world.engagement.slug, run.version]))
    assert overview.status_code == 200
    theme = themes[0]
    detail = client.get(
        reverse("theme_detail", args=[world.engagement.slug, run.version, theme.pk])
    ).content.decode()
    shown = re.findall(r'data-contribution="(\d+)"[^>]*>(.*?)</blockquote>', detail, re.S)
    assert len(shown) == theme.key_quotes.count() >= 1
    texts = dict(world.engagement.contributions.values_list("pk", "text"))
    assert all(html.unescape(words) in texts[int(cid)] for cid, words in shown)


def test_a_failing_run_is_failed_on_the_page_and_in_the_record(client, world):
    from heard.listen import services as listen

    for contribution in world.contributions:
        if not contribution.is_withdrawn:
            listen.withdraw_contribution(contribution, via="team")
    client.force_login(world.team)
    client.post(reverse("theme_run_start", args=[world.engagement.slug]), {"k": ""})
    run_worker()
    run = ThemeRun.objects.get()
    assert run.status == "failed" and "no contributions" in run.error
    assert DBTaskResult.objects.get().status == "FAILED"
    page = client.get(reverse("theme_runs", args=[world.engagement.slug])).content.decode()
    assert "no contributions to analyse" in page
    assert LogEntry.objects.filter(kind="theme.run_finished").count() == 1
