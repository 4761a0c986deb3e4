from __future__ import annotations

import pytest

from heard.core.permissions import Phase
from tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing passwords properly is slow by design; tests need speed, not strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
