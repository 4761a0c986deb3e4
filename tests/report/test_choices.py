"""The team's hand in the report: population shares with under-heard groups flagged, which
quotes each theme shows (never their words), narrative linked to its evidence, bilingual
headings, and publishing on the task worker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.engagements.models import DemographicField
from heard.listen import services as listen
from heard.listen.models import Contribution, Participant
from heard.report import evidence, gather, population, rendering, services
from heard.report.models import ReportPublication, ReportVersion
from heard.sense import queries as sense_queries
from heard.sense import services as sense
from tests import factories
from tests.report.test_report import _conversation, quotes_in
from tests.sense.conftest import hand_built, make_world
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_world(Phase.REPORT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    _conversation(world)
    return world


def _themes(world):
    return services.orderable_themes(world.engagement)


def _html(engagement) -> str:
    return rendering.render_html(gather.gather(engagement))


# -- population shares (the plain module) ---------------------------------------------------


def test_a_rare_answer_stays_out_of_the_base_and_is_flagged_only_if_surely_under():
    # R's 2 people are not printed: the others' shares are over 100, not 102.
    found = population.compare(
        {"A": 50, "B": 50, "R": 2, "S": 1}, {"A": 40, "B": 40, "R": 15, "S": 1}, {"R": 3, "S": 3}
    )
    assert found["A"].heard_percent == 50.0
    assert found["R"].heard_percent is None and found["R"].flag == "under"
    assert found["S"].flag == ""  # up to 2 people of 102 could be its 1%


def test_compare_flags_groups_heard_under_four_fifths_of_their_share_or_not_at_all():
    found = population.compare({"A": 60, "B": 30, "C": 10}, {"A": 50, "B": 25, "C": 15, "D": 10})
    # Heard shares over the 100 people in the covered groups: 60, 30, 10, 0.
    assert found["A"].heard_percent == 60.0 and found["A"].flag == ""
    assert found["C"].ratio == pytest.approx(0.67) and found["C"].flag == "under"
    assert found["D"].heard_percent == 0.0 and found["D"].flag == "not_heard"
    # Exactly four fifths is not under.
    assert population.compare({"A": 4, "B": 6}, {"A": 50, "B": 50})["A"].flag == ""
    assert population.compare({"A": 39, "B": 61}, {"A": 50, "B": 50})["A"].flag == "under"


@pytest.mark.parametrize(
    "shares, message",
    [
        ({"A": "sixty"}, "as a number"),
        ({"A": 101}, "between 0 and 100"),
        ({"A": -1}, "between 0 and 100"),
        ({"A": "nan"}, "between 0 and 100"),
        ({"A": 70, "B": 40}, "more than 100%"),
        ({" ": 5}, "group's name"),
    ],
)
def test_clean_shares_refuses_what_cannot_be_a_population(shares, message):
    with pytest.raises(population.SharesError, match=message):
        population.clean_shares(shares)


def test_clean_shares_allows_rounded_census_tables():
    assert population.clean_shares({"A": "33.4%", "B": 33.4, "C": Decimal("33.5")}) == {
        "A": 33.4,
        "B": 33.4,
        "C": 33.5,
    }


# -- evidence markers (the plain module) ----------------------------------------------------


def test_narrative_splits_paragraphs_and_links_markers():
    def resolve(kind, ref):
        return evidence.Evidence(kind, ref, f"{kind}{ref}", f"x-{ref}")

    text = "First [c:12] and [s:1.4].\n\nSecond [t:3]\nline [c:nope]"
    paragraphs = evidence.narrative(text, resolve)
    assert len(paragraphs) == 2
    assert [s.evidence.ref for s in paragraphs[0] if s.evidence] == ["12", "1.4"]
    assert [s.text for s in paragraphs[1] if not s.evidence] == ["Second ", "\nline [c:nope]"]
    assert evidence.unresolved(text, {("c", "12"), ("t", "3")}) == ["[s:1.4]"]


# -- who we heard against the population ---------------------------------------------------


def test_population_shares_flag_under_heard_groups_in_the_text_and_add_unheard_ones(world):
    engagement = world.engagement
    services.save_population(
        engagement,
        "language",
        by=world.team,
        source="Census 2023",
        shares={"en": "80", "mi": "15", "Samoan": "5"},
    )
    report = gather.gather(engagement)
    language = next(b for b in report.who if b.key == "language")
    rows = {r.key: r for r in language.rows}
    assert rows["Samoan"].people == 0 and rows["Samoan"].flag == "not_heard"
    assert rows["en"].population_percent == 80.0
    heard = rows["en"].people + rows["mi"].people
    assert rows["mi"].heard_percent == round(100 * rows["mi"].people / heard, 1)
    assert language.source == "Census 2023"
    html = rendering.render_html(report)
    assert "Groups we heard less than their share of the population" in html
    assert "Samoan (Language): not heard at all, against 5.0% of the population." in html
    assert "Census 2023" in html and "Share of population" in html


def test_population_needs_a_source_and_a_known_dimension(world):
    with pytest.raises(ValidationError, match="come from"):
        services.save_population(
            world.engagement, "language", by=None, source="", shares={"en": 90}
        )
    with pytest.raises(ValidationError, match="cannot be given"):
        services.save_population(
            world.engagement, "channel", by=None, source="x", shares={"online": 90}
        )
    with pytest.raises(ValidationError, match="more than 100"):
        services.save_population(
            world.engagement, "language", by=None, source="x", shares={"en": 90, "mi": 20}
        )
    # Clearing the shares stops the comparison.
    services.save_population(world.engagement, "language", by=None, source="x", shares={"en": 9})
    services.save_population(world.engagement, "language", by=None, source="", shares={})
    assert not next(b for b in gather.gather(world.engagement).who if b.key == "language").compared


def test_self_described_answers_are_counted_with_consent_and_rare_ones_not_printed(world):
    engagement = world.engagement
    DemographicField.objects.create(
        engagement=engagement,
        key="age_band",
        label="Age",
        choices=["18-24", "25-34", "65+"],
    )
    people = list(
        Participant.objects.filter(engagement=engagement, contributions__isnull=False).distinct()
    )
    assert len(people) >= 8
    for n, person in enumerate(people):
        consent = n != 0
        age = "18-24" if n < 5 else ("65+" if n == 5 else "25-34")
        Participant.objects.filter(pk=person.pk).update(
            demographics={"age_band": age}, demographics_consent=consent
        )
    breakdown = next(b for b in gather.gather(engagement).who if b.key == "demo:age_band")
    rows = {r.key: r for r in breakdown.rows}
    assert rows["18-24"].people == 4  # the first person did not consent: not counted
    assert rows["65+"].suppressed and rows["65+"].people == 1
    assert breakdown.measure == "people"
    html = rendering.render_html(gather.gather(engagement))
    assert "People by Age (self-described, with consent)" in html
    assert "fewer than 3" in html


def test_population_page_saves_shares_and_shows_errors(world):
    client = Client()
    client.force_login(world.team)
    url = reverse("report_population", args=[world.engagement.slug])
    page = client.get(url)
    assert page.status_code == 200 and "Young people" in page.content.decode()
    from heard.report.forms import group_field

    prefix = group_field("audience")
    bad = client.post(
        url,
        {
            f"{prefix}-dimension": "audience",
            f"{prefix}-source": "Iwi register",
            f"{prefix}-{group_field('Young people')}": "70",
            f"{prefix}-new_name_0": "Kaumātua",
            f"{prefix}-new_share_0": "40",
        },
    )
    assert bad.status_code == 400 and "more than 100%" in bad.content.decode()
    good = client.post(
        url,
        {
            f"{prefix}-dimension": "audience",
            f"{prefix}-source": "Iwi register",
            f"{prefix}-{group_field('Young people')}": "60",
            f"{prefix}-new_name_0": "Kaumātua",
            f"{prefix}-new_share_0": "40",
        },
    )
    assert good.status_code == 302
    entered = services.draft_of(world.engagement).population["audience"]
    assert entered == {"source": "Iwi register", "shares": {"Young people": 60.0, "Kaumātua": 40.0}}


# -- choosing quotes ------------------------------------------------------------------------


def test_the_team_chooses_and_orders_quotes_from_what_may_be_quoted(world):
    engagement = world.engagement
    theme = _themes(world)[0]
    candidates = services.quote_candidates(engagement, theme)
    assert len(candidates) >= 3
    withheld = {world.hidden.pk, world.not_for_quoting.pk, world.withdrawn.pk}
    assert not {c.quote.contribution for c in candidates} & withheld
    picked = [candidates[2].ref, candidates[0].ref]
    services.save_theme_choice(engagement, theme.pk, by=world.team, chosen=picked)
    shown = next(t for t in gather.gather(engagement).themes.themes if t.id == theme.pk)
    assert [(q.contribution, q.start, len(q.text)) for q in shown.quotes] == picked
    for q in shown.quotes:
        stored = Contribution.objects.get(pk=q.contribution).text
        assert stored[q.start : q.start + len(q.text)] == q.text

    # Words not offered (an excerpt no one marked, a withheld contribution) are refused.
    whole = candidates[0].quote
    for ref in [(whole.contribution, 1, 5), (world.not_for_quoting.pk, 0, 10)]:
        with pytest.raises(ValidationError, match="offered"):
            services.save_theme_choice(engagement, theme.pk, by=None, chosen=[ref])

    # Words withdrawn after they were chosen leave the report.
    listen.withdraw_contribution(Contribution.objects.get(pk=picked[0][0]), via="team")
    shown = next(t for t in gather.gather(engagement).themes.themes if t.id == theme.pk)
    assert [q.contribution for q in shown.quotes] == [picked[1][0]]

    # Back to the analysis's key quotes.
    services.save_theme_choice(engagement, theme.pk, by=None, chosen=None)
    assert str(theme.pk) not in services.draft_of(engagement).quote_choice


def test_theme_page_ticks_and_orders_quotes_with_no_field_for_words(world):
    client = Client()
    client.force_login(world.team)
    theme = _themes(world)[1]
    url = reverse("report_theme", args=[world.engagement.slug, theme.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "<textarea" in body  # the note only
    candidates = services.quote_candidates(world.engagement, theme)
    first, second = candidates[0], candidates[-1]
    response = client.post(
        url,
        {
            f"pick_{first.value}": "on",
            f"pos_{first.value}": "2",
            f"pick_{second.value}": "on",
            f"pos_{second.value}": "1",
            "note": f"People asked for this first [t:{theme.pk}].",
        },
    )
    assert response.status_code == 302
    draft = services.draft_of(world.engagement)
    assert draft.quote_choice[str(theme.pk)] == [list(second.ref), list(first.ref)]
    html = _html(world.engagement)
    assert f'<a class="evidence" href="#t-{theme.pk}"' in html
    missing = reverse("report_theme", args=[world.engagement.slug, 999999])
    assert client.get(missing).status_code == 404


# -- narrative linked to evidence ------------------------------------------------------------


def test_narrative_links_to_quotes_statements_and_themes_in_the_page(world):
    engagement = world.engagement
    report = gather.gather(engagement)
    quote = report.quotes()[0]
    statement = next(
        s
        for c in report.conversations
        for s in c.common_ground + [st for g in c.groups for st in g.statements]
    )
    theme = report.themes.themes[0]
    services.save_draft(
        engagement,
        by=world.team,
        introduction=f"People were clear [c:{quote.contribution}].\n\nAnd [s:{statement.ref}].",
        next_steps=f"We start with [t:{theme.id}].",
    )
    html = _html(engagement)
    assert f'id="c-{quote.contribution}"' in html
    assert f'href="#c-{quote.contribution}"' in html
    assert f'id="s-{statement.ref}"' in html and f'href="#s-{statement.ref}"' in html
    assert f'href="#t-{theme.id}"' in html and f'id="t-{theme.id}"' in html
    # Every link in the page lands on an id in it.
    import re

    ids = set(re.findall(r'id="([^"]+)"', html))
    assert {h for h in re.findall(r'href="#([^"]+)"', html)} <= ids

    with pytest.raises(ValidationError, match=rf"\[c:{world.not_for_quoting.pk}\]"):
        services.save_draft(
            engagement, by=None, introduction=f"Not quoted [c:{world.not_for_quoting.pk}]."
        )
    # A link whose evidence leaves the report later is printed as plain words, saying so.
    listen.withdraw_contribution(Contribution.objects.get(pk=quote.contribution), via="team")
    html = _html(engagement)
    assert f'href="#c-{quote.contribution}"' not in html
    assert f"contribution {quote.contribution}, no longer in this report" in html


# -- bilingual headings ----------------------------------------------------------------------


def test_bilingual_report_prints_each_heading_in_te_reo_too(world):
    engagement = world.engagement
    assert 'lang="mi">I pēhea tā mātou whakarongo' not in _html(engagement)
    services.save_draft(engagement, by=None, bilingual=True)
    html = _html(engagement)
    assert 'lang="mi">I pēhea tā mātou whakarongo</span>' in html


# -- publishing on the worker ----------------------------------------------------------------


# The worker closes the database connection after its tasks, as in production.
@pytest.mark.django_db(transaction=True)
def test_publishing_runs_on_the_worker_once_however_often_it_is_asked(world):
    engagement = world.engagement
    client = Client()
    client.force_login(world.team)
    publish = reverse("report_publish", args=[engagement.slug])
    assert client.post(publish, {"change_note": ""}).status_code == 302
    assert client.post(publish, {"change_note": ""}).status_code == 302  # a double click
    assert ReportPublication.objects.filter(engagement=engagement).count() == 1
    team = reverse("report_team", args=[engagement.slug])
    assert client.get(team + "?format=json").json()["publishing"] is True
    run_worker()
    status = client.get(team + "?format=json").json()
    assert status["publishing"] is False and status["version_url"].endswith("/report/v/1/")
    version = ReportVersion.objects.get(engagement=engagement)
    assert not version.interim and version.pdf[:5] == b"%PDF-"
    # A correction needs its note before anything is queued.
    response = client.post(publish, {"change_note": ""})
    assert response.status_code == 400 and "change note" in response.content.decode()


def test_a_failed_publication_keeps_its_reason_and_publishes_nothing(world):
    engagement = world.engagement
    services.publish(engagement, by=world.team)
    # Queued without a note by a request that raced the first version.
    late = ReportPublication.objects.create(engagement=engagement, requested_by=world.team)
    with pytest.raises(ValidationError):
        services.run_publication(late.pk)
    late.refresh_from_db()
    assert late.status == ReportPublication.Status.FAILED and "change note" in late.error
    assert ReportVersion.objects.filter(engagement=engagement).count() == 1
    assert services.run_publication(late.pk)["skipped"] == "not queued"


def test_a_report_published_while_listening_says_it_is_interim():
    world = make_world(Phase.LISTEN)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    assert sense_queries.latest_done_run(world.engagement) is not None
    version = services.publish(world.engagement, by=world.team)
    assert version.interim
    assert "An interim report: what we have heard so far" in version.html
    assert quotes_in(version.html)


def test_only_the_team_edits_choices(world):
    outsider = factories.make_member(world.engagement, Role.FACILITATOR, username="kaiāwhina")
    client = Client()
    client.force_login(outsider)
    theme = _themes(world)[0]
    for url in [
        reverse("report_theme", args=[world.engagement.slug, theme.pk]),
        reverse("report_population", args=[world.engagement.slug]),
    ]:
        assert client.get(url).status_code == 403


def test_how_we_listened_lists_the_questions_and_the_statement_surveys(world):
    from heard.engagements.models import Question

    question = Question.objects.create(
        engagement=world.engagement, key="matters", text="What matters most to you?"
    )
    Contribution.objects.filter(pk__in=[c.pk for c in world.contributions[:4]]).update(
        question=question
    )
    how = gather.gather(world.engagement).how
    asked = {q.label: q.contributions for q in how.questions}
    assert asked["What matters most to you?"] == 4
    (survey,) = how.surveys
    assert survey.statements == 6 and survey.voters == 16 and survey.votes >= survey.voters
    html = _html(world.engagement)
    assert "The questions we asked" in html and "Statements people voted on" in html


def test_the_app_translates_the_same_share_messages_the_plain_module_raises():
    assert {k: str(v) for k, v in services.SHARES_MESSAGES.items()} == population.MESSAGES
    assert set(gather.EVIDENCE_KINDS) == set(evidence.KINDS)
