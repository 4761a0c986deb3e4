"""``heard report build``: the static folder any web host can serve.

    DIR/index.html     the report (stylesheet inlined: opens from disk)
    DIR/report.pdf     the same report, printed
    DIR/data/          the open-data bundle, public scope only (``heard.report.bundle``):
                       contributions, themes and votes as CSV and JSON, engagement.json,
                       polis/, opinions-N/, a data card (README.md), LICENSE and index.html
    DIR/record/        the record as C2SP tlog-tiles, with the signed checkpoint

The checkpoint is issued before anything is gathered, so the one printed in the report is the
one in ``record/`` (unless the log grew during the build; then ``record/`` holds a later
checkpoint that extends the printed one).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from heard.engagements.models import Engagement
from heard.record import export as record_export
from heard.record import services as record
from heard.report import bundle, gather, rendering


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


def _write(path: Path, data: str | bytes) -> None:
    """Whole or not at all (``bundle.write_file``): a web host never serves half a page."""
    try:
        bundle.write_file(path, data)
    except bundle.BundleError as error:
        raise BuildError(str(error)) from error


def write_data(engagement: Engagement, data: Path) -> int:
    """The open-data bundle (``heard.report.bundle``), by the same public-scope code as
    ``heard export`` and the opinions export; returns how many files it wrote."""
    try:
        return len(bundle.write(engagement, data).files)
    except bundle.BundleError as error:
        raise BuildError(str(error)) from error


def build(engagement: Engagement, out: Path) -> Built:
    _ready(out)
    record.issue_checkpoint()
    report = gather.gather(engagement)
    html = rendering.render_html(report, bundle=True)
    _write(out / "index.html", html)
    pdf, pages = rendering.print_pdf(html, base_url=out.resolve().as_uri() + "/")
    _write(out / "report.pdf", pdf)
    files = 2 + write_data(engagement, out / "data")
    files += record_export.export_tiles(out / "record")
    return Built(out=out, quotes=len(report.quotes()), pages=pages, files=files)
