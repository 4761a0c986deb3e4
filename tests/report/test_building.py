"""The built folder's open-data bundle (``DIR/data/``): contributions, themes and votes as CSV
and JSON, in public scope only, with a data card, the licence and a listing page; and every
quote in the report found, exactly, in the data by its ``data-contribution`` id."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command

from heard.listen import exporting
from heard.listen import services as listen
from heard.listen.vocab import Channel, QuoteConsent
from heard.record import keys
from heard.report import building
from heard.sense import services as sense
from heard.sense.models import KeyQuote, ThemeMembership
from tests import factories
from tests.report.test_report import CAMP_STATEMENTS, _conversation, quotes_in
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

# Chosen names of people who gave a name: only "quote" consent lets one be printed anywhere.
NAMED = {
    QuoteConsent.QUOTE: "Tūī Kōrero",
    QuoteConsent.ANONYMOUS: "Kererū Huna",
    QuoteConsent.NONE: "Pīwakawaka Ngaro",
}
TOP_FILES = [
    "README.md",
    "LICENSE",
    "index.html",
    "contributions.csv",
    "contributions.json",
    "themes.csv",
    "themes.json",
    "theme-members.csv",
    "theme-quotes.csv",
    "engagement.json",
]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"] or "")


def links_in(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def every_file(data: Path) -> dict[str, str]:
    return {
        p.relative_to(data).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(data.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def world():
    """The theme tests' engagement (every kind of consent; a hidden, a not-for-quoting and a
    withdrawn contribution), three people who chose a name (one per consent), a finished
    theme run and a conversation with its opinion map."""
    world = make_world()
    world.named = {}
    for consent, name in NAMED.items():
        user = factories.make_user()
        person, _ = listen.join_as_participant(world.engagement, user, pseudonym=name)
        submission = listen.Submission(
            text=f"The bus to the marae stops too early for {consent} people.",
            language="en",
            channel=Channel.ONLINE,
            quote_consent=consent,
        )
        world.named[consent] = listen.submit_contribution(world.engagement, person, submission)[0]
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    _conversation(world)
    return world


def build(world, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    building.build(world.engagement, out)
    return out


def test_the_bundle_is_public_scope_and_parses(world, tmp_path):
    data = build(world, tmp_path) / "data"
    for name in TOP_FILES:
        assert (data / name).is_file(), name
    files = every_file(data)
    for name, text in files.items():
        if name.endswith(".json"):
            json.loads(text)
        elif name.endswith(".csv"):
            assert read_csv(data / name) or name.endswith("votes.csv"), name

    # The contributions are the public export's, field for field (its rules, not new ones),
    # with the pseudonym left out.
    public = exporting.public_scope(exporting.collect(world.engagement))
    rows = json.loads(files["contributions.json"])["contributions"]
    assert [r["id"] for r in rows] == [c["id"] for c in public["contributions"]]
    for row, c in zip(rows, public["contributions"], strict=True):
        assert "pseudonym" not in row
        assert row == {key: c[key] for key in row}
    table = read_csv(data / "contributions.csv")
    assert [int(r["id"]) for r in table] == [r["id"] for r in rows]
    assert [r["text"] or None for r in table] == [r["text"] for r in rows]
    by_id = {r["id"]: r for r in rows}
    assert by_id[world.hidden.pk]["withheld"] == "hidden"
    assert by_id[world.not_for_quoting.pk]["withheld"] == "not_for_quoting"
    assert by_id[world.withdrawn.pk]["withheld"] == "withdrawn"
    assert by_id[world.named[QuoteConsent.QUOTE].pk]["text"] == world.named[QuoteConsent.QUOTE].text

    # Withheld words and the names of people who did not let us print one appear nowhere;
    # the files about contributions carry no name at all.
    withheld = [
        world.hidden.text,
        world.not_for_quoting.text,
        "I changed my mind about what I said on buses.",
        world.named[QuoteConsent.NONE].text,
        "Mr Smith",
        "do not quote me",
    ]
    for name, text in files.items():
        for words in withheld:
            assert words not in text, f"{words!r} is in data/{name}"
        for consent in (QuoteConsent.ANONYMOUS, QuoteConsent.NONE):
            assert NAMED[consent] not in text, f"{NAMED[consent]!r} is in data/{name}"
    for name in ("contributions.csv", "contributions.json", "themes.json", "themes.csv"):
        assert NAMED[QuoteConsent.QUOTE] not in files[name]
        assert "S0" not in files[name]  # a hui speaker tag

    # Votes: each conversation's openData, and the same in JSON.
    conversation = json.loads(files["opinions-1/conversation.json"])
    assert len(conversation["votes"]) == len(read_csv(data / "opinions-1" / "votes.csv")) > 0
    assert {s["text"] for s in conversation["statements"]} == set(CAMP_STATEMENTS)


def test_every_quote_in_the_report_is_in_the_data(world, tmp_path):
    out = build(world, tmp_path)
    data = out / "data"
    html = (out / "index.html").read_text(encoding="utf-8")
    texts = {
        r["id"]: r["text"]
        for r in json.loads((data / "contributions.json").read_text(encoding="utf-8"))[
            "contributions"
        ]
    }
    spans = {
        (int(r["contribution-id"]), int(r["start"]), int(r["length"]))
        for r in read_csv(data / "theme-quotes.csv")
    }
    quoted = [(a, t) for a, t in quotes_in(html) if "data-contribution" in a]
    assert quoted
    for attrs, quote in quoted:
        cid = int(attrs["data-contribution"])
        assert cid in texts and texts[cid] is not None
        assert quote in texts[cid]  # exactly: whole, or an exact excerpt
        # ... and it is the span the theme files give for it.
        assert any(c == cid and texts[cid][s : s + n] == quote for c, s, n in spans)

    themes = json.loads((data / "themes.json").read_text(encoding="utf-8"))
    assert {t["label"] for t in themes["themes"]} == {"bus", "rent", "data"}
    assert themes["run"]["provenance"]["engine"] == "hand-built"
    members = read_csv(data / "theme-members.csv")
    for theme in themes["themes"]:
        assert theme["size"] == len(theme["members"]) > 0
        assert set(theme["members"]) <= set(texts)
        assert (
            sorted(int(r["contribution-id"]) for r in members if r["theme-id"] == str(theme["id"]))
            == theme["members"]
        )
        for q in theme["key_quotes"]:
            assert texts[q["contribution"]] is not None
    assert len(read_csv(data / "themes.csv")) == len(themes["themes"])


def test_words_withheld_after_the_run_leave_the_themes(world, tmp_path):
    """A quoted contribution hidden after the run is no longer a key quote (as in the report),
    and one withdrawn after it leaves the themes' members too (hidden words stay counted)."""
    quoted = KeyQuote.objects.select_related("contribution").order_by("id")
    hidden_later = quoted[0].contribution
    gone_later = quoted.exclude(contribution=hidden_later)[0].contribution
    listen.hide_contribution(hidden_later, reason="Names a private person.", by=world.team)
    listen.withdraw_contribution(gone_later, via="team")
    data = build(world, tmp_path) / "data"

    themes = json.loads((data / "themes.json").read_text(encoding="utf-8"))
    quoted_ids = {q["contribution"] for t in themes["themes"] for q in t["key_quotes"]}
    member_ids = {m for t in themes["themes"] for m in t["members"]} | set(themes["unassigned"])
    assert hidden_later.pk not in quoted_ids and gone_later.pk not in quoted_ids
    assert hidden_later.pk in member_ids
    assert gone_later.pk not in member_ids
    analysed = ThemeMembership.objects.filter(run__engagement=world.engagement).count()
    assert len(member_ids) == analysed - 1
    for name, text in every_file(data).items():
        assert hidden_later.text not in text, name


def test_the_card_licence_and_listing(world, tmp_path):
    out = build(world, tmp_path)
    data = out / "data"
    card = (data / "README.md").read_text(encoding="utf-8")
    words = " ".join(card.split())
    assert "1 hidden by moderation, 2 not for quoting and 1 withdrawn" in words
    assert "Theme analysis run 1 found 3 themes" in words
    assert 'data-contribution="ID"' in card
    assert keys.vkey() in card and "heard record verify record/ --vkey" in card
    licence = (data / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY 4.0" in licence and "https://creativecommons.org/licenses/by/4.0/" in licence
    assert world.engagement.title in licence

    # The listing links every file by a relative path that exists (so it works from disk).
    hrefs = links_in((data / "index.html").read_text(encoding="utf-8"))
    listed = {h for h in hrefs if not h.startswith("..")}
    on_disk = set(every_file(data)) - {"index.html"}
    assert on_disk <= listed
    for href in hrefs:
        assert "://" not in href and (data / href).resolve().is_file(), href

    # The card's recipe works: the record's tiles verify with the printed key.
    call_command("record", "verify", str(out / "record"), "--vkey", keys.vkey())
