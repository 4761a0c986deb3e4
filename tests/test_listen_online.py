"""The online form and moderation: words kept exactly, bad input refused clearly, nothing lost."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from heard.core.permissions import Role
from heard.listen.models import Contribution, ModerationDecision
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)> & \"quotes\" 'single'",
    "Kia ora whānau — ngā mihi nui ki a koutou katoa 🌿",
    "\u202eRTL override\u202c and zero\u200bwidth and combining e\u0301",
    "Line one\n\n  indented line two\ttab  ",
    "ﷺ 𝕳𝖊𝖑𝖑𝖔 \U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",
]


def _post(client, engagement, text, **extra):
    data = {
        "text": text,
        "language": "en",
        "quote_consent": "quote",
        "question": "",
        "client_key": str(uuid.uuid4()),
        **extra,
    }
    return client.post(reverse("submit_online", args=[engagement.slug]), data)


@pytest.fixture
def participant_client(client, engagement):
    client.force_login(factories.make_member(engagement, Role.PARTICIPANT))
    return client


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_kept_exactly_and_shown_escaped(participant_client, engagement, text):
    response = _post(participant_client, engagement, text)
    assert response.status_code == 302
    contribution = Contribution.objects.get(engagement=engagement)
    assert contribution.text == text
    page = participant_client.get(reverse("public_record", args=[engagement.slug]))
    body = page.content.decode()
    assert "<script>alert" not in body
    assert "<img src=x" not in body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field is required"),
        ("   \n  ", "The contribution is empty"),
        ("x" * 20_001, "the limit is 20,000"),
    ],
)
def test_bad_text_refused_with_message_and_kept_in_form(
    participant_client, engagement, text, message
):
    response = _post(participant_client, engagement, text)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    if text.strip():
        assert response.context["form"]["text"].value() == text  # nothing typed is lost
    assert not Contribution.objects.exists()


def test_nul_character_refused(participant_client, engagement):
    response = _post(participant_client, engagement, "before\x00after")
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode() or "NUL" in (
        response.content.decode()
    )
    assert not Contribution.objects.exists()


def test_other_language_tag(participant_client, engagement):
    _post(participant_client, engagement, "Bula vinaka", language="other", language_other="fj")
    assert Contribution.objects.get().language == "fj"
    response = _post(
        participant_client, engagement, "Hmm", language="other", language_other="not a tag!"
    )
    assert "language code" in response.content.decode()


def test_consent_must_be_chosen(participant_client, engagement):
    response = _post(participant_client, engagement, "Something", quote_consent="")
    assert response.status_code == 200
    assert not Contribution.objects.exists()


def test_double_submit_keeps_one(participant_client, engagement):
    key = str(uuid.uuid4())
    first = _post(participant_client, engagement, "Once only", client_key=key)
    second = _post(participant_client, engagement, "Once only", client_key=key)
    assert first["Location"] == second["Location"]
    assert Contribution.objects.count() == 1


def test_public_record_respects_consent_and_moderation(client, engagement):
    team = factories.make_member(engagement, Role.TEAM)
    quoted = factories.make_contribution(engagement, "Quote me please")
    private = factories.make_contribution(
        engagement, "Count me, do not show me", quote_consent="none"
    )
    rude = factories.make_contribution(engagement, "Call Bob on 021 555 1234")
    from heard.listen import services

    services.hide_contribution(rude, reason="Contains a phone number", by=team)
    body = client.get(reverse("public_record", args=[engagement.slug])).content.decode()
    assert f'data-contribution="{quoted.pk}"' in body and "Quote me please" in body
    assert "Count me, do not show me" not in body
    assert "021 555 1234" not in body
    assert "Contains a phone number" in body
    # the team still sees every word
    client.force_login(team)
    body = client.get(reverse("all_contributions", args=[engagement.slug])).content.decode()
    assert "Count me, do not show me" in body and "021 555 1234" in body
    assert private.text == "Count me, do not show me"


def test_moderation_hides_never_edits_and_needs_reason(team_client, engagement):
    contribution = factories.make_contribution(engagement, "Original words")
    url = reverse("moderate", args=[engagement.slug, contribution.pk])
    team_client.post(url, {"do": "hide", "reason": ""})
    contribution.refresh_from_db()
    assert not contribution.is_hidden
    team_client.post(url, {"do": "hide", "reason": "Names a staff member"})
    team_client.post(url, {"do": "hide", "reason": "again"})  # already hidden: refused
    contribution.refresh_from_db()
    assert contribution.is_hidden and contribution.text == "Original words"
    team_client.post(url, {"do": "unhide", "reason": "Checked: no name after all"})
    contribution.refresh_from_db()
    assert not contribution.is_hidden
    actions = list(ModerationDecision.objects.values_list("action", flat=True))
    assert actions == ["hide", "unhide"]
    page = team_client.get(reverse("contribution", args=[engagement.slug, contribution.pk]))
    assert "Checked: no name after all" in page.content.decode()


def test_record_pages_paginate_with_constant_queries(
    client, engagement, django_assert_max_num_queries
):
    for i in range(60):
        factories.make_contribution(engagement, f"Contribution number {i}")
    url = reverse("public_record", args=[engagement.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["page"].object_list) == 50


def test_reused_client_key_for_other_words_is_refused(engagement):
    from django.core.exceptions import ValidationError

    from heard.listen import services
    from heard.listen.vocab import Channel, QuoteConsent

    alice, _ = services.join_as_participant(engagement, factories.make_user(), pseudonym="A")
    mallory, _ = services.join_as_participant(engagement, factories.make_user(), pseudonym="M")
    key = uuid.uuid4()

    def submit(who, text):
        return services.submit_contribution(
            engagement,
            who,
            services.Submission(
                text=text,
                language="en",
                channel=Channel.ONLINE,
                quote_consent=QuoteConsent.NONE,
                client_key=key,
            ),
        )

    first, created = submit(alice, "My private words")
    assert created
    with pytest.raises(ValidationError, match="already used"):
        submit(mallory, "My private words")  # someone else cannot fish for alice's words
    with pytest.raises(ValidationError, match="already used"):
        submit(alice, "Different words")
    assert submit(alice, "My private words") == (first, False)


def test_unpaired_surrogate_refused_clearly(engagement):
    from heard.listen.services import text_problems

    assert any("surrogate" in p for p in text_problems("bad \ud800 text"))


def test_public_search_does_not_reveal_withheld_words(client, engagement):
    factories.make_contribution(engagement, "secret pineapple", quote_consent="none")
    url = reverse("public_record", args=[engagement.slug])
    assert client.get(url, {"q": "pineapple"}).context["page"].paginator.count == 0
