"""Audit the whole record: every entry, stored hash, checkpoint and the rows it commits to.

``audit_log`` is plain (entries, stored hashes and checkpoints in, problems out), so the same
checks run on the database and on an exported folder of tiles; ``audit_records`` compares the
log with the platform's rows. Each problem names where it is and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from heard.record import events, merkle, notes


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_log(
    entries: Iterable[tuple[int, bytes, bytes | None]],
    stored: Iterable[tuple[int, int, bytes]] | None,
    checkpoints: Iterable[tuple[str, str]],
    vkey: str,
    report: Report,
    *,
    expected_size: int | None = None,
    on_event: Callable[[int, dict], None] | None = None,
) -> merkle.MemoryTree:
    """Check entries (index, leaf bytes, stored leaf hash or None), then the stored hashes
    (level, index, hash) against a tree rebuilt from the bytes, then each checkpoint
    (label, signed note) against that tree. Returns the rebuilt tree."""
    tree = merkle.MemoryTree()
    for index, leaf, stored_hash in entries:
        if index != tree.size:
            report.problems.append(
                f"entry {tree.size} is missing (the next entry found is {index})"
            )
            break
        computed = merkle.leaf_hash(leaf)
        if stored_hash is not None and bytes(stored_hash) != computed:
            report.problems.append(f"entry {index}: its stored leaf hash does not match its bytes")
        try:
            event = events.decode(leaf)
        except (ValueError, UnicodeDecodeError) as error:
            report.problems.append(f"entry {index}: {error}")
        else:
            if on_event is not None:
                on_event(index, event)
        tree.append_leaf_hash(computed)
    report.entries = tree.size
    if expected_size is not None and expected_size != tree.size:
        report.problems.append(
            f"the log's head says {expected_size} entries but {tree.size} were found"
        )
    if stored is not None:
        seen = 0
        levels = tree.levels
        for level, index, value in stored:
            seen += 1
            if not (0 <= level < len(levels) and 0 <= index < len(levels[level])):
                report.problems.append(
                    f"stored hash {level}/{index} does not belong to a log of {tree.size}"
                )
                continue
            if bytes(value) != levels[level][index]:
                report.problems.append(
                    f"stored hash {level}/{index} differs from the hash of the entries it covers"
                )
        expected_count = sum(map(len, tree.levels))
        if seen != expected_count:
            report.problems.append(
                f"{seen} stored hashes found where a log of {tree.size} has {expected_count}"
            )
    verifier = notes.Verifier.from_vkey(vkey)
    for label, note in checkpoints:
        report.checkpoints += 1
        try:
            checkpoint, _ = notes.open_checkpoint(note, [verifier], origin=verifier.name)
        except notes.NoteError as error:
            report.problems.append(f"{label}: its signature does not verify ({error})")
            continue
        if checkpoint.size > tree.size:
            report.problems.append(
                f"{label}: it commits to {checkpoint.size} entries; the log has {tree.size}"
            )
            continue
        if tree.root(checkpoint.size) != checkpoint.root:
            report.problems.append(
                f"{label}: its root does not match the log's first {checkpoint.size} entries"
            )
    # Every checkpoint that passes is the root of a prefix of this one rebuilt log, so each
    # successive pair is consistent by construction: no separate proof could fail.
    return tree


class RecordEvents:
    """What the log says about each contribution, collected during the one pass over entries."""

    def __init__(self) -> None:
        self.submitted: dict[int, tuple[int, dict]] = {}
        self.withdrawn: set[int] = set()
        self.hidden: dict[int, tuple[bool, str]] = {}

    def see(self, index: int, event: dict) -> None:
        kind, cid = event.get("type"), event.get("contribution")
        if kind == events.EventType.CONTRIBUTION_SUBMITTED:
            self.submitted[cid] = (index, event)
        elif kind == events.EventType.CONTRIBUTION_WITHDRAWN:
            self.withdrawn.add(cid)
        elif kind == events.EventType.CONTRIBUTION_HIDDEN:
            self.hidden[cid] = (True, event.get("reason", ""))
        elif kind == events.EventType.CONTRIBUTION_UNHIDDEN:
            self.hidden[cid] = (False, "")


RECORD_FIELDS = (
    "engagement",
    "participant",
    "channel",
    "language",
    "question",
    "hui",
    "quote_consent",
)


def audit_records(log: RecordEvents, rows: dict, hidden_rows: dict, report: Report) -> None:
    """Compare the log's contribution events with the platform's rows.

    ``rows`` maps contribution id to a dict with the fields the submitted event holds plus
    ``log_index``, ``text``, ``salt`` and ``withdrawn``; ``hidden_rows`` maps id to
    (is_hidden, hidden_reason).
    """
    for cid, row in rows.items():
        report.records += 1
        where = f"contribution {cid}"
        found = log.submitted.get(cid)
        if found is None:
            report.problems.append(f"{where}: it has no entry in the record")
            continue
        index, event = found
        where = f"contribution {cid} (entry {index})"
        if row["log_index"] != index:
            report.problems.append(f"{where}: it points at entry {row['log_index']}")
        for name in RECORD_FIELDS:
            if event.get(name) != row.get(name):
                report.problems.append(
                    f"{where}: its {name} is {row.get(name)!r}; the record says {event.get(name)!r}"
                )
        if row["withdrawn"]:
            if cid not in log.withdrawn:
                report.problems.append(
                    f"{where}: it is marked withdrawn without a withdrawal entry"
                )
            if row["text"] or row["salt"]:
                report.problems.append(f"{where}: it is withdrawn but its words or salt remain")
        elif cid in log.withdrawn:
            report.problems.append(
                f"{where}: the record says it was withdrawn, but its words are still here"
            )
        elif not row["salt"] or not events.commitment_matches(
            event.get("commitment", ""), bytes(row["salt"]), row["text"]
        ):
            report.problems.append(
                f"{where}: its words or salt differ from what the record committed to"
            )
        state = log.hidden.get(cid, (False, ""))
        if hidden_rows.get(cid) != state:
            shown = "hidden" if hidden_rows.get(cid, (False,))[0] else "shown"
            report.problems.append(
                f"{where}: it is {shown}, but the record says {'hidden' if state[0] else 'shown'}"
            )
    for cid, (index, _event) in log.submitted.items():
        if cid not in rows:
            report.problems.append(
                f"entry {index}: contribution {cid} is missing from the platform"
            )
