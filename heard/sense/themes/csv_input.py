"""Reading contributions for the theme engine from any CSV a user hands the command line.

The contract is strict where a silent guess would lose or misplace someone's words (a missing
column, an empty or repeated id, a file that is not UTF-8: each is an error naming the line),
and lenient where nothing is lost (an empty text is kept and lands in "fits no theme").
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from heard.sense.themes.result import Item

#: Values of a consent column that mean "may be quoted". Anything else means no: when in doubt,
#: do not quote.
CONSENT_YES = frozenset({"1", "true", "yes", "y", "quote", "quotable", "ae", "āe"})


class InputError(ValueError):
    """A problem with the input file, worded for the person who gave it."""


def read_items(
    path: Path,
    *,
    text_column: str,
    id_column: str,
    language_column: str | None = None,
    consent_column: str | None = None,
) -> list[Item]:
    csv.field_size_limit(sys.maxsize)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            for wanted in (text_column, id_column, language_column, consent_column):
                if wanted is not None and wanted not in columns:
                    shown = ", ".join(repr(c) for c in columns) or "none"
                    raise InputError(f"{path} has no column {wanted!r} (its columns: {shown})")
            items: list[Item] = []
            seen: dict[str, int] = {}
            previous_end = reader.line_num  # the header's last line
            for row in reader:
                # A quoted text may span lines: name the line where the row starts, which is
                # where a person looking for it will look (blank lines between rows aside).
                line, previous_end = previous_end + 1, reader.line_num
                identifier = (row.get(id_column) or "").strip()
                if not identifier:
                    raise InputError(f"{path}, line {line}: the {id_column!r} column is empty")
                if identifier in seen:
                    raise InputError(
                        f"{path}, line {line}: the id {identifier!r} was already used on line "
                        f"{seen[identifier]}; ids must be unique"
                    )
                seen[identifier] = line
                text = row.get(text_column)
                if text is None:
                    raise InputError(f"{path}, line {line}: the row has too few fields")
                language = (
                    (row.get(language_column) or "").strip() or None if language_column else None
                )
                quotable = (
                    (row.get(consent_column) or "").strip().casefold() in CONSENT_YES
                    if consent_column
                    else True
                )
                items.append(Item(id=identifier, text=text, language=language, quotable=quotable))
        except UnicodeDecodeError as error:
            raise InputError(
                f"{path} is not UTF-8 text ({error.reason} at byte {error.start})"
            ) from error
        except csv.Error as error:
            raise InputError(f"{path}, line {reader.line_num}: not valid CSV ({error})") from error
    return items
