"""The theme pages: who may see and edit, the counts, the bucket, the quotes, the filters, and
the edit forms (a reason is required; a refusal loses nothing typed)."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from django.urls import reverse

from heard.core.permissions import Role
from heard.record.models import LogEntry
from heard.sense import services
from heard.sense.models import AssignedBy, KeyQuote, ThemeRun
from tests import factories
from tests.sense.conftest import hand_built

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(world) -> ThemeRun:
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    services.run_analysis(run.pk, engine=hand_built())
    run.refresh_from_db()
    return run


@pytest.fixture
def team(client, world):
    client.force_login(world.team)
    return client


def url(name: str, run: ThemeRun, **kwargs) -> str:
    return reverse(name, kwargs={"slug": run.engagement.slug, "version": run.version, **kwargs})


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_themes_leads_to_the_runs_page_then_to_the_latest_finished_run(team, world):
    home = reverse("themes", args=[world.engagement.slug])
    assert team.get(home)["Location"] == reverse("theme_runs", args=[world.engagement.slug])
    body = page(team.get(reverse("theme_runs", args=[world.engagement.slug])))
    assert "No analysis has been run yet." in body and "Run analysis" in body
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    services.run_analysis(run.pk, engine=hand_built())
    assert team.get(home)["Location"] == url("theme_overview", run)


def test_starting_a_run_queues_it_and_the_page_shows_its_progress(team, world):
    from django_tasks_db.models import DBTaskResult

    start = reverse("theme_run_start", args=[world.engagement.slug])
    response = team.post(start, {"k": "", "fast": "on"})
    assert response.status_code == 302
    run = ThemeRun.objects.get()
    assert (run.version, run.status, run.fast, run.k) == (1, "queued", True, None)
    assert run.task_id == str(DBTaskResult.objects.get().id)
    ThemeRun.objects.filter(pk=run.pk).update(status="running", stage="embedding", fraction=0.42)
    body = page(team.get(reverse("theme_runs", args=[world.engagement.slug])))
    assert 'role="status"' in body and 'value="42"' in body
    assert "reading what each one says, 42% done" in body
    assert '<meta http-equiv="refresh"' in body  # without JS the page refreshes itself
    progress = team.get(reverse("theme_runs", args=[world.engagement.slug]) + "?format=json")
    assert progress.json()["runs"] == [
        {
            "version": 1,
            "status": "running",
            "status_label": "Running",
            "stage": "embedding",
            "percent": 42,
            "message": "Analysis 1: reading what each one says, 42% done.",
        }
    ]
    refused = team.post(start, {"k": "1"})
    assert refused.status_code == 400 and ThemeRun.objects.count() == 1
    assert "greater than or equal to 2" in refused.content.decode()


@pytest.mark.parametrize(
    ("role", "see", "edit"),
    [
        (Role.TEAM, 200, 302),
        (Role.WORKING_GROUP, 200, 403),
        (Role.FACILITATOR, 403, 403),
        (Role.PARTICIPANT, 403, 403),
        (Role.PUBLIC, 403, 403),
    ],
)
def test_who_may_see_and_edit_themes(client, world, run, role, see, edit):
    client.force_login(factories.make_member(world.engagement, role))
    bus = run.themes.get(engine_id="theme-bus")
    for name, kwargs in (
        ("theme_overview", {}),
        ("theme_browse", {}),
        ("theme_detail", {"pk": bus.pk}),
    ):
        assert client.get(url(name, run, **kwargs)).status_code == see
    response = client.post(
        url("theme_rename", run, pk=bus.pk), {"rename-label": "Buses", "rename-reason": "Short"}
    )
    assert response.status_code == edit
    bus.refresh_from_db()
    assert (bus.label == "Buses") == (edit == 302)


def test_the_overview_counts_every_theme_by_channel_hui_audience_and_language(team, world, run):
    body = page(team.get(url("theme_overview", run)))
    context = team.get(url("theme_overview", run)).context
    for theme, spread in context["themes"]:
        members = [m.contribution for m in run.memberships.filter(theme=theme)]
        by = {b.name: {value: n for value, _label, n in b.rows} for b in spread}
        assert by["channel"] == Counter(c.channel for c in members)
        assert by["language"] == Counter(c.language for c in members)
        assert by["hui"] == Counter(c.hui.key if c.hui else "" for c in members)
        audiences = Counter(c.hui.audience.key if c.hui and c.hui.audience else "" for c in members)
        assert by["audience"] == audiences
        assert theme.size == len(members)
        assert html.escape(theme.label) in body
    unassigned = run.memberships.filter(theme__isnull=True).count()
    assert context["unassigned"] == unassigned > 0
    assert f"{unassigned} contributions fit no theme" in body  # the bucket, in plain sight
    assert 'id="no-theme-h"' in body and "?theme=none" in body
    assert "Young people" in body  # an audience, by name
    assert context["placed_total"] == len(world.contributions) - 1


def test_the_overview_says_when_newer_or_withdrawn_contributions_are_not_reflected(
    team, world, run
):
    factories.make_contribution(world.engagement, "A late thought about buses.")
    from heard.listen import services as listen

    listen.withdraw_contribution(world.contributions[0], via="team")
    body = page(team.get(url("theme_overview", run)))
    assert "1 contribution was kept after this analysis" in body
    assert "1 contribution in this analysis was withdrawn since" in body


def test_a_theme_page_shows_exact_key_quotes_members_and_who_placed_them(team, world, run):
    bus = run.themes.get(engine_id="theme-bus")
    moved = run.memberships.filter(theme__isnull=True).first().contribution
    services.move_contributions(run, [moved.pk], to=bus, by=world.team, reason="Also buses")
    body = page(team.get(url("theme_detail", run, pk=bus.pk)))
    quotes = re.findall(r'<blockquote[^>]*data-contribution="(\d+)"[^>]*>(.*?)</blockquote>', body)
    assert len(quotes) == bus.key_quotes.count() > 0
    texts = dict(world.engagement.contributions.values_list("pk", "text"))
    for cid, words in quotes:
        assert html.unescape(words) in texts[int(cid)]
    assert body.count("Placed by a person") == 1 + 1  # the badge once, plus the help text
    assert body.count('<span class="badge">Placed by the engine</span>') == (
        bus.memberships.filter(assigned_by=AssignedBy.MACHINE).count()
    )
    assert "How typical of the theme: 0.50" in body
    assert "The engine had found it fits no theme." in body
    assert "Also buses" in body  # the history shows why
    assert world.not_for_quoting.text in body and "Not for quoting: counted only" in body


def test_the_browser_filters_by_theme_bucket_channel_hui_audience_language_and_words(
    team, world, run
):
    browse = url("theme_browse", run)
    bus = run.themes.get(engine_id="theme-bus")

    def found(**params) -> set[int]:
        response = team.get(browse, params)
        return {m.contribution_id for m in response.context["page"]}

    everyone = {m.contribution_id for m in run.memberships.all()}
    assert found() == everyone
    assert found(theme=bus.pk) == set(bus.memberships.values_list("contribution_id", flat=True))
    bucket = set(
        run.memberships.filter(theme__isnull=True).values_list("contribution_id", flat=True)
    )
    assert found(theme="none") == found(unassigned="1") == bucket
    live = [c for c in world.contributions if c.pk != world.withdrawn.pk]
    assert found(channel="hui") == {c.pk for c in live if c.channel == "hui"}
    assert found(hui="north") == {c.pk for c in live if c.hui_id == world.hui_north.pk}
    assert found(audience="rangatahi") == {c.pk for c in live if c.hui_id == world.hui_north.pk}
    assert found(language="mi") == {c.pk for c in live if c.language == "mi"}
    assert found(q="LANDLORD") == {c.pk for c in live if "landlord" in c.text.lower()}
    assert found(theme=bus.pk, channel="hui") == {
        c.pk for c in live if c.channel == "hui" and c.pk in found(theme=bus.pk)
    }
    assert found(placed="person") == set()
    assert world.hidden.text in page(team.get(browse, {"q": "Smith"}))


def test_moving_from_the_browser_needs_a_reason_and_returns_to_the_same_filter(team, world, run):
    bucket = list(
        run.memberships.filter(theme__isnull=True).values_list("contribution_id", flat=True)
    )
    data = run.themes.get(engine_id="theme-data")
    move = url("theme_browse_move", run)
    entries = LogEntry.objects.count()
    refused = team.post(
        move,
        {
            "members-contributions": bucket[:2],
            "members-to": data.pk,
            "members-do": "move",
            "members-reason": "",
        },
    )
    assert refused.status_code == 400 and LogEntry.objects.count() == entries
    body = refused.content.decode()
    assert "There is a problem" in body and "Say why" in body
    assert body.count(" checked>") == 2  # the choices are kept, nothing typed is lost
    done = team.post(
        move,
        {
            "members-contributions": bucket[:2],
            "members-to": data.pk,
            "members-do": "move",
            "members-reason": "About data",
            "back": "theme=none",
        },
    )
    assert done.status_code == 302 and done["Location"].endswith("?theme=none")
    assert set(
        data.memberships.filter(assigned_by="person").values_list("contribution_id", flat=True)
    ) == set(bucket[:2])


def test_every_edit_form_works_through_the_page(team, world, run):
    bus, rent = run.themes.get(engine_id="theme-bus"), run.themes.get(engine_id="theme-rent")
    members = list(bus.memberships.values_list("contribution_id", flat=True))
    post = lambda name, data, pk=bus.pk: team.post(url(name, run, pk=pk), data)  # noqa: E731

    assert (
        post("theme_rename", {"rename-label": "Buses", "rename-reason": "Shorter"}).status_code
        == 302
    )
    assert (
        post(
            "theme_summary", {"summary-summary": "Late buses.", "summary-reason": "First draft"}
        ).status_code
        == 302
    )
    split = post(
        "theme_members",
        {
            "members-contributions": members[:2],
            "members-do": "split",
            "members-label": "Fares",
            "members-reason": "Fares are their own issue",
        },
    )
    assert split.status_code == 302
    fares = run.themes.get(label="Fares")
    assert split["Location"] == url("theme_detail", run, pk=fares.pk)
    moved = post(
        "theme_members",
        {
            "members-contributions": [members[2]],
            "members-do": "move",
            "members-to": "none",
            "members-reason": "Not about buses",
        },
    )
    assert moved.status_code == 302
    merge = post("theme_merge", {"merge-others": [fares.pk], "merge-reason": "Same thing"})
    assert merge.status_code == 302
    quotable = bus.memberships.filter(contribution__quote_consent="quote").first().contribution
    excerpt = quotable.text[4:24]
    assert (
        post(
            "theme_quote_mark",
            {"quote-contribution": quotable.pk, "quote-excerpt": excerpt, "quote-reason": "Vivid"},
        ).status_code
        == 302
    )
    quote = KeyQuote.objects.get(theme=bus, contribution=quotable, marked_by="person")
    unmark = team.post(
        url("theme_quote_unmark", run, pk=bus.pk, qpk=quote.pk), {"unmark-reason": "Changed mind"}
    )
    assert unmark.status_code == 302 and not KeyQuote.objects.filter(pk=quote.pk).exists()
    kinds = Counter(
        LogEntry.objects.filter(kind__startswith="theme.").values_list("kind", flat=True)
    )
    assert kinds == {
        "theme.run_started": 1,
        "theme.run_finished": 1,
        "theme.renamed": 1,
        "theme.summary_written": 1,
        "theme.split": 1,
        "theme.members_moved": 1,
        "theme.merged": 1,
        "theme.key_quote_marked": 1,
        "theme.key_quote_unmarked": 1,
    }
    body = page(team.get(url("theme_detail", run, pk=bus.pk)))
    for why in ("Shorter", "First draft", "Same thing", "Vivid", "Changed mind"):
        assert why in body
    assert rent.memberships.count() > 0


def test_an_edit_refused_on_the_page_shows_why_and_keeps_what_was_typed(team, world, run):
    bus = run.themes.get(engine_id="theme-bus")
    quotable = bus.memberships.filter(contribution__quote_consent="quote").first().contribution
    typed = quotable.text[:15] + " (paraphrased)"
    response = team.post(
        url("theme_quote_mark", run, pk=bus.pk),
        {"quote-contribution": quotable.pk, "quote-excerpt": typed, "quote-reason": "Good"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "letter for letter" in body and html.escape(typed) in body
    assert not KeyQuote.objects.filter(theme=bus, marked_by="person").exists()
    response = team.post(url("theme_rename", run, pk=bus.pk), {"rename-label": "Buses"})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert 'value="Buses"' in response.content.decode()


def test_edits_are_closed_once_the_report_is_done(client):
    from heard.core.permissions import Phase
    from tests.sense.conftest import make_world

    world = make_world(Phase.DRAFT)
    run = services.start_run(world.engagement, by=world.team, enqueue=False)
    services.run_analysis(run.pk, engine=hand_built())
    client.force_login(world.team)
    bus = run.themes.get(engine_id="theme-bus")
    body = page(client.get(url("theme_detail", run, pk=bus.pk)))
    assert "Edit this theme" not in body and "members-contributions" not in body
    response = client.post(
        url("theme_rename", run, pk=bus.pk), {"rename-label": "X", "rename-reason": "Late"}
    )
    assert response.status_code == 403


def test_a_run_of_another_engagement_is_not_found_here(team, world, run):
    other = factories.make_engagement()
    factories.make_member(other, Role.TEAM)
    wrong = reverse("theme_overview", kwargs={"slug": other.slug, "version": run.version})
    team.force_login(factories.make_member(other, Role.TEAM))
    assert team.get(wrong).status_code == 404


def test_the_engagement_page_links_to_themes_for_those_who_may_see_them(client, world):
    link = reverse("themes", args=[world.engagement.slug])
    for role, shown in ((Role.TEAM, True), (Role.WORKING_GROUP, True), (Role.PARTICIPANT, False)):
        client.force_login(factories.make_member(world.engagement, role))
        body = page(client.get(world.engagement.get_absolute_url()))
        assert (f'href="{link}"' in body) == shown, role
