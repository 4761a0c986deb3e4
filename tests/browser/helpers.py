"""What several browser tests do the same way: the phone-width check and keyboard moves."""

from __future__ import annotations

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
MAX_TABS = 80


def fits_phone(page, name: str) -> None:
    """The page does not scroll sideways at 360 px (then back to desktop width)."""
    page.set_viewport_size(PHONE)
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, f"{name} scrolls sideways at 360 px"
    page.set_viewport_size(DESKTOP)


def tab_to(page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would (not at all when
    it has the focus already)."""
    focused = "(s) => document.activeElement.matches(s)"
    for _n in range(MAX_TABS):
        if page.evaluate(focused, selector):
            return
        page.keyboard.press("Tab")
    assert page.evaluate(focused, selector), f"Tab never reached {selector}"
