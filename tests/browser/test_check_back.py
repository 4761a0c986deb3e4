"""The participant's check-back page in Chromium: it passes axe and fits a 360 px screen; a
clause is answered by keyboard alone (Tab into the first question, Space and the arrow keys
choose, a comment typed, Enter on Save) and says "Saved" without a reload; on a 360x740 touch
screen radios are tapped (each target at least 44 px tall) and a comment on the whole draft is
saved; a reload shows every answer kept."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heard.core.permissions import Phase, Role
from heard.policy import checkback, services
from heard.policy.models import ClauseFeedback
from heard.sense import services as sense
from tests import factories
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, log_in
from tests.browser.helpers import PHONE, fits_phone, tab_to
from tests.browser.test_sense import check
from tests.sense.conftest import hand_built, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "https://example.govt.nz/" + "a-very-long-unbroken-address-" * 6


def _world():
    """The check-back phase: version 1 issued (P1 traced, in both languages, with a long
    address; P2 in English only) and open for feedback; a participant who signs in."""
    world = make_world(Phase.CHECK_BACK)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(
        world.engagement, by=world.team, title="Data protection and use", title_mi="Raraunga"
    )
    draft = services.latest_version(policy)
    p1 = services.write_clause(
        draft,
        "P1",
        kind="principle",
        heading_en="Ask first",
        heading_mi="Pātai tuatahi",
        text_en=f"Ask people **before** using what they told you. See [the law]({LONG}).",
        text_mi="Me pātai ki te tangata i mua i te whakamahi i ā rātou kōrero.",
    )
    services.trace_clause(p1, themes=[services.themes_of(policy)[0].pk])
    services.write_clause(draft, "P2", kind="guideline", text_en="Keep what people say safe.")
    world.version = services.issue(draft, by=world.team)
    world.round = checkback.open_round(world.version, by=world.team)
    world.user = factories.make_member(world.engagement, Role.PARTICIPANT)
    world.person = world.engagement.participants.get(user=world.user)
    world.url = reverse("policy_check_back", args=[world.engagement.slug])
    return world


def _wait_for(condition, what: str) -> None:
    """Wait (as the browser's own timeout does) for the live server to have kept something."""
    deadline = time.monotonic() + DEFAULT_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never kept: {what}")


def _mine(world, key: str | None) -> ClauseFeedback | None:
    return checkback.my_feedback(world.round, world.person).get(key)


def test_a_clause_is_answered_by_keyboard_alone(page, live_server, login):
    world = _world()
    login(world.user)
    page.goto(live_server.url + world.url)
    expect(page.locator("h1")).to_have_text("Check back: Data protection and use")
    expect(page.locator(".lede").last).to_contain_text("Have we heard you correctly?")
    check(page, "check-back page")
    fits_phone(page, "check-back page")
    page.evaluate("window.stayed = true")  # gone if the page reloads

    tab_to(page, "#cb-P1-heard_0")  # Tab enters the first question on its first answer
    page.keyboard.press("Space")
    expect(page.locator("#cb-P1-heard_0")).to_be_checked()  # Yes
    expect(page.locator("#status-P1")).to_have_text("Saved your answers on clause P1.")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#cb-P1-heard_1")).to_be_checked()  # Partly
    expect(page.locator("#cb-P1-heard_1")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#cb-P1-reflects_0")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.locator("#cb-P1-integrity_0")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#cb-P1-integrity_2")).to_be_checked()  # No
    page.keyboard.press("Tab")
    expect(page.locator("#cb-P1-comment")).to_be_focused()
    page.keyboard.type("Kia ora. You heard us, but not how whānau share data.")
    page.keyboard.press("Tab")
    expect(page.locator("#cb-P1-quote_consent_1")).to_be_focused()  # anonymous, chosen already
    page.keyboard.press("Tab")
    save = page.locator("#clause-P1 button[type=submit]")
    expect(save).to_be_focused()
    expect(save).to_have_accessible_name("Save my answers on clause P1")
    page.keyboard.press("Enter")

    _wait_for(
        lambda: (
            (row := _mine(world, "P1")) is not None
            and row.comment == "Kia ora. You heard us, but not how whānau share data."
        ),
        "the comment typed on P1",
    )
    expect(page.locator("#status-P1")).to_have_text("Saved your answers on clause P1.")
    expect(page.locator("#status-P1")).to_have_attribute("role", "status")
    assert page.evaluate("window.stayed === true"), "the page reloaded"
    row = _mine(world, "P1")
    assert (row.heard, row.reflects, row.integrity) == ("partly", "yes", "no")
    assert row.quote_consent == "anonymous"

    page.reload()
    expect(page.locator("#cb-P1-heard_1")).to_be_checked()
    expect(page.locator("#cb-P1-reflects_0")).to_be_checked()
    expect(page.locator("#cb-P1-integrity_2")).to_be_checked()
    expect(page.locator("#cb-P1-comment")).to_have_value(
        "Kia ora. You heard us, but not how whānau share data."
    )
    expect(page.locator("#status-P1")).to_contain_text("Saved (")
    check(page, "check-back page with answers")


def test_answers_on_a_narrow_touch_screen(browser, live_server):
    world = _world()
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-NZ",
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        log_in(context, live_server.url, world.user)
        page = context.new_page()
        page.goto(live_server.url + world.url)
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not wide, "the check-back page scrolls sideways on a 360 px phone"
        check(page, "check-back page on a phone")
        labels = page.locator(".check-back-form .choice label")
        assert labels.count() == 2 * (4 * 3 + 3) + 3
        for n in range(labels.count()):
            box = labels.nth(n).bounding_box()
            assert box["height"] >= 44, f"a radio's target is {box['height']} px tall"
            assert box["x"] + box["width"] <= PHONE["width"]

        page.locator("label[for=cb-P2-heard_2]").tap()  # No
        expect(page.locator("#cb-P2-heard_2")).to_be_checked()
        expect(page.locator("#status-P2")).to_have_text("Saved your answers on clause P2.")
        page.locator("label[for=cb-P2-integrity_3]").tap()  # Not sure
        page.locator("label[for=cb-P2-quote_consent_0]").tap()  # quote me, with my pseudonym
        page.locator("#cb-P2-comment").tap()
        page.locator("#cb-P2-comment").fill("Say who may see it.")
        page.locator("#clause-P2 button[type=submit]").tap()
        _wait_for(
            lambda: (
                (row := _mine(world, "P2")) is not None and row.comment == "Say who may see it."
            ),
            "the comment on P2",
        )

        page.locator("#cb-draft-comment").fill("Clear and fair; say how long data is kept.")
        page.locator("#clause-draft button[type=submit]").tap()
        expect(page.locator("#status-draft")).to_have_text("Saved your comment on the whole draft.")

        page.reload()
        expect(page.locator("#cb-P2-heard_2")).to_be_checked()
        expect(page.locator("#cb-P2-integrity_3")).to_be_checked()
        expect(page.locator("#cb-P2-quote_consent_0")).to_be_checked()
        expect(page.locator("#cb-P2-comment")).to_have_value("Say who may see it.")
        expect(page.locator("#cb-draft-comment")).to_have_value(
            "Clear and fair; say how long data is kept."
        )
        expect(page.locator("#status-P1")).to_have_text("Not answered yet.")
        row = _mine(world, "P2")
        assert (row.heard, row.reflects, row.integrity) == ("no", "", "unsure")
        assert row.quote_consent == "quote"
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not wide, "the page with answers scrolls sideways on a 360 px phone"
        check(page, "check-back page with answers on a phone")
    finally:
        context.close()
