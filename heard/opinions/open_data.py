"""Pol.is openData conversation folders, read and written exactly (no Django import).

A folder in the layout of github.com/compdemocracy/openData holds ``comments.csv`` (one row per
statement), ``votes.csv`` (every vote ever cast, changed votes included, with millisecond
timestamps), ``participants-votes.csv`` (one row per participant: Pol.is's opinion group and
their latest vote on each statement) and ``summary.csv`` (key,value rows). heard reads such a
folder to compare its opinion map with Pol.is's and to bring a conversation into an engagement,
and writes one so that any tool made for Pol.is data reads heard's.

Why strict: a comparison with Pol.is is only worth something when every vote arrived. So
malformed input is refused with the file and line (:class:`OpenDataError`) rather than skipped,
a vote on a statement that ``comments.csv`` does not have is an error, and words are kept
exactly (any Unicode, line breaks inside quoted bodies, leading and trailing spaces).

Conventions, checked against the openData conversations (15-per-hour-seattle, brexit-consensus,
vtaiwan.uberx):

- Votes read 1 agree, -1 disagree, 0 pass (openData's order, not Pol.is's database, where
  agree is -1).
- ``votes.csv`` is the history: a participant who changed their mind has several rows for one
  statement. ``participants-votes.csv`` and the engine keep the latest by timestamp (rows with
  the same timestamp: the later row). ``comments.csv``'s ``agrees``/``disagrees`` count every row
  of the history, not only the latest votes, so they are kept as read, never recomputed.
- Ids (comment-id, author-id, voter-id, participant) are non-negative integers in Pol.is;
  they are kept here as their decimal text (``"7"``) so that heard's own string ids fit the
  same types; a cell that is not an integer is an error.
- Row order carries no meaning in Pol.is's files but is kept (comments and votes in file
  order; participants in the order of ``participants-votes.csv``, which is the order of
  ``groups``), so that writing what was read gives the same files back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from heard.listen.exporting import (
    POLIS_COMMENTS_COLUMNS,
    POLIS_PARTICIPANTS_COLUMNS,
    POLIS_SUMMARY_KEYS,
    POLIS_VOTES_COLUMNS,
    ExportError,
    _make_dir,
    _write_atomically,
    csv_text,
    polis_datetime,
)
from heard.opinions.engine.votes import Vote

COMMENTS, VOTES, PARTICIPANTS, SUMMARY = (
    "comments.csv",
    "votes.csv",
    "participants-votes.csv",
    "summary.csv",
)
VotesSource = Literal["votes.csv", "participants-votes.csv"]

_ID = re.compile(r"[0-9]+\Z")
_INT = re.compile(r"-?[0-9]+\Z")
_VOTE_VALUES = {"1": 1, "-1": -1, "0": 0}
_MODERATED_VALUES = {"1": 1, "0": 0, "-1": -1}


class OpenDataError(Exception):
    """The folder cannot be read (or written) as Pol.is openData. The message names the file
    and, where there is one, the line (1 is the header; a quoted body spanning lines counts
    from its first)."""

    def __init__(self, problem: str, *, path: Path | None = None, line: int | None = None):
        self.problem, self.path, self.line = problem, path, line
        where = "" if path is None else f"{path}" + ("" if line is None else f" line {line}")
        super().__init__(f"{where}: {problem}" if where else problem)


@dataclass(frozen=True, slots=True)
class PolisComment:
    """One row of comments.csv. ``moderated``: 1 accepted, 0 not yet moderated, -1 rejected.
    ``is_meta`` (a statement about the participant, not an opinion) has no openData column: it
    comes from elsewhere (Pol.is's math export, heard's own data) and is not written."""

    id: str
    author: str | None
    body: str
    created_ms: int | None
    moderated: int
    agrees: int
    disagrees: int
    is_meta: bool = False


@dataclass(frozen=True, slots=True)
class PolisVote:
    """One row of votes.csv: ``value`` 1 agree, -1 disagree, 0 pass; ``at_ms`` milliseconds
    since 1970 (None when the votes came from participants-votes.csv, which has no times)."""

    statement: str
    voter: str
    value: int
    at_ms: int | None


@dataclass(slots=True)
class PolisConversation:
    """A whole openData folder. ``votes`` is the history in file order. ``groups`` is Pol.is's
    opinion group per participant of participants-votes.csv (None where the cell is blank:
    not in the map), in that file's row order. ``summary`` holds summary.csv's rows in order."""

    comments: list[PolisComment]
    votes: list[PolisVote]
    groups: dict[str, int | None] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    votes_source: VotesSource = "votes.csv"

    @property
    def has_timestamps(self) -> bool:
        """Whether every vote has a time, so that the history can be replayed."""
        return bool(self.votes) and all(vote.at_ms is not None for vote in self.votes)


# --- Reading ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Table:
    path: Path
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line of the row's first physical line, cells)

    def column(self, name: str) -> int:
        return self.header.index(name)


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise OpenDataError("file not found", path=path) from error
    except IsADirectoryError as error:
        raise OpenDataError("is a directory, not a CSV file", path=path) from error
    except OSError as error:
        raise OpenDataError(f"cannot be read: {error.strerror}", path=path) from error
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark, as spreadsheet programs write
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise OpenDataError(
            f"not UTF-8 (byte {data[error.start]:#04x})", path=path, line=line
        ) from error


def _read_table(path: Path, required: Sequence[str], *, header: bool = True) -> _Table:
    """Every record with the line it starts on. Blank lines are skipped; a record with more or
    fewer cells than the header is an error (no padding, no truncation)."""
    reader = csv.reader(io.StringIO(_decode(path), newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if cells:
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise OpenDataError(f"malformed CSV: {error}", path=path, line=start) from error
    if not header:
        return _Table(path, [], records)
    if not records:
        raise OpenDataError("empty file (no header row)", path=path, line=1)
    (header_line, names), rows = records[0], records[1:]
    for name in names:
        if names.count(name) > 1:
            raise OpenDataError(f"column {name!r} appears twice", path=path, line=header_line)
    for name in required:
        if name not in names:
            raise OpenDataError(f"missing column {name!r}", path=path, line=header_line)
    for line, cells in rows:
        if len(cells) != len(names):
            raise OpenDataError(
                f"{len(cells)} cells where the header has {len(names)}", path=path, line=line
            )
    return _Table(path, names, rows)


def _id(text: str, what: str, path: Path, line: int) -> str:
    if not _ID.match(text):
        raise OpenDataError(f"{what} {text!r} is not a non-negative integer", path=path, line=line)
    return str(int(text))  # "007" and "7" are one id


def _int(text: str, what: str, path: Path, line: int, *, blank_is_none: bool = False) -> int | None:
    if blank_is_none and text == "":
        return None
    if not _INT.match(text):
        raise OpenDataError(f"{what} {text!r} is not an integer", path=path, line=line)
    return int(text)


def _count(text: str, what: str, path: Path, line: int) -> int:
    value = _int(text, what, path, line)
    assert value is not None
    if value < 0:
        raise OpenDataError(f"{what} {text!r} is negative", path=path, line=line)
    return value


def _vote(text: str, path: Path, line: int, where: str = "vote") -> int:
    try:
        return _VOTE_VALUES[text]
    except KeyError:
        raise OpenDataError(
            f"{where} {text!r} is not 1 (agree), -1 (disagree) or 0 (pass)", path=path, line=line
        ) from None


def _read_comments(path: Path) -> list[PolisComment]:
    required = [name for name in POLIS_COMMENTS_COLUMNS if name != "datetime"]
    table = _read_table(path, required)
    at = {name: table.column(name) for name in required}
    comments: list[PolisComment] = []
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        comment_id = _id(cells[at["comment-id"]], "comment-id", path, line)
        if comment_id in seen:
            raise OpenDataError(
                f"comment-id {comment_id} appears twice (first on line {seen[comment_id]})",
                path=path,
                line=line,
            )
        seen[comment_id] = line
        author = cells[at["author-id"]]
        moderated = cells[at["moderated"]]
        if moderated not in _MODERATED_VALUES:
            raise OpenDataError(
                f"moderated {moderated!r} is not 1 (accepted), 0 (unmoderated) or -1 (rejected)",
                path=path,
                line=line,
            )
        comments.append(
            PolisComment(
                id=comment_id,
                author=None if author == "" else _id(author, "author-id", path, line),
                body=cells[at["comment-body"]],
                created_ms=_int(
                    cells[at["timestamp"]], "timestamp", path, line, blank_is_none=True
                ),
                moderated=_MODERATED_VALUES[moderated],
                agrees=_count(cells[at["agrees"]], "agrees", path, line),
                disagrees=_count(cells[at["disagrees"]], "disagrees", path, line),
            )
        )
    return comments


def _read_votes(path: Path, known: set[str]) -> list[PolisVote]:
    required = [name for name in POLIS_VOTES_COLUMNS if name != "datetime"]
    table = _read_table(path, required)
    at = {name: table.column(name) for name in required}
    votes: list[PolisVote] = []
    for line, cells in table.rows:
        statement = _id(cells[at["comment-id"]], "comment-id", path, line)
        if statement not in known:
            raise OpenDataError(
                f"a vote on comment-id {statement}, which is not in {COMMENTS}",
                path=path,
                line=line,
            )
        votes.append(
            PolisVote(
                statement=statement,
                voter=_id(cells[at["voter-id"]], "voter-id", path, line),
                value=_vote(cells[at["vote"]], path, line),
                at_ms=_int(cells[at["timestamp"]], "timestamp", path, line, blank_is_none=True),
            )
        )
    return votes


def _read_participants(
    path: Path, known: set[str]
) -> tuple[dict[str, int | None], list[PolisVote]]:
    """Pol.is's group per participant, and the latest votes the file holds (no times)."""
    table = _read_table(path, ["participant", "group-id"])
    columns: list[tuple[int, str]] = []
    for position, name in enumerate(table.header):
        if name in POLIS_PARTICIPANTS_COLUMNS:
            continue
        statement = _id(name, "column (a comment-id)", path, 1)
        if statement not in known:
            raise OpenDataError(
                f"a vote column for comment-id {statement}, which is not in {COMMENTS}",
                path=path,
                line=1,
            )
        columns.append((position, statement))
    who, group_at = table.column("participant"), table.column("group-id")
    groups: dict[str, int | None] = {}
    votes: list[PolisVote] = []
    for line, cells in table.rows:
        participant = _id(cells[who], "participant", path, line)
        if participant in groups:
            raise OpenDataError(f"participant {participant} appears twice", path=path, line=line)
        groups[participant] = _int(cells[group_at], "group-id", path, line, blank_is_none=True)
        for position, statement in columns:
            cell = cells[position]
            if cell != "":
                value = _vote(cell, path, line, where=f"vote on comment-id {statement}")
                votes.append(PolisVote(statement, participant, value, None))
    return groups, votes


def _read_summary(path: Path) -> dict[str, str]:
    table = _read_table(path, [], header=False)
    summary: dict[str, str] = {}
    for line, cells in table.rows:
        if len(cells) != 2:
            raise OpenDataError(
                f"{len(cells)} cells where a summary row has 2 (key,value)", path=path, line=line
            )
        key, value = cells
        if key in summary:
            raise OpenDataError(f"key {key!r} appears twice", path=path, line=line)
        summary[key] = value
    return summary


def read_conversation(folder: Path) -> PolisConversation:
    """Read an openData folder: comments.csv, and votes.csv or, without it, the vote columns
    of participants-votes.csv. participants-votes.csv (groups) and summary.csv are optional.

    Raises :class:`OpenDataError` naming the file and line of the first problem."""
    folder = Path(folder)
    if not folder.exists():
        raise OpenDataError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise OpenDataError(f"not a folder: {folder}")
    comments = _read_comments(folder / COMMENTS)
    known = {comment.id for comment in comments}
    groups: dict[str, int | None] = {}
    table_votes: list[PolisVote] = []
    if (folder / PARTICIPANTS).exists():
        groups, table_votes = _read_participants(folder / PARTICIPANTS, known)
    if (folder / VOTES).exists():
        votes, source = _read_votes(folder / VOTES, known), VOTES
    elif (folder / PARTICIPANTS).exists():
        votes, source = table_votes, PARTICIPANTS
    else:
        raise OpenDataError(f"neither {VOTES} nor {PARTICIPANTS} is here", path=folder)
    summary = _read_summary(folder / SUMMARY) if (folder / SUMMARY).exists() else {}
    return PolisConversation(comments, votes, groups, summary, source)


# --- Votes for the engine ---------------------------------------------------------------------


def _engine_vote(vote: PolisVote) -> Vote:
    at = 0.0 if vote.at_ms is None else vote.at_ms / 1000
    return Vote(vote.voter, vote.statement, vote.value, at=at)


def _latest(votes: Sequence[PolisVote]) -> list[tuple[tuple[float, int], PolisVote]]:
    """The latest vote per (voter, statement) with its order key (time, then file order),
    sorted by that key. A vote without a time counts as older than any with one."""
    best: dict[tuple[str, str], tuple[tuple[float, int], PolisVote]] = {}
    for index, vote in enumerate(votes):
        key = (float("-inf") if vote.at_ms is None else float(vote.at_ms), index)
        pair = (vote.voter, vote.statement)
        if pair not in best or key > best[pair][0]:
            best[pair] = (key, vote)
    return sorted(best.values(), key=lambda item: item[0])


def latest_votes(conv: PolisConversation) -> list[Vote]:
    """Each participant's latest vote on each statement (by timestamp, then file order), as
    engine votes, oldest first (same order rule), ``at`` in seconds."""
    return [_engine_vote(vote) for _, vote in _latest(conv.votes)]


def vote_history(conv: PolisConversation) -> list[Vote]:
    """Every vote as read, in file order, as engine votes: what replaying needs, since a
    changed vote counted in the map until it was changed."""
    return [_engine_vote(vote) for vote in conv.votes]


def _id_order(ids: Iterable[str]) -> list[str]:
    """Numeric order for integer ids (Pol.is's), text order after them for any others."""
    return sorted(ids, key=lambda i: (0, int(i), "") if _ID.match(i) else (1, 0, i))


def engine_inputs(conv: PolisConversation) -> dict:
    """What the engine needs besides the votes: the statements (every comment, in id order;
    the engine, like Pol.is, gives a statement a column only with its first vote), those
    moderated out (``moderated``
    -1; 0, not yet moderated, stays in as Pol.is keeps it outside strict moderation) and the
    meta statements."""
    return {
        "statements": _id_order(comment.id for comment in conv.comments),
        "moderated_out": [c.id for c in conv.comments if c.moderated == -1],
        "meta": [c.id for c in conv.comments if c.is_meta],
    }


# --- Writing ----------------------------------------------------------------------------------


def _moment(ms: int | None, tz: ZoneInfo) -> tuple[int | str, str]:
    if ms is None:
        return "", ""
    moment = dt.datetime.fromtimestamp(ms // 1000, tz=dt.UTC)
    return ms, polis_datetime(moment, tz)


def _blank(value: object | None) -> object:
    return "" if value is None else value


def polis_rows(conv: PolisConversation, *, tz: ZoneInfo) -> dict[str, list[list[object]]]:
    """Each file's rows, header first, in Pol.is's column layout and value formats.

    participants-votes.csv has a row for everyone in ``groups`` (in its order), then for every
    other voter or author (in id order); its vote columns are every comment id in id order,
    holding the participant's latest vote or nothing."""
    known = {comment.id for comment in conv.comments}
    for vote in conv.votes:
        if vote.statement not in known:
            raise OpenDataError(f"a vote by {vote.voter} on {vote.statement}, not a comment")
    comments: list[list[object]] = [list(POLIS_COMMENTS_COLUMNS)]
    for c in conv.comments:
        comments.append(
            [
                *_moment(c.created_ms, tz),
                c.id,
                _blank(c.author),
                c.agrees,
                c.disagrees,
                c.moderated,
                c.body,
            ]
        )
    votes: list[list[object]] = [list(POLIS_VOTES_COLUMNS)]
    for v in conv.votes:
        votes.append([*_moment(v.at_ms, tz), v.statement, v.voter, v.value])

    statement_ids = _id_order(known)
    latest: dict[str, dict[str, int]] = {}
    for _, vote in _latest(conv.votes):
        latest.setdefault(vote.voter, {})[vote.statement] = vote.value
    written: dict[str, int] = {}
    for c in conv.comments:
        if c.author is not None:
            written[c.author] = written.get(c.author, 0) + 1
    others = (set(latest) | set(written)) - set(conv.groups)
    participants: list[list[object]] = [list(POLIS_PARTICIPANTS_COLUMNS) + statement_ids]
    for participant in [*conv.groups, *_id_order(others)]:
        mine = latest.get(participant, {})
        values = list(mine.values())
        participants.append(
            [
                participant,
                _blank(conv.groups.get(participant)),
                written.get(participant, 0),
                len(values),
                values.count(1),
                values.count(-1),
                *(_blank(mine.get(statement)) for statement in statement_ids),
            ]
        )

    group_ids = {g for g in conv.groups.values() if g is not None}
    defaults: dict[str, object] = {
        "topic": "",
        "url": "",
        "views": "",
        "voters": len(latest),
        "voters-in-conv": sum(1 for g in conv.groups.values() if g is not None),
        "commenters": len(written),
        "comments": len(conv.comments),
        "groups": len(group_ids),
        "conversation-description": "",
    }
    keys = [*conv.summary, *(key for key in POLIS_SUMMARY_KEYS if key not in conv.summary)]
    summary = [[key, conv.summary.get(key, defaults.get(key, ""))] for key in keys]
    return {
        COMMENTS: comments,
        VOTES: votes,
        PARTICIPANTS: participants,
        SUMMARY: summary,
    }


def zip_conversation(conv: PolisConversation, *, tz: ZoneInfo, folder_name: str) -> bytes:
    """The same four files as :func:`write_conversation`, in a zip under ``folder_name/``
    (the download the site offers)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in polis_rows(conv, tz=tz).items():
            archive.writestr(f"{folder_name}/{name}", csv_text(rows).encode("utf-8"))
    return buffer.getvalue()


def write_conversation(conv: PolisConversation, folder: Path, *, tz: ZoneInfo) -> list[Path]:
    """Write comments.csv, votes.csv, participants-votes.csv and summary.csv into ``folder``
    (made if missing), each whole or not at all; the human ``datetime`` column in ``tz``.
    summary.csv keeps ``conv.summary``'s rows and adds Pol.is's keys it lacks, counted from
    the conversation (``voters-in-conv``: participants with a group)."""
    folder = Path(folder)
    tables = polis_rows(conv, tz=tz)
    try:
        _make_dir(folder)
        written = []
        for name, rows in tables.items():
            _write_atomically(folder / name, csv_text(rows))
            written.append(folder / name)
    except ExportError as error:
        raise OpenDataError(str(error), path=folder) from error
    return written
