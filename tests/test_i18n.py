"""The te reo Māori (mi) locale: a catalogue that is compiled, consistent, and really used.

The catalogue is a draft awaiting review by a fluent speaker (heard/locale/mi/README.md). These
tests pin down what a reviewer must be able to rely on: the committed .mo is the .po compiled,
no translation loses a placeholder or a tag, macrons survive, and the pages a person meets first
(navigation, sign in, sign up, join, the online form, the capture page, the public record,
moderation, voting on statements, the opinion map) are in te reo Māori when the language is
switched, while English stays the default.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

import heard
from heard.core.permissions import Role
from heard.engagements.models import DemographicField
from heard.listen import services
from heard.listen.models import Participant
from heard.listen.vocab import QuoteConsent
from heard.opinions import mapping
from heard.opinions import services as opinions
from heard.opinions.models import Conversation, Vote
from tests import factories

CATALOGUE = Path(heard.__file__).resolve().parent / "locale" / "mi" / "LC_MESSAGES"
PO_PATH = CATALOGUE / "django.po"
MO_PATH = CATALOGUE / "django.mo"

# %(name)s, %(n)d, %s, %d ... and the escaped percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")

# The review note base.html shows on every page in te reo Māori.
REVIEW_NOTE = "Kei te tatari tēnei whakamāoritanga kia arotakea e tētahi tangata matatau"


def _po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _translations(entries) -> dict[tuple[str | None, str], object]:
    """(msgctxt, msgid) -> msgstr, or a tuple of the plural forms, for translated entries."""
    table = {}
    for entry in entries:
        if entry.msgid_plural:
            value = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            value = entry.msgstr
        table[(entry.msgctxt, entry.msgid)] = value
    return table


def _forms(entry: polib.POEntry) -> list[tuple[str, str]]:
    """Each translated form with the English text it renders: plural form 0 is the singular."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if i == 0 else entry.msgid_plural, text)
        for i, text in sorted(entry.msgstr_plural.items())
    ]


# --- the catalogue itself ---------------------------------------------------------------------


def test_committed_mo_is_the_po_compiled():
    po = _po()
    expected = _translations(
        e for e in po if e.translated() and not e.obsolete and "fuzzy" not in e.flags
    )
    assert MO_PATH.exists(), "django.mo is missing: compile django.po with msgfmt (see README.md)"
    compiled = polib.mofile(str(MO_PATH))
    committed = _translations(e for e in compiled if e.msgid)
    stale = sorted(
        key[1]
        for key in expected.keys() | committed.keys()
        if expected.get(key) != committed.get(key)
    )
    assert not stale, (
        f"django.mo is out of date with django.po for {len(stale)} messages, e.g. {stale[:3]}. "
        "Run: cd heard/locale/mi/LC_MESSAGES && msgfmt --check -o django.mo django.po"
    )
    assert compiled.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


def test_header_marks_the_draft_and_sets_plurals():
    po = _po()
    assert po.metadata["Language"] == "mi"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "awaiting review by a fluent speaker" in po.metadata["Language-Team"]
    assert "AWAITING REVIEW BY A FLUENT" in po.header
    assert not po.metadata_is_fuzzy


def test_most_of_the_catalogue_is_translated():
    po = _po()
    assert po.percent_translated() >= 80, po.percent_translated()


def test_no_translated_entry_is_fuzzy():
    fuzzy = [e.msgid for e in _po() if "fuzzy" in e.flags and e.translated()]
    assert not fuzzy, f"fuzzy entries are ignored by msgfmt; check and unflag them: {fuzzy}"
    # msgfmt drops fuzzy entries even when they carry a msgstr: none may hide there either.
    fuzzy_with_text = [
        e.msgid for e in _po() if "fuzzy" in e.flags and (e.msgstr or any(e.msgstr_plural.values()))
    ]
    assert not fuzzy_with_text


def test_every_translation_keeps_its_placeholders_and_tags():
    broken = []
    for entry in _po().translated_entries():
        for english, text in _forms(entry):
            if Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(english)):
                broken.append(("placeholders", entry.msgid, text))
            if Counter(TAG.findall(text)) != Counter(TAG.findall(english)):
                broken.append(("tags", entry.msgid, text))
    assert not broken, broken


def test_plural_entries_fill_both_forms():
    missing = [
        e.msgid
        for e in _po()
        if e.msgid_plural and any(e.msgstr_plural.values()) and not all(e.msgstr_plural.values())
    ]
    assert not missing


def test_macrons_are_precomposed_and_never_dropped():
    """Macrons as single code points (NFC), and no "Maori" without its macron."""
    for entry in _po().translated_entries():
        for _english, text in _forms(entry):
            assert unicodedata.is_normalized("NFC", text), text
            assert not re.search(r"\bMaori\b", text), text


# --- pages in te reo Māori ----------------------------------------------------------------------


@pytest.fixture
def mi(client):
    """A browser that chose te reo Māori with the language switcher (its cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "mi"
    return client


def _page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _assert_mi_chrome(body: str) -> None:
    assert '<html lang="mi">' in body
    assert "Peke ki te ihirangi matua" in body  # skip link
    assert "Ngā kaupapa" in body  # nav: Engagements
    assert REVIEW_NOTE in body
    assert "Skip to main content" not in body


@pytest.mark.django_db
def test_home_page_in_te_reo_maori(mi):
    factories.make_engagement()
    body = _page(mi, reverse("home"))
    _assert_mi_chrome(body)
    assert "Takiuru" in body  # Sign in
    assert "Whakarongo" in body  # the current phase's name
    assert "Hurihia" in body  # the language switcher's button
    # Macrons survive the whole way: the review note and the switcher name "Māori" as U+0101.
    assert "M\u0101ori" in body
    assert "Ma\u0304ori" not in body


@pytest.mark.django_db
def test_signed_in_navigation_in_te_reo_maori(mi, engagement):
    mi.force_login(factories.make_member(engagement, Role.TEAM))
    body = _page(mi, reverse("home"))
    assert "Tōku pūkete" in body  # My account
    assert "Takiputa" in body  # Sign out


@pytest.mark.django_db
def test_engagement_page_in_te_reo_maori(mi, engagement):
    body = _page(mi, reverse("engagement", args=[engagement.slug]))
    _assert_mi_chrome(body)
    for text in (
        "Kei hea tātou",  # Where we are
        "Whakamahere me te pōwhiri",  # phase: Plan & invite
        "Whai māramatanga",  # phase: Make sense
        "Ā mātou pātai",  # What we are asking
        "Kua rangona i tēnei wā",  # Heard so far
        "Pānuitia ngā kōrero kua puta",  # Read what people said
        "He aha te mea nui ki a koe?",  # the question's own te reo Māori text
    ):
        assert text in body, text


@pytest.mark.django_db
def test_sign_in_page_and_its_errors_in_te_reo_maori(mi):
    body = _page(mi, reverse("login"))
    _assert_mi_chrome(body)
    assert "Ingoa takiuru" in body  # Django's "Username", via our catalogue
    assert "Kupuhipa" in body
    assert "Kāore anō he pūkete?" in body
    response = mi.post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    assert (
        "Tēnā, tāurua he ingoa takiuru tika me tētahi kupuhipa tika." in response.content.decode()
    )


@pytest.mark.django_db
def test_sign_up_page_and_password_rules_in_te_reo_maori(mi):
    body = _page(mi, reverse("signup"))
    _assert_mi_chrome(body)
    for text in (
        "Hangaia he pūkete",  # Make an account
        "Ingoa takiuru",
        "Whakaū i te kupuhipa",  # Password confirmation
        "Kaua tō kupuhipa e tau anake.",  # a password validator's help text
        "Hangaia tōku pūkete",  # the button
    ):
        assert text in body, text
    body = mi.post(
        reverse("signup"), {"username": "", "password1": "12345678", "password2": "87654321"}
    ).content.decode()
    assert "Me whakakī tēnei āpure." in body  # This field is required.
    assert "Kāore i ōrite ngā kupuhipa e rua." in body  # the two passwords differ
    body = mi.post(
        reverse("signup"), {"username": "aroha", "password1": "20252025", "password2": "20252025"}
    ).content.decode()
    assert "He tau anake tēnei kupuhipa." in body  # entirely numeric


@pytest.mark.django_db
def test_join_page_in_te_reo_maori(mi, engagement):
    DemographicField.objects.create(
        engagement=engagement, key="age", label="Age", choices=["Under 25", "25 or over"]
    )
    body = _page(mi, reverse("join", args=[engagement.slug]))
    _assert_mi_chrome(body)
    for text in (
        "Whai wāhi mai",  # Take part
        "Tō pūkete",  # Your account
        "Tō ingoa kārangaranga",  # Your pseudonym
        "E whakaae ana ahau ki te kōrero mōku",  # demographics consent
        "Kāore au e pīrangi ki te whakautu",  # Prefer not to say
        "Uru mai",  # the button
    ):
        assert text in body, text


@pytest.fixture
def mi_participant(mi, engagement):
    mi.force_login(factories.make_member(engagement, Role.PARTICIPANT))
    return mi


@pytest.mark.django_db
def test_online_form_in_te_reo_maori(mi_participant, engagement):
    body = _page(mi_participant, reverse("submit_online", args=[engagement.slug]))
    _assert_mi_chrome(body)
    for text in (
        "Kōrero mai",  # Have your say
        "Ko tēhea pātai e whakautu ana koe?",
        "Te reo e tuhi ana koe",
        "Ka āhei mātou ki te whakahua i āu kōrero?",  # May we quote you?
        "Ka āhei koutou ki te whakahua i āku kōrero, me tōku ingoa kārangaranga",
        "Ka āhei koutou ki te whakahua i āku kōrero, engari kaua he ingoa",
        "Kaua e whakahua i āku kōrero; me tatau noa iho",
        ">Tukuna<",  # Send
    ):
        assert text in body, text


@pytest.mark.django_db
def test_online_form_messages_and_thanks_in_te_reo_maori(mi_participant, engagement):
    url = reverse("submit_online", args=[engagement.slug])
    data = {"language": "en", "question": "", "client_key": str(uuid.uuid4())}
    body = mi_participant.post(url, {**data, "text": "   "}).content.decode()
    assert "Kāore he kupu i tēnei kōrero." in body  # text_problems: empty
    too_long = "ā" * (settings.HEARD_CONTRIBUTION_MAX_CHARS + 1)
    body = mi_participant.post(url, {**data, "text": too_long, "quote_consent": "quote"})
    assert "pū te roa o te kuputuhi; ko te tepe he" in body.content.decode()
    body = mi_participant.post(
        url, {**data, "text": "Kia ora", "language": "other", "language_other": "!!"}
    ).content.decode()
    assert "Tuhia he waehere reo pērā i te fj (reo Whītī)" in body
    response = mi_participant.post(
        url, {**data, "text": "Kia ora koutou", "quote_consent": "quote"}, follow=True
    )
    body = response.content.decode()
    assert "Ngā mihi: kua puritia āu kupu" in body
    assert "Kōrero anō" in body  # Say something else


@pytest.fixture
def hui(engagement):
    return factories.make_hui(engagement)


def _capture_config(body: str) -> dict:
    found = re.search(r'<script id="capture-config" type="application/json">(.*?)</script>', body)
    assert found, "the capture page carries its configuration as JSON"
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_capture_page_and_its_script_strings_in_te_reo_maori(mi, engagement, hui):
    mi.force_login(factories.make_member(engagement, Role.FACILITATOR))
    body = _page(mi, reverse("capture", args=[engagement.slug, hui.key]))
    _assert_mi_chrome(body)
    for text in (
        "Hopukina ngā kōrero",  # Capture contributions
        "Ngā kōrero i puta",  # What was said
        "Tohu kaikōrero",  # Speaker tag
        "Ka āhei te whakahua i ēnei kōrero?",
        "Puritia, tukuna",  # Keep and send
        "Papapātuhi",  # Keyboard (the shortcuts help)
        "<kbd>Ctrl</kbd>+<kbd>Enter</kbd>, <kbd>⌘</kbd>+<kbd>Enter</kbd> rānei",
        "0 e tatari ana kia tukuna",  # n waiting to send, rendered by the template
    ):
        assert text in body, text
    strings = _capture_config(body)["strings"]
    assert strings["online"] == "Tuihono"
    assert strings["offline"].startswith("Tuimotu:")
    assert strings["waiting_one"] == "%(n)s e tatari ana kia tukuna"
    assert strings["waiting_other"] == "%(n)s e tatari ana kia tukuna"
    assert strings["attention_one"].startswith("%(n)s me āta tirotiro")
    assert strings["attention_other"].startswith("%(n)s me āta tirotiro")
    assert strings["network_error"].startswith("Kāore i taea te toro atu ki te tūmau")


@pytest.mark.django_db
def test_capture_refusal_in_te_reo_maori(mi, engagement, hui):
    response = mi.post(
        reverse("capture_sync", args=[engagement.slug, hui.key]),
        data=json.dumps({"items": []}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["error"].startswith("Kua takiputa koe.")


@pytest.mark.django_db
def test_public_record_in_te_reo_maori(mi, engagement):
    hidden = factories.make_contribution(engagement, "Words someone hid")
    services.hide_contribution(hidden, reason="Names a person", by=factories.make_user())
    factories.make_contribution(engagement, "Not for quoting", quote_consent=QuoteConsent.NONE)
    body = _page(mi, reverse("public_record", args=[engagement.slug]))
    _assert_mi_chrome(body)
    for text in (
        "Ngā kōrero kua puta",  # What people said
        "Tātarihia",  # Filter
        "Ahakoa tēhea",  # Any
        "Kua hunaia e ngā kaiaroturuki. Te take:",  # hidden by moderation
        "Names a person",
        "i runga i te tono a te tangata nāna i kōrero",  # not shown at the person's request
        "2 kōrero",
    ):
        assert text in body, text


@pytest.mark.django_db
def test_moderation_form_in_te_reo_maori(mi, engagement):
    contribution = factories.make_contribution(engagement)
    mi.force_login(factories.make_member(engagement, Role.TEAM))
    url = reverse("contribution", args=[engagement.slug, contribution.pk])
    body = _page(mi, url)
    assert "Hunaia i te tirohanga a te marea" in body
    assert "Take tūmatanui" in body  # Public reason
    moderate = reverse("moderate", args=[engagement.slug, contribution.pk])
    body = mi.post(moderate, {"do": "hide", "reason": ""}, follow=True).content.decode()
    assert "Homai he take; ka whakaaturia ki te marea." in body  # a reason is needed
    body = mi.post(moderate, {"do": "hide", "reason": "Kei roto he ingoa"}, follow=True)
    body = body.content.decode()
    assert "Kua oti. Ka kitea e te marea te whakatau me tōna take." in body
    assert "Whakakitea anō" in body  # Unhide


@pytest.mark.django_db
def test_import_page_in_te_reo_maori(mi, engagement):
    mi.force_login(factories.make_member(engagement, Role.TEAM))
    body = _page(mi, reverse("import_upload", args=[engagement.slug]))
    _assert_mi_chrome(body)
    assert "Kawemai tuhipoka hui" in body
    assert "Tukuake, ka arokite" in body  # Upload and preview


# --- conversations and the opinion map ---------------------------------------------------------

# Statements in te reo Māori, so that no English on the page can come from them.
STATEMENTS = (
    "Me noho ngā raraunga ki Aotearoa.",
    "Me tiki ngā raraunga hei whakapai ake i ngā ratonga.",
    "Me whai mana te iwi ki ōna ake raraunga.",
    "Me mōhio te tangata ki ngā raraunga e puritia ana mōna.",
    "Kia kaua te rorohiko e whakatau ko wai ka āwhinatia.",
    "Me whai kaitiaki motuhake mō te whakamahi raraunga.",
)


def _conversation(engagement, *, moderation=Conversation.Moderation.STRICT):
    """A conversation opened and seeded by the team, the way the team's pages do it."""
    team = factories.make_member(engagement, Role.TEAM)
    conversation = opinions.create_conversation(
        engagement, topic="Ō tātou raraunga", moderation=moderation, by=team
    )
    statements = [
        opinions.seed_statement(conversation, text, by=team, language="mi")[0]
        for text in STATEMENTS
    ]
    return conversation, statements, team


def _participant(engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    return user, Participant.objects.get(engagement=engagement, user=user)


@pytest.mark.django_db
def test_conversation_page_and_voting_in_te_reo_maori(mi, engagement):
    conversation, statements, _team = _conversation(engagement)
    user, participant = _participant(engagement)
    opinions.cast_vote(statements[0], participant, Vote.Value.AGREE)
    mi.force_login(user)
    url = reverse("conversation", args=[engagement.slug, conversation.number])
    body = _page(mi, url)
    _assert_mi_chrome(body)
    for text in (
        "Ngā kōrerorero katoa",  # All conversations
        'aria-label="Tēnei kōrerorero"',  # the conversation's own navigation
        "Ngā tauākī katoa",  # All statements
        "Kua pōti koe mō ngā tauākī 1 o te 6.",  # You have voted on 1 of 6 statements.
        ">Whakaae<",  # Agree
        ">Whakahē<",  # Disagree
        ">Waiho / kāore i te mōhio<",  # Pass / unsure
        "Tāpirihia he tauākī",  # Add a statement
        "Ka kite ētahi atu i a ia ina whakaaetia e te rōpū whakahaere.",  # strict moderation
        "Tāu tauākī",  # the form's label: Your statement
        "Āu pōti",  # Your votes
        "Hurihia",  # Change it
    ):
        assert text in body, text
    for english in (
        "All conversations",
        "You have voted on",
        ">Agree<",
        ">Disagree<",
        "Pass / unsure",
        "Add a statement",
        "Your statement",
        "Your votes",
    ):
        assert english not in body, english
    assert re.search(r'<h3 id="now-h">Tauākī \d+', body)  # the statement to vote on next
    assert not re.search(r"Statement \d", body)
    # The vote's confirmation names the vote in te reo Māori too (the model's choice label).
    response = mi.post(
        reverse("vote", args=[engagement.slug, conversation.number]),
        {"statement": statements[1].number, "vote": "disagree"},
        follow=True,
    )
    body = response.content.decode()
    assert f"Kua puritia tāu pōti mō te tauākī {statements[1].number}: Whakahē." in body
    assert "Kua pōti koe mō ngā tauākī 2 o te 6." in body
    assert "Your vote on statement" not in body


@pytest.mark.django_db
def test_opinion_map_page_in_te_reo_maori(mi, engagement, hui):
    """Two camps who vote opposite ways on all but the first statement, which all agree with:
    the map has two groups and common ground, and every label around them is translated."""
    conversation, statements, team = _conversation(engagement)
    camp_member = None
    for i in range(12):
        user, participant = _participant(engagement)
        camp = i % 2
        camp_member = camp_member or user
        for j, statement in enumerate(statements):
            agrees = j == 0 or j % 2 == camp
            opinions.cast_vote(
                statement, participant, Vote.Value.AGREE if agrees else Vote.Value.DISAGREE
            )
    opinions.record_tally(statements[0], hui, agree=12, disagree=1, passes=2, by=team)
    snapshot = mapping.compute_now(conversation)
    assert len(snapshot.result["group_centres"]) == 2, snapshot.error
    mi.force_login(camp_member)
    body = _page(mi, reverse("opinion_map", args=[engagement.slug, conversation.number]))
    _assert_mi_chrome(body)
    for text in (
        "Mahere whakaaro: Ō tātou raraunga",  # Opinion map: topic
        "Kei hea te tangata e tū ana",  # Where people stand
        "rōpū whakaaro",  # opinion groups
        ">Ko koe</text>",  # "You" on the map itself
        "Rōpū A (6 tāngata)",  # Group A (6 people)
        "Rōpū B (6 tāngata)",
        "Te mea e motuhake ai tēnei rōpū",  # What sets this group apart
        "Te hunga kē atu",  # Everyone else
        "Te whakaaro kotahi",  # Common ground
        STATEMENTS[0],  # what everyone agrees with
        "100% i whakaae, 0% i whakahē, 0% i waiho, o te 12",  # a share, read aloud
        "Ia tauākī, ā-rōpū",  # Every statement, group by group
        "Ngā tatauranga hui (ringa)",  # Hui tallies (hands)
        "12 i whakaae, 1 i whakahē, 2 i waiho",  # the tally, shown as hands
        "I pēhea te hanga o tēnei mahere",  # How this map was made
        "Tapumati tāuru (SHA-256)",  # Input hash
    ):
        assert text in body, text
    for english in (
        "Opinion map",
        "Where people stand",
        "You are in group",
        ">You</text>",
        "Group A",
        "What sets this group apart",
        "Common ground",
        "% agree",
        "12 agree",
        "How this map was made",
        "Input hash",
    ):
        assert english not in body, english
    assert re.search(r"Kei te rōpū [AB] koe\.", body)  # You are in group A (or B).


# --- switching, and English as the default -----------------------------------------------------


@pytest.mark.django_db
def test_language_switcher_sets_te_reo_maori(client):
    response = client.post(reverse("set_language"), {"language": "mi", "next": "/"})
    assert response.status_code == 302
    _assert_mi_chrome(_page(client, "/"))


@pytest.mark.django_db
def test_english_is_the_default(client, engagement):
    for url in (reverse("home"), reverse("engagement", args=[engagement.slug]), reverse("login")):
        body = _page(client, url)
        assert '<html lang="en">' in body
        assert "Skip to main content" in body
        assert "Engagements" in body
        assert REVIEW_NOTE not in body
        assert "Ngā kaupapa" not in body
