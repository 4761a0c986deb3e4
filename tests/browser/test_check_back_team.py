"""The check-back pages for those who run it, in Chromium: the team opens a version for feedback
and closes the round, a facilitator enters a hui's show of hands (a refusal takes the focus to
the error summary and keeps what was typed), and the public summary shows each clause's bars
with their numbers. Every page passes axe and fits a 360 px screen, with long words in it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heard.core.permissions import Phase, Role
from heard.listen import services as listen
from heard.policy import checkback, services
from heard.policy.models import FeedbackRound, FeedbackTally
from heard.sense import services as sense
from tests import factories
from tests.browser.helpers import fits_phone
from tests.browser.test_sense import check
from tests.sense.conftest import hand_built, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Whakawhanaungatanga" * 6  # one long unbroken word, as people sometimes write


def _world():
    """Check-back: version 1 of the policy issued (no round yet), a facilitator."""
    world = make_world(Phase.CHECK_BACK)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    draft = services.latest_version(policy)
    services.write_clause(
        draft, "P1", heading_en="Ask first", heading_mi="Pātai tuatahi", text_en="Ask first."
    )
    services.write_clause(draft, "P2", heading_en=LONG, text_en="Keep it safe.")
    world.version = services.issue(draft, by=world.team)
    world.facilitator = factories.make_member(world.engagement, Role.FACILITATOR)
    return world


def test_check_back_is_run_tallied_and_summarised(page, live_server, login):
    world = _world()
    slug = world.engagement.slug
    login(world.team)

    page.goto(live_server.url + reverse("policy_check_back_manage", args=[slug]))
    expect(page.locator("h1")).to_have_text("Check back with the people")
    check(page, "check-back page, nothing open")
    fits_phone(page, "check-back page, nothing open")
    page.get_by_role("button", name="Open version 1 for feedback").click()
    expect(page.locator(".messages")).to_contain_text("Version 1 is open for feedback")
    feedback_round = FeedbackRound.objects.get()

    people = [
        listen.voice_without_account(world.engagement, source="online", tag=f"p{n}")
        for n in range(3)
    ]
    checkback.give_feedback(
        feedback_round, people[0], clause_key="P2", heard="no", comment=LONG, quote_consent="quote"
    )
    checkback.give_feedback(feedback_round, people[1], clause_key="P1", heard="yes")
    checkback.give_feedback(feedback_round, people[2], clause_key=None, comment="Ka pai te mahi.")

    # A refused close (not confirmed) takes the focus to the summary.
    page.goto(live_server.url + reverse("policy_check_back_manage", args=[slug]))
    check(page, "check-back page, round open")
    fits_phone(page, "check-back page, round open")
    page.get_by_role("button", name="Close the round").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Tick the box to confirm")
    check(page, "check-back page with errors")
    fits_phone(page, "check-back page with errors")

    login(world.facilitator)
    page.goto(live_server.url + reverse("policy_check_back_tally", args=[slug]))
    expect(page.locator("h1")).to_have_text("Hui tallies on the draft policy")
    check(page, "tally page")
    fits_phone(page, "tally page")
    page.locator("#id_hui").select_option(world.hui_north.key)
    page.locator("#id_clause").select_option("P1")
    page.get_by_label("Have we heard you correctly?", exact=True).check()
    page.get_by_role("button", name="Keep the tally").click()  # no hands counted
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Enter at least one hand.")
    expect(page.locator("#id_clause")).to_have_value("P1")
    check(page, "tally page with errors")
    fits_phone(page, "tally page with errors")
    page.locator("#id_yes").fill("6")
    page.locator("#id_no").fill("2")
    page.locator("#id_note").fill(LONG)
    page.get_by_role("button", name="Keep the tally").click()
    expect(page.locator(".messages")).to_contain_text("The tally for clause P1")
    assert FeedbackTally.objects.get().yes == 6
    check(page, "tally page with a tally")
    fits_phone(page, "tally page with a tally")

    context = page.context
    context.clear_cookies()
    page.goto(live_server.url + reverse("policy_check_back_summary", args=[slug]))
    expect(page.locator("h1")).to_have_text("What people said about version 1")
    expect(page.locator("article.clause").first).to_have_attribute("id", "clause-P2")
    expect(page.locator("#clause-P2 blockquote")).to_have_text(LONG)
    expect(page.locator("#clause-P1 tr[data-answer=yes] td").nth(2)).to_have_text("7")
    expect(page.locator("#clause-P1 [lang=mi]")).to_have_text("Pātai tuatahi")
    check(page, "summary page")
    fits_phone(page, "summary page")
    page.locator("#clause-P1 h3 a").click()
    expect(page).to_have_url(live_server.url + reverse("policy_clause", args=[slug, "P1"]))
