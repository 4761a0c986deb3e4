"""The words a contribution is described with: channels, quote consent, languages.

Plain module (no Django) because the CSV/XLSX importer and the exporters use it outside requests.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Channel(StrEnum):
    """How the words reached us. Every contribution carries one."""

    ONLINE = "online"
    HUI = "hui"
    PAPER = "paper"
    EMAIL = "email"
    TRANSCRIPT = "transcript"


class QuoteConsent(StrEnum):
    """What the person said we may do with their words in published findings."""

    QUOTE = "quote"  # may be quoted, with their pseudonym
    ANONYMOUS = "anonymous"  # may be quoted, without any name
    NONE = "none"  # kept in the record and counted, never quoted


CHANNELS_AT_HUI = frozenset({Channel.HUI, Channel.TRANSCRIPT})


class Withheld(StrEnum):
    """Why the public may not read a contribution's words (the public record's one rule)."""

    WITHDRAWN = "withdrawn"  # destroyed at the person's request: gone for everyone
    HIDDEN = "hidden"  # hidden by moderation, with a public reason
    NOT_FOR_QUOTING = "not_for_quoting"  # the person asked to be counted, not quoted


def withheld_reason(
    *, withdrawn: bool, hidden: bool, quote_consent: str, authored: bool = False
) -> Withheld | None:
    """Why these words are withheld from the public, if they are. Their author still sees their
    own words (``authored``), unless they were withdrawn."""
    if withdrawn:
        return Withheld.WITHDRAWN
    if authored:
        return None
    if hidden:
        return Withheld.HIDDEN
    if quote_consent == QuoteConsent.NONE:
        return Withheld.NOT_FOR_QUOTING
    return None


# A BCP 47 tag, loosely: "en", "mi", "sm", "zh-Hant", "en-NZ". We keep what people wrote in the
# language they wrote it; the tag only says which one it is.
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "mi": "Te reo Māori",
    "sm": "Gagana Sāmoa",
    "to": "Lea faka-Tonga",
    "zh": "中文",
    "hi": "हिन्दी",
    "nzs": "NZ Sign Language (interpreted)",
}


def is_language_tag(value: str) -> bool:
    return bool(_LANGUAGE_TAG.match(value))


def normalise_language_tag(value: str) -> str:
    """Lower-case the primary subtag ("EN" -> "en"); the tag describes the text, it is not it."""
    head, _, rest = value.strip().partition("-")
    return head.lower() + (f"-{rest}" if rest else "")
