"""Audit the opinion rows against the record (plain module, no Django).

``OpinionEvents`` collects what the log says about statements, votes and tallies during the
record audit's one pass over entries; ``audit_opinions`` then compares the platform's rows with
it, as ``heard.record.audit.audit_records`` does for contributions: every statement's words
must open its commitment (unless withdrawn, when words and salt must be gone), its moderation
status must be the one the log's decisions leave, and every vote and tally row must be the
entry it points at, with the current one the latest. Each problem names where it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from heard.record import events
from heard.record.events import EventType

StatementKey = tuple[str, int, int]  # engagement slug, conversation number, statement number


class Report(Protocol):
    problems: list[str]
    records: int


def _key(event: dict) -> StatementKey:
    return (event.get("engagement"), event.get("conversation"), event.get("statement"))


@dataclass
class OpinionEvents:
    """What the log says about statements, votes and tallies, gathered entry by entry."""

    submitted: dict[StatementKey, tuple[int, dict]] = field(default_factory=dict)
    status: dict[StatementKey, tuple[str, str]] = field(default_factory=dict)
    meta: dict[StatementKey, bool] = field(default_factory=dict)
    withdrawn: set[StatementKey] = field(default_factory=set)
    votes: dict[int, tuple[StatementKey, str, int]] = field(default_factory=dict)
    tallies: dict[int, tuple[StatementKey, str, int, int, int]] = field(default_factory=dict)

    def see(self, index: int, event: dict) -> None:
        kind = event.get("type")
        if kind == EventType.VOTE_CAST:
            self.votes[index] = (_key(event), event.get("participant"), event.get("vote"))
        elif kind == EventType.STATEMENT_SUBMITTED:
            key = _key(event)
            self.submitted[key] = (index, event)
            self.status[key] = (event.get("status"), "")
            self.meta[key] = event.get("meta", False)
        elif kind in (EventType.STATEMENT_ACCEPTED, EventType.STATEMENT_REJECTED):
            key = _key(event)
            rejected = kind == EventType.STATEMENT_REJECTED
            # An acceptance may give a reason too, but only a rejection's is shown in place
            # of the words (the row's hidden_reason).
            self.status[key] = (
                ("rejected", event.get("reason", "")) if rejected else ("accepted", "")
            )
            if "meta" in event:
                self.meta[key] = event["meta"]
        elif kind == EventType.STATEMENT_WITHDRAWN:
            self.withdrawn.add(_key(event))
        elif kind == EventType.TALLY_RECORDED:
            self.tallies[index] = (
                _key(event),
                event.get("hui"),
                event.get("agree"),
                event.get("disagree"),
                event.get("pass"),
            )


@dataclass(frozen=True, slots=True)
class StatementRow:
    key: StatementKey
    participant: str | None
    seed: bool
    meta: bool
    language: str
    status: str
    hidden_reason: str
    log_index: int | None
    text: str
    salt: bytes | None
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class VoteRow:
    pk: int
    key: StatementKey
    participant: str
    value: int
    log_index: int | None
    current: bool


@dataclass(frozen=True, slots=True)
class TallyRow:
    pk: int
    key: StatementKey
    hui: str
    counts: tuple[int, int, int]
    log_index: int | None
    current: bool


def _name(key: StatementKey) -> str:
    return f"statement {key[0]}/{key[1]}/{key[2]}"


def audit_opinions(
    log: OpinionEvents,
    statements: Iterable[StatementRow],
    votes: Iterable[VoteRow],
    tallies: Iterable[TallyRow],
    report: Report,
) -> None:
    seen = set()
    for row in statements:
        seen.add(row.key)
        _audit_statement(log, row, report)
    for key, (index, _event) in log.submitted.items():
        if key not in seen:
            report.problems.append(f"entry {index}: {_name(key)} is missing from the platform")
    _audit_entries(
        "vote",
        log.votes,
        ((r.pk, r.log_index, r.current, (r.key, r.participant, r.value)) for r in votes),
        lambda fields: (fields[0], fields[1]),
        report,
    )
    _audit_entries(
        "tally",
        log.tallies,
        ((r.pk, r.log_index, r.current, (r.key, r.hui, *r.counts)) for r in tallies),
        lambda fields: (fields[0], fields[1]),
        report,
    )


def _audit_statement(log: OpinionEvents, row: StatementRow, report: Report) -> None:
    report.records += 1
    where = _name(row.key)
    found = log.submitted.get(row.key)
    if found is None:
        report.problems.append(f"{where}: it has no entry in the record")
        return
    index, event = found
    where = f"{where} (entry {index})"
    if row.log_index != index:
        report.problems.append(f"{where}: it points at entry {row.log_index}")
    for name, value in (
        ("participant", row.participant),
        ("seed", row.seed),
        ("language", row.language),
    ):
        if event.get(name) != value:
            report.problems.append(
                f"{where}: its {name} is {value!r}; the record says {event.get(name)!r}"
            )
    if log.meta.get(row.key, False) != row.meta:
        report.problems.append(f"{where}: its meta mark differs from the record's")
    if row.withdrawn:
        if row.key not in log.withdrawn:
            report.problems.append(f"{where}: it is marked withdrawn without a withdrawal entry")
        if row.text or row.salt:
            report.problems.append(f"{where}: it is withdrawn but its words or salt remain")
    elif row.key in log.withdrawn:
        report.problems.append(
            f"{where}: the record says it was withdrawn, but its words are still here"
        )
    elif not row.salt or not events.commitment_matches(
        event.get("commitment", ""), bytes(row.salt), row.text
    ):
        report.problems.append(
            f"{where}: its words or salt differ from what the record committed to"
        )
    status, reason = log.status.get(row.key, ("", ""))
    if (row.status, row.hidden_reason if row.status == "rejected" else "") != (status, reason):
        report.problems.append(
            f"{where}: it is {row.status}, but the record's decisions leave it {status}"
            + (" (or with another reason)" if row.status == status else "")
        )


def _audit_entries(
    what: str,
    entries: dict[int, tuple[Any, ...]],
    rows: Iterable[tuple[int, int | None, bool, tuple[Any, ...]]],
    series,
    report: Report,
) -> None:
    """Rows of votes or tallies: each must be the entry it points at, and the current row of
    each series (a person's votes on one statement; a hui's tallies of one) its latest entry."""
    pointed = set()
    latest: dict[Any, int] = {}
    current: dict[Any, list[int]] = {}
    for pk, log_index, is_current, fields in rows:
        report.records += 1
        where = f"{what} {pk}"
        if log_index is None or log_index not in entries:
            report.problems.append(f"{where}: it has no {what} entry in the record")
            continue
        pointed.add(log_index)
        if entries[log_index] != fields:
            report.problems.append(
                f"{where} (entry {log_index}): it differs from the record, which says "
                f"{entries[log_index]!r}"
            )
        one = series(fields)
        latest[one] = max(latest.get(one, -1), log_index)
        if is_current:
            current.setdefault(one, []).append(log_index)
    for one, last in latest.items():
        if current.get(one) != [last]:
            report.problems.append(
                f"the current {what} of {_name(one[0])} by {one[1]} is not its latest entry "
                f"({last})"
            )
    for index, fields in entries.items():
        if index not in pointed:
            report.problems.append(
                f"entry {index}: a {what} on {_name(fields[0])} is missing from the platform"
            )
