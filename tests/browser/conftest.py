"""Shared fixtures for the browser tests: Debian's Chromium driven by Playwright for Python.

Every test under ``tests/browser/`` is marked ``browser`` (``pytest -m "not browser"`` skips
them). They use pytest-django's ``live_server`` (a real HTTP server on a thread, with a
transactional database) and the system browser at ``/usr/bin/chromium``: Playwright never
downloads a browser here.

Without ``/usr/bin/chromium`` the browser tests are skipped with a message saying how to get
it, unless ``CI`` is set: in CI a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop on this thread; Django would otherwise refuse ORM
# calls made from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test in this folder ``browser``, so no one can forget to."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
            "to run the browser tests."
        )
        if _in_ci():
            pytest.fail(message + " CI is set, so this is a failure, not a skip.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server) -> Iterator[object]:
    """A fresh browser profile (cookies, localStorage, service workers) for each test."""
    ctx = browser.new_context(base_url=live_server.url, locale="en-NZ")
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()


def log_in(context, live_server_url: str, user) -> None:
    """Sign ``user`` in to the browser ``context`` without going through the login form:
    Django's test client makes a real session, whose cookie we hand to the browser."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


@pytest.fixture
def login(context, live_server) -> Callable[[object], None]:
    """``login(user)`` signs ``user`` in to this test's browser context."""
    return lambda user: log_in(context, live_server.url, user)
