"""The record's public pages: what it is, its key, its checkpoints, entries, and receipt checks."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from heard.record import keys, notes, receipts
from heard.record import services as record
from heard.record.models import Checkpoint, LogEntry

# A checkpoint is issued on demand when the log has grown and the latest is older than this;
# the scheduled task issues them too (see tasks.py).
FRESH_ENOUGH = dt.timedelta(seconds=30)


def _current_checkpoint() -> Checkpoint:
    latest = record.latest_checkpoint()
    if latest is None or (
        latest.size < record.size() and timezone.now() - latest.issued_at > FRESH_ENOUGH
    ):
        latest = record.issue_checkpoint()
    return latest


def record_page(request: HttpRequest) -> HttpResponse:
    checkpoint = _current_checkpoint()
    recent = Checkpoint.objects.order_by("-size", "-id").prefetch_related("cosignatures")[:10]
    return render(
        request,
        "record/record.html",
        {
            "checkpoint": checkpoint,
            "vkey": keys.vkey(),
            "size": record.size(),
            "recent": recent,
        },
    )


def _text(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # anyone may fetch and check
    return response


def checkpoint_text(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint, with its cosignatures, at a stable URL."""
    checkpoint = _current_checkpoint()
    return _text(record.cosigned_note(checkpoint))


def vkey_text(request: HttpRequest) -> HttpResponse:
    return _text(keys.vkey() + "\n")


def entry_bytes(request: HttpRequest, index: int) -> HttpResponse:
    """The exact bytes of one entry (what its leaf hash is computed over)."""
    try:
        item = LogEntry.objects.get(index=index)
    except LogEntry.DoesNotExist:
        raise Http404(_("No entry with that index.")) from None
    response = HttpResponse(bytes(item.leaf), content_type="application/octet-stream")
    response["Access-Control-Allow-Origin"] = "*"
    return response


class CheckForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Receipt code"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("The short code shown when you contributed, like 123-9f3a2b1c."),
    )
    receipt = forms.FileField(
        label=gettext_lazy("Or the receipt file (.tlog-proof)"), required=False
    )
    pasted = forms.CharField(
        strip=False,
        label=gettext_lazy("Or paste the receipt"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=200_000,
    )
    words = forms.CharField(
        label=gettext_lazy("Your words (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text=gettext_lazy(
            "With your own copy of the receipt, this checks that these exact "
            "words are the ones the record holds."
        ),
    )


def check_receipt(request: HttpRequest) -> HttpResponse:
    """Check a receipt against this site's key and its latest checkpoint."""
    form = CheckForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        # A pasted receipt comes back with the browser's CRLF and often without its last newline.
        text = form.cleaned_data["pasted"].replace("\r\n", "\n").strip()
        text = text + "\n" if text else ""
        if form.cleaned_data["receipt"]:
            text = form.cleaned_data["receipt"].read(200_000).decode("utf-8", "replace")
        code = form.cleaned_data["code"].strip()
        if not text and code:
            text = receipts.receipt_for_code(code)
        if not text:
            result = receipts.Result(ok=False, problems=[_("Give a receipt code or a receipt.")])
        else:
            result = receipts.check(
                text,
                vkey=keys.vkey(),
                latest=_current_checkpoint(),
                words=form.cleaned_data["words"].replace("\r\n", "\n") or None,
                consistency=record.consistency,
            )
    return render(
        request, "record/check.html", {"form": form, "result": result, "vkey": keys.vkey()}
    )


def tile(request: HttpRequest, path: str) -> HttpResponse:
    """Serve the log's tiles (C2SP tlog-tiles) for the latest checkpoint, like a static mirror."""
    from heard.record import tiles
    from heard.record.export import read_leaves

    try:
        wanted = tiles.parse_tile_path(path)
    except tiles.TileError:
        raise Http404(_("Not a tile.")) from None
    checkpoint = _current_checkpoint()
    level = 0 if wanted.level is None else wanted.level
    available = tiles.tile_width(checkpoint.size, level, wanted.index)
    width = wanted.width
    if available < width:  # a partial tile is served while it is a prefix of what exists
        raise Http404(_("That tile does not exist in the latest checkpoint."))
    if wanted.level is None:
        first = wanted.index * tiles.TILE_WIDTH
        data = tiles.encode_entry_bundle(read_leaves(first, first + width))
    else:
        data = tiles.hash_tile(wanted.level, wanted.index, width, record.NODES)
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Access-Control-Allow-Origin"] = "*"
    if width == tiles.TILE_WIDTH:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def consistency_text(request: HttpRequest, old: int, new: int) -> HttpResponse:
    """A consistency proof between two sizes, one base64 hash a line (for witnesses)."""
    import base64

    if not 0 <= old <= new <= record.size():
        raise Http404(_("Those sizes are not in the log."))
    return _text("".join(base64.b64encode(h).decode() + "\n" for h in record.consistency(old, new)))


@csrf_exempt
@require_POST
def receive_cosignature(request: HttpRequest) -> HttpResponse:
    """A witness posts our checkpoint with its cosignature; keep it if we know the witness."""
    from django.conf import settings

    from heard.record.models import Cosignature
    from heard.record.witness import WitnessError, accept_cosignatures

    try:
        note = request.body[:100_000].decode("utf-8")
    except UnicodeDecodeError:
        return _text_status("The body is not UTF-8.\n", 400)
    rows = {}
    for checkpoint in Checkpoint.objects.order_by("-size")[:50]:
        rows[notes.split_note(checkpoint.note)[0]] = checkpoint
    try:
        accepted = accept_cosignatures(note, rows, settings.HEARD_RECORD_WITNESSES)
    except (WitnessError, notes.NoteError) as error:
        return _text_status(f"Refused: {error}\n", 400)
    for checkpoint, name, line in accepted:
        Cosignature.objects.get_or_create(
            checkpoint=checkpoint, witness=name, defaults={"line": line}
        )
    return _text_status("Kept.\n", 201)


def _text_status(body: str, status: int) -> HttpResponse:
    response = _text(body)
    response.status_code = status
    return response
