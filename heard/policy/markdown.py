"""Clause text, written in Markdown, as HTML: the one place it is rendered.

CommonMark with raw HTML off, so whatever anyone types (``<script>``, ``onerror=``) is shown as
text, never run; markdown-it's link check drops ``javascript:``, ``vbscript:`` and ``data:``
links. Images are off too: a policy page must not fetch pictures from wherever a drafter
pointed it (readers' addresses would leak to that server), and the canonical content holds
words, not pictures.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": False}).disable("image")


def render(text: str) -> SafeString:
    """The clause's words as HTML ("" when there are none). Safe to put in a page as is: the
    renderer escapes every character of raw HTML it meets."""
    if not (text or "").strip():
        return mark_safe("")
    return mark_safe(_RENDERER.render(text))  # noqa: S308 (html off: the output is escaped)
