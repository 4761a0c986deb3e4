from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from heard.core.permissions import Phase
from tests import factories

# Property tests check what is generated, not how fast: on a busy 2-core CI machine input
# generation can be slow, which is no fault of the code under test.
hypothesis_settings.register_profile(
    "heard", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("heard")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing passwords properly is slow by design; tests need speed, not strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_record_key(settings, tmp_path):
    """Every test signs with a fresh record key of its own, never the developer's var/ key."""
    settings.HEARD_RECORD_KEY_FILE = tmp_path / "record.key"
    settings.HEARD_RECORD_ORIGIN = "heard.test/record"


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


@pytest.fixture(scope="session", autouse=True)
def _flush_past_record_guards():
    """Transactional tests end with Django's ``flush``, which the record's append-only
    triggers refuse (as they should refuse anyone). Tests lift the guards for the flush only."""
    from django.core.management.commands import flush
    from django.db import connections

    from heard.record import guards

    original = flush.Command.handle

    def handle(self, **options):
        connection = connections[options.get("database") or "default"]
        guards.run(connection, guards.drop_sql(connection.vendor))
        try:
            return original(self, **options)
        finally:
            guards.run(connection, guards.create_sql(connection.vendor))
            from heard.record.services import NODES

            NODES.clear()  # the log is gone; so is what this process remembered of it

    flush.Command.handle = handle
    yield
    flush.Command.handle = original
