"""Joining under a pseudonym, facilitator invites, roles, engagement settings, hui."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from heard.core.models import FacilitatorInvite, Membership
from heard.core.permissions import Phase, Role
from heard.engagements.models import DemographicField, PhaseWindow
from heard.listen.models import Participant
from heard.plan.models import Hui
from tests import factories

pytestmark = pytest.mark.django_db


def test_join_makes_account_and_pseudonymous_participant(client, engagement):
    DemographicField.objects.create(
        engagement=engagement, key="age", label="Age", choices=["Under 25", "25-64", "65+"]
    )
    response = client.post(
        reverse("join", args=[engagement.slug]),
        {
            "account-username": "kererū",
            "account-password1": "tino-pai-rawa-42",
            "account-password2": "tino-pai-rawa-42",
            "pseudonym": "Kererū in Kirikiriroa",
            "demographics_consent": "on",
            "demo_age": "65+",
        },
    )
    assert response.status_code == 302, response.content.decode()
    participant = Participant.objects.get(engagement=engagement)
    assert participant.pseudonym == "Kererū in Kirikiriroa"
    assert participant.user.username == "kererū"
    assert participant.user.email == ""
    assert participant.demographics == {"age": "65+"}
    assert participant.public_id.startswith("p-")
    # now signed in, and allowed to contribute
    assert client.get(reverse("submit_online", args=[engagement.slug])).status_code == 200


def test_demographics_not_kept_without_consent(client, engagement):
    DemographicField.objects.create(
        engagement=engagement, key="age", label="Age", choices=["Under 25", "25-64", "65+"]
    )
    user = factories.make_user()
    client.force_login(user)
    client.post(reverse("join", args=[engagement.slug]), {"pseudonym": "Anon", "demo_age": "65+"})
    assert Participant.objects.get(user=user).demographics == {}


def test_join_twice_is_one_participant(client, engagement):
    user = factories.make_user()
    client.force_login(user)
    client.post(reverse("join", args=[engagement.slug]), {"pseudonym": "One"})
    # a participant is no longer "public", so joining again is refused, and nothing doubles
    second = client.post(reverse("join", args=[engagement.slug]), {"pseudonym": "Two"})
    assert second.status_code == 403
    assert Participant.objects.filter(user=user).count() == 1


def test_facilitator_invite_link_flow(client, team_client, engagement):
    response = team_client.post(
        reverse("members", args=[engagement.slug]),
        {"do": "invite", "label": "Whangārei", "max_uses": 1, "days": 7},
    )
    link = response.context["new_link"]
    assert "/facilitate/" in link
    invite = FacilitatorInvite.objects.get(engagement=engagement)
    assert invite.token_hash not in link  # only the hash is stored
    path = link.split("testserver", 1)[1]

    newcomer = factories.make_user("new-facilitator")
    client.force_login(newcomer)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert Membership.objects.filter(user=newcomer, role=Role.FACILITATOR).exists()

    other = factories.make_user()
    client.force_login(other)
    assert client.post(path).status_code == 410  # single use
    assert not Membership.objects.filter(user=other).exists()


def test_expired_or_forged_invite_refused(client, engagement):
    team = factories.make_member(engagement, Role.TEAM)
    invite, token = FacilitatorInvite.issue(engagement, created_by=team)
    invite.expires_at = timezone.now() - dt.timedelta(seconds=1)
    invite.save()
    client.force_login(factories.make_user())
    url = reverse("accept_invite", args=[engagement.slug, token])
    assert client.post(url).status_code == 410
    forged = reverse("accept_invite", args=[engagement.slug, token[:-2] + "xx"])
    assert client.get(forged).status_code == 410


def test_team_grants_and_removes_roles(team_client, engagement):
    factories.make_user("wg-person")
    team_client.post(
        reverse("members", args=[engagement.slug]),
        {"do": "grant", "username": "wg-person", "role": "working_group"},
    )
    membership = Membership.objects.get(user__username="wg-person")
    assert membership.role == Role.WORKING_GROUP
    team_client.post(
        reverse("members", args=[engagement.slug]), {"do": "remove", "membership": membership.pk}
    )
    assert not Membership.objects.filter(user__username="wg-person").exists()


def test_phase_dates_decide_the_current_phase(team_client, engagement):
    assert engagement.current_phase() == Phase.LISTEN
    today = timezone.localdate()
    assert engagement.current_phase(today - dt.timedelta(days=400)) == Phase.PLAN
    window = PhaseWindow.objects.get(engagement=engagement, phase=Phase.MAKE_SENSE)
    window.starts_on = today
    window.save()
    engagement.refresh_from_db()
    assert engagement.current_phase() == Phase.MAKE_SENSE


def test_edit_engagement_rejects_phases_out_of_order(team_client, engagement):
    url = reverse("edit_engagement", args=[engagement.slug])
    page = team_client.get(url)
    assert page.status_code == 200
    data = {"title": "New title", "title_mi": "", "summary": "", "purpose": "Why", "purpose_mi": ""}
    for prefix, formset in (
        ("q", "questions"),
        ("a", "audiences"),
        ("p", "phases"),
        ("d", "demographics"),
    ):
        fs = page.context[formset]
        data[f"{prefix}-TOTAL_FORMS"] = str(len(fs.forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(fs.initial_form_count())
        for i, form in enumerate(fs.forms):
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is None:
                    continue
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{prefix}-{i}-{name}"] = str(value)
    # move "listen" after "report": out of order
    for i, form in enumerate(page.context["phases"].forms):
        if form.initial.get("phase") == "listen":
            data[f"p-{i}-starts_on"] = str(timezone.localdate() + dt.timedelta(days=365))
    response = team_client.post(url, data)
    assert response.status_code == 200
    assert "must start in the order" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.title != "New title"


def test_hui_create_validates_times_and_venue(team_client, engagement):
    url = reverse("hui_new", args=[engagement.slug])
    start = timezone.localtime() + dt.timedelta(days=3)
    data = {
        "key": "porirua-1",
        "title": "Porirua hui",
        "format": "in_person",
        "capacity": 30,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = team_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "must end after it starts" in body
    assert "needs a venue" in body
    data["format"] = "online"
    data["ends_at"] = (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = team_client.post(url, data)
    assert response.status_code == 302
    hui = Hui.objects.get(engagement=engagement, key="porirua-1")
    assert hui.capacity == 30
    assert team_client.get(hui.get_absolute_url()).status_code == 200


def test_site_organiser_starts_an_engagement(client):
    organiser = factories.make_user("organiser")
    client.force_login(organiser)
    url = reverse("new_engagement")
    assert client.get(url).status_code == 403  # not staff
    organiser.is_staff = True
    organiser.save()
    response = client.post(url, {"slug": "kai-2027", "title": "Kai security", "purpose": "Why"})
    assert response.status_code == 302
    from heard.engagements.models import Engagement

    engagement = Engagement.objects.get(slug="kai-2027")
    assert engagement.current_phase() == Phase.PLAN
    assert Membership.objects.filter(engagement=engagement, user=organiser, role=Role.TEAM).exists()
    assert client.get(response["Location"]).status_code == 200  # the team edits it next


def test_demographic_questions_edited_as_lines(team_client, engagement):
    from heard.engagements.forms import DemographicFieldForm

    form = DemographicFieldForm(
        {
            "key": "age",
            "label": "Age",
            "kind": "choice",
            "choices": "Under 25\n\n25-64 \n65+",
            "order": 1,
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["choices"] == ["Under 25", "25-64", "65+"]
    empty = DemographicFieldForm({"key": "age", "label": "Age", "kind": "choice", "order": 1})
    assert not empty.is_valid() and "at least one choice" in str(empty.errors)
