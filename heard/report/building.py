"""``heard report build``: the static folder any web host can serve.

    DIR/index.html     the report (stylesheet inlined: opens from disk)
    DIR/report.pdf     the same report, printed
    DIR/data/          the engagement's public open data: engagement.json (public scope),
                       polis/ (the Pol.is openData layout, with its README data card), and
                       opinions-N/ for each conversation (its openData folder, public scope)
    DIR/record/        the record as C2SP tlog-tiles, with the signed checkpoint

The checkpoint is issued before anything is gathered, so the one printed in the report is the
one in ``record/`` (unless the log grew during the build; then ``record/`` holds a later
checkpoint that extends the printed one).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from heard.engagements.models import Engagement
from heard.listen import exporting
from heard.opinions import exchange
from heard.record import export as record_export
from heard.record import services as record
from heard.report import gather, rendering


class BuildError(Exception):
    """The folder could not be written; the message says where and why."""


@dataclass(frozen=True)
class Built:
    out: Path
    quotes: int
    pages: int
    files: int


def _ready(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as error:
        raise BuildError(f"Cannot write to {out}: {error.strerror or error}.") from error


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a web host never serves half a page."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_data(engagement: Engagement, data: Path) -> int:
    """The public open data, by the same code as ``heard export`` and the opinions export."""
    tz = ZoneInfo(settings.TIME_ZONE)
    base = getattr(settings, "HEARD_BASE_URL", "").rstrip("/")
    document = exporting.collect(engagement)
    try:
        exporting.write_json(exporting.public_scope(document), data / "engagement.json")
        files = 1 + len(
            exporting.write_polis(
                document, data / "polis", tz=tz, url=base + engagement.get_absolute_url()
            )
        )
    except exporting.ExportError as error:
        raise BuildError(str(error)) from error
    for conversation in engagement.conversations.order_by("number"):
        files += len(
            exchange.export_folder(
                conversation, data / f"opinions-{conversation.number}", scope="public", tz=tz
            )
        )
    return files


def build(engagement: Engagement, out: Path) -> Built:
    _ready(out)
    record.issue_checkpoint()
    report = gather.gather(engagement)
    html = rendering.render_html(report, bundle=True)
    _write(out / "index.html", html.encode("utf-8"))
    pdf, pages = rendering.print_pdf(html, base_url=out.resolve().as_uri() + "/")
    _write(out / "report.pdf", pdf)
    data = out / "data"
    data.mkdir(exist_ok=True)
    files = 2 + write_data(engagement, data)
    files += record_export.export_tiles(out / "record")
    return Built(out=out, quotes=len(report.quotes()), pages=pages, files=files)
