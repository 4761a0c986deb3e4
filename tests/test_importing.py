"""The plain CSV/XLSX reader of hui notes: formats, encodings, line numbers, row checks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.listen.importing import EngagementShape, ParseResult, parse_file

SHAPE = EngagementShape(
    hui_keys=frozenset({"whanganui-1", "porirua-2"}),
    question_keys=frozenset({"q1", "q2"}),
    max_text_chars=20_000,
)
MAX = 5 * 1024 * 1024


def parse(content: bytes | str, name: str = "notes.csv", **kwargs) -> ParseResult:
    if isinstance(content, str):
        content = content.encode("utf-8")
    kwargs.setdefault("max_bytes", MAX)
    return parse_file(content, name, SHAPE, **kwargs)


def file_problem(result: ParseResult) -> str:
    assert result.file_problems, "expected the whole file to be refused"
    assert result.rows == []
    return " ".join(p.render() for p in result.file_problems)


def problems(row) -> dict[str, str]:
    return {p.column: p.render() for p in row.problems}


def csv_bytes(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["text", "hui", "speaker", "language", "question", "channel", "quote_consent", "said_at"]


# --- CSV: formats and encodings ----------------------------------------------------------------


def test_a_clean_csv_reads_every_column():
    result = parse(
        csv_bytes(
            [
                HEADER,
                ["Kia ora koutou", "whanganui-1", "A", "mi", "q1", "hui", "quote", "2025-03-14"],
                ["On paper", "", "", "", "", "", "none", "2025-03-14 18:30"],
            ]
        )
    )
    assert result.readable and result.format == "csv" and result.delimiter == ","
    assert result.columns == HEADER
    first, second = result.rows
    assert (first.line, first.text, first.hui, first.speaker) == (
        2,
        "Kia ora koutou",
        "whanganui-1",
        "A",
    )
    assert (first.language, first.question, first.channel, first.quote_consent) == (
        "mi",
        "q1",
        "hui",
        "quote",
    )
    assert first.said_at == dt.date(2025, 3, 14)
    assert (second.language, second.channel, second.quote_consent) == ("en", "paper", "none")
    assert second.said_at == dt.datetime(2025, 3, 14, 18, 30)
    assert all(row.ok for row in result.rows)


def test_hui_given_defaults_the_channel_to_hui():
    result = parse("text,hui,quote_consent\nWords,whanganui-1,quote\n")
    assert result.rows[0].channel == "hui"


def test_utf8_bom_is_not_part_of_the_first_heading():
    result = parse(b"\xef\xbb\xbf" + "text,quote_consent\nMāori words,quote\n".encode())
    assert result.readable
    assert result.rows[0].text == "Māori words"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_read(encoding):
    text = "text\tquote_consent\r\nWhānau first — ōrite\tanonymous\r\n"
    data = text.encode(encoding)
    if encoding != "utf-16":  # the plain codec writes its own BOM; the others need one
        data = ("\ufeff" + text).encode(encoding)
    result = parse(data)
    assert result.readable, result.file_problems
    assert result.delimiter == "\t"
    assert result.rows[0].text == "Whānau first — ōrite"
    assert result.rows[0].quote_consent == "anonymous"


def test_utf16_without_a_bom_is_refused_with_the_fix():
    message = file_problem(parse("text,quote_consent\nhi,quote\n".encode("utf-16-le")))
    assert "UTF-16" in message and "CSV UTF-8" in message


def test_other_encodings_are_refused_naming_the_line_and_the_fix():
    data = "text,quote_consent\nfine,quote\ncafé au lait,quote\n".encode("cp1252")
    message = file_problem(parse(data))
    assert "not UTF-8" in message
    assert "line 3" in message
    assert "CSV UTF-8" in message


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_the_delimiter_is_sniffed_from_the_header(delimiter):
    data = csv_bytes(
        [["text", "speaker", "quote_consent"], ["one, two; three\tfour", "A", "quote"]], delimiter
    )
    result = parse(data)
    assert result.delimiter == delimiter
    assert result.rows[0].text == "one, two; three\tfour"
    assert result.rows[0].speaker == "A"


def test_multiline_quoted_fields_keep_their_words_and_the_line_numbers_count_physical_lines():
    data = (
        b"text,quote_consent\r\n"  # line 1
        b'"first line\r\nsecond line\nthird line",quote\r\n'  # lines 2-4
        b"next row,none\r\n"  # line 5
        b"\r\n"  # line 6, blank
        b'"a\rb",anonymous\r\n'  # lines 7-8 (a lone CR is a line break too)
        b"last,quote\r\n"  # line 9
    )
    result = parse(data)
    assert [row.line for row in result.rows] == [2, 5, 7, 9]
    assert result.rows[0].text == "first line\r\nsecond line\nthird line"
    assert result.rows[2].text == "a\rb"
    assert result.blank_rows == 1


def test_an_unclosed_quote_refuses_the_file_naming_the_line():
    data = b'text,quote_consent\nfine,quote\n"never closed,quote\nmore,quote\n'
    message = file_problem(parse(data))
    assert "Line 3" in message and "never closed" in message


def test_text_after_a_closing_quote_refuses_the_file_rather_than_dropping_the_quotes():
    message = file_problem(parse(b'text,quote_consent\nok,quote\n"said "hi" then",quote\n'))
    assert "Line 3" in message


def test_quotes_inside_an_unquoted_field_are_kept():
    result = parse(b'text,quote_consent\nShe said "no" twice,quote\n')
    assert result.rows[0].text == 'She said "no" twice'


# --- files that are not what they say ------------------------------------------------------


def test_a_damaged_xlsx_is_refused_with_a_clear_message():
    message = file_problem(parse(b"PK\x03\x04this is not a zip at all", "notes.xlsx"))
    assert "Excel workbook" in message and "save it again" in message


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    message = file_problem(parse(out.getvalue(), "notes.xlsx"))
    assert "Excel workbook" in message


def test_text_named_xlsx_is_refused():
    message = file_problem(parse(b"text,quote_consent\nhi,quote\n", "notes.xlsx"))
    assert "not an Excel workbook" in message


def test_old_xls_is_refused_with_the_fix():
    message = file_problem(parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "n.xls"))
    assert ".xls" in message and ".xlsx" in message


def test_an_empty_file_is_refused():
    assert "empty" in file_problem(parse(b""))


def test_a_file_of_blank_lines_is_refused():
    assert "no header" in file_problem(parse(b"\n\n ,, \n"))


def test_a_header_without_rows_is_refused():
    assert "no rows" in file_problem(parse(b"text,quote_consent\n\n"))


def test_a_missing_text_column_is_refused_naming_what_was_found():
    message = file_problem(parse(b"words,quote_consent\nhi,quote\n"))
    assert "text" in message and "words" in message


def test_a_missing_consent_column_is_refused_because_consent_is_never_assumed():
    message = file_problem(parse(b"text,speaker\nhi,A\n"))
    assert "quote_consent" in message and "cannot be assumed" in message


def test_two_columns_with_the_same_name_are_refused():
    assert "Two columns" in file_problem(parse(b"text,Text,quote_consent\na,b,quote\n"))


def test_the_size_limit_is_enforced():
    message = file_problem(parse(b"text,quote_consent\n" + b"x,quote\n" * 100, max_bytes=100))
    assert "limit is 100 bytes" in message


def test_the_row_limit_is_enforced():
    data = b"text,quote_consent\n" + b"x,quote\n" * 4
    assert "more than 3 rows" in file_problem(parse(data, max_rows=3))
    assert parse(data, max_rows=4).readable


# --- headings ------------------------------------------------------------------------------


def test_headings_are_matched_whatever_their_case_spaces_and_underscores():
    data = "  TEXT ,Hui Key,Speaker,Language,Question,CHANNEL,Quote-Consent,said at\n"
    data += "words,whanganui-1,B,EN,Q1,Hui,Yes,2025-01-02\n"
    result = parse(data)
    assert result.columns == HEADER
    row = result.rows[0]
    assert (row.hui, row.language, row.question, row.channel, row.quote_consent) == (
        "whanganui-1",
        "en",
        "q1",
        "hui",
        "quote",
    )


def test_unknown_columns_are_a_warning_not_an_error():
    result = parse(b"text,quote_consent,mood,notes\nhi,quote,happy,x\n")
    assert result.rows[0].ok
    warning = " ".join(w.render() for w in result.warnings)
    assert "mood" in warning and "notes" in warning


def test_values_beyond_the_headed_columns_are_a_warning():
    result = parse(b"text,quote_consent\nhi,quote\nthere,quote,stray\n")
    assert all(row.ok for row in result.rows)
    assert "line 3" in " ".join(w.render() for w in result.warnings)


# --- the words are kept exactly ------------------------------------------------------------

HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)> & &amp; </td></tr>",
    '=HYPERLINK("http://evil","click")',
    "  leading and trailing spaces  ",
    "\ttabbed\t",
    "Emoji 👩🏽‍⚕️ and family 👨‍👩‍👧",
    "مرحبا بالعالم — שלום עולם",
    "\u202eRTL override\u202c and zero\u200bwidth",
    "Ma\u0304ori (decomposed) and Māori (composed)",
    "Tēnā koe, e te whānau. Kāore he raru.",
    "'single' and \"double\" quotes, back\\slash",
    "line one\nline two\r\nline three",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_and_unusual_text_is_kept_exactly_in_csv(text):
    result = parse(csv_bytes([["text", "quote_consent"], [text, "quote"]]))
    assert result.rows[0].text == text
    assert result.rows[0].ok


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_and_unusual_text_is_kept_exactly_in_xlsx(text):
    if text.startswith("="):
        text = "'" + text  # a leading = would make openpyxl store a formula; Excel escapes it so
    # XML parsers turn a raw CR into LF, and openpyxl's writer (unlike Excel's, which writes
    # _x000D_) writes it raw: the loss would be the test writer's, so leave CR out here.
    text = text.replace("\r", "")
    result = parse(xlsx_bytes({"Sheet1": [["text", "quote_consent"], [text, "quote"]]}), "n.xlsx")
    assert result.rows[0].text == text


def test_text_at_the_limit_is_kept_and_over_it_is_a_row_problem():
    result = parse(
        csv_bytes([["text", "quote_consent"], ["a" * 20_000, "quote"], ["b" * 20_001, "quote"]])
    )
    at_limit, over = result.rows
    assert at_limit.ok and len(at_limit.text) == 20_000
    assert "20,001" in problems(over)["text"]


@pytest.mark.parametrize("text", ["", " ", "\t \r\n "])
def test_empty_or_whitespace_text_is_a_row_problem(text):
    result = parse(csv_bytes([["text", "speaker", "quote_consent"], [text, "A", "quote"]]))
    assert "empty" in problems(result.rows[0])["text"]


def test_a_nul_character_is_a_row_problem():
    result = parse(b"text,quote_consent\nbad\x00byte,quote\ngood,quote\n")
    assert "NUL" in problems(result.rows[0])["text"]
    assert result.rows[1].ok


def test_fully_blank_rows_are_skipped_and_counted():
    result = parse(b"text,speaker,quote_consent\n\n,,\n , ,\nwords,A,quote\n\n")
    assert [row.line for row in result.rows] == [5]
    assert result.blank_rows == 4


# --- row checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("quote", "quote"),
        ("Yes", "quote"),
        ("āe", "quote"),
        ("ANON", "anonymous"),
        ("anonymous", "anonymous"),
        ("no", "none"),
        ("None", "none"),
        ("kāo", "none"),
    ],
)
def test_consent_words(written, stored):
    result = parse(csv_bytes([["text", "quote_consent"], ["words", written]]))
    assert result.rows[0].quote_consent == stored


@pytest.mark.parametrize("written", ["maybe", "ok", "quote me later", "1"])
def test_unknown_consent_is_a_row_problem(written):
    result = parse(csv_bytes([["text", "quote_consent"], ["words", written]]))
    assert "not a quote consent" in problems(result.rows[0])["quote_consent"]


def test_missing_consent_is_a_row_problem():
    result = parse(csv_bytes([["text", "quote_consent"], ["words", "  "]]))
    assert "cannot be assumed" in problems(result.rows[0])["quote_consent"]


def test_unknown_hui_and_question_keys_are_row_problems_naming_the_known_keys():
    result = parse(
        csv_bytes([["text", "hui", "question", "quote_consent"], ["w", "nowhere", "q9", "quote"]])
    )
    found = problems(result.rows[0])
    assert "nowhere" in found["hui"] and "whanganui-1" in found["hui"]
    assert "q9" in found["question"] and "q1, q2" in found["question"]


def test_keys_match_ignoring_case():
    result = parse(
        csv_bytes(
            [["text", "hui", "question", "quote_consent"], ["w", "Whanganui-1", "Q2", "quote"]]
        )
    )
    assert (result.rows[0].hui, result.rows[0].question) == ("whanganui-1", "q2")


def test_channel_checks():
    result = parse(
        csv_bytes(
            [
                ["text", "hui", "channel", "quote_consent"],
                ["w", "", "carrier pigeon", "quote"],
                ["w", "", "hui", "quote"],
                ["w", "", "transcript", "quote"],
                ["w", "", "Email", "quote"],
            ]
        )
    )
    bad_channel, hui_without_hui, transcript_without_hui, email = result.rows
    assert "online, hui, paper, email, transcript" in problems(bad_channel)["channel"]
    assert "needs the hui column" in problems(hui_without_hui)["channel"]
    assert "needs the hui column" in problems(transcript_without_hui)["channel"]
    assert email.ok and email.channel == "email"


def test_language_checks():
    rows = [["text", "language", "quote_consent"]]
    rows += [
        ["w", value, "quote"]
        for value in ["mi", "Te reo Māori", "EN-nz", "zh-Hant", "klingon!", "1"]
    ]
    result = parse(csv_bytes(rows))
    assert [row.language for row in result.rows[:4]] == ["mi", "mi", "en-nz", "zh-Hant"]
    assert "language" in problems(result.rows[4])
    assert "language" in problems(result.rows[5])


def test_speaker_tags_are_limited_to_40_characters():
    result = parse(
        csv_bytes(
            [
                ["text", "speaker", "quote_consent"],
                ["w", "x" * 40, "quote"],
                ["w", "x" * 41, "quote"],
            ]
        )
    )
    assert result.rows[0].ok
    assert "40" in problems(result.rows[1])["speaker"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-03-14", dt.date(2025, 3, 14)),
        ("2025-03-14 18:30", dt.datetime(2025, 3, 14, 18, 30)),
        ("2025-03-14T18:30:05", dt.datetime(2025, 3, 14, 18, 30, 5)),
        (
            "2025-03-14T18:30:00+13:00",
            dt.datetime(2025, 3, 14, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=13))),
        ),
    ],
)
def test_said_at_accepts_iso_dates_and_times(written, expected):
    result = parse(csv_bytes([["text", "said_at", "quote_consent"], ["w", written, "quote"]]))
    assert result.rows[0].said_at == expected


@pytest.mark.parametrize("written", ["14/03/2025", "yesterday", "2025-13-01", "18:30"])
def test_said_at_that_is_not_iso_is_a_row_problem(written):
    result = parse(csv_bytes([["text", "said_at", "quote_consent"], ["w", written, "quote"]]))
    assert "year-month-day" in problems(result.rows[0])["said_at"]


def test_duplicate_rows_are_a_warning():
    result = parse(
        csv_bytes(
            [
                ["text", "hui", "speaker", "quote_consent"],
                ["Same words", "whanganui-1", "A", "quote"],
                ["Same words", "whanganui-1", "B", "quote"],
                ["Same words", "whanganui-1", "A", "none"],
            ]
        )
    )
    first, other_speaker, repeat = result.rows
    assert not first.warnings and not other_speaker.warnings
    assert "line 2" in repeat.warnings[0].render()
    assert repeat.ok


def test_hostile_values_in_messages_are_shortened_and_control_characters_shown():
    result = parse(
        csv_bytes([["text", "hui", "quote_consent"], ["w", "\x1b[31m" + "k" * 200, "quote"]])
    )
    message = problems(result.rows[0])["hui"]
    assert "\x1b" not in message and "\\x1b" in message
    assert "k" * 100 not in message


def test_three_bad_rows_are_reported_by_their_lines():
    data = csv_bytes(
        [
            ["text", "hui", "quote_consent"],
            ["good one", "whanganui-1", "quote"],  # 2
            ["", "whanganui-1", "quote"],  # 3 bad: empty
            ["good two", "", "none"],  # 4
            ["bad hui", "atlantis", "quote"],  # 5 bad
            ["good three", "porirua-2", "anon"],  # 6
            ["no consent", "porirua-2", ""],  # 7 bad
        ]
    )
    result = parse(data)
    assert [row.line for row in result.bad_rows] == [3, 5, 7]
    assert [row.line for row in result.good_rows] == [2, 4, 6]


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_rows_carry_their_sheet_row_numbers_and_values_are_read_sensibly():
    data = xlsx_bytes(
        {
            "Sheet1": [
                ["Text", "Hui", "Speaker", "Quote consent", "Said at"],
                ["Kia ora\nkoutou", "whanganui-1", 3, "yes", dt.datetime(2025, 3, 14, 18, 30)],
                [None, None, None, None, None],
                [42, None, 2.5, "no", dt.date(2025, 3, 15)],
                [True, None, None, "anonymous", "2025-03-16"],
            ]
        }
    )
    result = parse(data, "notes.xlsx")
    assert result.format == "xlsx" and result.sheet == "Sheet1"
    assert [row.line for row in result.rows] == [2, 4, 5]
    first, number, boolean = result.rows
    assert first.text == "Kia ora\nkoutou" and first.speaker == "3"
    assert first.said_at == dt.datetime(2025, 3, 14, 18, 30)
    assert number.text == "42" and number.speaker == "2.5"
    assert number.said_at == dt.datetime(2025, 3, 15)  # Excel keeps dates as moments
    assert boolean.text == "TRUE"
    assert result.blank_rows == 1


def test_xlsx_prefers_a_sheet_named_contributions():
    data = xlsx_bytes(
        {
            "Cover": [["This is a cover sheet"]],
            "Contributions": [["text", "quote_consent"], ["from the right sheet", "quote"]],
        }
    )
    result = parse(data, "notes.xlsx")
    assert result.sheet == "Contributions"
    assert result.rows[0].text == "from the right sheet"
    assert not result.warnings


def test_xlsx_with_several_sheets_reads_the_first_and_says_so():
    data = xlsx_bytes(
        {"Notes": [["text", "quote_consent"], ["first sheet", "quote"]], "Other": [["x"]]}
    )
    result = parse(data, "whatever.bin")  # recognised by its content, not its name
    assert result.rows[0].text == "first sheet"
    assert "Notes" in result.warnings[0].render()


def test_xlsx_three_bad_rows_by_sheet_row_number():
    data = xlsx_bytes(
        {
            "contributions": [
                [],
                ["text", "quote_consent"],  # header on row 2
                ["good", "quote"],
                ["bad", "perhaps"],  # 4
                ["   ", "quote"],  # 5
                ["good", "none"],
                ["bad", None],  # 7
            ]
        }
    )
    result = parse(data, "notes.xlsx")
    assert [row.line for row in result.bad_rows] == [4, 5, 7]


# --- properties ----------------------------------------------------------------------------

_words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip())


@settings(max_examples=150, deadline=None)
@given(st.lists(_words, min_size=1, max_size=8), st.sampled_from([",", ";", "\t"]))
def test_any_words_survive_a_csv_round_trip_exactly_with_correct_line_numbers(texts, delimiter):
    data = csv_bytes([["text", "quote_consent"]] + [[t, "quote"] for t in texts], delimiter)
    result = parse(data)
    assert result.readable, result.file_problems
    kept = [row.text for row in result.rows]
    assert kept == texts
    expected_line = 2
    for row, text in zip(result.rows, texts, strict=True):
        assert row.line == expected_line
        expected_line += 1 + len(re.findall(r"\r\n|\r|\n", text))
