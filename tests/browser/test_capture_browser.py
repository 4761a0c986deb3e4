"""The facilitator capture page in a real Chromium: keyboard only, offline, nothing lost.

Issue 2's "done when": a facilitator can capture 50 contributions by keyboard alone, go
offline and come back without losing any. Each test drives the page the way a facilitator
would and then reads the database: the words must be there, exactly, once each.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from heard.core.permissions import Role
from heard.listen.models import Contribution, Participant
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = (
    '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> &amp; '
    "\"quotes\" 'single'\n  leading and trailing  \n\ttab · ā ē ī ō ū Ā whānau · "
    "👩🏽‍🌾🇳🇿 · \u202eRTL override\u202c \u200f مرحبا \u200e · zero\u200bwidth · e\u0301 · 𝔘𝔫𝔦  "
)


@pytest.fixture
def world(db, live_server, login):
    engagement = factories.make_engagement()
    hui = factories.make_hui(engagement)
    facilitator = factories.make_member(engagement, Role.FACILITATOR)
    login(facilitator)
    return engagement, hui, facilitator


def capture_url(engagement, hui) -> str:
    return reverse("capture", args=[engagement.slug, hui.key])


def open_capture(page, engagement, hui) -> None:
    page.goto(capture_url(engagement, hui))
    expect(page.locator("#capture-text")).to_be_focused()


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def wait_for_rows(count: int, timeout: float = 15.0) -> list[Contribution]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(Contribution.objects.order_by("id"))
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    return list(Contribution.objects.order_by("id"))


def capture_by_keyboard(page, text: str) -> None:
    """Type into the focused text box and send with Ctrl+Enter."""
    page.keyboard.insert_text(text) if "\n" in text else page.keyboard.type(text)
    page.keyboard.press("Control+Enter")


def test_fifty_contributions_by_keyboard_alone(page, world):
    engagement, hui, facilitator = world
    open_capture(page, engagement, hui)
    words = []

    # First entry: text, Tab to the speaker tag, Tab into quote consent (Space chooses), send.
    first = "Kia ora koutou. Data about whānau should stay with whānau."
    page.keyboard.type(first)
    page.keyboard.press("Tab")
    assert focused_id(page) == "capture-speaker"
    page.keyboard.type("A")
    page.keyboard.press("Tab")
    assert focused_id(page) == "capture-consent-quote"
    page.keyboard.press("ArrowDown")  # moves to, and chooses, "quote anonymously"
    page.keyboard.press("Control+Enter")
    words.append(first)
    assert focused_id(page) == "capture-text"

    for n in range(2, 51):
        text = f"Contribution {n}: the agency must ask first."
        if n % 10 == 0:
            # A two-line entry: plain Enter is a newline, not a send.
            page.keyboard.type(f"Contribution {n}, line one")
            page.keyboard.press("Enter")
            page.keyboard.type("line two – ngā mihi")
            text = f"Contribution {n}, line one\nline two – ngā mihi"
            page.keyboard.press("Control+Enter")
        elif n == 25:
            # A new speaker: Tab to the tag, replace it, Tab to consent (asked again for a new
            # speaker), choose, and send from there.
            page.keyboard.type(text)
            page.keyboard.press("Tab")
            page.keyboard.press("Control+a")
            page.keyboard.type("kuia")
            page.keyboard.press("Tab")
            assert page.locator("input[name=quote_consent]:checked").count() == 0
            page.keyboard.press("Space")
            page.keyboard.press("Control+Enter")
        else:
            capture_by_keyboard(page, text)
        words.append(text)
        assert focused_id(page) == "capture-text", f"focus lost after entry {n}"

    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send", timeout=15_000)
    expect(page.locator("#capture-log li[data-state=sent]")).to_have_count(50)
    rows = wait_for_rows(50)
    assert [r.text for r in rows] == words
    assert {r.hui_id for r in rows} == {hui.pk}
    assert {r.recorded_by_id for r in rows} == {facilitator.pk}
    assert {r.channel for r in rows} == {"hui"}
    assert {r.participant.speaker_tag for r in rows} == {"A", "kuia"}
    kuia_rows = [r for r in rows if r.participant.speaker_tag == "kuia"]
    assert len(kuia_rows) == 26
    assert {r.quote_consent for r in rows if r.participant.speaker_tag == "A"} == {"anonymous"}
    assert {r.quote_consent for r in kuia_rows} == {"quote"}
    assert Participant.objects.filter(hui=hui).count() == 2


def choose_consent_and_send(page, text: str, first: bool = False) -> None:
    page.locator("#capture-text").fill(text)
    if first:
        page.locator("#capture-consent-none").check()
    page.locator("#capture-text").press("Control+Enter")


def test_offline_then_online_loses_nothing_and_duplicates_nothing(page, context, world):
    engagement, hui, _ = world
    open_capture(page, engagement, hui)
    online_words = [f"Online {n}" for n in range(5)]
    for n, text in enumerate(online_words):
        choose_consent_and_send(page, text, first=n == 0)
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    assert len(wait_for_rows(5)) == 5

    context.set_offline(True)
    expect(page.locator("#capture-connection")).to_contain_text("Offline")
    offline_words = [f"Offline {n} — kōrero" for n in range(20)]
    for text in offline_words:
        choose_consent_and_send(page, text)
    expect(page.locator("#capture-waiting")).to_have_text("20 waiting to send")
    expect(page.locator("#capture-log li[data-state=waiting]")).to_have_count(20)
    assert Contribution.objects.count() == 5

    context.set_offline(False)
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send", timeout=15_000)
    rows = wait_for_rows(25)
    assert sorted(r.text for r in rows) == sorted(online_words + offline_words)
    assert len({r.client_key for r in rows}) == 25
    time.sleep(0.5)  # any late resend would show up as an extra row
    assert Contribution.objects.count() == 25


def test_queue_survives_closing_the_page(context, world):
    engagement, hui, _ = world
    page = context.new_page()
    open_capture(page, engagement, hui)
    context.set_offline(True)
    words = ["Closed while offline 1", "Closed while offline 2\nsecond line", "Kei te pai 3"]
    for n, text in enumerate(words):
        choose_consent_and_send(page, text, first=n == 0)
    expect(page.locator("#capture-waiting")).to_have_text("3 waiting to send")
    page.close()
    assert Contribution.objects.count() == 0

    context.set_offline(False)
    reopened = context.new_page()
    open_capture(reopened, engagement, hui)
    expect(reopened.locator("#capture-waiting")).to_have_text("0 waiting to send")
    rows = wait_for_rows(3)
    assert sorted(r.text for r in rows) == sorted(words)


def test_hostile_text_round_trips_exactly_and_is_shown_escaped(page, world):
    engagement, hui, _ = world
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_capture(page, engagement, hui)
    long_text = ("Ko te reo te mauri o te mana Māori 🌿 " * 600)[:20_000]
    choose_consent_and_send(page, HOSTILE, first=True)
    choose_consent_and_send(page, long_text)
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    rows = wait_for_rows(2)
    assert [r.text for r in rows] == [HOSTILE, long_text]
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert page.locator("#capture-log img").count() == 0
    assert page.locator("#capture-log script").count() == 0
    shown = page.locator("#capture-log li blockquote").last.text_content()
    assert shown == HOSTILE


def test_signed_out_keeps_the_queue_and_says_how_to_sign_in(page, context, world):
    engagement, hui, facilitator = world
    open_capture(page, engagement, hui)
    context.clear_cookies(name="sessionid")
    choose_consent_and_send(page, "Said while my session had ended", first=True)
    expect(page.locator("#capture-problem")).to_be_visible()
    expect(page.locator("#capture-problem-text")).to_contain_text("Sign in again")
    expect(page.locator("#capture-sign-in")).to_be_visible()
    expect(page.locator("#capture-waiting")).to_have_text("1 waiting to send")
    assert Contribution.objects.count() == 0

    from tests.browser.conftest import log_in

    log_in(context, page.url.split("/e/")[0], facilitator)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    expect(page.locator("#capture-problem")).to_be_hidden()
    assert [r.text for r in wait_for_rows(1)] == ["Said while my session had ended"]


def test_refused_entry_stays_with_its_words_and_can_be_sent_again(page, world):
    engagement, hui, _ = world
    open_capture(page, engagement, hui)
    doomed = engagement.questions.get(key="q2")
    page.locator("#capture-question").select_option(str(doomed.pk))
    doomed.delete()  # the team removed the question after the page was loaded
    choose_consent_and_send(page, "Words the server will refuse <b>once</b>", first=True)
    refused = page.locator("#capture-log li[data-state=refused]")
    expect(refused).to_have_count(1)
    expect(refused.locator(".state")).to_contain_text("refused: That question")
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    expect(page.locator("#capture-attention-count")).to_have_text("1 needs attention (see below)")

    page.reload()  # still there after a reload: it lives on the device
    expect(refused.locator("textarea")).to_have_value("Words the server will refuse <b>once</b>")

    refused.get_by_role("button", name="Put back in the form").click()
    expect(page.locator("#capture-text")).to_have_value("Words the server will refuse <b>once</b>")
    page.locator("#capture-question").select_option("")
    page.locator("#capture-text").press("Control+Enter")
    expect(page.locator("#capture-log li[data-state=sent]")).to_have_count(1)
    expect(refused).to_have_count(0)
    assert [r.text for r in wait_for_rows(1)] == ["Words the server will refuse <b>once</b>"]


def test_page_reloads_offline_from_the_service_worker(page, context, world, login):
    engagement, hui, facilitator = world
    open_capture(page, engagement, hui)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    cached = page.evaluate(
        "caches.open('heard-capture-v1').then((c) => c.keys()).then((ks) => ks.map((k) => k.url))"
    )
    assert any(url.endswith(capture_url(engagement, hui)) for url in cached)
    context.set_offline(True)
    choose_consent_and_send(page, "Kept through an offline reload", first=True)
    # Proof the reload below is served from the cache and not the network: the network would
    # now answer with a redirect to the login page.
    Session.objects.all().delete()
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("#capture-text")).to_be_focused()
    expect(page.locator("#capture-waiting")).to_have_text("1 waiting to send")
    expect(page.locator("#capture-log li[data-state=waiting] blockquote")).to_have_text(
        "Kept through an offline reload"
    )
    login(facilitator)
    context.set_offline(False)
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    assert [r.text for r in wait_for_rows(1)] == ["Kept through an offline reload"]


def test_consent_must_be_chosen_before_the_first_entry(page, world):
    engagement, hui, _ = world
    open_capture(page, engagement, hui)
    page.keyboard.type("No consent chosen yet")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#capture-form-error")).to_contain_text("may be quoted")
    expect(page.locator("#capture-text")).to_have_value("No consent chosen yet")
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    stored = page.evaluate("Object.keys(localStorage).filter((k) => k.includes('.item.'))")
    assert stored == []
    page.locator("#capture-consent-anonymous").check()
    page.locator("#capture-text").press("Control+Enter")
    expect(page.locator("#capture-form-error")).to_be_empty()
    expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
    assert [r.text for r in wait_for_rows(1)] == ["No consent chosen yet"]


def test_phone_layout_has_no_sideways_scroll_and_big_targets(browser, live_server, world):
    engagement, hui, facilitator = world
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, has_touch=True
    )
    try:
        from tests.browser.conftest import log_in

        log_in(phone, live_server.url, facilitator)
        page = phone.new_page()
        page.goto(capture_url(engagement, hui))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        send = page.locator("#capture-send").bounding_box()
        assert send["height"] >= 44 and send["width"] >= 300
        page.locator("#capture-consent-quote").tap()
        page.locator("#capture-text").fill("Tapped on a phone")
        page.locator("#capture-send").tap()
        expect(page.locator("#capture-waiting")).to_have_text("0 waiting to send")
        assert [r.text for r in wait_for_rows(1)] == ["Tapped on a phone"]
    finally:
        phone.close()
