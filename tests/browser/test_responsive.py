"""Every page at phone width (360 x 740): nothing makes the page scroll sideways.

A wide data table may be wider than a phone; it must then scroll inside its own region
(``.table-scroll``) that a keyboard can reach (``tabindex="0"``) and a screen reader can name
(``role="region"`` with ``aria-label``), never the whole page.

Set ``HEARD_SCREENSHOTS=/some/dir`` to save a full-page screenshot of each page at 360 px and
1280 px, to look at them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, PHONE
from tests.browser.test_accessibility import PAGES, build_world, ensure_maori_catalog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYOUT = """() => {
  const root = document.scrollingElement;
  const viewport = root.clientWidth;
  const tooWide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > viewport + 1 && !el.closest('.table-scroll, .visually-hidden')) {
      tooWide.push(el.outerHTML.slice(0, 120));
    }
  }
  const regions = [...document.querySelectorAll('.table-scroll')].map(r => ({
    html: r.outerHTML.slice(0, 120), role: r.getAttribute('role'),
    tabindex: r.getAttribute('tabindex'), label: r.getAttribute('aria-label') || '',
    scrolls: r.scrollWidth > r.clientWidth + 1,
  }));
  const loneTables = [...document.querySelectorAll('table')]
    .filter(t => !t.closest('.table-scroll') && t.getBoundingClientRect().right > viewport + 1)
    .map(t => t.outerHTML.slice(0, 120));
  return {scrollWidth: root.scrollWidth, clientWidth: viewport, tooWide: tooWide.slice(0, 10),
          regions, loneTables};
}"""


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone(name, page, live_server, login, settings, tmp_path):
    if name.startswith("mi-"):
        ensure_maori_catalog(settings, tmp_path)
    world = build_world(live_server.url)
    page.set_viewport_size(PHONE)
    PAGES[name](page, world, login)
    layout = page.evaluate(LAYOUT)
    shots = os.environ.get("HEARD_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{name}-360.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=f"{shots}/{name}-1280.png", full_page=True)

    assert layout["scrollWidth"] <= layout["clientWidth"] + 1, (
        f"{name} scrolls sideways at 360 px ({layout['scrollWidth']} > "
        f"{layout['clientWidth']}); too wide:\n" + "\n".join(layout["tooWide"])
    )
    assert not layout["loneTables"], "tables wider than a phone outside .table-scroll:\n" + (
        "\n".join(layout["loneTables"])
    )
    for region in layout["regions"]:
        assert region["role"] == "region" and region["tabindex"] == "0", region
        assert region["label"].strip(), f"a scrolling table region needs a name: {region}"
