"""Quotes: exact excerpts of what people wrote, only from people who agreed to be quoted, and a
tampered quote is an error, never a warning."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import replace

import numpy as np
import pytest

from heard.sense.themes import quotes
from heard.sense.themes.engine import find_themes
from heard.sense.themes.quotes import QuoteMismatch, check_quotes, choose_quotes
from heard.sense.themes.result import Item, Quote
from tests.sense import engine_fixtures as fx

SENTENCE_ENDS = ".!?…"


def folded(text: str) -> str:
    return " ".join(text.casefold().split())


def is_sentence_run(text: str, start: int, end: int) -> bool:
    """Starts where a sentence starts and ends where one ends (punctuation then a space, a line
    break, or the end of the text)."""
    before = text[:start].rstrip()
    starts = start == len(text) - len(text.lstrip()) or (
        bool(before)
        and start > len(before)
        and (before[-1] in SENTENCE_ENDS or "\n" in text[len(before) : start])
    )
    rest = text[end:]
    ends = (text[end - 1] in SENTENCE_ENDS and (not rest or rest[0].isspace())) or (
        not rest.strip() or rest.lstrip(" \t\r").startswith("\n")
    )
    return starts and ends


def members(texts, *, quotable=True, prefix="m"):
    return [Item(id=f"{prefix}{n:02d}", text=t, quotable=quotable) for n, t in enumerate(texts)]


def typicality(items):
    """The first item most typical, then in order."""
    return {item.id: 1.0 - n / 100 for n, item in enumerate(items)}


# --- on the demo ------------------------------------------------------------------------------


def test_demo_quotes_are_exact_consented_distinct_and_three_to_ten():
    result = fx.demo_result(15)
    items = {i.id: i for i in fx.demo_items()}
    fx.assert_quotes_exact(result, items)
    for theme in result.themes:
        texts = [q.text for q in theme.quotes]
        assert len({folded(t) for t in texts}) == len(texts), f"{theme.id} repeats a quote"
        available = {folded(items[m].text) for m in theme.members if items[m].quotable}
        if len(available) >= quotes.MIN_QUOTES:
            assert quotes.MIN_QUOTES <= len(texts) <= quotes.MAX_QUOTES, theme.label
        else:
            assert len(texts) == len(available), theme.label
    assert sum(len(t.quotes) for t in result.themes) >= 3 * len(result.themes)


def test_demo_long_texts_are_quoted_by_a_run_of_their_sentences():
    result = fx.demo_result(15)
    items = {i.id: i for i in fx.demo_items()}
    long_quotes = [
        q for t in result.themes for q in t.quotes if len(items[q.id].text.strip()) > 320
    ]
    assert long_quotes, "the demo has long texts among its quotes"
    for quote in long_quotes:
        text = items[quote.id].text
        end = quote.start + len(quote.text)
        assert text[quote.start : end] == quote.text
        assert len(quote.text) < len(text.strip())
        assert is_sentence_run(text, quote.start, end), (quote.id, quote.text)


def test_members_who_said_no_are_never_quoted_even_when_only_two_said_yes():
    items, vectors = fx.demo_subset(4)
    before = find_themes(items, k=4, embeddings=vectors)
    theme = before.themes[0]
    assert len(theme.members) > 5
    keep = set(theme.members[-2:])  # the two least typical: quoting them takes a real choice
    consent = [
        replace(item, quotable=item.id in keep) if item.id in theme.members else item
        for item in items
    ]
    after = find_themes(consent, k=4, embeddings=vectors)
    same = next(t for t in after.themes if t.id == theme.id)
    assert same.members == theme.members  # consent changes who is quoted, not the grouping
    assert {q.id for q in same.quotes} == keep
    fx.assert_quotes_exact(after, {i.id: i for i in consent})


# --- choosing ---------------------------------------------------------------------------------


def test_at_most_ten_quotes_most_typical_first():
    group = members([f"Point number {n} about the ferry timetable." for n in range(15)])
    chosen = choose_quotes(group, typicality(group), ["ferry"])
    assert [q.id for q in chosen] == [m.id for m in group[: quotes.MAX_QUOTES]]


def test_fewer_than_three_only_when_fewer_consenting_distinct_members():
    said_no = members(
        ["The ferry is late.", "Ferries cost too much.", "No ferry on Sunday."],
        quotable=False,
        prefix="no",
    )
    said_yes = members(
        ["The ferry is late.", "THE  FERRY is late.", "Fix the wharf.", "   ", ""], prefix="yes"
    )
    group = said_no + said_yes
    chosen = choose_quotes(group, typicality(group), ["ferry"])
    assert [q.text for q in chosen] == ["The ferry is late.", "Fix the wharf."]
    assert {q.id for q in chosen} <= {m.id for m in said_yes}
    check_quotes(chosen, {m.id: m for m in group})


def test_three_quotes_when_three_distinct_consenting_members_exist():
    group = members(["Ferry late.", "ferry   late.", "Wharf broken.", "Fares too high.", "x"])
    chosen = choose_quotes(group, typicality(group), [])
    assert len(chosen) >= quotes.MIN_QUOTES
    assert len({folded(q.text) for q in chosen}) == len(chosen)


def test_a_long_text_is_quoted_by_the_sentences_about_the_theme():
    sentences = [
        "We moved here from the city eleven years ago and the first winters were hard.",
        "The school is good and the neighbours look out for each other.",
        "My husband works shifts at the mill and I do relief teaching when I can.",
        "The ferry is the problem: the ferry timetable changed and nobody asked us.",
        "Now the last ferry leaves before the night shift ends.",
        "We have written to the council twice and heard nothing back at all.",
        "Our daughter wants to stay but she cannot see how she would get to work.",
        "Thank you for coming out here to listen to us today.",
    ]
    text = "  " + " ".join(sentences[:4]) + "\r\n\r\n" + " ".join(sentences[4:]) + "\n"
    assert len(text) > quotes.WHOLE_TEXT_LIMIT
    item = Item(id="long", text=text)
    (quote,) = choose_quotes([item], {"long": 1.0}, ["ferry", "timetable"])
    assert text[quote.start : quote.start + len(quote.text)] == quote.text
    assert len(quote.text) <= quotes.WHOLE_TEXT_LIMIT
    assert "The ferry is the problem" in quote.text and "Now the last ferry" in quote.text
    assert is_sentence_run(text, quote.start, quote.start + len(quote.text))
    check_quotes([quote], {"long": item})

    (plain,) = choose_quotes([item], {"long": 1.0}, [])  # no key phrase: the opening sentences
    assert plain.start == 2 and plain.text.startswith(sentences[0])
    assert is_sentence_run(text, plain.start, plain.start + len(plain.text))


def test_a_short_text_is_quoted_whole_without_its_outer_whitespace():
    text = "\r\n  Kia ora.\r\nKo te whānau te mea nui.\u00a0 Me  tiaki\tngā   tamariki.  \r\n"
    item = Item(id="reo", text=text, language="mi")
    (quote,) = choose_quotes([item], {"reo": 1.0}, ["whānau"])
    assert quote.text == text.strip()
    assert text[quote.start : quote.start + len(quote.text)] == quote.text
    assert "\r\n" in quote.text and "\u00a0 " in quote.text and "\t" in quote.text


def test_decomposed_macrons_are_quoted_as_written():
    text = unicodedata.normalize("NFD", "Ko te whānau, ko te hapū, ko te iwi: mā tātou e kōrero.")
    item = Item(id="nfd", text=text)
    (quote,) = choose_quotes([item], {"nfd": 1.0}, ["whānau"])
    assert quote.text == text and quote.text != unicodedata.normalize("NFC", text)


HOSTILE = [
    '<script>alert("hi")</script> The bus is late & the fares are <b>high</b>.',
    "\u202eesrever ni txet\u202c and \u200fRLM\u200f marks around the bus timetable.",
    "The bus 🚌👩🏽‍🌾 never comes 😤\u200d on Sundays.",
    "Bell\x07 escape\x1b[31m red\x1b[0m backspace\x08 form\x0cfeed about the buses.",
    "'; DROP TABLE contributions; -- the bus stop has no shelter",
    "{{ secret }} {% csrf_token %} ${HOME} %s the bus route",
]


def test_hostile_strings_are_quoted_exactly_end_to_end():
    items = members(HOSTILE, prefix="h")
    rng = np.random.default_rng(0)
    base = rng.normal(size=384)
    vectors = np.stack([base + 0.05 * rng.normal(size=384) for _ in items]).astype(np.float32)
    result = find_themes(items, k=1, embeddings=vectors)
    by_id = {i.id: i for i in items}
    fx.assert_partition(result, by_id)
    fx.assert_quotes_exact(result, by_id)
    quoted = {q.id: q.text for t in result.themes for q in t.quotes}
    assert len(quoted) >= 3
    for identifier, text in quoted.items():
        assert text == by_id[identifier].text.strip()
    document = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    for theme in document["themes"]:
        for quote in theme["quotes"]:
            assert quote["text"] in by_id[quote["id"]].text


# --- checking ---------------------------------------------------------------------------------

SOURCE = {
    "yes": Item(id="yes", text="Kia ora. The whānau want their data kept here, not offshore."),
    "no": Item(id="no", text="Do not quote me: the data is ours.", quotable=False),
}
GOOD = Quote(id="yes", text="The whānau want their data kept here", start=9)


def test_a_true_quote_passes_the_check():
    check_quotes([GOOD], SOURCE)


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        (replace(GOOD, text="The whanau want their data kept here"), "not the text at offset"),
        (replace(GOOD, text="The whānau want their data kept here."), "not the text at offset"),
        (replace(GOOD, start=10), "not the text at offset"),
        (replace(GOOD, start=-1), "not the text at offset"),
        (replace(GOOD, start=500), "not the text at offset"),
        (replace(GOOD, id="nobody"), "not in the input"),
        (Quote(id="no", text="the data is ours", start=17), "did not consent"),
        (replace(GOOD, text=""), "empty"),
        (replace(GOOD, text="  ", start=8), "empty"),
    ],
    ids=[
        "macron-dropped",
        "text-extended",
        "offset-shifted",
        "offset-negative",
        "offset-past-end",
        "unknown-id",
        "no-consent",
        "empty",
        "blank",
    ],
)
def test_a_tampered_quote_is_an_error(quote, message):
    with pytest.raises(QuoteMismatch, match=message):
        check_quotes([GOOD, quote], SOURCE)


def test_quote_mismatch_is_a_value_error_the_command_line_reports():
    assert issubclass(QuoteMismatch, ValueError)
