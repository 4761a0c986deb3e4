"""A conversation in an engagement that is listening: the team, a facilitator, participants,
a hui, and a few seeded statements."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from heard.core.permissions import Phase, Role
from heard.listen.models import Participant
from heard.opinions import services
from heard.opinions.models import Conversation, Statement
from tests import factories

SEEDS = (
    "Agencies should say plainly what they hold about us.",
    "Sharing data between agencies saves people repeating their story.",
    "Me whai mana te iwi ki ōna ake raraunga.",
)


@dataclass
class World:
    engagement: object
    team: object
    facilitator: object
    voter: object  # a user who is a participant
    other: object  # another participant's user
    hui: object
    conversation: Conversation
    seeds: list[Statement]

    def participant(self, user) -> Participant:
        return Participant.objects.get(engagement=self.engagement, user=user)


def make_world(
    phase: Phase = Phase.LISTEN, moderation: str = Conversation.Moderation.STRICT
) -> World:
    engagement = factories.make_engagement(phase)
    team = factories.make_member(engagement, Role.TEAM)
    facilitator = factories.make_member(engagement, Role.FACILITATOR)
    voter = factories.make_member(engagement, Role.PARTICIPANT)
    other = factories.make_member(engagement, Role.PARTICIPANT)
    hui = factories.make_hui(engagement, facilitators=[facilitator])
    conversation = services.create_conversation(
        engagement, topic="How should agencies use our data?", moderation=moderation, by=team
    )
    seeds = [
        services.seed_statement(
            conversation, text, by=team, language="mi" if "raraunga" in text else "en"
        )[0]
        for text in SEEDS
    ]
    return World(engagement, team, facilitator, voter, other, hui, conversation, seeds)


@pytest.fixture
def world(db) -> World:
    return make_world()
