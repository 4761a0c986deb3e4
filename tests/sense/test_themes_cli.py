"""``heard themes cluster``, run as a user runs it: the real ``heard`` entry point in a fresh
process, any CSV in, the contract's JSON out, and bad input refused with a clear message and no
output file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sense import engine_fixtures as fx

HEARD = Path(sys.executable).parent / "heard"
CONTRACT_KEYS = {"provenance", "themes", "unassigned"}
THEME_KEYS = {"id", "label", "keywords", "members", "quotes"}
QUOTE_KEYS = {"id", "text"}

TRICKY = [
    # (id, text, language, consent)
    ("x-newline", "The forms are long.\nThey ask for everything,\r\nevery time.", "en", "yes"),
    ("x-quotes", 'She said "it is only data", but it is our "whānau" data, ok?', "en", "yes"),
    ("x-commas", "Names, dates, addresses, NHI numbers, all of it, for a food parcel.", "en", "no"),
    ("x-reo", "Me tiaki ngā kōrero a te whānau, kaua e tukuna noa atu.", "mi", "Āe"),
    ("x-spaces", "   Leading and trailing spaces stay as they were typed.   ", "en", ""),
    ("x-blank", "", "en", "yes"),
]


def run_cli(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARD_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [str(HEARD), "themes", "cluster", *map(str, args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def write_csv(path: Path, header, rows, *, bom: bool = True) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # QUOTE_MINIMAL, "\r\n" between records
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8"))


def corpus_csv(path: Path) -> dict[str, tuple[str, bool]]:
    """The small demo corpus plus tricky rows, in columns of an odd order with a column the
    command ignores. Returns id -> (text, may be quoted)."""
    rows = [
        (item.id, item.text, item.language or "", "yes" if item.quotable else "no")
        for item in fx.small_corpus()
    ] + TRICKY
    write_csv(
        path,
        ["note", "Response text", "lang", "ref", "may quote"],
        [("ignored, with a comma", text, lang, ref, consent) for ref, text, lang, consent in rows],
    )
    return {ref: (text, consent.casefold() in {"yes", "āe"}) for ref, text, _, consent in rows}


def check_contract(document: dict, expected: dict[str, tuple[str, bool]]) -> None:
    assert set(document) == CONTRACT_KEYS
    placed = [m for theme in document["themes"] for m in theme["members"]]
    placed += document["unassigned"]
    assert sorted(placed) == sorted(expected), "every input id exactly once"
    for theme in document["themes"]:
        assert set(theme) == THEME_KEYS
        assert isinstance(theme["label"], str) and theme["label"]
        assert all(isinstance(k, str) for k in theme["keywords"])
        for quote in theme["quotes"]:
            assert set(quote) == QUOTE_KEYS
            text, quotable = expected[quote["id"]]
            assert quote["id"] in theme["members"]
            assert quote["text"] and quote["text"] in text
            assert quotable, f"{quote['id']} did not consent to be quoted"


def test_cluster_writes_the_contract_from_an_awkward_csv(tmp_path):
    source, out = tmp_path / "in put.csv", tmp_path / "out" / "themes.json"
    expected = corpus_csv(source)
    done = run_cli(
        tmp_path,
        source,
        "--text-column", "Response text",
        "--id-column", "ref",
        "--language-column", "lang",
        "--consent-column", "may quote",
        "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    check_contract(document, expected)
    assert len(document["themes"]) >= 2
    assert sum(len(t["quotes"]) for t in document["themes"]) >= 3
    stamp = document["provenance"]
    assert stamp["embedding"]["mode"] == "accurate"
    assert stamp["k_chosen_automatically"] is True
    assert stamp["items"] == len(expected)
    assert stamp["input_hash"].startswith("sha256:")
    assert "themes" in done.stdout and str(out) in done.stdout
    assert not list(out.parent.glob("*.partial"))
    quoted = {q["id"]: q["text"] for t in document["themes"] for q in t["quotes"]}
    for ref in ("x-newline", "x-quotes", "x-reo"):
        if ref in quoted:  # whatever is quoted of these is exact, line breaks and macrons kept
            assert quoted[ref] in expected[ref][0]


def test_cluster_with_k_and_fast(tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "themes.json"
    expected = corpus_csv(source)
    done = run_cli(
        tmp_path, source, "--text-column", "Response text", "--id-column", "ref",
        "--consent-column", "may quote", "--k", "3", "--fast", "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    check_contract(document, expected)
    assert 1 <= len(document["themes"]) <= 3
    stamp = document["provenance"]
    assert stamp["parameters"]["k_requested"] == 3 and stamp["k_clustered"] == 3
    assert stamp["k_chosen_automatically"] is False
    assert stamp["embedding"]["mode"] == "fast"
    assert "x-blank" in document["unassigned"]
    assert list((tmp_path / "data" / "models").glob("e5-words-*/vectors.npy"))


def test_without_a_consent_column_everyone_may_be_quoted_and_output_is_repeatable(tmp_path):
    source = tmp_path / "in.csv"
    items = fx.small_corpus()[:12]
    write_csv(source, ["id", "text"], [(i.id, i.text) for i in items], bom=False)
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    for out in outs:
        done = run_cli(
            tmp_path, source, "--text-column", "text", "--id-column", "id", "--fast",
            "--out", out,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    first, second = (json.loads(o.read_text(encoding="utf-8")) for o in outs)
    assert first == second
    check_contract(first, {i.id: (i.text, True) for i in items})


# --- refusals ---------------------------------------------------------------------------------

GOOD_ROWS = [("a1", "The buses are late."), ("b2", "Rent is too high."), ("c3", "Data, please.")]


def case_missing_column(source: Path) -> list[str]:
    write_csv(source, ["ref", "body", "lang"], [(i, t, "en") for i, t in GOOD_ROWS])
    return ["no column 'text'", "'ref', 'body', 'lang'"]


def case_duplicate_id(source: Path) -> list[str]:
    write_csv(source, ["id", "text"], [*GOOD_ROWS, ("d4", "Hui soon."), ("b2", "Again.")])
    return ["'b2'", "line 6", "line 3", "unique"]


def case_empty_id(source: Path) -> list[str]:
    write_csv(source, ["id", "text"], [GOOD_ROWS[0], ("  ", "Who said this?"), GOOD_ROWS[1]])
    return ["line 3", "'id' column is empty"]


def case_not_utf8(source: Path) -> list[str]:
    source.write_bytes("id,text\na1,Caf\u00e9 au lait is not a theme\n".encode("latin-1"))
    return ["not UTF-8"]


def case_missing_file(source: Path) -> list[str]:
    return ["cannot read", source.name]


def case_header_only(source: Path) -> list[str]:
    write_csv(source, ["id", "text"], [])
    return ["header but no rows"]


def case_empty_file(source: Path) -> list[str]:
    source.write_bytes(b"")
    return ["no column", "none"]


def case_k_zero(source: Path) -> list[str]:
    write_csv(source, ["id", "text"], GOOD_ROWS)
    return ["--k must be at least 1"]


REFUSALS = {
    "missing-column": case_missing_column,
    "duplicate-id": case_duplicate_id,
    "empty-id": case_empty_id,
    "not-utf8": case_not_utf8,
    "missing-file": case_missing_file,
    "header-only": case_header_only,
    "empty-file": case_empty_file,
    "k-zero": case_k_zero,
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_bad_input_is_refused_clearly_and_writes_nothing(case, tmp_path):
    source, out = tmp_path / "input.csv", tmp_path / "out" / "themes.json"
    messages = REFUSALS[case](source)
    extra = ["--k", "0"] if case == "k-zero" else []
    done = run_cli(
        tmp_path, source, "--text-column", "text", "--id-column", "id", *extra, "--out", out
    )
    assert done.returncode != 0
    for message in messages:
        assert message in done.stderr, (message, done.stderr)
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not list(tmp_path.rglob("*.partial"))


def test_a_refused_run_leaves_an_earlier_output_alone(tmp_path):
    source, out = tmp_path / "input.csv", tmp_path / "themes.json"
    case_duplicate_id(source)
    out.write_text('{"earlier": true}\n', encoding="utf-8")
    done = run_cli(tmp_path, source, "--text-column", "text", "--id-column", "id", "--out", out)
    assert done.returncode != 0
    assert out.read_text(encoding="utf-8") == '{"earlier": true}\n'


def test_a_duplicate_after_a_multiline_text_names_the_lines_where_both_rows_start(tmp_path):
    """Line 1 header; a1 starts on line 2 and runs to line 3; b2 is line 4; a1 again on 5.
    A person opening the file in an editor looks for the rows at lines 2 and 5."""
    source, out = tmp_path / "input.csv", tmp_path / "themes.json"
    write_csv(source, ["id", "text"], [("a1", "First line\nsecond line"), GOOD_ROWS[1],
                                       ("a1", "Again.")])  # fmt: skip
    done = run_cli(tmp_path, source, "--text-column", "text", "--id-column", "id", "--out", out)
    assert done.returncode != 0
    assert "line 5" in done.stderr and "line 2" in done.stderr, done.stderr
    assert not out.exists()
