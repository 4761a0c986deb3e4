"""The voting page in Chromium: one statement at a time, voted by keyboard alone, progress and
the kept vote announced, a vote changed from the list, a refused statement form; checked by
axe-core at each step, and the team's and facilitators' opinion pages checked too."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from heard.opinions import services
from heard.opinions.models import Vote
from tests.browser.helpers import fits_phone
from tests.browser.test_accessibility import describe, failing
from tests.opinions.conftest import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()


def check(page, name: str) -> None:
    assert page.locator("h1").count() == 1, f"{name}: a page has exactly one h1"
    bad = failing(AXE.run(page).response["violations"])
    assert not bad, f"{name} ({page.url}):\n{describe(bad)}"


def test_voting_by_keyboard_is_accessible(page, live_server, login):
    world = make_world()
    services.submit_statement(
        world.conversation, world.participant(world.other), "Waiting for the team."
    )
    slug, number = world.engagement.slug, world.conversation.number
    login(world.voter)
    page.goto(live_server.url + reverse("conversation", args=[slug, number]))
    expect(page.locator("#progress-text")).to_have_text("You have voted on 0 of 3 statements.")
    check(page, "voting page")

    for n in range(1, 4):
        shown = page.locator("blockquote[data-statement]")
        expect(shown).to_have_count(1)
        before = shown.get_attribute("data-statement")
        page.get_by_role("button", name="Agree", exact=True).focus()
        page.keyboard.press("Enter")
        expect(page.locator(".messages[role=status]")).to_contain_text(
            f"Your vote on statement {before} is kept: Agree."
        )
        expect(page.locator("#progress-text")).to_have_text(
            f"You have voted on {n} of 3 statements."
        )
    expect(page.get_by_text("You have voted on every statement.")).to_be_visible()
    check(page, "voting page, all voted")

    # Change a vote from the list of one's own votes.
    page.get_by_role("button", name="Disagree on statement 2").click()
    expect(page.locator(".messages")).to_contain_text("Your vote on statement 2 is kept: Disagree.")
    me = world.participant(world.voter)
    assert Vote.objects.get(participant=me, statement__number=2, current=True).value == -1

    # A statement form sent empty shows the error summary, and the page stays accessible.
    page.locator("form[action$='/statements/new/'] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check(page, "statement form with an error")

    page.goto(live_server.url + reverse("opinions", args=[slug]))
    check(page, "conversations")
    login(world.team)
    page.goto(live_server.url + reverse("opinions_manage", args=[slug]))
    check(page, "manage conversations")
    page.goto(live_server.url + reverse("statements_seed", args=[slug, number]))
    check(page, "seed statements")
    page.goto(live_server.url + reverse("statements_moderate", args=[slug, number]))
    expect(page.get_by_text("Waiting for the team.")).to_be_visible()
    check(page, "moderation")
    page.goto(live_server.url + reverse("conversation_statements", args=[slug, number]))
    check(page, "statements")
    login(world.facilitator)
    page.goto(live_server.url + reverse("tallies", args=[slug, number]))
    check(page, "tallies")


def test_the_map_page_is_accessible_and_fits_a_phone(page, live_server, login):
    """The map with its groups and shares, checked by axe, with no sideways scrolling at 360 px
    (a share's words once forced its column wider than the screen)."""
    from heard.opinions import mapping
    from tests.opinions.test_map import _camps

    world = make_world()
    participants, _camp = _camps(world)
    mapping.compute_now(world.conversation)
    login(participants[0].user)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live_server.url + reverse("opinion_map", args=[world.engagement.slug, 1]))
    expect(page.locator("svg[role=img]")).to_be_visible()
    check(page, "opinion map")
    fits_phone(page, "opinion map")
