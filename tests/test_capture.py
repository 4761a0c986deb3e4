"""The capture page's server half: the sync endpoint that takes a facilitator's offline queue.

The browser keeps every entry until this endpoint confirms it; these tests pin down what
"confirmed" means: words kept exactly, a resend never kept twice, a bad entry refused with a
reason while the good ones in its batch are kept, and refusals answered in JSON.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from heard.core.permissions import Phase, Role
from heard.listen.models import Contribution, Participant
from heard.listen.vocab import Channel
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = (
    "<script>alert('x')</script><img src=x onerror=alert(1)> &amp; \"quotes\"\n"
    "  leading and trailing spaces  \n\t tab · Māori macrons: ā ē ī ō ū Ā · whānau · "
    "emoji 👩🏽‍🌾🇳🇿 · RTL \u202eevil\u202c \u200f مرحبا \u200e · zero-width \u200b\u200d · "
    "combining e\u0301 · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 · line sep \u2028 end  "
)


def item(**overrides) -> dict:
    base = {
        "client_key": str(uuid.uuid4()),
        "text": "Kia ora, we need the data to stay here.",
        "speaker": "A",
        "language": "en",
        "question": None,
        "quote_consent": "anonymous",
        "channel": "hui",
        "said_at": "2026-03-01T10:15:00.000Z",
    }
    base.update(overrides)
    return base


@pytest.fixture
def hui(engagement):
    return factories.make_hui(engagement)


@pytest.fixture
def facilitator_client(client, engagement):
    user = factories.make_member(engagement, Role.FACILITATOR)
    client.force_login(user)
    client.user = user
    return client


def sync(client, engagement, hui, items):
    return client.post(
        reverse("capture_sync", args=[engagement.slug, hui.key]),
        data=json.dumps({"items": items}),
        content_type="application/json",
    )


def test_page_renders_for_a_facilitator(facilitator_client, engagement, hui):
    response = facilitator_client.get(reverse("capture", args=[engagement.slug, hui.key]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="capture-text"' in body and "autofocus" in body
    assert 'aria-live="polite"' in body
    assert "0 waiting to send" in body
    assert "Ctrl</kbd>+<kbd>Enter" in body
    assert "What matters to you?" in body  # the engagement's questions are offered
    assert "csrftoken" in response.cookies  # the script reads the token from the cookie


def test_sync_keeps_items_exactly(facilitator_client, engagement, hui):
    long_text = ("Ko te reo te mauri o te mana Māori. " * 600)[:20_000]
    items = [item(text=HOSTILE), item(text=long_text, language="mi"), item(text="x")]
    response = sync(facilitator_client, engagement, hui, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["kept", "kept", "kept"]
    assert [r["client_key"] for r in results] == [i["client_key"] for i in items]
    for sent, result in zip(items, results, strict=True):
        kept = Contribution.objects.get(pk=result["id"])
        assert kept.text == sent["text"]
        assert str(kept.client_key) == sent["client_key"]
        assert kept.said_at.isoformat() == "2026-03-01T10:15:00+00:00"


def test_contributions_carry_hui_channel_and_recorder(facilitator_client, engagement, hui):
    question = engagement.questions.get(key="q2")
    items = [
        item(question=question.pk, quote_consent="quote"),
        item(channel="paper", quote_consent="none", language="mi"),
    ]
    results = sync(facilitator_client, engagement, hui, items).json()["results"]
    spoken, paper = (Contribution.objects.get(pk=r["id"]) for r in results)
    assert spoken.hui == paper.hui == hui
    assert spoken.channel == Channel.HUI and paper.channel == Channel.PAPER
    assert spoken.recorded_by == paper.recorded_by == facilitator_client.user
    assert spoken.question == question and paper.question is None
    assert (spoken.quote_consent, paper.quote_consent) == ("quote", "none")
    assert paper.language == "mi"


def test_resending_the_same_batch_keeps_each_item_once(facilitator_client, engagement, hui):
    items = [item(text=f"Entry {n}") for n in range(5)]
    first = sync(facilitator_client, engagement, hui, items).json()["results"]
    second = sync(facilitator_client, engagement, hui, items).json()["results"]
    assert {r["status"] for r in first} == {"kept"}
    assert {r["status"] for r in second} == {"duplicate"}
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert Contribution.objects.filter(engagement=engagement).count() == 5


def test_mixed_batch_keeps_the_good_and_refuses_the_bad(facilitator_client, engagement, hui):
    good_first, good_last = item(text="Good one"), item(text="Another good one")
    empty = item(text="")
    blank = item(text="   \n ")
    too_long = item(text="a" * 20_001)
    bad_language = item(language="not a tag!")
    no_consent = item(quote_consent="")
    bad_channel = item(channel="online")
    bad_key = item(client_key="not-a-uuid")
    other_question = item(question=999_999)
    batch = [
        good_first,
        empty,
        blank,
        too_long,
        bad_language,
        no_consent,
        bad_channel,
        bad_key,
        other_question,
        good_last,
    ]
    response = sync(facilitator_client, engagement, hui, batch)
    assert response.status_code == 200
    results = response.json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["kept"] + ["refused"] * 8 + ["kept"]
    errors = {r["client_key"]: " ".join(r["errors"]) for r in results}
    assert "empty" in errors[empty["client_key"]]
    assert "empty" in errors[blank["client_key"]]
    assert "20,001" in errors[too_long["client_key"]]
    assert "not a tag!" in errors[bad_language["client_key"]]
    assert "quoted" in errors[no_consent["client_key"]]
    assert "channel" in errors[bad_channel["client_key"]]
    assert "client key" in errors["not-a-uuid"]
    assert "question" in errors[other_question["client_key"]]
    kept = list(Contribution.objects.filter(engagement=engagement).values_list("text", flat=True))
    assert sorted(kept) == ["Another good one", "Good one"]
    # A refused entry leaves no speaker behind either.
    assert Participant.objects.filter(hui=hui).count() == 1


def test_speaker_tags_map_to_one_participant_per_hui(facilitator_client, engagement, hui):
    other_hui = factories.make_hui(engagement)
    sync(
        facilitator_client,
        engagement,
        hui,
        [item(speaker="kuia"), item(speaker="kuia"), item(speaker="B"), item(speaker="")],
    )
    sync(facilitator_client, engagement, other_hui, [item(speaker="kuia")])
    kuia = Participant.objects.get(hui=hui, speaker_tag="kuia")
    assert kuia.contributions.count() == 2
    assert Participant.objects.filter(hui=hui).count() == 3  # kuia, B, someone in the room
    assert Participant.objects.get(hui=other_hui, speaker_tag="kuia") != kuia


def test_team_member_may_capture(team_client, engagement, hui):
    results = sync(team_client, engagement, hui, [item()]).json()["results"]
    assert results[0]["status"] == "kept"


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.PUBLIC, Role.WORKING_GROUP])
def test_sync_refused_for_roles_that_may_not_capture(client, engagement, hui, role):
    client.force_login(factories.make_member(engagement, role))
    response = sync(client, engagement, hui, [item()])
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "Not allowed" in response.json()["error"]
    assert "login_url" in response.json()
    assert not Contribution.objects.exists()


def test_sync_refused_when_signed_out_in_json(client, engagement, hui):
    response = sync(client, engagement, hui, [item()])
    assert response.status_code == 401
    body = response.json()
    assert "Sign in" in body["error"]
    assert body["login_url"].startswith(reverse("login"))
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("phase", [Phase.PLAN, Phase.MAKE_SENSE, Phase.ADOPT])
def test_sync_refused_outside_the_listen_phase(client, phase):
    engagement = factories.make_engagement(phase)
    hui = factories.make_hui(engagement)
    client.force_login(factories.make_member(engagement, Role.FACILITATOR))
    response = sync(client, engagement, hui, [item()])
    assert response.status_code == 403
    assert "phase" in response.json()["error"]
    assert not Contribution.objects.exists()
    page = client.get(reverse("capture", args=[engagement.slug, hui.key]))
    assert page.status_code == 403


def test_capture_page_refused_for_participant(client, engagement, hui):
    client.force_login(factories.make_member(engagement, Role.PARTICIPANT))
    assert client.get(reverse("capture", args=[engagement.slug, hui.key])).status_code == 403


def test_sync_requires_csrf_token(engagement, hui):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(factories.make_member(engagement, Role.FACILITATOR))
    response = sync(strict, engagement, hui, [item()])
    assert response.status_code == 403
    assert not Contribution.objects.exists()
    strict.get(reverse("capture", args=[engagement.slug, hui.key]))
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        reverse("capture_sync", args=[engagement.slug, hui.key]),
        data=json.dumps({"items": [item()]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.json()["results"][0]["status"] == "kept"


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([1, 2]), json.dumps({"items": "x"}), json.dumps({"nothing": []})],
)
def test_malformed_request_is_refused_whole(facilitator_client, engagement, hui, body):
    response = facilitator_client.post(
        reverse("capture_sync", args=[engagement.slug, hui.key]),
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Contribution.objects.exists()


def test_too_many_items_in_one_request(facilitator_client, engagement, hui):
    response = sync(facilitator_client, engagement, hui, [item() for _ in range(101)])
    assert response.status_code == 400
    assert "at most 100" in response.json()["error"]
    assert not Contribution.objects.exists()


def test_unknown_hui_is_404(facilitator_client, engagement, hui):
    response = facilitator_client.post(
        reverse("capture_sync", args=[engagement.slug, "no-such-hui"]),
        data=json.dumps({"items": [item()]}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_sync_rejects_get(facilitator_client, engagement, hui):
    response = facilitator_client.get(reverse("capture_sync", args=[engagement.slug, hui.key]))
    assert response.status_code == 405


def test_service_worker_is_served_with_a_scope_over_the_page(client, engagement, hui):
    url = reverse("capture_sw", args=[engagement.slug, hui.key])
    page = reverse("capture", args=[engagement.slug, hui.key])
    assert url.rsplit("/", 1)[0] + "/" == page  # default scope = the page's path
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b'addEventListener("fetch"' in response.content
