"""What changed between two versions of the policy: clause by clause, then word by word (no
Django import).

Clauses are matched by their stable key, so a clause that moved is "moved", not removed and
added. Word-level changes come from Python's ``difflib`` over words and the spaces between
them, so the pieces joined back give each side's text exactly.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from heard.policy.document import ClauseContent

TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Piece:
    op: str  # "equal", "insert" (only in the new text), "delete" (only in the old)
    text: str


@dataclass(frozen=True)
class ClauseChange:
    key: str
    kind: str  # "added", "removed", "changed", "moved", "unchanged"
    old: ClauseContent | None
    new: ClauseContent | None
    words_en: tuple[Piece, ...] = ()
    words_mi: tuple[Piece, ...] = ()
    trace_changed: bool = False

    @property
    def changed(self) -> bool:
        return self.kind != "unchanged"


def words(old: str, new: str) -> tuple[Piece, ...]:
    """The word-level difference of two texts: equal, deleted and inserted runs in order."""
    a, b = TOKENS.findall(old or ""), TOKENS.findall(new or "")
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(b[j1:j2])))
    return tuple(pieces)


def side(pieces: tuple[Piece, ...], which: str) -> str:
    """One side's text ("old" or "new") from the pieces, exactly."""
    skip = "insert" if which == "old" else "delete"
    return "".join(p.text for p in pieces if p.op != skip)


def _same_words(a: ClauseContent, b: ClauseContent) -> bool:
    return (a.heading_en, a.heading_mi, a.text_en, a.text_mi, a.kind) == (
        b.heading_en,
        b.heading_mi,
        b.text_en,
        b.text_mi,
        b.kind,
    )


def _same_trace(a: ClauseContent, b: ClauseContent) -> bool:
    return (set(a.themes), set(a.quotes), a.not_from_engagement) == (
        set(b.themes),
        set(b.quotes),
        b.not_from_engagement,
    )


def compare(
    old: tuple[ClauseContent, ...] | list[ClauseContent],
    new: tuple[ClauseContent, ...] | list[ClauseContent],
) -> list[ClauseChange]:
    """Every clause of either version, in the new version's order (removed ones where they
    were), with what happened to it."""
    old_by_key = {c.key: c for c in old}
    new_keys = [c.key for c in new]
    old_positions = {c.key: n for n, c in enumerate(old)}
    kept = [k for k in new_keys if k in old_by_key]
    # A kept clause "moved" when it is out of the order the kept clauses had before.
    in_old_order = sorted(kept, key=old_positions.get)
    stay = _longest_in_order(kept, in_old_order)
    changes: list[ClauseChange] = []
    for clause in new:
        before = old_by_key.get(clause.key)
        if before is None:
            changes.append(
                ClauseChange(
                    clause.key,
                    "added",
                    None,
                    clause,
                    words("", clause.text_en),
                    words("", clause.text_mi),
                )
            )
            continue
        trace = not _same_trace(before, clause)
        if not _same_words(before, clause):
            kind = "changed"
        elif clause.key not in stay:
            kind = "moved"
        else:
            kind = "changed" if trace else "unchanged"
        changes.append(
            ClauseChange(
                clause.key,
                kind,
                before,
                clause,
                words(before.text_en, clause.text_en),
                words(before.text_mi, clause.text_mi),
                trace,
            )
        )
    new_set = set(new_keys)
    for n, clause in enumerate(old):
        if clause.key not in new_set:
            removed = ClauseChange(
                clause.key,
                "removed",
                clause,
                None,
                words(clause.text_en, ""),
                words(clause.text_mi, ""),
            )
            changes.insert(min(n, len(changes)), removed)
    return changes


def _longest_in_order(sequence: list[str], order: list[str]) -> set[str]:
    """The largest set of items of ``sequence`` already in ``order``'s order (a longest
    common subsequence): the clauses that did not move."""
    matcher = difflib.SequenceMatcher(None, order, sequence, autojunk=False)
    return {
        k for block in matcher.get_matching_blocks() for k in order[block.a : block.a + block.size]
    }
