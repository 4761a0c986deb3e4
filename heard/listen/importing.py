"""Read hui notes from a CSV or XLSX file into rows, each checked and each with its line number.

Plain module (no Django): the web import, the worker and ``heard import contributions`` all call
:func:`parse_file`, so a file is judged by the same rules wherever it arrives. Nothing here
writes anything; ``heard.listen.import_service`` turns good rows into contributions.

Rules worth knowing (the README documents the columns):

* The words in ``text`` are kept exactly as they are in the file: no trimming, no newline or
  Unicode normalisation. Only the other columns (keys, tags, codes) are trimmed.
* Quote consent is never assumed: a row without it is a row with a problem.
* A malformed file (unreadable encoding, broken quoting, damaged workbook) is refused whole,
  with the line where reading stopped; a readable file with bad rows is reported row by row.
* Messages are English templates with ``%(name)s`` placeholders (marked for translation with
  :func:`gettext_noop`); callers translate them with :meth:`Problem.render`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from heard.listen.vocab import (
    CHANNELS_AT_HUI,
    LANGUAGE_NAMES,
    Channel,
    QuoteConsent,
    is_language_tag,
    normalise_language_tag,
)

MAX_ROWS = 50_000
MAX_COLUMNS = 100
MAX_SPEAKER_CHARS = 40
DEFAULT_MAX_TEXT_CHARS = 20_000
CSV_DELIMITERS = (",", ";", "\t")
# How much of a bad value we repeat back in a message: enough to recognise it, no more.
ECHO_CHARS = 60


def gettext_noop(message: str) -> str:
    """Mark a message for translation (``makemessages`` finds this name) without translating."""
    return message


N_ = gettext_noop

# The columns we read. ``text`` is required; the others are optional.
COLUMNS: tuple[str, ...] = (
    "text",
    "hui",
    "speaker",
    "language",
    "question",
    "channel",
    "quote_consent",
    "said_at",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("text", "quote_consent")

# Other headings people use for the same columns, compared after folding (see _fold_heading).
COLUMN_ALIASES: dict[str, str] = {
    "huikey": "hui",
    "questionkey": "question",
    "consent": "quote_consent",
    "lang": "language",
}

# Friendly ways of writing quote consent in hui notes. Documented in the README; anything else
# is a row problem, never a guess.
CONSENT_SYNONYMS: dict[str, QuoteConsent] = {
    "quote": QuoteConsent.QUOTE,
    "yes": QuoteConsent.QUOTE,
    "y": QuoteConsent.QUOTE,
    "āe": QuoteConsent.QUOTE,
    "ae": QuoteConsent.QUOTE,
    "anonymous": QuoteConsent.ANONYMOUS,
    "anon": QuoteConsent.ANONYMOUS,
    "anonymously": QuoteConsent.ANONYMOUS,
    "none": QuoteConsent.NONE,
    "no": QuoteConsent.NONE,
    "n": QuoteConsent.NONE,
    "kāo": QuoteConsent.NONE,
    "kao": QuoteConsent.NONE,
}

# Language names accepted besides tags (folded to lower case); the tag is what is stored.
LANGUAGE_ALIASES: dict[str, str] = {name.lower(): tag for tag, name in LANGUAGE_NAMES.items()} | {
    "māori": "mi",
    "maori": "mi",
    "te reo": "mi",
    "te reo maori": "mi",
    "english": "en",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning), in words a person can act on.

    ``message`` is an English template; ``params`` fill it. ``column`` names the column the
    problem is in, when it is in one.
    """

    message: str
    column: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = gettext_noop) -> str:
        return translate(self.message) % self.params if self.params else translate(self.message)

    def as_json(self) -> dict[str, Any]:
        return {"message": self.message, "column": self.column, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(
            message=data["message"], column=data.get("column"), params=data.get("params") or {}
        )


class FileProblem(Exception):
    """The file as a whole cannot be read; nothing in it can be imported."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


@dataclass(frozen=True)
class EngagementShape:
    """What the rows are checked against: a plain description of the engagement."""

    hui_keys: frozenset[str] = frozenset()
    question_keys: frozenset[str] = frozenset()
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS


@dataclass
class ImportRow:
    """One row of the file, read and checked. ``line`` is where it starts in the file."""

    line: int
    text: str
    hui: str = ""
    speaker: str = ""
    language: str = "en"
    question: str = ""
    channel: str = ""
    quote_consent: str = ""
    said_at: dt.datetime | dt.date | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ParseResult:
    """Everything learnt from one file: its rows, and what is wrong with it or with them."""

    filename: str
    format: str = ""
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[str] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def good_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]

    @property
    def readable(self) -> bool:
        return not self.file_problems


def parse_file(
    content: bytes,
    filename: str,
    shape: EngagementShape,
    *,
    max_bytes: int,
    max_rows: int = MAX_ROWS,
) -> ParseResult:
    """Read and check a whole file. Never raises for bad input: problems are in the result."""
    result = ParseResult(filename=filename)
    try:
        if len(content) > max_bytes:
            raise FileProblem(
                Problem(
                    N_(
                        "The file is %(size)s bytes; the limit is %(limit)s bytes. "
                        "Split it into smaller files and import each."
                    ),
                    params={"size": f"{len(content):,}", "limit": f"{max_bytes:,}"},
                )
            )
        if not content:
            raise FileProblem(Problem(N_("The file is empty.")))
        table = _read_table(content, filename, result, max_rows)
        _check_table(table, shape, result)
    except FileProblem as problem:
        result.file_problems.append(problem.problem)
        result.rows = []
    return result


# --- reading: bytes -> (line number, cells) --------------------------------------------------

Cells = list[Any]


def _read_table(
    content: bytes, filename: str, result: ParseResult, max_rows: int
) -> list[tuple[int, Cells]]:
    """The file's rows with their line numbers (header included), whatever its format."""
    name = filename.lower()
    if content.startswith(b"PK\x03\x04"):
        result.format = "xlsx"
        return _read_xlsx(content, result, max_rows)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            Problem(
                N_(
                    "This looks like an old-style Excel file (.xls) or a password-protected "
                    "workbook, which cannot be read. Remove any password and save it as "
                    "“Excel Workbook (.xlsx)” or as “CSV UTF-8”."
                )
            )
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise FileProblem(
            Problem(
                N_(
                    "This file is named .xlsx but is not an Excel workbook: it may be damaged, "
                    "or another kind of file renamed. Open it in Excel or LibreOffice and save "
                    "it again as “Excel Workbook (.xlsx)” or “CSV UTF-8”."
                )
            )
        )
    result.format = "csv"
    return _read_csv(_decode(content), result, max_rows)


def _line_of_offset(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _decode(content: bytes) -> str:
    """CSV text from bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM, nothing else.

    We do not guess other encodings: a wrong guess silently changes people's words (macrons
    first), so we ask for the file to be saved as UTF-8 instead.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as error:
            raise FileProblem(
                Problem(
                    N_(
                        "This file starts like UTF-16 text but is damaged near byte %(offset)s. "
                        "Save it again as “CSV UTF-8 (Comma delimited)”."
                    ),
                    params={"offset": f"{error.start:,}"},
                )
            ) from error
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(
            Problem(
                N_(
                    "This file is not UTF-8 text (the first character that is not is on line "
                    "%(line)s). It was probably saved as “CSV (Comma delimited)”, an older "
                    "encoding that loses macrons. In Excel choose File › Save As › "
                    "“CSV UTF-8 (Comma delimited)”; in LibreOffice choose the character set "
                    "“Unicode (UTF-8)”. Then upload it again."
                ),
                params={"line": str(_line_of_offset(content, error.start))},
            )
        ) from error
    first_line = text.split("\n", 1)[0]
    if "\x00" in first_line:
        raise FileProblem(
            Problem(
                N_(
                    "The first line of this file contains NUL characters: it is probably UTF-16 "
                    "text without a byte-order mark, or not a text file at all. Save it as "
                    "“CSV UTF-8 (Comma delimited)” and upload it again."
                )
            )
        )
    return text


def _sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most, among comma, semicolon and tab (comma if none).

    Only the first line is looked at: it is the header, written by a spreadsheet, and far less
    surprising than the notes below it (which are full of commas and semicolons).
    """
    header = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {d: header.count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_csv(text: str, result: ParseResult, max_rows: int) -> list[tuple[int, Cells]]:
    delimiter = _sniff_delimiter(text)
    result.delimiter = delimiter
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, Cells]] = []
    data_rows = 0
    previous_end = 0
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileProblem(_csv_problem(str(error), start)) from error
        previous_end = reader.line_num
        rows.append((start, cells))
        if any(_present(c) for c in cells):
            data_rows += 1
            if data_rows > max_rows + 1:  # + 1: the header
                raise _too_many_rows(max_rows)
    return rows


def _csv_problem(reason: str, line: int) -> Problem:
    if "unexpected end of data" in reason:
        message = N_(
            "Line %(line)s: a quoted field that starts on this line is never closed, so the "
            'rest of the file cannot be read. Check the quotation marks (") on that line.'
        )
    elif "expected after" in reason:
        message = N_(
            'Line %(line)s: a quotation mark (") closes a field and more text follows it. '
            'Put quotation marks around the whole field and double any inside it ("").'
        )
    elif "field larger than field limit" in reason:
        message = N_(
            "Line %(line)s: a field is far longer than any contribution may be; the file may "
            'have an unclosed quotation mark (") on or before this line.'
        )
    else:
        message = N_("Line %(line)s: this is not well-formed CSV (%(reason)s).")
    return Problem(message, params={"line": str(line), "reason": reason})


def _too_many_rows(max_rows: int) -> FileProblem:
    return FileProblem(
        Problem(
            N_("The file has more than %(limit)s rows. Split it into smaller files."),
            params={"limit": f"{max_rows:,}"},
        )
    )


def _read_xlsx(content: bytes, result: ParseResult, max_rows: int) -> list[tuple[int, Cells]]:
    """Rows of the sheet named "contributions", else the first sheet, with sheet row numbers."""
    import openpyxl  # here, not at the top: CSV-only callers need not load it

    damaged = Problem(
        N_(
            "This file could not be read as an Excel workbook (.xlsx): it may be damaged, or be "
            "another kind of file (an .ods or .numbers file renamed, for example). Open it and "
            "save it again as “Excel Workbook (.xlsx)” or “CSV UTF-8”."
        )
    )
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
    except Exception as error:  # openpyxl raises many kinds of error on damage; all mean this
        raise FileProblem(damaged) from error
    try:
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
        if not sheets:
            raise FileProblem(Problem(N_("The workbook has no worksheet to read.")))
        named = [ws for ws in sheets if ws.title.strip().lower() == "contributions"]
        sheet = named[0] if named else sheets[0]
        result.sheet = sheet.title
        if not named and len(sheets) > 1:
            result.warnings.append(
                Problem(
                    N_(
                        "The workbook has %(n)s sheets; only the first, “%(sheet)s”, was read. "
                        "To read another, name it “contributions”."
                    ),
                    params={"n": str(len(sheets)), "sheet": _echo(sheet.title)},
                )
            )
        sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
        rows: list[tuple[int, Cells]] = []
        data_rows = 0
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            cells = list(values)
            rows.append((number, cells))
            if any(_present(c) for c in cells):
                data_rows += 1
                if data_rows > max_rows + 1:
                    raise _too_many_rows(max_rows)
        return rows
    except FileProblem:
        raise
    except Exception as error:
        raise FileProblem(damaged) from error
    finally:
        workbook.close()


# --- checking: cells -> ImportRow ------------------------------------------------------------


def _present(value: Any) -> bool:
    """Whether a cell holds anything at all (whitespace-only counts as nothing)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _fold_heading(heading: Any) -> str:
    """Headings match whatever their case, spaces, hyphens and underscores: "Quote consent",
    "QUOTE_CONSENT" and "quote-consent" all name ``quote_consent``."""
    return re.sub(r"[\s_\-]+", "", _cell_text(heading).lower())


def _echo(value: Any) -> str:
    """A bad value, shortened, to repeat back in a message (escaped later by the page)."""
    text = _cell_text(value)
    text = text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"
    # Control characters (newlines, terminal escapes) are shown, not obeyed.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _cell_text(value: Any) -> str:
    """A cell as text: strings unchanged; numbers and dates as a spreadsheet would show them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


_FOLDED_COLUMNS = {_fold_heading(c): c for c in COLUMNS} | COLUMN_ALIASES


def _map_header(cells: Cells, result: ParseResult) -> dict[str, int]:
    """Which column index holds which of our columns; unknown headings become a warning."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, heading in enumerate(cells):
        if not _present(heading):
            continue
        name = _FOLDED_COLUMNS.get(_fold_heading(heading))
        if name is None:
            unknown.append(_echo(_cell_text(heading).strip()))
        elif name in positions:
            raise FileProblem(
                Problem(
                    N_(
                        "Two columns are headed “%(name)s” (columns %(first)s and %(second)s). "
                        "Keep one."
                    ),
                    params={
                        "name": name,
                        "first": str(positions[name] + 1),
                        "second": str(index + 1),
                    },
                )
            )
        else:
            positions[name] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        found = ", ".join(_echo(_cell_text(h).strip()) for h in cells if _present(h))
        if missing == ["quote_consent"]:
            message = N_(
                "The file has no quote_consent column. Consent cannot be assumed: add a "
                "quote_consent column saying, for each row, quote, anonymous or none. "
                "Headings found: %(found)s."
            )
        else:
            message = N_(
                "The header row needs the columns text and quote_consent; missing: "
                "%(missing)s. Headings found: %(found)s."
            )
        raise FileProblem(
            Problem(message, params={"missing": ", ".join(missing), "found": found or "—"})
        )
    if unknown:
        result.warnings.append(
            Problem(
                N_("These columns are not used and were ignored: %(columns)s."),
                params={"columns": ", ".join(unknown)},
            )
        )
    result.columns = [c for c in COLUMNS if c in positions]
    return positions


def _check_table(
    table: Iterable[tuple[int, Cells]], shape: EngagementShape, result: ParseResult
) -> None:
    rows = iter(table)
    positions, width = _header(rows, result)
    seen: dict[tuple[str, str, str], int] = {}
    ignored_cells_at: int | None = None
    for line, cells in rows:
        if not any(_present(c) for c in cells):
            result.blank_rows += 1
            continue
        if ignored_cells_at is None and any(_present(c) for c in cells[width:]):
            ignored_cells_at = line
        values = {name: cells[i] if i < len(cells) else None for name, i in positions.items()}
        row = check_row(line, values, shape)
        if row.text.strip():
            key = (row.text, row.hui, row.speaker)
            if key in seen:
                row.warnings.append(
                    Problem(
                        N_("The same text, hui and speaker as line %(first)s."),
                        params={"first": str(seen[key])},
                    )
                )
            else:
                seen[key] = line
        result.rows.append(row)
    if ignored_cells_at is not None:
        result.warnings.append(
            Problem(
                N_(
                    "Some rows have values in columns with no heading (the first on line "
                    "%(line)s); those values were ignored."
                ),
                params={"line": str(ignored_cells_at)},
            )
        )
    if not result.rows:
        raise FileProblem(Problem(N_("The file has a header row but no rows below it.")))


def _header(rows: Iterator[tuple[int, Cells]], result: ParseResult) -> tuple[dict[str, int], int]:
    """The column positions, from the first row that is not blank, and how many are headed."""
    for _line, cells in rows:
        if any(_present(c) for c in cells):
            width = max(i for i, c in enumerate(cells) if _present(c)) + 1
            return _map_header(cells, result), width
    raise FileProblem(Problem(N_("The file has no header row (it is blank).")))


def _engagement_key(values: dict, column: str, keys, problems: list, unknown_message: str) -> str:
    """The engagement's own key named in ``column`` (matched ignoring case); "" when the cell
    is empty or the key unknown, and an unknown key is a problem that lists the known ones."""
    value = _cell_text(values.get(column)).strip()
    if not value:
        return ""
    key = _key_lookup(value, keys)
    if key is None:
        problems.append(
            Problem(
                unknown_message,
                column=column,
                params={"value": _echo(value), "known": _known(keys)},
            )
        )
    return key or ""


def _key_lookup(value: str, keys: frozenset[str]) -> str | None:
    """The engagement's key this value names: exactly, else ignoring case."""
    if value in keys:
        return value
    folded = {k.lower(): k for k in keys}
    return folded.get(value.lower())


def _known(keys: frozenset[str]) -> str:
    listed = sorted(keys)
    shown = ", ".join(listed[:10]) + (", …" if len(listed) > 10 else "")
    return shown or "—"


def check_row(line: int, values: dict[str, Any], shape: EngagementShape) -> ImportRow:
    """Check one row's cells (keyed by column name) against the engagement."""
    raw_text = values.get("text")
    text = raw_text if isinstance(raw_text, str) else _cell_text(raw_text)
    row = ImportRow(line=line, text=text)
    problems = row.problems

    if not text.strip():
        problems.append(Problem(N_("The text is empty."), column="text"))
    if "\x00" in text:
        problems.append(
            Problem(N_("The text contains a NUL character, which cannot be kept."), column="text")
        )
    if len(text) > shape.max_text_chars:
        problems.append(
            Problem(
                N_("The text is %(n)s characters long; the limit is %(max)s. Split it."),
                column="text",
                params={"n": f"{len(text):,}", "max": f"{shape.max_text_chars:,}"},
            )
        )

    hui_named = bool(_cell_text(values.get("hui")).strip())
    row.hui = _engagement_key(
        values,
        "hui",
        shape.hui_keys,
        problems,
        N_("No hui in this engagement has the key “%(value)s”. Known: %(known)s."),
    )

    speaker = _cell_text(values.get("speaker")).strip()
    if len(speaker) > MAX_SPEAKER_CHARS:
        problems.append(
            Problem(
                N_("A speaker tag may be at most %(max)s characters (this one has %(n)s)."),
                column="speaker",
                params={"max": str(MAX_SPEAKER_CHARS), "n": str(len(speaker))},
            )
        )
    row.speaker = speaker

    language = _cell_text(values.get("language")).strip()
    if language:
        tag = LANGUAGE_ALIASES.get(language.lower())
        if tag is None and is_language_tag(language):
            tag = normalise_language_tag(language)
        if tag is None:
            problems.append(
                Problem(
                    N_("“%(value)s” is not a language tag such as en, mi or sm."),
                    column="language",
                    params={"value": _echo(language)},
                )
            )
        else:
            row.language = tag

    row.question = _engagement_key(
        values,
        "question",
        shape.question_keys,
        problems,
        N_("No question in this engagement has the key “%(value)s”. Known: %(known)s."),
    )

    channel = _cell_text(values.get("channel")).strip().lower()
    allowed_channels = ", ".join(c.value for c in Channel)
    if not channel:
        row.channel = Channel.HUI.value if hui_named else Channel.PAPER.value
    elif channel not in {c.value for c in Channel}:
        problems.append(
            Problem(
                N_("“%(value)s” is not a channel; use one of %(allowed)s."),
                column="channel",
                params={"value": _echo(channel), "allowed": allowed_channels},
            )
        )
    else:
        row.channel = channel
        if Channel(channel) in CHANNELS_AT_HUI and not hui_named:
            problems.append(
                Problem(
                    N_("The channel “%(value)s” needs the hui column filled in."),
                    column="channel",
                    params={"value": channel},
                )
            )

    consent = " ".join(_cell_text(values.get("quote_consent")).split()).lower()
    if not consent:
        problems.append(
            Problem(
                N_(
                    "Quote consent is missing; it cannot be assumed. Write quote, anonymous "
                    "or none."
                ),
                column="quote_consent",
            )
        )
    elif consent in CONSENT_SYNONYMS:
        row.quote_consent = CONSENT_SYNONYMS[consent].value
    else:
        problems.append(
            Problem(
                N_(
                    "“%(value)s” is not a quote consent; write quote (may be quoted), anonymous "
                    "(quoted without a name) or none (not quoted)."
                ),
                column="quote_consent",
                params={"value": _echo(consent)},
            )
        )

    said_at, said_problem = _said_at(values.get("said_at"))
    row.said_at = said_at
    if said_problem:
        problems.append(said_problem)
    return row


def _said_at(value: Any) -> tuple[dt.datetime | dt.date | None, Problem | None]:
    """When it was said: a spreadsheet date, or ISO text (2025-03-14 or 2025-03-14 18:30)."""
    if isinstance(value, dt.datetime | dt.date):
        return value, None
    text = _cell_text(value).strip()
    if not text:
        return None, None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
        return dt.datetime.fromisoformat(text), None
    except ValueError:
        return None, Problem(
            N_(
                "“%(value)s” is not a date in the form 2025-03-14 or 2025-03-14 18:30 "
                "(year-month-day)."
            ),
            column="said_at",
            params={"value": _echo(text)},
        )
