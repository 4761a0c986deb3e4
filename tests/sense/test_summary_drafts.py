"""Theme summaries drafted by the operator's language model, in the platform: asked for on the
theme page, written by the worker against a real local HTTP server standing in for the endpoint,
kept with checked citations, shown as machine-written, and adopted only through
``services.write_summary`` (one record entry, a reason required)."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator

import pytest
from django.db import connections
from django.urls import reverse

from heard.core.permissions import Role
from heard.listen import services as listen
from heard.record.models import LogEntry
from heard.sense import drafts, services
from heard.sense.models import KeyQuote, SummaryDraft, Theme, ThemeEdit, ThemeRun
from heard.sense.themes.summaries import PROMPT_VERSION
from tests import factories
from tests.sense.llm_stub import StandIn, serving
from tests.sense.test_services import entries, finished_run
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

API_KEY = "sk-test-not-a-real-key-27182"


@pytest.fixture
def llm(settings, tmp_path) -> Iterator[StandIn]:
    """Summaries turned on, pointing at a stand-in server; its state (replies, requests)."""
    key_file = tmp_path / "llm.key"
    key_file.write_text(API_KEY + "\n")
    with serving() as (state, url):
        settings.HEARD_LLM_BASE_URL = url
        settings.HEARD_LLM_MODEL = "our-model"
        settings.HEARD_LLM_API_KEY_FILE = str(key_file)
        settings.HEARD_LLM_TIMEOUT = 10.0
        yield state


@pytest.fixture
def run(world) -> ThemeRun:
    return finished_run(world)


@pytest.fixture
def bus(run) -> Theme:
    return run.themes.get(engine_id="theme-bus")


@pytest.fixture
def team(client, world):
    client.force_login(world.team)
    return client


def url(name: str, theme: Theme, **kwargs) -> str:
    run = theme.run
    return reverse(
        name,
        kwargs={"slug": run.engagement.slug, "version": run.version, "pk": theme.pk, **kwargs},
    )


def page(client, theme: Theme) -> str:
    response = client.get(url("theme_detail", theme))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def sent_quotes(request: dict) -> list[str]:
    """The quotes' words in one request to the endpoint, in the order they were labelled."""
    user = request["body"]["messages"][-1]["content"]
    quotes = json.loads(user.split("Quotes:\n", 1)[1])
    assert [q["label"] for q in quotes] == [f"Q{n}" for n in range(1, len(quotes) + 1)]
    return [q["text"] for q in quotes]


def engine_quotes(theme: Theme) -> list[KeyQuote]:
    return list(theme.key_quotes.filter(marked_by="machine").order_by("position"))


def drafted(theme: Theme, by) -> SummaryDraft:
    """A draft asked for and written in-process (the task body, as the worker calls it)."""
    draft = drafts.request_draft(theme, by=by, enqueue=False)
    drafts.write_draft(draft.pk)
    draft.refresh_from_db()
    return draft


def section(body: str, element_id: str) -> str:
    match = re.search(rf'<(ol|ul) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', body, re.S)
    assert match, element_id
    return match.group(2)


@pytest.mark.django_db(transaction=True)
def test_a_draft_asked_for_on_the_page_is_written_by_the_worker_citing_the_theme(
    team, world, bus, llm, settings
):
    engine = engine_quotes(bus)
    assert len(engine) == 3
    typical = next(
        m.contribution for m in bus.memberships.all() if "forty minutes" in m.contribution.text
    )
    marked = services.mark_key_quote(
        bus, typical, excerpt="forty minutes for a bus", by=world.team, reason="Says it best"
    )
    hidden, withdrawn = engine[1].contribution, engine[2].contribution
    hidden_words, withdrawn_words = hidden.text, withdrawn.text
    listen.hide_contribution(hidden, reason="Names a private person.", by=world.team)
    listen.withdraw_contribution(withdrawn, via="team")
    llm.sentences(
        {"text": "People wait a long time for buses.", "cites": ["Q1"]},
        {"text": "Buses are late and rare.", "cites": ["Q1", "Q2"]},
    )

    body = page(team, bus)
    assert "Draft a summary with the language model" in body
    ask = url("theme_draft_request", bus)
    assert team.post(ask).status_code == 302
    again = team.post(ask, follow=True)
    assert "already being written" in again.content.decode()
    draft = SummaryDraft.objects.get()
    assert (draft.status, draft.theme, draft.requested_by) == ("queued", bus, world.team)

    run_worker()

    draft.refresh_from_db()
    assert draft.status == "done", (draft.failure, draft.error)
    assert draft.sentences == [
        {"text": "People wait a long time for buses.", "contributions": [typical.pk]},
        {
            "text": "Buses are late and rare.",
            "contributions": [typical.pk, engine[0].contribution_id],
        },
    ]
    members = set(bus.memberships.values_list("contribution_id", flat=True))
    assert set(draft.cited()) <= members
    # Only words people allowed to be quoted left the site: the analyst's key quote first,
    # then the engine's; not the hidden, the withdrawn, or the not-for-quoting member.
    [request] = llm.requests
    assert sent_quotes(request) == [marked.text, engine[0].text]
    everything_sent = json.dumps(request["body"], ensure_ascii=False)
    for words in (hidden_words, withdrawn_words, world.not_for_quoting.text):
        assert words not in everything_sent
    assert world.not_for_quoting.pk in members
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    provenance = draft.provenance
    assert provenance["model"] == "our-model" and provenance["prompt_version"] == PROMPT_VERSION
    assert provenance["endpoint_host"] == settings.HEARD_LLM_BASE_URL.split("/")[2]
    assert provenance["input_hash"].startswith("sha256:") and provenance["quotes_sent"] == 2
    assert API_KEY not in json.dumps(provenance) and API_KEY not in draft.error

    body = page(team, bus)
    assert "Machine-written" in body
    shown = section(body, "draft-sentences")
    assert "People wait a long time for buses." in shown
    links = re.findall(r'<a href="([^"]+)" data-cites="(\d+)"', shown)
    assert links == [
        (f"#key-quote-{marked.pk}", str(typical.pk)),
        (f"#key-quote-{marked.pk}", str(typical.pk)),
        (f"#key-quote-{engine[0].pk}", str(engine[0].contribution_id)),
    ]
    for anchor, _cid in links:
        assert f'id="{anchor[1:]}"' in body  # each link lands on the quote it cites
    assert html.escape("our-model") in body and provenance["input_hash"] in body


def test_sentences_refused_by_the_citation_check_are_kept_apart_and_shown_as_such(
    team, world, bus, llm
):
    llm.sentences(
        {"text": "Buses are late.", "cites": ["Q1"]},
        {"text": "The council should buy trams.", "cites": []},
        {"text": "Everyone wants free buses.", "cites": ["Q2", "Q9"]},
    )

    draft = drafted(bus, world.team)

    assert draft.status == "done"
    assert draft.sentences == [
        {"text": "Buses are late.", "contributions": [engine_quotes(bus)[0].contribution_id]}
    ]
    assert draft.rejected == [
        {"text": "The council should buy trams.", "reason": "uncited", "cited": []},
        {"text": "Everyone wants free buses.", "reason": "unknown_quote", "cited": ["Q2", "Q9"]},
    ]
    body = page(team, bus)
    shown = section(body, "draft-sentences")
    assert "Buses are late." in shown and "trams" not in shown and "free buses" not in shown
    refused = html.unescape(section(body, "rejected-sentences"))
    assert "“The council should buy trams.” — not shown because it cites no quote" in refused
    assert (
        "“Everyone wants free buses.” — not shown because it cites a quote the model was not "
        "given (it cited Q2, Q9)"
    ) in refused


@pytest.mark.parametrize(
    ("reply", "failure", "message"),
    [
        ((500, b'{"error": "model overloaded"}'), "http", "server refused the request"),
        ((200, None), "unparseable", "did not answer in the form asked for"),
        ((200, []), "no_cited_sentences", "failed the citation check"),
    ],
)
def test_a_failure_is_kept_as_a_failed_draft_with_its_reason_and_the_page_still_works(
    team, world, bus, llm, reply, failure, message
):
    status, content = reply
    if content is None:
        llm.answer("I would rather not summarise this.")
    elif isinstance(content, list):
        llm.sentences({"text": "Nobody likes buses.", "cites": ["Q7"]})
    else:
        llm.raw(status, content)

    draft = drafted(bus, world.team)

    assert (draft.status, draft.failure, draft.sentences) == ("failed", failure, [])
    assert draft.finished_at is not None and API_KEY not in draft.error
    body = page(team, bus)
    assert "No draft this time." in body and message in html.unescape(body)
    assert "Use this as the theme summary" not in body
    if failure == "http":
        assert "HTTP 500" in draft.error and "model overloaded" in html.unescape(body)
    if failure == "no_cited_sentences":
        assert draft.rejected == [
            {"text": "Nobody likes buses.", "reason": "unknown_quote", "cited": ["Q7"]}
        ]
        assert "Nobody likes buses." in section(body, "rejected-sentences")
    # A failed draft can be asked for again.
    llm.sentences({"text": "Buses are late.", "cites": ["Q1"]})
    assert drafted(bus, world.team).status == "done"


@pytest.mark.django_db(transaction=True)
def test_a_citation_that_may_no_longer_be_quoted_when_the_answer_comes_fails_the_draft(
    team, world, bus, llm
):
    cited = engine_quotes(bus)[0].contribution

    def hide_it_meanwhile() -> None:  # in the server's thread, while the model "writes"
        try:
            listen.hide_contribution(cited, reason="Names a private person.", by=world.team)
        finally:
            connections.close_all()

    llm.on_request = hide_it_meanwhile
    llm.sentences({"text": "Buses are late.", "cites": ["Q1"]})

    draft = drafted(bus, world.team)

    assert (draft.status, draft.failure, draft.sentences) == ("failed", "citation_refused", [])
    assert str(cited.pk) in draft.error
    assert "not in this theme or may not be quoted" in page(team, bus)


def test_without_an_endpoint_nothing_of_the_language_model_shows_and_asking_is_refused(
    team, world, bus, llm, settings
):
    llm.sentences({"text": "Buses are late.", "cites": ["Q1"]})
    earlier = drafted(bus, world.team)  # made while summaries were on
    settings.HEARD_LLM_BASE_URL = ""

    body = page(team, bus)

    assert "language model" not in body.lower() and "Machine-written" not in body
    assert "Buses are late." not in body
    assert team.post(url("theme_draft_request", bus)).status_code == 404
    adopt = url("theme_draft_adopt", bus, dpk=earlier.pk)
    assert team.post(adopt, {"adopt-reason": "Good"}).status_code == 404
    assert SummaryDraft.objects.count() == 1 and len(llm.requests) == 1
    bus.refresh_from_db()
    assert bus.summary == ""


def test_adopting_a_draft_writes_the_summary_through_write_summary_once(team, world, bus, llm):
    llm.sentences(
        {"text": "Buses are late.", "cites": ["Q1"]},
        {"text": "Evening services are missed.", "cites": ["Q2", "Q1"]},
    )
    draft = drafted(bus, world.team)
    adopt = url("theme_draft_adopt", bus, dpk=draft.pk)
    before = LogEntry.objects.count()

    refused = team.post(adopt, {"adopt-reason": "  "})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert LogEntry.objects.count() == before

    done = team.post(adopt, {"adopt-reason": "Reads the quotes fairly"})

    assert done.status_code == 302 and done["Location"] == url("theme_detail", bus)
    assert LogEntry.objects.count() == before + 1
    bus.refresh_from_db()
    assert bus.summary == "Buses are late. Evening services are missed." == draft.text
    assert (bus.summary_by, bus.summary_draft) == (world.team, draft)
    [entry] = entries("theme.summary_written")
    assert entry["summary_sha256"] == hashlib.sha256(bus.summary.encode()).hexdigest()
    assert (entry["draft"], entry["draft_model"], entry["reason"]) == (
        draft.pk,
        "our-model",
        "Reads the quotes fairly",
    )
    assert "Buses are late" not in bytes(LogEntry.objects.last().leaf).decode()
    assert ThemeEdit.objects.get(kind="theme.summary_written").reason == "Reads the quotes fairly"
    body = page(team, bus)
    assert "Drafted by a language model" in body
    adopted = section(body, "summary-sentences")
    assert "Evening services are missed." in adopted
    cites = [int(c) for c in re.findall(r'data-cites="(\d+)"', adopted)]
    first, second = draft.cited()
    assert cites == [first, second, first]  # each sentence's own citations, in its order
    again = team.post(adopt, {"adopt-reason": "Twice"})
    assert again.status_code == 400 and "The summary is unchanged." in again.content.decode()

    services.write_summary(bus, text="In our words.", by=world.team, reason="Rewritten")
    bus.refresh_from_db()
    assert bus.summary_draft is None and "draft" not in entries("theme.summary_written")[-1]
    assert "Drafted by a language model" not in page(team, bus)


def test_a_draft_whose_citation_left_the_theme_cannot_be_adopted(team, world, bus, run, llm):
    llm.sentences({"text": "Buses are late.", "cites": ["Q1"]})
    draft = drafted(bus, world.team)
    [cited] = draft.cited()
    services.move_contributions(run, [cited], to=None, by=world.team, reason="Not about buses")
    before = LogEntry.objects.count()

    response = team.post(url("theme_draft_adopt", bus, dpk=draft.pk), {"adopt-reason": "Good"})

    assert response.status_code == 400
    assert "a contribution it cites left the theme" in html.unescape(response.content.decode())
    assert LogEntry.objects.count() == before
    bus.refresh_from_db()
    assert bus.summary == ""


def test_working_group_members_see_the_draft_but_may_not_ask_for_or_adopt_one(
    client, world, bus, llm
):
    llm.sentences({"text": "Buses are late.", "cites": ["Q1"]})
    draft = drafted(bus, world.team)
    client.force_login(factories.make_member(world.engagement, Role.WORKING_GROUP))

    body = page(client, bus)

    assert "Buses are late." in body and "Machine-written" in body
    assert "Draft a summary with the language model" not in body
    assert "Use this as the theme summary" not in body
    assert client.post(url("theme_draft_request", bus)).status_code == 403
    adopt = client.post(url("theme_draft_adopt", bus, dpk=draft.pk), {"adopt-reason": "Good"})
    assert adopt.status_code == 403
    assert SummaryDraft.objects.count() == 1
    bus.refresh_from_db()
    assert bus.summary == ""


def test_a_theme_with_nothing_quotable_is_refused_before_anything_is_sent(team, world, bus, llm):
    for quote in bus.key_quotes.all():
        services.unmark_key_quote(quote, by=world.team, reason="Start again")

    response = team.post(url("theme_draft_request", bus), follow=True)

    assert "no key quote that may be quoted" in html.unescape(response.content.decode())
    assert SummaryDraft.objects.count() == 0 and llm.requests == []
