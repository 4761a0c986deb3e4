"""Turn a report's content into a web page and a PDF, from the same template.

The stylesheet is inlined into the page, so ``index.html`` opens from disk and from any web
host with nothing beside it; the PDF is WeasyPrint's rendering of that same page in print
media (running header, page numbers, a table of contents with page numbers).
"""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation

from heard.report.content import Report

STYLESHEET = Path(__file__).resolve().parent / "static" / "heard" / "report.css"


def render_html(report: Report, *, bundle: bool = False) -> str:
    """The report as one self-contained HTML page. ``bundle``: it sits in a built folder with
    the PDF, ``data/`` and ``record/`` beside it, so it may link to them."""
    return render_to_string(
        "report/report.html",
        {
            "report": report,
            "css": STYLESHEET.read_text(encoding="utf-8"),
            "lang": translation.get_language() or "en",
            "bundle": bundle,
        },
    )


def print_pdf(html: str, base_url: str | None = None) -> tuple[bytes, int]:
    """The PDF and its number of pages (the PDF's own page tree is compressed, so it is counted
    here, from the laid-out document). WeasyPrint is imported here: it is heavy and only
    building a PDF needs it."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    return document.write_pdf(), len(document.pages)
