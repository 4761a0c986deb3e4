"""The team's report pages in Chromium: choosing a theme's quotes, entering population shares,
publishing on the worker with the status line updating itself, and the published report read
on a phone; each page checked by axe and for sideways scrolling at 360 px."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heard.core.permissions import Phase
from heard.report import services
from heard.report.models import ReportVersion
from heard.sense import services as sense
from heard.sense.models import ThemeRun
from tests.browser.helpers import fits_phone
from tests.browser.test_sense import check
from tests.report.test_report import _conversation
from tests.sense.conftest import hand_built, make_world
from tests.worker import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_team_chooses_quotes_enters_shares_and_publishes(page, live_server, login):
    world = make_world(Phase.REPORT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    # A real run's provenance holds long unbroken values (hashes): they must not widen the page.
    run.refresh_from_db()
    ThemeRun.objects.filter(pk=run.pk).update(
        provenance={**run.provenance, "input_hash": "sha256:" + "0123456789abcdef" * 4}
    )
    _conversation(world)
    login(world.team)
    slug = world.engagement.slug
    team_url = live_server.url + reverse("report_team", args=[slug])

    page.goto(team_url)
    check(page, "report team page")
    fits_phone(page, "report team page")

    # A theme's quotes: tick the last offered quote only, and say something linking to it.
    theme = services.orderable_themes(world.engagement)[0]
    page.locator(f'a[href$="/report/edit/theme/{theme.pk}/"]').click()
    expect(page.locator("h1")).to_contain_text(theme.label)
    check(page, "theme quotes page")
    fits_phone(page, "theme quotes page")
    boxes = page.locator("input[type=checkbox][name^=pick_]")
    for i in range(boxes.count()):
        boxes.nth(i).set_checked(i == boxes.count() - 1)
    last = services.quote_candidates(world.engagement, theme)[-1]
    page.fill("#id_note", f"One voice stood for many [c:{last.quote.contribution}].")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Findings report")
    assert services.draft_of(world.engagement).quote_choice[str(theme.pk)] == [list(last.ref)]

    # Population shares: a refused entry keeps what was typed and says why.
    page.get_by_role("link", name="Enter population shares").click()
    check(page, "population page")
    fits_phone(page, "population page")
    form = page.locator("section", has=page.get_by_role("heading", name="Language")).locator("form")
    form.get_by_label("English").fill("90")
    form.get_by_label("Te reo Māori").fill("20")
    form.get_by_role("button").click()
    expect(page.locator(".form-errors").first).to_contain_text("more than 100%")
    form = page.locator("section", has=page.get_by_role("heading", name="Language")).locator("form")
    expect(form.get_by_label("English")).to_have_value("90")
    form.get_by_label("English").fill("55")
    form.get_by_label("Te reo Māori").fill("45")  # more than the engagement heard
    form.get_by_label("Where these figures come from").fill("Census 2023")
    form.get_by_role("button").click()
    expect(page.locator("h1")).to_have_text("Population shares")

    # Publish: queued, the worker builds it, the status line says so without a reload.
    page.goto(team_url)
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.locator("#publishing")).to_contain_text("Publishing the next version")
    run_worker()
    expect(page.locator("#publishing a")).to_contain_text("Version 1 is published", timeout=20_000)
    version = ReportVersion.objects.get(engagement=world.engagement)

    # The published report, as the public reads it.
    page.goto(live_server.url + reverse("report", args=[slug]))
    expect(page.locator("h2#who-heading")).to_be_visible()
    link = page.locator(f'a.evidence[href="#c-{last.quote.contribution}"]')
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator(f"#c-{last.quote.contribution} blockquote")).to_have_text(last.quote.text)
    expect(page.locator("table tr.flag").first).to_be_visible()
    check(page, "published report")
    fits_phone(page, "published report")
    assert version.pdf[:5] == b"%PDF-"
