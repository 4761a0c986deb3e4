"""Theme summaries against a real HTTP server speaking the OpenAI chat-completions shape.

The endpoint is the operator's, not ours, so a local stand-in server (http.server in a thread)
answers with canned model outputs; everything of ours runs for real, sockets included.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from heard.sense.llm_settings import endpoint_from_settings
from heard.sense.themes.result import Item, Quote
from heard.sense.themes.summaries import (
    PROMPT_VERSION,
    Failure,
    LLMEndpoint,
    Rejection,
    SummaryUnavailable,
    input_hash,
    summarise_theme,
)
from tests.sense.llm_stub import StandIn, serving

API_KEY = "sk-test-not-a-real-key-31415"

QUOTES = [
    Quote(id="c-0041", text="The bus only comes twice a day, so I drive.", start=0),
    Quote(id="c-0107", text="Kāore he pahi i te ata, me hīkoi au ki te kura.", start=12),
    Quote(id="c-0230", text="Buses are too dear for a family of five.", start=3),
]


@pytest.fixture
def stand_in() -> Iterator[tuple[StandIn, str]]:
    with serving() as running:
        yield running


def endpoint(base_url: str, **kwargs: Any) -> LLMEndpoint:
    return LLMEndpoint(base_url=base_url, model="our-model", api_key=API_KEY, **kwargs)


def unavailable(url: str, quotes: Sequence[Any] = QUOTES, **kwargs: Any) -> SummaryUnavailable:
    """Ask for a summary that must not come; the reason it did not."""
    with pytest.raises(SummaryUnavailable) as caught:
        summarise_theme("Public transport", quotes, endpoint=endpoint(url, **kwargs))
    return caught.value


def test_a_good_answer_becomes_sentences_citing_real_quote_ids(stand_in):
    state, url = stand_in
    state.sentences(
        {"text": "People say buses are too rare to rely on.", "cites": ["Q1", "Q2"]},
        {"text": "Fares are too high for families.", "cites": ["Q3"]},
    )
    before = datetime.now(UTC).replace(microsecond=0)

    summary = summarise_theme("Public transport", QUOTES, endpoint=endpoint(url))

    assert [(s.text, s.quote_ids) for s in summary.sentences] == [
        ("People say buses are too rare to rely on.", ("c-0041", "c-0107")),
        ("Fares are too high for families.", ("c-0230",)),
    ]
    assert summary.rejected == ()
    provenance = summary.provenance
    assert provenance.endpoint_host == url.split("//")[1].removesuffix("/v1")
    assert provenance.model == "our-model"
    assert provenance.response_model == "stand-in-7b"
    assert provenance.prompt_version == PROMPT_VERSION
    assert before <= datetime.fromisoformat(provenance.created_at) <= datetime.now(UTC)
    assert provenance.input_hash == input_hash("Public transport", QUOTES, None)
    assert API_KEY not in json.dumps(summary.to_json(), ensure_ascii=False)


def test_the_request_is_chat_completions_with_labels_not_ids(stand_in):
    state, url = stand_in
    state.sentences({"text": "Buses are rare.", "cites": ["Q1"]})

    summarise_theme("Public transport", QUOTES, endpoint=endpoint(url), language="mi")

    [request] = state.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    body = request["body"]
    assert body["model"] == "our-model"
    assert body["response_format"] == {"type": "json_object"}
    sent = "\n".join(message["content"] for message in body["messages"])
    for n, quote in enumerate(QUOTES, start=1):
        assert quote.text in sent  # the words as given, macrons intact
        assert f'"label": "Q{n}"' in sent
        assert quote.id not in sent  # the model never sees (or has to copy) an id
    assert "Te reo Māori" in sent


def test_a_sentence_citing_a_quote_that_was_not_given_is_dropped_and_reported(stand_in):
    state, url = stand_in
    state.sentences(
        {"text": "Buses are rare.", "cites": ["Q1"]},
        {"text": "Most people want a tram.", "cites": ["Q2", "Q9"]},
    )

    summary = summarise_theme("Public transport", QUOTES, endpoint=endpoint(url))

    assert [s.text for s in summary.sentences] == ["Buses are rare."]
    [rejected] = summary.rejected
    assert rejected.text == "Most people want a tram."
    assert rejected.reason is Rejection.UNKNOWN_QUOTE
    assert rejected.cited == ("Q2", "Q9")


def test_an_uncited_sentence_is_never_part_of_the_summary(stand_in):
    state, url = stand_in
    state.sentences(
        {"text": "The council should fund more buses.", "cites": []},
        {"text": "Fares are too high [Q3].", "cites": []},
        {"text": "Walking to school is hard in the morning."},
    )

    summary = summarise_theme("Public transport", QUOTES, endpoint=endpoint(url))

    assert [(s.text, s.quote_ids) for s in summary.sentences] == [
        ("Fares are too high.", ("c-0230",))  # an inline marker is a citation
    ]
    assert [(r.text, r.reason) for r in summary.rejected] == [
        ("The council should fund more buses.", Rejection.UNCITED),
        ("Walking to school is hard in the morning.", Rejection.UNCITED),
    ]


def test_when_no_sentence_survives_the_check_there_is_no_summary(stand_in):
    state, url = stand_in
    state.sentences({"text": "Everyone agrees.", "cites": ["Q4"]}, {"text": "Trams!"})

    failure = unavailable(url)

    assert failure.reason is Failure.NO_CITED_SENTENCES
    assert [r.reason for r in failure.rejected] == [Rejection.UNKNOWN_QUOTE, Rejection.UNCITED]


def test_json_wrapped_in_chatter_and_fences_is_still_read(stand_in):
    state, url = stand_in
    answer = {"sentences": [{"text": "Buses are rare.", "cites": "Q1, [q2]"}]}
    state.answer(f"<think>{{ not json }}</think>\nHere you go:\n```json\n{json.dumps(answer)}\n```")

    summary = summarise_theme("Public transport", QUOTES, endpoint=endpoint(url))

    assert [s.quote_ids for s in summary.sentences] == [("c-0041", "c-0107")]


def test_malformed_json_from_the_model_is_unavailable_not_a_crash(stand_in):
    state, url = stand_in
    state.answer('{"sentences": [{"text": "Buses are rare.", "cites": ["Q1"]')  # cut off

    failure = unavailable(url)

    assert failure.reason is Failure.UNPARSEABLE


def test_an_answer_not_in_the_chat_completions_shape_is_unavailable(stand_in):
    state, url = stand_in
    state.raw(200, b'{"error": {"message": "quota exceeded"}}')

    failure = unavailable(url)

    assert failure.reason is Failure.BAD_RESPONSE


def test_an_http_error_is_unavailable_with_its_status_and_without_the_key(stand_in):
    state, url = stand_in
    state.raw(500, b'{"error": "model overloaded"}')

    failure = unavailable(url)

    assert failure.reason is Failure.HTTP
    assert "500" in failure.detail
    assert "model overloaded" in failure.detail
    assert API_KEY not in str(failure)


def test_a_server_that_does_not_answer_in_time_is_a_timeout(stand_in):
    state, url = stand_in
    state.raw(200, b"{}", delay=30)

    failure = unavailable(url, timeout=0.3)

    assert failure.reason is Failure.TIMEOUT


def test_an_unreachable_endpoint_is_a_network_failure():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    failure = unavailable(f"http://127.0.0.1:{free}/v1")

    assert failure.reason is Failure.NETWORK


def test_quotes_without_consent_are_never_sent_nor_citable(stand_in):
    state, url = stand_in
    items = [
        Item(id="c-1", text="Buses never come on time.", quotable=True),
        Item(id="c-2", text="My neighbour Hone drives me.", quotable=False),
        Item(id="c-3", text="The timetable is a joke.", quotable=True),
    ]
    state.sentences(
        {"text": "Buses are unreliable.", "cites": ["Q1", "Q2"]},
        {"text": "Neighbours drive people.", "cites": ["Q3"]},
    )

    summary = summarise_theme("Reliability", items, endpoint=endpoint(url))

    sent = json.dumps(state.requests[0]["body"], ensure_ascii=False)
    assert "Hone" not in sent
    assert [s.quote_ids for s in summary.sentences] == [("c-1", "c-3")]
    assert [r.reason for r in summary.rejected] == [Rejection.UNKNOWN_QUOTE]


def test_nothing_quotable_means_no_request_at_all(stand_in):
    state, url = stand_in
    items = [Item(id="c-2", text="Counted, never quoted.", quotable=False)]

    failure = unavailable(url, items)

    assert failure.reason is Failure.NO_QUOTES
    assert state.requests == []


def test_the_input_hash_changes_with_any_word_sent():
    changed = [
        *QUOTES[:2],
        Quote(id="c-0230", text="Buses are too dear for a family of six.", start=3),
    ]

    assert input_hash("Public transport", QUOTES, None) != input_hash(
        "Public transport", changed, None
    )
    assert input_hash("Public transport", QUOTES, None) != input_hash("Transport", QUOTES, None)
    assert input_hash("Public transport", QUOTES, None) != input_hash(
        "Public transport", QUOTES, "mi"
    )


def test_the_endpoint_hides_its_key_and_reports_only_its_host():
    endpoint = LLMEndpoint(
        base_url="https://user:pw@llm.example.nz:8443/v1", model="m", api_key=API_KEY
    )

    assert API_KEY not in repr(endpoint)
    assert endpoint.host == "llm.example.nz:8443"


def test_summaries_are_off_unless_configured(settings):
    settings.HEARD_LLM_BASE_URL = ""
    settings.HEARD_LLM_MODEL = "some-model"

    assert endpoint_from_settings() is None


def test_the_configured_endpoint_reads_its_key_from_the_file(settings, tmp_path):
    key_file = tmp_path / "llm.key"
    key_file.write_text(API_KEY + "\n")
    settings.HEARD_LLM_BASE_URL = "https://llm.example.nz/v1"
    settings.HEARD_LLM_MODEL = "some-model"
    settings.HEARD_LLM_API_KEY_FILE = str(key_file)
    settings.HEARD_LLM_TIMEOUT = 12.5

    endpoint = endpoint_from_settings()

    assert endpoint == LLMEndpoint(
        base_url="https://llm.example.nz/v1", model="some-model", api_key=API_KEY, timeout=12.5
    )


def test_an_unreadable_key_file_is_reported_not_ignored(settings, tmp_path):
    settings.HEARD_LLM_BASE_URL = "https://llm.example.nz/v1"
    settings.HEARD_LLM_MODEL = "some-model"
    settings.HEARD_LLM_API_KEY_FILE = str(tmp_path / "missing.key")

    with pytest.raises(SummaryUnavailable) as caught:
        endpoint_from_settings()

    assert caught.value.reason is Failure.NOT_CONFIGURED


def test_the_summary_module_runs_without_django():
    """It is a plain module: the CLI and benchmarks import it with no Django configured."""
    code = (
        "import sys, heard.sense.themes.summaries; print(any(m == 'django' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"
