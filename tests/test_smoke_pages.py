"""Every main page renders for the people who may see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from heard.core.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_home_lists_engagements(client, engagement):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert engagement.title in response.content.decode()


def test_engagement_page_public(client, engagement):
    factories.make_hui(engagement)
    response = client.get(engagement.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "What matters to you?" in body
    assert "Hui 1" in body or "Hui" in body


def test_online_submission_keeps_words_exactly(client, engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    client.force_login(user)
    form = client.get(reverse("submit_online", args=[engagement.slug]))
    key = form.context["form"].initial["client_key"]
    words = "  Kia ora — <b>ngā</b> mihi\r\nSecond line  "
    data = {
        "text": words,
        "language": "mi",
        "quote_consent": "anonymous",
        "client_key": str(key),
        "question": "",
    }
    first = client.post(reverse("submit_online", args=[engagement.slug]), data)
    second = client.post(reverse("submit_online", args=[engagement.slug]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    contributions = list(engagement.contributions.all())
    assert len(contributions) == 1
    assert contributions[0].text == "  Kia ora — <b>ngā</b> mihi\nSecond line  "
    page = client.get(first["Location"]).content.decode()
    assert "&lt;b&gt;ngā&lt;/b&gt;" in page
