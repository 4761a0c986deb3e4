"""The policy's plain modules: the canonical hash, coverage and the diff."""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from heard.policy import coverage as cov
from heard.policy import diffing
from heard.policy.document import (
    ClauseContent,
    QuoteRef,
    VersionContent,
    canonical,
    check,
    content_hash,
)


def _clause(key, text="Ask first.", **kw):
    return ClauseContent(key=key, kind=kw.pop("kind", "clause"), text_en=text, **kw)


def _version(*clauses, number=1):
    return VersionContent(engagement="demo", title="Data policy", number=number, clauses=clauses)


# -- the canonical hash -----------------------------------------------------------------------


def test_the_hash_is_sha256_of_rfc8785_json_anyone_can_recompute():
    version = _version(_clause("P1", "Kia ora, whānau.", themes=(3, 1)), _clause("P2", "Ask."))
    body = json.loads(canonical(version))
    assert body["clauses"][0] == {
        "key": "P1",
        "kind": "clause",
        "text_en": "Kia ora, whānau.",
        "themes": [1, 3],
    }
    assert content_hash(version) == "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert "whānau" in canonical(version).decode("utf-8")  # not escaped, not normalised


def test_any_change_of_words_order_or_trace_changes_the_hash():
    base = _version(_clause("P1", "Ask first."), _clause("P2", "Tell people."))
    variants = [
        _version(_clause("P1", "Ask first. "), _clause("P2", "Tell people.")),  # a space
        _version(_clause("P2", "Tell people."), _clause("P1", "Ask first.")),  # the order
        _version(_clause("P1", "Ask first.", themes=(4,)), _clause("P2", "Tell people.")),
        _version(_clause("P1", "Ask first."), _clause("P2", "Tell people."), number=2),
    ]
    hashes = {content_hash(v) for v in variants}
    assert content_hash(base) not in hashes and len(hashes) == len(variants)
    # Set-like parts do not depend on how they were entered.
    a = _version(_clause("P1", themes=(1, 2), quotes=(QuoteRef(9, 0, 3), QuoteRef(2, 1, 1))))
    b = _version(_clause("P1", themes=(2, 1, 1), quotes=(QuoteRef(2, 1, 1), QuoteRef(9, 0, 3))))
    assert content_hash(a) == content_hash(b)


@given(st.text(), st.text())
def test_words_are_hashed_exactly_as_written(en, mi):
    version = _version(ClauseContent(key="C1", kind="clause", text_en=en, text_mi=mi))
    body = json.loads(canonical(version))["clauses"][0]
    assert body.get("text_en", "") == en and body.get("text_mi", "") == mi


def test_check_names_what_is_wrong():
    problems = check(
        _version(
            _clause("P1"),
            _clause("P1"),
            _clause("", kind="rule"),
            ClauseContent(key="P3", kind="clause"),
            _clause("P4", themes=(1,), not_from_engagement="The law requires it."),
        )
    )
    assert problems == [
        "Clause P1 appears twice.",
        "A clause has no key.",
        "Clause : unknown kind 'rule'.",
        "Clause P3 has no words in either language.",
        "Clause P4 is traced to what was heard and also says it is not.",
    ]


# -- coverage ---------------------------------------------------------------------------------


def test_coverage_answered_set_aside_unanswered_and_clauses_without_evidence():
    clauses = [
        _clause("P1", themes=(1,)),
        _clause("P2", quotes=(QuoteRef(50, 0, 4),)),  # a quote from theme 3
        _clause("P3", not_from_engagement="Required by the Privacy Act 2020."),
        _clause("P4"),
        _clause("P5", themes=(1, 2)),
    ]
    found = cov.coverage([1, 2, 3, 4, 5], clauses, {4: "Out of scope: tax.", 2: "Later."}, {50: 3})
    assert found.answered == {1: ["P1", "P5"], 2: ["P5"], 3: ["P2"]}
    assert found.set_aside == {4: "Out of scope: tax."}  # 2 is answered after all
    assert found.unanswered == [5]
    assert found.without_evidence == ["P4"]
    assert found.not_from_engagement == {"P3": "Required by the Privacy Act 2020."}
    assert not found.complete


# -- the diff ---------------------------------------------------------------------------------


def test_diff_matches_clauses_by_key_and_words_rejoin_exactly():
    old = [_clause("P1", "Ask people first."), _clause("P2", "Tell them."), _clause("P3", "Go.")]
    new = [
        _clause("P2", "Tell them."),
        _clause("P1", "Always ask people first, in plain words."),
        _clause("P4", "Share what you learn."),
    ]
    changes = {c.key: c for c in diffing.compare(old, new)}
    assert changes["P1"].kind == "changed" and changes["P3"].kind == "removed"
    assert changes["P4"].kind == "added"
    assert changes["P2"].kind in {"moved", "unchanged"}
    pieces = changes["P1"].words_en
    assert diffing.side(pieces, "old") == "Ask people first."
    assert diffing.side(pieces, "new") == "Always ask people first, in plain words."
    assert [(p.op, p.text) for p in pieces][:3] == [
        ("delete", "Ask"),
        ("insert", "Always ask"),
        ("equal", " people "),
    ]


def test_a_clause_moved_among_others_is_moved_and_a_trace_change_is_a_change():
    old = [_clause(k, k) for k in "ABCD"]
    new = [_clause(k, k) for k in "BCDA"]
    kinds = {c.key: c.kind for c in diffing.compare(old, new)}
    assert kinds == {"A": "moved", "B": "unchanged", "C": "unchanged", "D": "unchanged"}
    traced = diffing.compare([_clause("A")], [_clause("A", themes=(7,))])
    assert traced[0].kind == "changed" and traced[0].trace_changed


@given(st.text(max_size=80), st.text(max_size=80))
def test_word_pieces_always_rejoin_to_both_texts(a, b):
    pieces = diffing.words(a, b)
    assert diffing.side(pieces, "old") == a and diffing.side(pieces, "new") == b


@pytest.mark.parametrize("text", ["", "one", "two  spaces\nand lines"])
def test_an_unchanged_text_is_one_equal_run(text):
    pieces = diffing.words(text, text)
    assert all(p.op == "equal" for p in pieces) and "".join(p.text for p in pieces) == text
