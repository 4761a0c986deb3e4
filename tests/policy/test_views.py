"""The policy's pages through the real views: who may see and do what, starting the policy,
adding, editing, tracing and removing clauses, issuing and the next version, setting themes
aside, drafts hidden from the public, the canonical JSON that hashes to the version's hash,
quotes that are exactly what people said, and clause text that cannot run anything."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.listen import services as listen
from heard.listen.models import Contribution
from heard.policy import services
from heard.policy.models import ClauseVersion, Policy, PolicyVersion
from heard.sense import services as sense
from heard.sense.models import KeyQuote
from tests import factories
from tests.report.test_report import quotes_in
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>"


@pytest.fixture
def world():
    world = make_world(Phase.DRAFT)
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    return world


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(name: str, world, *args) -> str:
    return reverse(name, args=[world.engagement.slug, *args])


def _themes(policy) -> dict:
    return {t.label: t for t in services.themes_of(policy)}


def _ref(kq: KeyQuote) -> str:
    return f"{kq.contribution_id}:{kq.start}:{kq.length}"


def _quotes(html: str) -> list[tuple[int, str]]:
    """Every <blockquote data-contribution> of a page, with its text (the report's parser)."""
    return [
        (int(attrs["data-contribution"]), text)
        for attrs, text in quotes_in(html)
        if attrs.get("data-contribution")
    ]


def _issued_policy(world, *, quote_theme: str = "data"):
    """A policy with an issued version 1: P1 traced to a theme and one of its key quotes, G1 to
    a theme, L1 not from the engagement."""
    policy = services.start_policy(
        world.engagement, by=world.team, title="Data policy", title_mi="Kaupapa here raraunga"
    )
    draft = services.latest_version(policy)
    themes = _themes(policy)
    quote = KeyQuote.objects.filter(theme=themes[quote_theme]).first()
    p1 = services.write_clause(
        draft, "P1", kind="principle", text_en="Ask people **first**.", text_mi="Me pātai tuatahi."
    )
    services.trace_clause(
        p1,
        themes=[themes[quote_theme].pk],
        quotes=[(quote.contribution_id, quote.start, quote.length)],
    )
    g1 = services.write_clause(draft, "G1", kind="guideline", text_en="Buses on time.")
    services.trace_clause(g1, themes=[themes["bus"].pk])
    l1 = services.write_clause(draft, "L1", text_mi="Whāia te ture.")
    services.trace_clause(l1, not_from_engagement="The law requires it of every agency.")
    services.issue(draft, by=world.team, note="For check-back.")
    return policy, quote


# -- who may do what ------------------------------------------------------------------------


def test_the_team_page_asks_for_an_analysis_first_and_is_the_teams_alone():
    bare = make_world(Phase.DRAFT)
    url = reverse("policy_team", args=[bare.engagement.slug])
    response = _client(bare.team).get(url)
    assert response.status_code == 200
    assert "Run a theme analysis first" in response.content.decode()
    assert 'name="do" value="start"' not in response.content.decode()
    facilitator = factories.make_member(bare.engagement, Role.FACILITATOR)
    assert _client(facilitator).get(url).status_code == 403
    assert _client().get(url).status_code == 302  # sent to sign in
    # With nothing issued the public page says so, as a 404.
    assert _client().get(reverse("policy", args=[bare.engagement.slug])).status_code == 404


def test_others_may_not_write(world):
    policy, _quote = _issued_policy(world)
    services.next_version(policy, by=world.team)
    theme = _themes(policy)["rent"]
    facilitator = factories.make_member(world.engagement, Role.FACILITATOR)
    group = factories.make_member(world.engagement, Role.WORKING_GROUP)
    for client in (_client(facilitator), _client(group)):
        assert client.get(_url("policy_team", world)).status_code == 403
        assert client.get(_url("policy_clause_edit", world, "P1")).status_code == 403
        response = client.post(
            _url("policy_set_aside", world), {"theme": theme.pk, "reason": "Not ours."}
        )
        assert response.status_code == 403
        response = client.post(
            _url("policy_team", world), {"do": "issue", "issue-version": 2, "issue-note": ""}
        )
        assert response.status_code == 403
        # They read what is public: the issued version, not the draft.
        assert client.get(_url("policy", world)).status_code == 200
        assert client.get(_url("policy_version", world, 2)).status_code == 404
    assert not policy.set_asides.exists()
    assert not services.latest_version(policy).issued


# -- drafting through the pages -------------------------------------------------------------


def test_start_add_edit_trace_and_issue_through_the_pages(world):
    team = _client(world.team)
    url = _url("policy_team", world)
    assert 'name="do" value="start"' in team.get(url).content.decode()

    response = team.post(url, {"do": "start", "title": "  ", "title_mi": "Kaupapa"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and 'value="Kaupapa"' in page
    response = team.post(
        url, {"do": "start", "title": "Data policy", "title_mi": "Kaupapa here raraunga"}
    )
    assert response.status_code == 302
    policy = Policy.objects.get(engagement=world.engagement)
    assert policy.title_mi == "Kaupapa here raraunga"

    # Add a clause: written in English only, so te reo Māori is shown as missing.
    words = "Ask people first,\n\nand  tell them why. "
    add = {
        "do": "add",
        "add-version": 1,
        "add-key": "P1",
        "add-kind": "principle",
        "add-heading_en": "Ask first",
        "add-heading_mi": "",
        "add-text_en": words,
        "add-text_mi": "",
    }
    response = team.post(url, add)
    assert response.status_code == 302
    assert response["Location"] == _url("policy_clause_edit", world, "P1")
    row = ClauseVersion.objects.get(version__policy=policy, clause__key="P1")
    assert row.text_en == words and row.kind == "principle"  # exactly as typed
    page = team.get(url).content.decode()
    assert "Not written in te reo Māori yet" in page
    assert "No evidence" in page and "Issue version 1" in page

    # The same key again is refused; a bad key is refused by the service: nothing typed is lost.
    response = team.post(url, {**add, "add-text_en": "Another text"})
    assert response.status_code == 400
    assert "already in this version" in response.content.decode()
    response = team.post(url, {**add, "add-key": "1 bad", "add-text_en": "Kept words"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A clause key starts with a letter" in page and "Kept words" in page
    assert 'class="error-summary"' in page

    # Edit its words: te reo Māori now written.
    edit = _url("policy_clause_edit", world, "P1")
    page = team.get(edit).content.decode()
    assert 'name="trace-themes"' in page
    response = team.post(
        edit,
        {
            "do": "write",
            "words-version": 1,
            "words-kind": "principle",
            "words-heading_en": "Ask first",
            "words-heading_mi": "Pātai tuatahi",
            "words-text_en": words,
            "words-text_mi": "Me pātai tuatahi ki te iwi.",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.text_mi == "Me pātai tuatahi ki te iwi." and row.text_en == words

    # Trace it: both a theme and a reason is refused, keeping the reason typed.
    themes = _themes(policy)
    quote = KeyQuote.objects.filter(theme=themes["data"]).first()
    assert quote.text in page  # the exact words are offered
    trace = {
        "do": "trace",
        "trace-version": 1,
        "trace-themes": [themes["data"].pk],
        "trace-quotes": [_ref(quote)],
        "trace-not_from_engagement": "",
    }
    response = team.post(edit, {**trace, "trace-not_from_engagement": "The law says so."})
    assert response.status_code == 400
    page = response.content.decode()
    assert "not both" in page and "The law says so." in page
    assert not row.themes.exists()
    response = team.post(edit, trace)
    assert response.status_code == 302
    assert list(row.themes.all()) == [themes["data"]]
    assert [(q.contribution_id, q.start, q.length) for q in row.quotes.all()] == [
        (quote.contribution_id, quote.start, quote.length)
    ]
    page = team.get(url).content.decode()
    assert "No evidence" not in page and "1 quote" in page

    # A second clause, then removed with its confirmation.
    team.post(url, {**add, "add-key": "X1", "add-kind": "clause", "add-text_en": "Drop me."})
    remove = _url("policy_clause_edit", world, "X1")
    assert team.post(remove, {"do": "remove", "remove-version": 1}).status_code == 400
    assert team.post(remove, {"do": "remove", "remove-version": 1, "remove-confirm": "on"})[
        "Location"
    ] == _url("policy_team", world)
    assert not ClauseVersion.objects.filter(clause__key="X1").exists()

    # Issue it.
    response = team.post(url, {"do": "issue", "issue-version": 1, "issue-note": "For check-back."})
    assert response.status_code == 302
    version = PolicyVersion.objects.get(policy=policy, number=1)
    assert version.issued and version.note == "For check-back."
    page = _client().get(_url("policy", world)).content.decode()
    assert "Me pātai tuatahi ki te iwi." in page and version.content_hash in page
    assert 'id="clause-P1"' in page


def test_issuing_refusals_and_a_stale_page_are_shown_not_acted_on(world):
    team = _client(world.team)
    url = _url("policy_team", world)
    team.post(url, {"do": "start", "title": "Data policy"})
    response = team.post(url, {"do": "issue", "issue-version": 1, "issue-note": "Kept note"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "at least one clause" in page and "Kept note" in page
    policy = Policy.objects.get(engagement=world.engagement)
    services.write_clause(services.latest_version(policy), "C1", text_en="Be fair.")
    services.issue(services.latest_version(policy), by=world.team)
    # A page still showing version 1 as a draft cannot act on version 2 unseen.
    services.next_version(policy, by=world.team)
    response = team.post(url, {"do": "issue", "issue-version": 1})
    assert response.status_code == 400 and "is at version 2 now" in response.content.decode()
    assert not services.latest_version(policy).issued


def test_next_version_through_the_pages_and_issued_clauses_are_read_only(world):
    policy, _quote = _issued_policy(world)
    team = _client(world.team)
    edit = _url("policy_clause_edit", world, "P1")
    page = team.get(edit).content.decode()
    assert "is issued and never changes" in page and "Make version 2" in page
    assert 'name="do" value="write"' not in page
    response = team.post(
        edit,
        {
            "do": "write",
            "words-version": 1,
            "words-kind": "clause",
            "words-text_en": "Changed.",
        },
    )
    assert response.status_code == 400  # the service refuses: issued means frozen
    assert "is issued and never changes" in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    assert (
        ClauseVersion.objects.get(version__number=1, clause__key="P1").text_en
        == "Ask people **first**."
    )
    response = team.post(_url("policy_team", world), {"do": "next", "next-version": 1})
    assert response.status_code == 302
    second = services.latest_version(policy)
    assert second.number == 2 and not second.issued
    page = team.get(_url("policy_team", world)).content.decode()
    assert "Issue version 2" in page
    assert 'name="do" value="write"' in team.get(edit).content.decode()


# -- coverage -------------------------------------------------------------------------------


def test_set_aside_and_take_back_through_the_coverage_page(world):
    policy, _quote = _issued_policy(world)
    rent = _themes(policy)["rent"]
    team = _client(world.team)
    coverage = _url("policy_coverage", world)
    page = team.get(coverage).content.decode()
    # Unanswered themes come first, answered last.
    assert page.index('id="unanswered-h"') < page.index('id="bare-h"') < page.index('id="aside-h"')
    assert page.index('id="aside-h"') < page.index('id="other-h"') < page.index('id="answered-h"')
    assert f'id="theme-{rent.pk}-h"' in page

    response = team.post(_url("policy_set_aside", world), {"theme": rent.pk, "reason": " "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page and f'id="id_aside{rent.pk}_reason"' in page
    reason = "Housing is another agency's policy."
    response = team.post(_url("policy_set_aside", world), {"theme": rent.pk, "reason": reason})
    assert response.status_code == 302
    assert policy.set_asides.get(lifted_at=None).reason == reason
    # Twice (a second tab): refused, and said, though the theme's form is gone from the page.
    response = team.post(_url("policy_set_aside", world), {"theme": rent.pk, "reason": "Again"})
    assert response.status_code == 400 and "already set aside" in response.content.decode()
    # The reason is public, on the issued version's coverage.
    public = _client().get(coverage)
    assert public.status_code == 200
    page = public.content.decode()
    assert "Housing is another agency&#x27;s policy." in page
    assert "policy/coverage/take-back/" not in page and "policy/coverage/set-aside/" not in page
    assert "not from the engagement" in page.lower() and "The law requires it" in page

    response = team.post(_url("policy_take_back", world), {"theme": rent.pk})
    assert response.status_code == 302
    assert rent.pk in services.coverage_of(services.latest_version(policy)).unanswered


# -- the public pages -----------------------------------------------------------------------


def test_drafts_are_the_teams_alone(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data policy")
    services.write_clause(services.latest_version(policy), "P1", text_en="Secret draft words.")
    public, team = _client(), _client(world.team)
    for url in (
        _url("policy", world),
        _url("policy_version", world, 1),
        _url("policy_canonical", world, 1),
        _url("policy_coverage", world),
        _url("policy_clause", world, "P1"),
        _url("policy_diff", world, 1, 1),
    ):
        response = public.get(url)
        assert response.status_code == 404, url
        assert "Secret draft words." not in response.content.decode()
    page = team.get(_url("policy_version", world, 1)).content.decode()
    assert "Secret draft words." in page and "seen only by the team" in page
    assert team.get(_url("policy_clause", world, "P1")).status_code == 200
    assert team.get(_url("policy_canonical", world, 1)).status_code == 404  # not issued

    services.issue(services.latest_version(policy), by=world.team)
    second = services.next_version(policy, by=world.team)
    services.write_clause(second, "P1", text_en="Newer secret words.")
    assert public.get(_url("policy_version", world, 2)).status_code == 404
    assert public.get(_url("policy_diff", world, 1, 2)).status_code == 404
    for url in (_url("policy", world), _url("policy_clause", world, "P1")):
        page = public.get(url).content.decode()
        assert "Secret draft words." in page and "Newer secret words." not in page
    assert "Newer secret words." in team.get(_url("policy_clause", world, "P1")).content.decode()


def test_canonical_json_is_served_exactly_and_hashes_to_the_version_hash(world):
    _issued_policy(world)
    version = PolicyVersion.objects.get(number=1)
    response = _client().get(_url("policy_canonical", world, 1))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "sha256:" + hashlib.sha256(response.content).hexdigest() == version.content_hash
    assert response.content == version.canonical.encode("utf-8")
    assert json.loads(response.content)["clauses"][0]["text_mi"] == "Me pātai tuatahi."
    page = _client().get(_url("policy_version", world, 1)).content.decode()
    assert version.content_hash in page
    assert reverse("record_entry", args=[version.log_index]) in page


def test_every_quote_on_the_public_pages_is_exactly_what_was_said(world):
    policy, quote = _issued_policy(world)
    stored = dict(Contribution.objects.values_list("pk", "text"))
    for url in (_url("policy", world), _url("policy_clause", world, "P1")):
        page = _client().get(url).content.decode()
        found = _quotes(page)
        assert found, url
        for contribution, words in found:
            assert words and words in stored[contribution], (url, words)
        assert (quote.contribution_id, quote.text) in found
        assert 'lang="mi"' in page and "Me pātai tuatahi." in page
    assert "Not written in English yet" in _client().get(_url("policy", world)).content.decode()

    # Withdrawn words leave the pages; the issued version and its hash stay.
    words = quote.text
    listen.withdraw_contribution(quote.contribution, via="team")
    page = _client().get(_url("policy", world)).content.decode()
    assert words not in page
    assert "Withdrawn at the participant’s request." in page
    assert quote.contribution_id not in [c for c, _w in _quotes(page)]
    canonical = _client().get(_url("policy_canonical", world, 1)).content
    assert "sha256:" + hashlib.sha256(canonical).hexdigest() == policy.versions.get().content_hash


def test_a_hidden_quote_is_no_longer_quoted(world):
    _policy, quote = _issued_policy(world)
    listen.hide_contribution(quote.contribution, reason="Names a private person.", by=world.team)
    page = _client().get(_url("policy", world)).content.decode()
    assert "No longer quoted." in page and quote.text not in page


def test_hostile_clause_text_renders_inert(world):
    policy = services.start_policy(world.engagement, by=world.team, title="Data <b>policy</b>")
    draft = services.latest_version(policy)
    row = services.write_clause(
        draft, "P1", heading_en="<i>h</i>", text_en=HOSTILE, text_mi=HOSTILE
    )
    services.trace_clause(row, not_from_engagement="<script>alert(3)</script>")
    services.issue(draft, by=world.team)
    second = services.next_version(policy, by=world.team)
    services.write_clause(second, "P1", text_en=HOSTILE + " <script>alert(4)</script>")
    services.issue(second, by=world.team)
    team, public = _client(world.team), _client()
    pages = [
        team.get(_url("policy_team", world)),
        team.get(_url("policy_clause_edit", world, "P1")),
        public.get(_url("policy", world)),
        public.get(_url("policy_version", world, 1)),
        public.get(_url("policy_clause", world, "P1")),
        public.get(_url("policy_diff", world, 1, 2)),
        public.get(_url("policy_coverage", world)),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode().lower()
        assert "<script>alert" not in page
        assert "javascript:" not in page.replace("[x](javascript:alert(1))", "")
        assert 'href="javascript' not in page and "<img src=x" not in page
        assert "<i>h</i>" not in page and "<b>policy</b>" not in page
        assert "&lt;script&gt;alert(" in page


def test_the_diff_shows_clauses_and_words_that_changed(world):
    policy, _quote = _issued_policy(world)
    second = services.next_version(policy, by=world.team)
    services.write_clause(
        second, "P1", kind="principle", text_en="Always ask people **first**.", text_mi=""
    )
    services.remove_clause(second, "L1")
    added = services.write_clause(second, "N1", text_en="A new clause.")
    services.trace_clause(added, themes=[_themes(policy)["rent"].pk])
    services.issue(second, by=world.team)
    page = _client().get(_url("policy_diff", world, 1, 2)).content.decode()
    assert '<ins><span class="visually-hidden">inserted: </span>Always ask</ins>' in page
    assert '<del><span class="visually-hidden">deleted: </span>Me pātai tuatahi.</del>' in page
    assert "Removed" in page and "Added" in page
    assert 'id="clause-G1"' not in page and "1 clause unchanged" in page
    assert page.count("<h1") == 1

    # The provenance page: quotes, then themes, then each version with what changed.
    page = _client().get(_url("policy_clause", world, "P1")).content.decode()
    assert page.index("The words") < page.index("The themes") < page.index("version by version")
    assert "What changed from version 1" in page and "<ins>" in page
    assert _client().get(_url("policy_clause", world, "ZZ9")).status_code == 404
