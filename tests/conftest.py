from __future__ import annotations

import pytest

from heard.core.permissions import Phase
from tests import factories


@pytest.fixture
def engagement(db):
    return factories.make_engagement(Phase.LISTEN)


@pytest.fixture
def team_client(client, engagement):
    from heard.core.permissions import Role

    user = factories.make_member(engagement, Role.TEAM)
    client.force_login(user)
    client.user = user
    return client
