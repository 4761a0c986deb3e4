"""The policy's pages in Chromium: the team traces a clause and issues a version; the public
page, a clause's provenance and the diff between versions read on a desktop and on a phone.
Each page checked by axe and for sideways scrolling at 360 px."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from heard.core.permissions import Phase
from heard.policy import services
from heard.sense import services as sense
from heard.sense.models import KeyQuote
from tests.browser.helpers import DESKTOP, PHONE, fits_phone
from tests.browser.test_sense import check
from tests.sense.conftest import hand_built, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "https://example.govt.nz/" + "a-very-long-unbroken-address-" * 6


def _world():
    """An engagement drafting its policy: version 1 issued, version 2 issued with changes, and
    version 3 a draft with a clause still to trace."""
    world = make_world(Phase.DRAFT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    policy = services.start_policy(
        world.engagement, by=world.team, title="Data protection and use", title_mi="Raraunga"
    )
    themes = {t.label: t for t in services.themes_of(policy)}
    quote = KeyQuote.objects.filter(theme=themes["data"]).first()
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
    services.trace_clause(
        p1,
        themes=[themes["data"].pk],
        quotes=[(quote.contribution_id, quote.start, quote.length)],
    )
    g1 = services.write_clause(draft, "G1", kind="guideline", text_en="Run buses on time.")
    services.trace_clause(g1, themes=[themes["bus"].pk])
    services.write_clause(draft, "L1", text_mi="Whāia te ture.")
    services.trace_clause(
        draft.clause_versions.get(clause__key="L1"), not_from_engagement="The law requires it."
    )
    services.issue(draft, by=world.team, note="For check-back.")
    second = services.next_version(policy, by=world.team)
    services.write_clause(
        second,
        "P1",
        kind="principle",
        heading_en="Ask first",
        heading_mi="Pātai tuatahi",
        text_en=f"Always ask people **before** using what they told you. See [the law]({LONG}).",
        text_mi="Me pātai ki te tangata i mua i te whakamahi i ā rātou kōrero.",
    )
    services.remove_clause(second, "G1")
    services.issue(second, by=world.team, note="After check-back.")
    third = services.next_version(policy, by=world.team)
    services.write_clause(third, "N1", text_en="Tell people how long their data is kept.")
    return world, policy, themes, quote


def test_team_traces_and_issues_and_the_public_follows_a_clause_back(page, live_server, login):
    world, _policy, themes, _quote = _world()
    slug = world.engagement.slug
    login(world.team)

    page.goto(live_server.url + reverse("policy_team", args=[slug]))
    expect(page.locator("h1")).to_have_text("Draft the policy")
    expect(page.locator("#clause-N1 .no-evidence")).to_be_visible()
    check(page, "policy team page")
    fits_phone(page, "policy team page")

    # Trace N1 to a theme by its tick box, on the clause's page.
    page.get_by_role("link", name="Edit and trace clause N1").click()
    expect(page.locator("h1")).to_have_text("Clause N1, version 3")
    check(page, "clause edit page")
    fits_phone(page, "clause edit page")
    page.get_by_label(f"{themes['data'].label} (", exact=False).check()
    page.get_by_role("button", name="Save what it answers").click()
    expect(page.locator("h1")).to_have_text("Draft the policy")
    expect(page.locator("#clause-N1 .no-evidence")).to_have_count(0)

    # Coverage: the team's view of the draft, with a set-aside form per unanswered theme.
    page.goto(live_server.url + reverse("policy_coverage", args=[slug]))
    expect(page.locator("#unanswered-h")).to_be_visible()
    check(page, "coverage page (team)")
    fits_phone(page, "coverage page (team)")
    form = page.locator("form", has=page.get_by_role("button", name="Set “rent” aside"))
    form.get_by_role("button").click()  # no reason: refused, said at the top
    expect(page.locator("#error-summary")).to_be_focused()
    check(page, "coverage page with an error")
    form = page.locator("form", has=page.get_by_role("button", name="Set “rent” aside"))
    form.get_by_label("Why the policy does not answer this theme").fill("Housing is not ours.")
    form.get_by_role("button").click()
    expect(page.locator("#aside-h + div")).to_contain_text("Housing is not ours.")

    # Issue version 3.
    page.goto(live_server.url + reverse("policy_team", args=[slug]))
    page.get_by_role("button", name="Issue version 3").click()
    expect(page.locator(".messages")).to_contain_text("Version 3 is issued")


def test_the_public_reads_the_policy_its_provenance_and_the_diff(page, live_server):
    world, _policy, themes, quote = _world()
    slug = world.engagement.slug

    page.goto(live_server.url + reverse("policy", args=[slug]))
    expect(page.locator("h1")).to_have_text("Data protection and use")
    expect(page.locator("#clause-N1")).to_have_count(0)  # the draft is not public
    cited = page.locator(f'#clause-P1 blockquote[data-contribution="{quote.contribution_id}"]')
    expect(cited).to_have_text(quote.text)
    expect(page.locator("#clause-L1")).to_contain_text("Not written in English yet")
    check(page, "public policy page")
    fits_phone(page, "public policy page")
    # On a phone the two languages are stacked, English first.
    page.set_viewport_size(PHONE)
    columns = page.locator("#clause-P1 .bilingual > div")
    en, mi = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert mi["y"] >= en["y"] + en["height"] - 1
    page.set_viewport_size(DESKTOP)
    en, mi = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert abs(mi["y"] - en["y"]) < 2  # side by side

    # Follow P1 back: its words, its themes, each version.
    page.get_by_role("link", name="Where clause P1 comes from").click()
    expect(page.locator("h1")).to_have_text("Where clause P1 comes from")
    expect(page.locator("blockquote[data-contribution]").first).to_have_text(quote.text)
    expect(page.locator("#themes")).to_contain_text(themes["data"].label)
    page.get_by_text("What changed from version 1").click()
    expect(page.locator("ins").first).to_contain_text("Always")
    check(page, "provenance page")
    fits_phone(page, "provenance page")

    page.goto(live_server.url + reverse("policy_diff", args=[slug, 1, 2]))
    expect(page.locator("#clause-G1")).to_contain_text("Removed")
    expect(page.locator("#clause-P1 ins").first).to_contain_text("inserted:")
    check(page, "diff page")
    fits_phone(page, "diff page")

    page.goto(live_server.url + reverse("policy_coverage", args=[slug]))
    check(page, "coverage page (public)")
    fits_phone(page, "coverage page (public)")
