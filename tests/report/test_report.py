"""The findings report, built end to end from a small engagement: every quote is the stored
words exactly, withheld words appear nowhere, and the folder holds the page, the PDF, the open
data and the record's tiles."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from heard.core.permissions import Role
from heard.listen import services as listen
from heard.listen.models import Contribution, Participant
from heard.opinions import mapping
from heard.opinions import services as opinions
from heard.opinions.services import NewVote
from heard.record import keys, notes
from heard.record import services as record
from heard.report import gather, rendering
from heard.sense import services as sense
from heard.sense.models import KeyQuote
from tests import factories
from tests.sense.conftest import hand_built, make_world

pytestmark = pytest.mark.django_db

CAMP_STATEMENTS = [
    "Agencies should never share our data without asking.",
    "Sharing data between agencies makes services better.",
    "Data should stay in Aotearoa.",
    "Iwi should govern data about their people.",
    "Algorithms should decide who gets support.",
    "Me whai mana te iwi ki ōna ake raraunga.",
]


class Quotes(HTMLParser):
    """Every ``<blockquote data-…>`` in a page: (its attributes, its text as a browser reads it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "blockquote":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "blockquote" and self._open is not None:
            self.found.append((self._open, "".join(self._text)))
            self._open = None


def quotes_in(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Quotes()
    parser.feed(html)
    return parser.found


def _conversation(world) -> None:
    """A conversation with two camps of voters and a finished map."""
    conversation = opinions.create_conversation(
        world.engagement, topic="How should agencies use our data?", by=world.team
    )
    statements = [
        opinions.seed_statement(
            conversation, text, by=world.team, language="mi" if "raraunga" in text else "en"
        )[0]
        for text in CAMP_STATEMENTS
    ]
    rng, votes = random.Random(4), []
    for i in range(16):
        user = factories.make_member(world.engagement, Role.PARTICIPANT)
        person = Participant.objects.get(engagement=world.engagement, user=user)
        for j, statement in enumerate(statements):
            value = 1 if j == 0 else (1 if j % 2 == i % 2 else -1)
            value = 0 if rng.random() < 0.1 else value
            votes.append(NewVote(person, statement, value, statement.created_at))
    opinions.cast_votes(conversation, votes)
    mapping.compute_now(conversation)


@pytest.fixture
def world():
    """The theme tests' engagement (every kind of consent; a hidden and a withdrawn
    contribution), with a finished theme run and an opinion map."""
    world = make_world()
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    _conversation(world)
    return world


def test_every_quote_is_the_stored_words_and_nothing_withheld_is_quoted(world):
    # A quoted contribution hidden after the run marked it must not be quoted any more.
    late = KeyQuote.objects.select_related("contribution").first().contribution
    listen.hide_contribution(late, reason="Names a private person.", by=world.team)
    report = gather.gather(world.engagement)
    html = rendering.render_html(report)

    found = quotes_in(html)
    quoted = [(a, t) for a, t in found if "data-contribution" in a]
    assert len(quoted) == len(report.quotes()) > 0
    stored = Contribution.objects.in_bulk([int(a["data-contribution"]) for a, _t in quoted])
    for attrs, text in quoted:
        contribution = stored[int(attrs["data-contribution"])]
        assert contribution.withheld() is None
        assert text and text in contribution.text  # byte-exact: whole, or an exact excerpt
        assert attrs["lang"] == contribution.language
    assert late.pk not in stored
    for withheld in (world.hidden, world.not_for_quoting, late):
        assert withheld.text not in html
    assert "do not quote me" not in html and "Mr Smith" not in html

    # Statements are quoted exactly too, and only the ones the public may see.
    statements = [(a, t) for a, t in found if "data-statement" in a]
    assert statements and all(t in CAMP_STATEMENTS for _a, t in statements)
    assert "Me whai mana te iwi ki ōna ake raraunga." in html  # macrons as themselves


def test_the_report_counts_and_proves(world):
    record.issue_checkpoint()  # as the build does, before it gathers
    report = gather.gather(world.engagement)
    how = report.how
    assert how.withdrawn == 1 and how.hidden == 1 and how.not_for_quoting == 1
    assert (
        how.contributions
        == Contribution.objects.filter(
            engagement=world.engagement, withdrawn_at__isnull=True
        ).count()
    )
    assert how.hui_count == 2 and how.places == ["Whanganui"]
    assert sum(r.contributions for r in how.channels) == how.contributions
    by_key = {b.key: b for b in report.who}
    assert {r.key for r in by_key["language"].rows} == {"en", "mi"}
    assert report.themes is not None and {t.label for t in report.themes.themes} == {
        "bus",
        "rent",
        "data",
    }
    assert ("engine", "hand-built") in report.themes.provenance
    conversation = report.conversations[0]
    assert len(conversation.groups) == 2 and conversation.voters == 16
    # The printed checkpoint verifies against the printed key.
    assert report.record is not None
    verifier = notes.Verifier.from_vkey(report.record.vkey)
    checkpoint, _names = notes.open_checkpoint(report.record.checkpoint, [verifier])
    assert checkpoint.size == report.record.size and report.record.vkey == keys.vkey()


def test_build_writes_the_static_folder(world, tmp_path):
    out = tmp_path / "site"
    call_command("report", "build", "--engagement", world.engagement.slug, "--out", str(out))

    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<style>" in html and 'rel="stylesheet"' not in html  # opens from disk alone
    assert quotes_in(html)
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    _bytes, pages = rendering.print_pdf(html)
    assert pages > 1
    data = out / "data"
    assert (data / "engagement.json").is_file()
    assert '"scope": "public"' in (data / "engagement.json").read_text(encoding="utf-8")
    assert (data / "polis" / "comments.csv").is_file()
    assert (data / "opinions-1" / "comments.csv").is_file()
    assert world.hidden.text not in (data / "polis" / "comments.csv").read_text(encoding="utf-8")
    assert (out / "record" / "checkpoint").is_file()
    assert any((out / "record" / "tile").rglob("*"))


def test_build_refuses_an_unknown_slug_and_an_unwritable_folder(world, tmp_path):
    with pytest.raises(CommandError, match="No engagement has the slug"):
        call_command("report", "build", "--engagement", "nope", "--out", str(tmp_path / "x"))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(CommandError, match="not a directory"):
        call_command(
            "report", "build", "--engagement", world.engagement.slug, "--out", str(blocked)
        )
    assert not Path(blocked).read_text()
