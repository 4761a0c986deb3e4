"""An engagement with enough to group: three topics in English and te reo Māori, over several
channels, hui and audiences, with every kind of consent, a hidden and a withdrawn contribution."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from heard.core.permissions import Phase, Role
from heard.engagements.models import Audience
from heard.listen import services as listen
from heard.listen.vocab import Channel, QuoteConsent
from heard.sense.themes.result import Quote, Theme, ThemeResult
from tests import factories

BUSES = [
    "The buses are always late and I miss my shifts at work.",
    "We need more frequent bus services in the evening.",
    "Public transport out here stops at six, so the kids cannot get home.",
    "Bus fares keep going up and the timetable keeps getting worse.",
    "I wait forty minutes for a bus that is often cancelled.",
    "Kāore he pahi i te pō, nō reira ka noho mātou ki te kāinga.",
    "Me nui ake ngā pahi ki ō mātou tāone iti.",
    "The train and bus timetables do not connect at the station.",
    "Please put bus shelters at the stops, we get soaked waiting.",
    "Cheaper bus fares for students and older people would help a lot.",
]
HOUSING = [
    "Rent takes more than half of what we earn every week.",
    "Our rental is cold and damp and the landlord will not fix it.",
    "Young families cannot afford to buy a first home here any more.",
    "There is a long waiting list for social housing in our town.",
    "He nui rawa te utu rēti, kāore e taea e mātou te utu.",
    "Me hanga ētahi whare hou mō ngā whānau o te hapori.",
    "Landlords raise the rent every year and wages do not keep up.",
    "Build more warm, dry, affordable homes for local people.",
    "We moved three times in two years because rentals kept being sold.",
    "Housing costs are pushing our young people out of the region.",
]
DATA = [
    "I want to know who sees my health data and why they need it.",
    "Agencies should ask before sharing information about our whānau.",
    "Data about Māori should be governed by Māori.",
    "Tell us plainly how long you keep personal information.",
    "Me whai mana te iwi ki ōna ake raraunga.",
    "I worry that my benefit records are shared with other departments.",
    "People should be able to see and correct the data held about them.",
    "Consent should be asked every time data is used for something new.",
    "Kia mārama te whakamahinga o ngā raraunga mō ō tātou tamariki.",
    "Sharing data between agencies needs clear rules and oversight.",
]


@dataclass
class World:
    engagement: object
    team: object
    hui_north: object
    hui_south: object
    contributions: list
    hidden: object
    not_for_quoting: object
    withdrawn: object


def make_world(phase: Phase = Phase.MAKE_SENSE) -> World:
    engagement = factories.make_engagement(phase)
    team = factories.make_member(engagement, Role.TEAM, username="kaitātari")
    rangatahi = Audience.objects.create(engagement=engagement, key="rangatahi", name="Young people")
    north = factories.make_hui(engagement, key="north")
    north.audience = rangatahi
    north.save()
    south = factories.make_hui(engagement, key="south")
    kept = []
    for n, text in enumerate(BUSES + HOUSING + DATA):
        language = "mi" if _is_te_reo(text) else "en"
        consent = QuoteConsent.ANONYMOUS if n % 7 == 3 else QuoteConsent.QUOTE
        if n % 3 == 0:
            hui = north if n % 2 == 0 else south
            participant = listen.speaker_at_hui(hui, f"S{n}")
            channel = Channel.HUI
        else:
            hui = None
            participant = listen.voice_without_account(engagement, source="post", tag=str(n))
            channel = Channel.PAPER if n % 3 == 1 else Channel.EMAIL
        submission = listen.Submission(
            text=text, language=language, channel=channel, quote_consent=consent, hui=hui
        )
        kept.append(listen.submit_contribution(engagement, participant, submission)[0])
    extra = listen.voice_without_account(engagement, source="post", tag="extra")

    def submit(text: str, consent: QuoteConsent):
        submission = listen.Submission(
            text=text, language="en", channel=Channel.ONLINE, quote_consent=consent
        )
        return listen.submit_contribution(engagement, extra, submission)[0]

    not_for_quoting = submit(
        "The buses never come on time; do not quote me on this.", QuoteConsent.NONE
    )
    hidden = submit("The rent is too high and my landlord Mr Smith is a crook.", QuoteConsent.QUOTE)
    listen.hide_contribution(hidden, reason="Names a private person.", by=team)
    withdrawn = submit("I changed my mind about what I said on buses.", QuoteConsent.QUOTE)
    listen.withdraw_contribution(withdrawn, via="team")
    kept += [not_for_quoting, hidden, withdrawn]
    return World(engagement, team, north, south, kept, hidden, not_for_quoting, withdrawn)


def _is_te_reo(text: str) -> bool:
    return any(word in text.split()[:2] for word in ("Kāore", "Me", "He", "Kia"))


@pytest.fixture
def world(db) -> World:
    return make_world()


def topic_result(pairs, *, quote=None) -> ThemeResult:
    """A hand-built result that groups by topic word: what a correct engine could return.
    ``quote`` overrides how a theme's quote is made, to build results that break the rules."""
    topics = {"bus": [], "rent": [], "data": []}
    unassigned = []
    for _contribution, item in pairs:
        lowered = item.text.lower()
        for word, members in topics.items():
            if word in lowered or (word == "bus" and "pahi" in lowered):
                members.append(item)
                break
        else:
            unassigned.append(item.id)
    themes = []
    for word, members in topics.items():
        quotable = [m for m in members if m.quotable]
        quotes = tuple((quote or _exact_quote)(m) for m in quotable[:3])
        themes.append(
            Theme(
                id=f"theme-{word}",
                label=word,
                keywords=(word, f"{word}es"),
                members=tuple(m.id for m in members),
                quotes=quotes,
                scores={m.id: 0.5 for m in members},
            )
        )
    return ThemeResult(
        provenance={"engine": "hand-built", "input_hash": "x" * 8, "embedding": {"model": "none"}},
        themes=tuple(themes),
        unassigned=tuple(unassigned),
    )


def _exact_quote(item) -> Quote:
    words = item.text.split(" ")
    start = len(words[0]) + 1
    return Quote(id=item.id, text=" ".join(words[1:4]), start=start)


def hand_built(**options):
    """An engine stand-in for tests of the platform's side: (items, ...) -> a ThemeResult."""

    def engine(items, **_kwargs):
        return topic_result([(None, item) for item in items], **options)

    return engine
