"""The facilitator capture page: many contributions in a row at a hui, safe when offline.

The page (``capture.html`` + ``capture.js``) keeps every entry in the browser's localStorage
under a client UUID *before* it tries the network, then sends the queue here in batches. This
module is the server half: it takes each queued item through ``heard.listen.services`` (the one
door for writes) and answers per item, so the browser drops an item from its queue only once we
confirmed it is kept. Resending is safe because ``submit_contribution`` is idempotent on the
client key.

The sync endpoint answers in JSON even when it refuses (signed out, wrong role, wrong phase):
the page must be able to say why and keep the queue, which an HTML login redirect would not let
it do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from heard.core.access import engagement_view, enter_engagement, refusal_reason
from heard.core.permissions import Action
from heard.engagements.models import Engagement, Question
from heard.listen import services
from heard.listen.models import QUOTE_CONSENT_CHOICES
from heard.listen.vocab import (
    LANGUAGE_NAMES,
    Channel,
    QuoteConsent,
    is_language_tag,
    normalise_language_tag,
)
from heard.plan.models import Hui

# How many queued items one sync request may carry. The page sends smaller batches; the limit
# keeps one request's work (and its body, at 20,000 characters an item) bounded.
MAX_ITEMS_PER_SYNC = 100
# What a facilitator may record at a hui from this page: spoken words, or notes written on paper
# and handed in there.
CAPTURE_CHANNELS: dict[str, Channel] = {"hui": Channel.HUI, "paper": Channel.PAPER}
SPEAKER_TAG_MAX = 40
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "heard" / "capture-sw.js"


def _login_url(engagement: Engagement, key: str) -> str:
    page = reverse("capture", kwargs={"slug": engagement.slug, "key": key})
    return f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': page})}"


def json_engagement_view(action: Action) -> Callable:
    """Like ``engagement_view``, but a refusal is JSON (401 signed out, 403 not allowed).

    The capture page's script reads the message, shows it with a link to sign in again, and
    keeps its queue; an HTML redirect to the login page would look like a success to ``fetch``.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, key: str) -> HttpResponse:
            if not enter_engagement(request, slug, action):
                engagement = request.engagement
                signed_in = request.user.is_authenticated
                message = (
                    refusal_reason(action, request.phase)
                    if signed_in
                    else _("You are signed out. Sign in again; nothing waiting here is lost.")
                )
                return JsonResponse(
                    {"error": message, "login_url": _login_url(engagement, key)},
                    status=403 if signed_in else 401,
                )
            return view(request, request.engagement, key)

        wrapper.heard_action = action
        return wrapper

    return decorate


def _strings() -> dict[str, str]:
    """The words capture.js shows, translated here (the script has no catalogue of its own)."""
    return {
        "waiting_one": ngettext("%(n)s waiting to send", "%(n)s waiting to send", 1),
        "waiting_other": ngettext("%(n)s waiting to send", "%(n)s waiting to send", 2),
        "online": _("Online"),
        "offline": _("Offline: entries are kept on this device and sent when back online."),
        "sending": _("Sending…"),
        "state_waiting": _("waiting to send"),
        "state_sent": _("sent #%(id)s"),
        "state_duplicate": _("already kept as #%(id)s"),
        "state_refused": _("refused: %(reason)s"),
        "attention_one": ngettext(
            "%(n)s needs attention (see below)", "%(n)s need attention (see below)", 1
        ),
        "attention_other": ngettext(
            "%(n)s needs attention (see below)", "%(n)s need attention (see below)", 2
        ),
        "kept_locally": _("Kept on this device."),
        "need_text": _("Write what was said before sending."),
        "too_long": _("That is %(n)s characters; the limit is %(max)s. Please split it."),
        "need_consent": _("Choose whether these words may be quoted (asked once per speaker)."),
        "need_language": _("Give a language code such as fj or fr."),
        "speaker_too_long": _("Keep the speaker tag to 40 characters."),
        "storage_full": _(
            "This device's storage is full, so the entry was not kept. Send what is waiting "
            "(go online) and try again; your words are still in the box."
        ),
        "no_storage": _(
            "This browser does not let the page keep entries on the device (private mode?). "
            "Entries are sent straight away and lost if the network drops."
        ),
        "server_error": _("The server could not take the entries just now; retrying."),
        "network_error": _("Could not reach the server; retrying. Nothing is lost."),
        "signed_out": _(
            "The server refused the entries (your sign-in may have ended). "
            "Sign in again; nothing waiting here is lost."
        ),
        "copy": _("Copy the words"),
        "copied": _("Copied."),
        "put_back": _("Put back in the form"),
        "put_back_busy": _("Empty the text box first."),
        "discard": _("Discard"),
        "discard_confirm": _("Discard these words for good? They were never kept on the server."),
        "speaker_label": _("Speaker"),
        "someone": _("someone in the room"),
    }


@ensure_csrf_cookie
@never_cache
@engagement_view(Action.CAPTURE_AT_HUI)
def capture(request: HttpRequest, engagement: Engagement, key: str) -> HttpResponse:
    hui = get_object_or_404(Hui, engagement=engagement, key=key)
    questions: list[Question] = list(engagement.questions.all())
    config = {
        "storagePrefix": f"heard.capture.v1.{engagement.slug}.{hui.key}.",
        "syncUrl": reverse("capture_sync", kwargs={"slug": engagement.slug, "key": hui.key}),
        "serviceWorkerUrl": reverse("capture_sw", kwargs={"slug": engagement.slug, "key": hui.key}),
        "assets": [static("heard/heard.css"), static("heard/capture.js")],
        "loginUrl": _login_url(engagement, hui.key),
        "csrfCookieName": settings.CSRF_COOKIE_NAME,
        "maxChars": settings.HEARD_CONTRIBUTION_MAX_CHARS,
        "speakerMax": SPEAKER_TAG_MAX,
        "strings": _strings(),
    }
    return render(
        request,
        "listen/capture.html",
        {
            "engagement": engagement,
            "hui": hui,
            "questions": questions,
            "capture_languages": list(LANGUAGE_NAMES.items()),
            "consent_choices": QUOTE_CONSENT_CHOICES,
            "capture_config": config,
        },
    )


def _refused(client_key: object, errors: list[str]) -> dict:
    return {"client_key": client_key, "status": "refused", "id": None, "errors": errors}


def keep_item(
    engagement: Engagement, hui: Hui, item: object, questions: dict[str, Question], user
) -> dict:
    """Keep one queued item, or say exactly why not. Never alters the words."""
    if not isinstance(item, dict):
        return _refused(None, [_("Each item must be an object.")])
    raw_key = item.get("client_key")
    try:
        client_key = uuid.UUID(str(raw_key))
    except ValueError:
        return _refused(raw_key, [_("This entry has no valid client key.")])
    echo_key = str(raw_key)

    problems: list[str] = []
    text = item.get("text")
    if not isinstance(text, str):
        problems.append(_("The words are missing."))
        text = ""
    else:
        problems += services.text_problems(text)

    speaker = item.get("speaker") or ""
    if not isinstance(speaker, str):
        problems.append(_("The speaker tag must be text."))
        speaker = ""
    elif len(speaker.strip()) > SPEAKER_TAG_MAX:
        problems.append(
            _("The speaker tag is longer than %(max)s characters.") % {"max": SPEAKER_TAG_MAX}
        )

    language = item.get("language")
    language = normalise_language_tag(language) if isinstance(language, str) else ""
    if not is_language_tag(language):
        problems.append(
            _("“%(tag)s” is not a language tag such as en, mi or sm.") % {"tag": language}
        )

    question = None
    raw_question = item.get("question")
    if raw_question not in (None, ""):
        question = questions.get(str(raw_question))
        if question is None:
            problems.append(_("That question is not one of this engagement's."))

    try:
        quote_consent = QuoteConsent(item.get("quote_consent"))
    except ValueError:
        problems.append(_("Say whether these words may be quoted."))
        quote_consent = None

    channel = CAPTURE_CHANNELS.get(item.get("channel") or "hui")
    if channel is None:
        problems.append(_("The channel must be “hui” or “paper”."))

    said_at = None
    raw_said_at = item.get("said_at")
    if raw_said_at not in (None, ""):
        said_at = parse_datetime(raw_said_at) if isinstance(raw_said_at, str) else None
        if said_at is None or said_at.tzinfo is None:
            problems.append(_("The capture time is not a date and time with a zone."))

    if problems:
        return _refused(echo_key, problems)

    submission = services.Submission(
        text=text,
        language=language,
        channel=channel,
        quote_consent=quote_consent,
        question=question,
        hui=hui,
        said_at=said_at,
        client_key=client_key,
    )
    try:
        # One transaction per item: a refusal must not leave behind the speaker it created.
        with transaction.atomic():
            participant = services.speaker_at_hui(hui, speaker)
            contribution, created = services.submit_contribution(
                engagement, participant, submission, recorded_by=user
            )
    except ValidationError as error:
        return _refused(echo_key, list(error.messages))
    return {
        "client_key": echo_key,
        "status": "kept" if created else "duplicate",
        "id": contribution.pk,
        "errors": [],
    }


@require_POST
@json_engagement_view(Action.CAPTURE_AT_HUI)
def capture_sync(request: HttpRequest, engagement: Engagement, key: str) -> HttpResponse:
    """Keep a batch of queued entries: ``{"items": [...]}`` -> ``{"results": [...]}``."""
    hui = Hui.objects.filter(engagement=engagement, key=key).first()
    if hui is None:
        return JsonResponse({"error": _("There is no such hui in this engagement.")}, status=404)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": _("The request is not JSON.")}, status=400)
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"error": _('Send {"items": [...]}.')}, status=400)
    if len(items) > MAX_ITEMS_PER_SYNC:
        return JsonResponse(
            {"error": _("Send at most %(max)s entries at a time.") % {"max": MAX_ITEMS_PER_SYNC}},
            status=400,
        )
    questions = {str(q.pk): q for q in engagement.questions.all()}
    results = [keep_item(engagement, hui, item, questions, request.user) for item in items]
    return JsonResponse({"results": results})


@require_GET
def capture_service_worker(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The capture page's service worker, served from under the page so its scope covers it.

    It holds no data (the queue lives in localStorage); it only lets the page itself reload
    while offline. Served to anyone: it is the same static script for every hui.
    """
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response
