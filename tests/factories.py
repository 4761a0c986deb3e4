"""Small builders for tests: an engagement in a given phase, people in given roles, hui.

Real rows in the real database, written through the same services the product uses.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from heard.core.models import Membership
from heard.core.permissions import Phase, Role
from heard.engagements.models import Audience, Engagement, PhaseWindow, Question
from heard.listen import services
from heard.listen.models import Participant
from heard.listen.vocab import Channel, QuoteConsent
from heard.plan.models import Hui, Venue

PASSWORD = "a-Long-test-passw0rd"
_seq = itertools.count(1)


def make_engagement(phase: Phase = Phase.LISTEN, slug: str | None = None) -> Engagement:
    """An engagement whose current phase (today) is ``phase``: every phase gets a window, the
    chosen one started yesterday, earlier ones before it, later ones in the future."""
    n = next(_seq)
    engagement = Engagement.objects.create(
        slug=slug or f"eng-{n}",
        title=f"Engagement {n}",
        title_mi=f"Te kaupapa {n}",
        purpose="To hear what people think.",
        summary="A test engagement.",
    )
    today = timezone.localdate()
    phases = list(Phase)
    current = phases.index(phase)
    for i, p in enumerate(phases):
        starts = today + dt.timedelta(days=(i - current) * 10 - (1 if i <= current else 0))
        PhaseWindow.objects.create(engagement=engagement, phase=p, starts_on=starts)
    Question.objects.create(
        engagement=engagement,
        key="q1",
        text="What matters to you?",
        text_mi="He aha te mea nui ki a koe?",
        order=1,
    )
    Question.objects.create(engagement=engagement, key="q2", text="Anything else?", order=2)
    Audience.objects.create(
        engagement=engagement, key="everyone", name="Everyone", name_mi="Te katoa"
    )
    return engagement


def make_user(username: str | None = None):
    return get_user_model().objects.create_user(username or f"user{next(_seq)}", password=PASSWORD)


def make_member(engagement: Engagement, role: Role, username: str | None = None):
    """A user holding ``role`` in ``engagement``; PUBLIC gives a signed-in user with no role."""
    user = make_user(username)
    if role == Role.PARTICIPANT:
        services.join_as_participant(engagement, user, pseudonym=f"Pseud {user.pk}")
    elif role != Role.PUBLIC:
        Membership.objects.create(engagement=engagement, user=user, role=role)
    return user


def make_hui(engagement: Engagement, key: str | None = None, facilitators=()) -> Hui:
    n = next(_seq)
    venue = Venue.objects.create(
        engagement=engagement,
        name=f"Hall {n}",
        place="Whanganui",
        region="Manawatū-Whanganui",
        capacity=40,
        accessibility="Step-free entrance",
    )
    start = timezone.now() + dt.timedelta(days=1)
    hui = Hui.objects.create(
        engagement=engagement,
        key=key or f"hui-{n}",
        title=f"Hui {n}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venue=venue,
        capacity=40,
    )
    hui.facilitators.set(facilitators)
    return hui


def make_contribution(
    engagement: Engagement,
    text: str = "Kia ora, this matters.",
    *,
    participant: Participant | None = None,
    hui: Hui | None = None,
    quote_consent: QuoteConsent = QuoteConsent.QUOTE,
    language: str = "en",
):
    if participant is None:
        participant = (
            services.speaker_at_hui(hui, "A")
            if hui
            else services.join_as_participant(engagement, make_user(), pseudonym="Tester")[0]
        )
    submission = services.Submission(
        text=text,
        language=language,
        channel=Channel.HUI if hui else Channel.ONLINE,
        quote_consent=quote_consent,
        hui=hui,
    )
    return services.submit_contribution(engagement, participant, submission)[0]
