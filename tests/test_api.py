"""The JSON API: reads show only the public record; a participant may submit, once per key."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from heard.api.auth import make_token
from heard.core.permissions import Phase, Role
from heard.listen import services
from heard.listen.models import Contribution
from heard.listen.vocab import QuoteConsent
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "Hidden words that name someone."
PRIVATE = "Count me but never quote me."


def api(path: str) -> str:
    return f"/api{path}"


@pytest.fixture
def record(engagement):
    """The engagement in its listen phase with a hui and a small public record."""
    hui = factories.make_hui(engagement, key="whanganui")
    team = factories.make_member(engagement, Role.TEAM, username="team-lead")
    user = factories.make_user("aroha-login")
    aroha, _ = services.join_as_participant(
        engagement, user, pseudonym="Aroha", demographics={"age": "30s"}, demographics_consent=True
    )
    quoted = factories.make_contribution(engagement, "Quote me, whānau.", participant=aroha)
    anonymous = factories.make_contribution(
        engagement,
        "Quote me without my name.",
        participant=aroha,
        quote_consent=QuoteConsent.ANONYMOUS,
        language="mi",
    )
    private = factories.make_contribution(
        engagement, PRIVATE, participant=aroha, quote_consent=QuoteConsent.NONE
    )
    at_hui = factories.make_contribution(engagement, "Said in the room.", hui=hui)
    hidden = factories.make_contribution(engagement, SECRET, participant=aroha)
    services.hide_contribution(hidden, reason="Names a person", by=team)
    return {
        "engagement": engagement,
        "hui": hui,
        "quoted": quoted,
        "anonymous": anonymous,
        "private": private,
        "at_hui": at_hui,
        "hidden": hidden,
    }


def contributions_url(engagement, suffix: str = "") -> str:
    return api(f"/engagements/{engagement.slug}/contributions{suffix}")


# --- The OpenAPI description ------------------------------------------------------------------


def test_openapi_document_lists_every_path(client):
    response = client.get(api("/openapi.json"))
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/engagements",
        "/api/engagements/{slug}",
        "/api/engagements/{slug}/hui",
        "/api/engagements/{slug}/contributions",
        "/api/engagements/{slug}/contributions/{contribution_id}",
    }
    contributions = document["paths"]["/api/engagements/{slug}/contributions"]
    assert {"get", "post"} <= set(contributions)
    assert {"201", "200", "401", "403", "409", "422"} <= set(contributions["post"]["responses"])
    schemas = document["components"]["schemas"]
    assert {"ContributionIn", "ContributionOut", "EngagementOut", "HuiOut"} <= set(schemas)
    assert "BearerToken" in document["components"]["securitySchemes"]


def test_openapi_document_is_valid_openapi_3(client):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get(api("/openapi.json")).json())


def test_docs_page_uses_no_cdn(client):
    response = client.get(api("/docs"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn." not in body and "https://" not in body


# --- Engagements and hui ----------------------------------------------------------------------


def test_engagement_list_is_paginated(client, db):
    for _ in range(3):
        factories.make_engagement(Phase.LISTEN)
    first = client.get(api("/engagements"), {"limit": 2}).json()
    assert first["count"] == 3 and len(first["items"]) == 2 and first["limit"] == 2
    rest = client.get(api("/engagements"), {"limit": 2, "offset": 2}).json()
    assert len(rest["items"]) == 1
    slugs = [e["slug"] for e in first["items"] + rest["items"]]
    assert len(set(slugs)) == 3
    assert client.get(api("/engagements"), {"limit": 201}).status_code == 422
    assert client.get(api("/engagements"), {"limit": 0}).status_code == 422
    assert client.get(api("/engagements"), {"offset": -1}).status_code == 422


def test_engagement_detail(client, record):
    engagement = record["engagement"]
    response = client.get(api(f"/engagements/{engagement.slug}"))
    assert response.status_code == 200
    data = response.json()
    assert data["title"] == engagement.title and data["title_mi"] == engagement.title_mi
    assert data["purpose"] == engagement.purpose
    assert data["current_phase"] == "listen"
    assert [p["phase"] for p in data["phases"]] == [p.value for p in Phase]
    assert [q["key"] for q in data["questions"]] == ["q1", "q2"]
    assert data["audiences"][0] == {"key": "everyone", "name": "Everyone", "name_mi": "Te katoa"}
    assert data["counts"] == {
        "hui": 1,
        "contributions": 5,
        "contributions_hidden": 1,
        "participants_heard": 2,
    }
    assert data["url"].endswith(f"/e/{engagement.slug}/")


def test_unknown_engagement_is_404_json(client, db):
    response = client.get(api("/engagements/nope"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No engagement has the slug “nope”."}


def test_hui_list(client, record):
    response = client.get(api(f"/engagements/{record['engagement'].slug}/hui"))
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    hui = data["items"][0]
    assert hui["key"] == "whanganui"
    assert hui["region"] == "Manawatū-Whanganui" and hui["place"] == "Whanganui"
    assert hui["venue"]["accessibility"] == "Step-free entrance"
    assert hui["format"] == "in_person" and hui["capacity"] == 40 and hui["attendance"] is None


# --- The public record ------------------------------------------------------------------------


def test_contributions_show_only_the_public_record(client, record):
    response = client.get(contributions_url(record["engagement"]))
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5
    by_id = {item["id"]: item for item in data["items"]}

    quoted = by_id[record["quoted"].pk]
    assert quoted["text"] == "Quote me, whānau." and quoted["withheld"] is None
    assert quoted["pseudonym"] == "Aroha"
    assert quoted["participant"] == record["quoted"].participant.public_id

    anonymous = by_id[record["anonymous"].pk]
    assert anonymous["text"] == "Quote me without my name." and anonymous["pseudonym"] is None
    assert anonymous["language"] == "mi"

    private = by_id[record["private"].pk]
    assert private["text"] is None and private["not_for_quoting"] is True
    assert private["withheld"] == "not_for_quoting" and private["pseudonym"] is None

    hidden = by_id[record["hidden"].pk]
    assert hidden["text"] is None and hidden["hidden"] is True
    assert hidden["hidden_reason"] == "Names a person" and hidden["withheld"] == "hidden"

    at_hui = by_id[record["at_hui"].pk]
    assert at_hui["hui"] == "whanganui" and at_hui["channel"] == "hui"

    raw = response.content.decode()
    for never in (SECRET, PRIVATE, "aroha-login", "team-lead", "30s", '"user', "demographics"):
        assert never not in raw, never


def test_contribution_filters_and_pagination(client, record):
    url = contributions_url(record["engagement"])
    assert client.get(url, {"channel": "hui"}).json()["count"] == 1
    assert client.get(url, {"hui": "whanganui"}).json()["items"][0]["text"] == "Said in the room."
    assert client.get(url, {"language": "mi"}).json()["count"] == 1
    assert client.get(url, {"question": "q1"}).json()["count"] == 0
    assert client.get(url, {"channel": "pigeon"}).status_code == 422
    page = client.get(url, {"limit": 2, "offset": 4}).json()
    assert page["count"] == 5 and len(page["items"]) == 1


def test_a_page_costs_a_fixed_number_of_queries(client, record, django_assert_max_num_queries):
    engagement = record["engagement"]
    for n in range(60):
        factories.make_contribution(engagement, f"Voice {n}", hui=record["hui"])
    with django_assert_max_num_queries(8):
        page = client.get(contributions_url(engagement), {"limit": 200}).json()
    assert len(page["items"]) == 65


def test_contribution_detail(client, record):
    engagement = record["engagement"]
    ok = client.get(contributions_url(engagement, f"/{record['hidden'].pk}"))
    assert ok.status_code == 200 and ok.json()["text"] is None
    other = factories.make_engagement(Phase.LISTEN)
    elsewhere = factories.make_contribution(other, "Somewhere else.")
    missing = client.get(contributions_url(engagement, f"/{elsewhere.pk}"))
    assert missing.status_code == 404
    assert "no contribution" in missing.json()["detail"]


def test_public_record_is_refused_while_planning(client, db):
    planning = factories.make_engagement(Phase.PLAN)
    assert client.get(api(f"/engagements/{planning.slug}")).status_code == 200
    response = client.get(contributions_url(planning))
    assert response.status_code == 403
    assert "Read the public record" in response.json()["detail"]
    team = factories.make_member(planning, Role.TEAM)
    client.force_login(team)
    assert client.get(contributions_url(planning)).status_code == 403


# --- Submitting -------------------------------------------------------------------------------


@pytest.fixture
def participant_client(engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def submit(client, engagement, headers=None, **fields):
    body = {
        "text": "Kia ora.",
        "language": "en",
        "quote_consent": "quote",
        "client_key": str(uuid.uuid4()),
        **fields,
    }
    return client.post(
        contributions_url(engagement),
        data=json.dumps(body),
        content_type="application/json",
        headers=headers or {},
    )


def test_submit_keeps_words_exactly_and_is_idempotent(participant_client, engagement):
    words = '  Tēnā koutou,\r\n<b>whānau</b> "quotes" 🌿  '
    key = str(uuid.uuid4())
    first = submit(
        participant_client,
        engagement,
        text=words,
        language="MI",
        question="q1",
        quote_consent="none",
        client_key=key,
    )
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["text"] == words  # the author sees their own words back
    assert data["question"] == "q1" and data["language"] == "mi" and data["channel"] == "online"
    stored = Contribution.objects.get(pk=data["id"])
    assert stored.text == words and stored.quote_consent == "none"
    assert stored.participant.user == participant_client.user

    again = submit(
        participant_client,
        engagement,
        text=words,
        language="mi",
        question="q1",
        quote_consent="none",
        client_key=key,
    )
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Contribution.objects.filter(client_key=key).count() == 1

    other_words = submit(participant_client, engagement, text="Different.", client_key=key)
    assert other_words.status_code == 409
    assert "client_key" in other_words.json()["detail"]
    assert Contribution.objects.get(client_key=key).text == words


def test_someone_elses_client_key_is_a_conflict(participant_client, engagement):
    key = str(uuid.uuid4())
    assert submit(participant_client, engagement, client_key=key).status_code == 201
    other = Client()
    other.force_login(factories.make_member(engagement, Role.PARTICIPANT))
    response = submit(other, engagement, client_key=key)
    assert response.status_code == 409
    assert "Kia ora." not in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": ""}, "text", "empty"),
        ({"text": " \n\t "}, "text", "empty"),
        ({"text": "x" * 20_001}, "text", "limit is 20,000"),
        ({"text": "nul\x00here"}, "text", "NUL"),
        ({"text": "broken \ud800 char"}, "text", "surrogate"),
        ({"language": "english please"}, "language", "not a language tag"),
        ({"question": "q9"}, "question", "no question “q9”"),
        ({"quote_consent": "maybe"}, "quote_consent", "quote"),
        ({"client_key": "not-a-uuid"}, "client_key", "UUID"),
    ],
)
def test_bad_input_is_refused_clearly(participant_client, engagement, fields, field, message):
    before = Contribution.objects.count()
    response = submit(participant_client, engagement, **fields)
    assert response.status_code == 422, response.content
    problems = response.json()["detail"]
    assert any(p["loc"][-1] == field and message in p["msg"] for p in problems), problems
    assert Contribution.objects.count() == before


def test_missing_fields_are_named(participant_client, engagement):
    response = participant_client.post(
        contributions_url(engagement), data="{}", content_type="application/json"
    )
    assert response.status_code == 422
    missing = {p["loc"][-1] for p in response.json()["detail"]}
    assert {"text", "language", "quote_consent", "client_key"} <= missing


@pytest.mark.parametrize(
    ("body", "content_type"),
    [('{"text": "unterminated', "application/json"), ("text=hi", "text/plain")],
)
def test_a_body_that_is_not_json_is_refused_clearly(
    participant_client, engagement, body, content_type
):
    response = participant_client.post(
        contributions_url(engagement), data=body, content_type=content_type
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_json_keeps_macrons_as_themselves(client, record):
    response = client.get(contributions_url(record["engagement"], f"/{record['quoted'].pk}"))
    assert "whānau".encode() in response.content
    assert response["Content-Type"].startswith("application/json")


def test_longest_allowed_text_is_kept(participant_client, engagement):
    response = submit(participant_client, engagement, text="ā" * 20_000)
    assert response.status_code == 201
    assert len(Contribution.objects.get(pk=response.json()["id"]).text) == 20_000


def test_anonymous_submit_is_401_not_a_csrf_puzzle(engagement):
    response = submit(Client(enforce_csrf_checks=True), engagement)
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert Contribution.objects.count() == 0


@pytest.mark.parametrize("role", [Role.TEAM, Role.FACILITATOR, Role.WORKING_GROUP, Role.PUBLIC])
def test_only_participants_submit(client, engagement, role):
    client.force_login(factories.make_member(engagement, role))
    response = submit(client, engagement)
    assert response.status_code == 403
    assert "Submit a contribution online" in response.json()["detail"]
    assert Contribution.objects.count() == 0


def test_submitting_is_refused_outside_listening(client, db):
    later = factories.make_engagement(Phase.MAKE_SENSE)
    client.force_login(factories.make_member(later, Role.PARTICIPANT))
    response = submit(client, later)
    assert response.status_code == 403
    assert "Make sense" in response.json()["detail"]


def test_session_writes_need_csrf(engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = submit(browser, engagement)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    assert submit(browser, engagement, headers={"X-CSRFToken": secret}).status_code == 201


# --- Bearer tokens ----------------------------------------------------------------------------


def test_bearer_token_from_the_command_works_without_a_session(engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    out = io.StringIO()
    call_command("api_token", user.username, stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()
    script = Client(enforce_csrf_checks=True)  # no session, no CSRF cookie: a script
    response = submit(script, engagement, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert Contribution.objects.get(pk=response.json()["id"]).participant.user == user


def test_tampered_or_revoked_tokens_are_refused(engagement, settings):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    token = make_token(user)
    script = Client()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = submit(script, engagement, headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
    other = factories.make_user()
    forged = token.replace(f"{user.pk}.", f"{other.pk}.", 1)
    assert (
        submit(script, engagement, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )

    settings.HEARD_API_TOKEN_MAX_AGE_DAYS = -1
    expired = submit(script, engagement, headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    settings.HEARD_API_TOKEN_MAX_AGE_DAYS = 90

    user.set_password("another-Long-passw0rd")
    user.save()
    revoked = submit(script, engagement, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert Contribution.objects.count() == 0


def test_a_bad_token_on_a_read_is_not_silently_anonymous(client, record):
    response = client.get(
        contributions_url(record["engagement"]), headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401


def test_api_token_for_unknown_user(db):
    with pytest.raises(CommandError, match="No user is called “ghost”"):
        call_command("api_token", "ghost", stdout=io.StringIO())
