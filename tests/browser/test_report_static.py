"""The built report folder opened from disk in Chromium (issue 6: "the static folder opens from
disk"): ``file:///…/index.html`` renders with its inlined stylesheet and inline SVG charts,
asks no web origin for anything, logs no error, links to a PDF and a data listing that exist,
passes axe, and does not scroll sideways on a 360 px phone. No web server is involved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

from heard.report import building
from heard.sense import services as sense
from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.helpers import DESKTOP, PHONE
from tests.browser.test_accessibility import describe, failing
from tests.browser.test_responsive import LAYOUT
from tests.report.test_report import _conversation
from tests.sense.conftest import hand_built, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

AXE = Axe()


@pytest.fixture
def folder(tmp_path) -> tuple[object, Path]:
    """An engagement with themes, key quotes and an opinion map, built into ``tmp_path``."""
    world = make_world()
    run = sense.start_run(world.engagement, by=world.team, enqueue=False)
    sense.run_analysis(run.pk, engine=hand_built())
    _conversation(world)
    out = tmp_path / "site"
    building.build(world.engagement, out)
    return world, out


@pytest.fixture
def offline(browser) -> Iterator[tuple[object, list[str], list[str]]]:
    """A page in a fresh profile, with every request it makes and every console error and
    uncaught exception it reports."""
    context = browser.new_context(locale="en-NZ")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, requests, errors
    context.close()


def on_disk(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", url
    return Path(unquote(parsed.path))


def check_axe(page, name: str) -> None:
    assert page.locator("h1").count() == 1, f"{name}: a page has exactly one h1"
    bad = failing(AXE.run(page).response["violations"])
    assert not bad, f"{name} ({page.url}):\n{describe(bad)}"


def test_the_folder_opens_from_disk(folder, offline):
    world, out = folder
    page, requests, errors = offline
    page.goto((out / "index.html").as_uri())

    assert page.locator("h1").inner_text() == world.engagement.title
    quotes = page.locator("blockquote[data-contribution]")
    assert quotes.count() > 0
    assert quotes.first.is_visible() and quotes.first.inner_text().strip()
    charts = page.locator(".chart-and-table svg")
    assert charts.count() == 4
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 10
    assert charts.first.locator("rect").count() > 0

    # The stylesheet is inlined and applied: the quote's rule from report.css, and the column.
    style = page.evaluate(
        """() => {
          const q = getComputedStyle(document.querySelector('figure.quote'));
          const m = getComputedStyle(document.querySelector('main'));
          return {border: q.borderLeftWidth, colour: q.borderLeftColor, width: m.maxWidth};
        }"""
    )
    assert style == {"border": "4px", "colour": "rgb(11, 83, 148)", "width": "736px"}
    assert page.locator("link[rel=stylesheet], script[src], img[src^=http]").count() == 0

    # Its links lead to files in the folder: the PDF, the data listing, the checkpoint.
    pdf = page.locator("a[href='report.pdf']")
    assert on_disk(pdf.evaluate("a => a.href")) == out / "report.pdf"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    data = on_disk(page.locator("a[href^='data/']").evaluate("a => a.href"))
    listing = data / "index.html" if data.is_dir() else data
    assert listing.is_file() and listing.parent == out / "data"
    checkpoint = on_disk(page.locator("a[href='record/checkpoint']").evaluate("a => a.href"))
    assert checkpoint.is_file()

    check_axe(page, "report from disk")
    page.set_viewport_size(PHONE)
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["clientWidth"] + 1, (
        f"the report scrolls sideways at 360 px ({layout['scrollWidth']} > "
        f"{layout['clientWidth']}); too wide:\n" + "\n".join(layout["tooWide"])
    )

    # The data listing, opened as a reader would from the report, and every file it links.
    page.set_viewport_size(DESKTOP)
    page.goto(listing.as_uri())
    assert page.locator("h1").inner_text().startswith("Open data")
    hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.href)")
    assert len(hrefs) > 10
    for href in hrefs:
        assert on_disk(href).is_file(), href
    check_axe(page, "data listing")
    page.set_viewport_size(PHONE)
    layout = page.evaluate(LAYOUT)
    assert layout["scrollWidth"] <= layout["clientWidth"] + 1, layout["tooWide"]

    assert not errors, errors
    web = [u for u in requests if urlparse(u).scheme in ("http", "https")]
    assert not web, f"the folder asked the web for: {web}"
    assert requests and all(urlparse(u).scheme in ("file", "data", "about") for u in requests)
