"""`heard import contributions FILE --engagement SLUG`: the web import's rules, on the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heard.listen.models import Contribution, ImportBatch
from tests import factories

pytestmark = pytest.mark.django_db


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


BAD = [
    ["text", "hui", "speaker", "quote_consent"],
    ["Good one <b>bold</b>", "whanganui-1", "A", "quote"],  # 2
    ["   ", "whanganui-1", "A", "quote"],  # 3
    ["Good two", "", "Aroha", "none"],  # 4
    ["Bad hui", "atlantis", "A", "quote"],  # 5
    ["Good three", "whanganui-1", "B", "anonymous"],  # 6
    ["No consent", "whanganui-1", "A", "perhaps"],  # 7
]
CLEAN = [
    ["text", "hui", "speaker", "quote_consent"],
    ["Kia ora", "whanganui-1", "A", "quote"],
    ["Tēnā koe", "whanganui-1", "B", "none"],
    ["Written on paper", "", "", "anonymous"],
]


@pytest.fixture
def hui(engagement):
    return factories.make_hui(engagement, key="whanganui-1")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bad_rows_exit_non_zero_name_their_lines_and_import_nothing(tmp_path, engagement, hui):
    path = write_csv(tmp_path / "notes.csv", BAD)
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 rows have problems, so nothing was imported"):
        call_command(
            "import", "contributions", str(path), "--engagement", engagement.slug, stderr=err
        )
    report = err.getvalue()
    assert "line 3: text:" in report
    assert "line 5: hui:" in report
    assert "line 7: quote_consent:" in report
    assert "line 2" not in report and "line 4" not in report
    assert Contribution.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_good_rows_only_imports_the_good_rows_exactly(tmp_path, engagement, hui):
    user = factories.make_user("importer")
    path = write_csv(tmp_path / "notes.csv", BAD)
    out, err = run(
        "contributions",
        str(path),
        "--engagement",
        engagement.slug,
        "--good-rows-only",
        "--user",
        "importer",
    )
    assert "line 3" in err and "Imported 3 rows" in out and "3 rows with problems left out" in out
    kept = list(Contribution.objects.order_by("source_line"))
    assert [(c.source_line, c.text) for c in kept] == [
        (2, "Good one <b>bold</b>"),
        (4, "Good two"),
        (6, "Good three"),
    ]
    assert all(c.recorded_by == user for c in kept)
    # a row with no hui is a voice without an account; the speaker cell tells writers apart but
    # is never shown as a name (it may hold a real one)
    assert kept[1].channel == "paper" and kept[1].participant.speaker_tag.endswith("/Aroha")
    assert kept[1].participant.pseudonym == ""
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.mode, batch.imported_rows, batch.error_rows) == (
        "done",
        "good_only",
        3,
        3,
    )


def test_a_clean_file_imports_every_row(tmp_path, engagement, hui):
    path = write_csv(tmp_path / "notes.csv", CLEAN)
    out, _err = run("contributions", str(path), "--engagement", engagement.slug)
    assert "Read 3 rows: 3 good, 0 with problems" in out
    assert "Imported 3 rows" in out
    assert list(Contribution.objects.order_by("source_line").values_list("text", flat=True)) == [
        "Kia ora",
        "Tēnā koe",
        "Written on paper",
    ]


def test_the_same_file_again_is_refused_unless_asked(tmp_path, engagement, hui):
    path = write_csv(tmp_path / "notes.csv", CLEAN)
    run("contributions", str(path), "--engagement", engagement.slug)
    with pytest.raises(CommandError, match="identical file was already imported"):
        run("contributions", str(path), "--engagement", engagement.slug)
    assert Contribution.objects.count() == 3
    run("contributions", str(path), "--engagement", engagement.slug, "--import-again")
    assert Contribution.objects.count() == 6


def test_dry_run_reports_and_imports_nothing(tmp_path, engagement, hui):
    path = write_csv(tmp_path / "notes.csv", CLEAN)
    out, _err = run("contributions", str(path), "--engagement", engagement.slug, "--dry-run")
    assert "3 rows would be imported" in out
    assert Contribution.objects.count() == 0 and ImportBatch.objects.count() == 0
    bad = write_csv(tmp_path / "bad.csv", BAD)
    with pytest.raises(CommandError):
        run("contributions", str(bad), "--engagement", engagement.slug, "--dry-run")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("text,quote_consent\ncafé,quote\n".encode("cp1252"), "CSV UTF-8"),
        (b"PK\x03\x04broken", "Excel workbook"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_exit_non_zero_with_the_reason(tmp_path, engagement, content, expected):
    path = tmp_path / "notes.csv"
    path.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError, match="cannot be read"):
        call_command(
            "import", "contributions", str(path), "--engagement", engagement.slug, stderr=err
        )
    assert expected in err.getvalue()
    assert ImportBatch.objects.count() == 0


def test_unknown_engagement_user_or_file(tmp_path, engagement):
    path = write_csv(tmp_path / "notes.csv", CLEAN)
    with pytest.raises(CommandError, match="No engagement"):
        run("contributions", str(path), "--engagement", "nope")
    with pytest.raises(CommandError, match="No user"):
        run("contributions", str(path), "--engagement", engagement.slug, "--user", "ghost")
    with pytest.raises(CommandError, match="Cannot read"):
        run("contributions", str(tmp_path / "missing.csv"), "--engagement", engagement.slug)
