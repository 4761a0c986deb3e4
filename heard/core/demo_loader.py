"""Load the demonstration engagement (``heard demo``) from ``heard/core/demo/engagement.json``.

The content is fictional, written for heard, and modelled on a national engagement about how the
social sector uses people's data. Everything is written through the same services the product
uses, so the demo exercises the real write path (and, later, the record). Dates are relative to
today: the engagement is in its listening phase, with its hui already held.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from importlib import resources
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from heard.core.models import Membership
from heard.core.permissions import Phase, Role
from heard.engagements.models import (
    Audience,
    DemographicField,
    Engagement,
    PhaseWindow,
    Question,
)
from heard.listen import services
from heard.listen.models import Participant
from heard.listen.vocab import Channel, QuoteConsent
from heard.plan import services as plan_services
from heard.plan.models import Hui, Venue

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kia-ora-demo"  # noqa: S105 (demo accounts only; printed by `make run`)
_KEY_NAMESPACE = uuid.UUID("5b1f6a1e-4c1d-4f7e-9a55-2f1d2f0d1e11")

# Days from the start of listening to the start of each phase. Listening began long enough ago
# that every demo hui has been held; it stays open for a few more weeks so visitors can take part.
LISTEN_STARTED_DAYS_AGO = 100
PHASE_OFFSETS = {
    Phase.PLAN: -60,
    Phase.LISTEN: 0,
    Phase.MAKE_SENSE: 121,
    Phase.REPORT: 150,
    Phase.DRAFT: 180,
    Phase.CHECK_BACK: 220,
    Phase.ENDORSE: 260,
    Phase.ADOPT: 300,
}


def load_content() -> dict[str, Any]:
    text = resources.files("heard.core.demo").joinpath("engagement.json").read_text("utf-8")
    return json.loads(text)


def demo_logins(content: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(username, what they can do) for the printed list of demo sign-ins."""
    content = content or load_content()
    people = content["people"]
    rows = [(p["username"], "engagement team") for p in people["team"][:1]]
    rows += [(p["username"], "facilitator") for p in people["facilitators"][:1]]
    rows += [(p["username"], "working group") for p in people["working_group"][:1]]
    rows += [(_participant_username(p["key"]), "participant") for p in content["participants"][:1]]
    return rows


def _participant_username(key: str) -> str:
    return f"demo-{key}"[:150]


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow; the demo's accounts all share one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(username: str, display_name: str = ""):
    model = get_user_model()
    user, created = model.objects.get_or_create(username=username)
    if created:
        first, _, last = display_name.partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.password = _demo_password_hash()
        user.save()
    return user


def demo_exists() -> bool:
    return Engagement.objects.filter(slug=DEMO_SLUG).exists()


def create_engagement(
    content: dict[str, Any], *, slug: str, title: str, listen_start: dt.date
) -> tuple[Engagement, dict[str, Audience], dict[str, Question]]:
    """The engagement of ``content`` (its words, phase windows, audiences, questions and
    demographic questions), listening from ``listen_start``; with its audiences and questions
    by key, in the content's order. The demo and the report benchmark's generated engagement
    both start here."""
    meta = content["engagement"]
    engagement = Engagement.objects.create(
        slug=slug,
        title=title,
        title_mi=meta.get("title_mi", ""),
        summary=meta.get("summary", ""),
        purpose=meta["purpose"],
        purpose_mi=meta.get("purpose_mi", ""),
    )
    for phase, offset in PHASE_OFFSETS.items():
        PhaseWindow.objects.create(
            engagement=engagement, phase=phase, starts_on=listen_start + dt.timedelta(days=offset)
        )
    audiences = {}
    for i, a in enumerate(content["audiences"]):
        audiences[a["key"]] = Audience.objects.create(
            engagement=engagement,
            key=a["key"],
            name=a["name"],
            name_mi=a.get("name_mi", ""),
            order=i,
        )
    questions = {}
    for i, q in enumerate(content["questions"]):
        questions[q["key"]] = Question.objects.create(
            engagement=engagement,
            key=q["key"],
            text=q["text"],
            text_mi=q.get("text_mi", ""),
            order=i,
        )
    for i, f in enumerate(content.get("demographic_fields", [])):
        DemographicField.objects.create(
            engagement=engagement,
            key=f["key"],
            label=f["label"],
            label_mi=f.get("label_mi", ""),
            kind=f.get("kind", "choice"),
            choices=f.get("choices", []),
            order=i,
        )
    return engagement, audiences, questions


@transaction.atomic
def load_demo(content: dict[str, Any] | None = None, *, today: dt.date | None = None) -> dict:
    """Create the demo engagement; returns counts. Refuses if it already exists."""
    content = content or load_content()
    today = today or timezone.localdate()
    listen_start = today - dt.timedelta(days=LISTEN_STARTED_DAYS_AGO)
    engagement, audiences, questions = create_engagement(
        content, slug=DEMO_SLUG, title=content["engagement"]["title"], listen_start=listen_start
    )

    people = content["people"]
    staff = {}
    for role, group in (
        (Role.TEAM, "team"),
        (Role.FACILITATOR, "facilitators"),
        (Role.WORKING_GROUP, "working_group"),
    ):
        for person in people[group]:
            user = _user(person["username"], person.get("display_name", ""))
            Membership.objects.get_or_create(engagement=engagement, user=user, role=role)
            staff[person["username"]] = user
    moderator = staff[people["team"][0]["username"]]

    tz = timezone.get_current_timezone()
    hui = {}
    recorders = {}  # who recorded each hui's words: its first facilitator, else the team
    for h in content["hui"]:
        venue = None
        if h.get("format") != Hui.Format.ONLINE:
            venue, _ = Venue.objects.get_or_create(
                engagement=engagement,
                name=h["venue"],
                place=h["place"],
                region=h["region"],
                defaults={
                    "accessibility": h.get("accessibility", ""),
                    "capacity": h.get("capacity"),
                },
            )
        day = listen_start + dt.timedelta(days=int(h["day"]))
        hour, minute = (int(x) for x in h.get("start", "10:00").split(":"))
        starts = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)
        item = Hui.objects.create(
            engagement=engagement,
            key=h["key"],
            title=h["title"],
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=int(h.get("minutes", 120))),
            venue=venue,
            format=h.get("format", Hui.Format.IN_PERSON),
            audience=audiences.get(h.get("audience")),
            capacity=int(h["capacity"]),
            attendance=h.get("attendance") if starts.date() < today else None,
            notes=h.get("accessibility", "") if venue is None else "",
        )
        item.facilitators.set([staff[u] for u in h.get("facilitators", []) if u in staff])
        plan_services.record_hui(item)
        recorders[item.key] = item.facilitators.first() or moderator
        hui[h["key"]] = item

    online = {}
    for p in content["participants"]:
        user = _user(_participant_username(p["key"]))
        demographics = p.get("demographics") or {}
        online[p["key"]], _ = services.join_as_participant(
            engagement,
            user,
            pseudonym=p["pseudonym"],
            demographics=demographics,
            demographics_consent=bool(demographics),
        )

    kept = []
    for index, c in enumerate(content["contributions"]):
        channel = Channel(c["channel"])
        at_hui = hui.get(c.get("hui")) if c.get("hui") else None
        if c.get("participant"):
            participant = online[c["participant"]]
        else:
            participant = (
                services.speaker_at_hui(at_hui, c.get("speaker") or "")
                if at_hui
                else services.voice_without_account(engagement, source="demo-post", tag=str(index))
            )
        said_at = at_hui.starts_at if at_hui else None
        submission = services.Submission(
            text=c["text"],
            language=c.get("language", "en"),
            channel=channel,
            quote_consent=QuoteConsent(c["quote_consent"]),
            question=questions.get(c.get("question")),
            hui=at_hui,
            said_at=said_at,
            client_key=uuid.uuid5(_KEY_NAMESPACE, f"{DEMO_SLUG}:{index}"),
        )
        recorder = recorders[at_hui.key] if at_hui is not None else None
        contribution, _ = services.submit_contribution(
            engagement, participant, submission, recorded_by=recorder
        )
        kept.append(contribution)

    for item in content.get("moderation", []):
        services.hide_contribution(
            kept[item["contribution_index"]], reason=item["reason"], by=moderator
        )
    return {
        "hui": len(hui),
        "contributions": len(kept),
        "participants": Participant.objects.filter(engagement=engagement).count(),
        "hidden": len(content.get("moderation", [])),
    }
