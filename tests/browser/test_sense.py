"""The theme pages in Chromium: accessible (axe-core), exact quotes on screen, live progress.

The analysis is run by the real engine (``services.run_analysis``, in-process) on a small
engagement; the pages are then opened as an analyst of the team would.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from heard.sense import services
from heard.sense.models import ThemeRun
from tests.browser.test_accessibility import describe, failing
from tests.sense.conftest import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def check(page, name: str) -> None:
    assert page.locator("h1").count() == 1, f"{name}: a page has exactly one h1"
    bad = failing(AXE.run(page).response["violations"])
    assert not bad, f"{name} ({page.url}):\n{describe(bad)}"


def test_theme_pages_are_accessible_and_show_exact_quotes(page, live_server, login):
    world = make_world()
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    login(world.team)
    slug = world.engagement.slug

    page.goto(live_server.url + reverse("themes", args=[slug]))
    expect(page.locator("h1")).to_have_text(f"Themes of analysis {run.version}")
    expect(page.locator("#no-theme-h")).to_have_text("Fits no theme")  # the bucket, in sight
    check(page, "overview")

    theme = run.themes.order_by("position").first()
    page.get_by_role("link", name=theme.label, exact=True).first.click()
    expect(page.locator("h1")).to_have_text(theme.label)
    quotes = page.locator("blockquote[data-contribution]")
    assert quotes.count() == theme.key_quotes.count() >= 1
    texts = dict(world.engagement.contributions.values_list("pk", "text"))
    for i in range(quotes.count()):
        quote = quotes.nth(i)
        words = quote.text_content()
        assert words and words in texts[int(quote.get_attribute("data-contribution"))]
    check(page, "theme")

    # A refused edit: the rename form sent without a reason shows its error summary.
    page.get_by_text("Rename", exact=True).first.click()
    page.fill("#id_rename-label", "Getting around")
    page.locator("form[action$='/rename/'] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#id_rename-label")).to_have_value("Getting around")
    check(page, "theme with an error")

    page.goto(live_server.url + reverse("theme_browse", args=[slug, run.version]) + "?theme=none")
    check(page, "contribution browser")
    page.goto(live_server.url + reverse("theme_runs", args=[slug]))
    check(page, "runs")


def test_progress_updates_in_the_page_while_the_analysis_runs(page, live_server, login):
    world = make_world()
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    login(world.team)
    page.goto(live_server.url + reverse("theme_runs", args=[world.engagement.slug]))
    status = page.locator("#runs-status")
    expect(status).to_contain_text("Queued")
    check(page, "runs in progress")
    ThemeRun.objects.filter(pk=run.pk).update(status="running", stage="embedding", fraction=0.5)
    expect(status).to_contain_text("reading what each one says, 50% done")
    expect(status.locator("progress")).to_have_attribute("value", "50")
    ThemeRun.objects.filter(pk=run.pk).update(status="failed", error="Stopped for the test.")
    expect(page.get_by_text("Stopped for the test.")).to_be_visible()  # reloaded when it ended
    expect(status.locator("progress")).to_have_count(0)
