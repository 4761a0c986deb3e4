"""The working group's pages in Chromium: the group's public page, the team's page to appoint
members and the decision page pass axe and fit a 360 px screen; a decision is recorded with the
keyboard alone (Tab, Space and the arrow keys choose the radios, Enter sends); and the version's
page and the clause's provenance page then go forward to the endorsement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from heard.core.permissions import Phase
from heard.policy import endorsement, services
from heard.policy.models import Decision
from heard.sense import services as sense
from tests.browser.helpers import fits_phone, tab_to
from tests.browser.test_sense import check
from tests.sense.conftest import hand_built, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEND = "section[aria-labelledby=decision-h] button[type=submit]"


def _world():
    """The endorse phase: version 1 of the policy issued, a group with a chair and a member
    serving now (names with macrons), and a former member."""
    world = make_world(Phase.ENDORSE)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(
        world.engagement, by=world.team, title="Data protection and use", title_mi="Raraunga"
    )
    draft = services.latest_version(policy)
    clause = services.write_clause(draft, "P1", kind="principle", text_en="Ask people first.")
    services.trace_clause(clause, themes=[services.themes_of(policy)[0].pk])
    world.version = services.issue(draft, by=world.team)
    today = timezone.localdate()
    world.group = endorsement.form_group(
        world.engagement,
        name="Independent working group",
        name_mi="Rōpū mahi motuhake",
        mandate="Appointed by the minister to oversee the engagement and endorse the policy.",
    )
    world.chair = endorsement.add_member(
        world.group,
        name="Hana Kōrero",
        role="chair",
        affiliation="Te Rūnanga o " + "Ngāti Kahu " * 4,
        term_start=today - dt.timedelta(days=90),
    )
    world.member = endorsement.add_member(
        world.group, name="Sam Ritchie", term_start=today - dt.timedelta(days=90)
    )
    endorsement.add_member(
        world.group,
        name="Former Member",
        term_start=today - dt.timedelta(days=400),
        term_end=today - dt.timedelta(days=200),
    )
    return world


def test_a_decision_is_recorded_by_keyboard_alone(page, live_server, login):
    world = _world()
    slug = world.engagement.slug
    login(world.team)

    page.goto(live_server.url + reverse("policy_group_manage", args=[slug]))
    expect(page.locator("h1")).to_have_text("Appoint the working group’s members")
    check(page, "appoint members page")
    fits_phone(page, "appoint members page")

    page.goto(live_server.url + reverse("policy_decide", args=[slug]))
    expect(page.locator("h1")).to_have_text("Record the working group’s decision")
    expect(page.locator("main")).not_to_contain_text("Former Member")
    check(page, "decision page")
    fits_phone(page, "decision page")

    # Sent with nothing chosen: refused, and the summary takes the focus.
    tab_to(page, SEND)
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Choose a position for Hana Kōrero.")
    check(page, "decision page with errors")
    fits_phone(page, "decision page with errors")

    chair, member = world.chair.pk, world.member.pk
    tab_to(page, "#id_outcome_0")  # Tab enters the group on its first radio
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_outcome_1")).to_be_checked()  # Endorse with changes
    expect(page.locator("#id_outcome_1")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#id_changes")).to_be_focused()
    page.keyboard.type("Say how long information is kept.")
    page.keyboard.press("Tab")
    expect(page.locator("#id_minutes")).to_be_focused()
    page.keyboard.type("Met to consider version 1; P1 discussed.")
    page.keyboard.press("Tab")
    expect(page.locator(f"#id_stance_{chair}_0")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(f"#id_stance_{chair}_0")).to_be_checked()  # Supports
    tab_to(page, f"#id_stance_{member}_0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#id_stance_{member}_2")).to_be_checked()  # Opposes
    page.keyboard.press("Tab")
    expect(page.locator(f"#id_dissent_{member}")).to_be_focused()
    page.keyboard.type("P1 does not go far enough for whānau.")
    page.keyboard.press("Tab")
    expect(page.locator(SEND)).to_have_text("Record the decision")
    expect(page.locator(SEND)).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Independent working group")
    expect(page.locator(".messages")).to_contain_text("The decision on version 1 is recorded")
    decision = Decision.objects.get()
    assert decision.version_hash == world.version.content_hash
    article = page.locator(f"#decision-{decision.pk}")
    expect(article.locator("code.version-hash")).to_have_text(world.version.content_hash)
    expect(article.locator("blockquote")).to_have_text("P1 does not go far enough for whānau.")
    expect(article).to_contain_text("Say how long information is kept.")
    stances = {p.member_id: (p.stance, p.dissent) for p in decision.positions.all()}
    assert stances == {
        chair: ("support", ""),
        member: ("oppose", "P1 does not go far enough for whānau."),
    }


def test_the_public_follows_a_clause_forward_to_its_endorsement(page, live_server):
    world = _world()
    slug = world.engagement.slug
    endorsement.record_decision(
        world.group,
        world.version,
        outcome="endorse_with_changes",
        changes="Say how long information is kept.",
        minutes="Met to consider version 1.\n\nP1 discussed at length.",
        positions={
            world.chair.pk: ("support", ""),
            world.member.pk: ("oppose", "Not far enough. " * 30),
        },
        decided_on=timezone.localdate(),
    )

    page.goto(live_server.url + reverse("policy_clause", args=[slug, "P1"]))
    expect(page.locator("#endorsement")).to_contain_text("Endorse with changes")
    check(page, "provenance page with its endorsement")
    fits_phone(page, "provenance page with its endorsement")

    page.locator("#endorsement").get_by_role("link", name="The working group").click()
    expect(page.locator("h1")).to_have_text("Independent working group")
    expect(page.locator("main [lang=mi]")).to_have_text("Rōpū mahi motuhake")
    expect(page.locator("main")).to_contain_text(world.version.content_hash)
    check(page, "working group page")
    fits_phone(page, "working group page")

    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.locator("#endorsement")).to_contain_text("Endorse with changes")
    check(page, "version page with its endorsement")
    fits_phone(page, "version page with its endorsement")
