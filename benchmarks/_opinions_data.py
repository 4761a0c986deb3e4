"""The Pol.is conversations the opinion benchmarks run on, and Pol.is's own answers for them.

Two sources in ``../shared/data`` (never committed; without them the benchmarks skip):

- ``polis/<name>/``: Pol.is openData folders (compdemocracy/openData, CC BY 4.0), read with
  heard's own reader. Pol.is's groups are the ``group-id`` column of participants-votes.csv
  (blank: not in the map). openData has no repness or consensus, so only groups are compared.
- ``polis-math-fixtures/<name>/``: red-dwarf's test fixtures (MPL-2.0 repository; exports of
  public pol.is conversations): ``comments.json``, ``votes.json`` and Pol.is's math output
  ``math-pca2.json``. Pol.is's groups are ``group-clusters`` (whose members are base-cluster
  ids) expanded through ``base-clusters`` (columns id, members, x, y, count) to participants;
  its representative statements ``repness``, its consensus ``consensus`` (agree, disagree);
  ``mod-out`` the statements it left out (meta statements included) and ``meta-tids`` the meta
  statements. Only votes up to ``lastVoteTimestamp`` count (in these files that is all).

Vote signs, checked: in these fixtures ``vote`` is already 1 for agree (each comment's
``agree_count`` equals its number of +1 votes), not the -1 of Pol.is's database; red-dwarf's
loader flips the sign only for data fetched from Pol.is's API. Two key spellings occur
(``participant_id``/``statement_id``/``moderated`` and ``pid``/``tid``/``mod``), and
``modified`` is a number or a string of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from heard.opinions.open_data import (
    PolisComment,
    PolisConversation,
    PolisVote,
    engine_inputs,
    read_conversation,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data"
POLIS = DATA_DIR / "polis"
FIXTURES = DATA_DIR / "polis-math-fixtures"

Consensus = set[tuple[str, int]]  # (direction, comment id)


@dataclass
class Conversation:
    """A conversation with Pol.is's answers for it (``None`` where the source has none)."""

    name: str
    source: Literal["openData", "math fixture"]
    conv: PolisConversation
    moderated_out: list[str]
    meta: list[str]
    polis_groups: dict[str, int]  # participant -> Pol.is's group, only those in its map
    polis_repness: dict[int, set[int]] | None
    polis_consensus: Consensus | None

    @property
    def label(self) -> str:
        return f"{self.name} ({'openData' if self.source == 'openData' else 'fixture'})"


def missing_data() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if not POLIS.is_dir() and not FIXTURES.is_dir():
        return f"{POLIS} and {FIXTURES} are absent (the benchmark data in ../shared/data)"
    return None


def names() -> list[str]:
    """Every conversation there is, openData first, by name."""
    found = []
    for base in (POLIS, FIXTURES):
        if base.is_dir():
            marker = "comments.csv" if base == POLIS else "math-pca2.json"
            found += sorted(p.name for p in base.iterdir() if (p / marker).exists())
    return found


def load(name: str) -> Conversation:
    if (POLIS / name / "comments.csv").exists():
        return load_open_data(POLIS / name)
    if (FIXTURES / name / "math-pca2.json").exists():
        return load_fixture(FIXTURES / name)
    raise LookupError(f"no conversation {name!r} in {POLIS} or {FIXTURES}")


def load_open_data(folder: Path) -> Conversation:
    conv = read_conversation(folder)
    inputs = engine_inputs(conv)
    groups = {p: g for p, g in conv.groups.items() if g is not None}
    return Conversation(
        folder.name, "openData", conv, inputs["moderated_out"], inputs["meta"], groups, None, None
    )


def _pick(row: dict, *keys: str):
    for key in keys:
        if key in row:
            return row[key]
    raise KeyError(f"none of {keys} in {sorted(row)}")


def _ms(value: object) -> int | None:
    """Milliseconds from a number, a string of digits, or an ISO 8601 time."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    if text.replace(".", "", 1).isdigit():
        return int(float(text))
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


def load_fixture(folder: Path) -> Conversation:
    comments_json = json.loads((folder / "comments.json").read_text(encoding="utf-8"))
    votes_json = json.loads((folder / "votes.json").read_text(encoding="utf-8"))
    math = json.loads((folder / "math-pca2.json").read_text(encoding="utf-8"))
    comments = [
        PolisComment(
            id=str(_pick(c, "statement_id", "tid")),
            author=str(_pick(c, "participant_id", "pid")),
            body=c["txt"],
            created_ms=_ms(c.get("created")),
            moderated=int(_pick(c, "moderated", "mod")),
            agrees=int(c.get("agree_count") or 0),
            disagrees=int(c.get("disagree_count") or 0),
            is_meta=bool(c.get("is_meta")),
        )
        for c in comments_json
    ]
    known = {c.id for c in comments}
    last = math.get("lastVoteTimestamp")
    votes = []
    for v in votes_json:
        at = _ms(v["modified"])
        if last is not None and at is not None and at > last:
            continue
        vote = PolisVote(
            statement=str(_pick(v, "statement_id", "tid")),
            voter=str(_pick(v, "participant_id", "pid")),
            value=int(v["vote"]),
            at_ms=at,
        )
        if vote.statement not in known:
            raise ValueError(f"{folder}: a vote on {vote.statement}, not in comments.json")
        votes.append(vote)
    base = math["base-clusters"]
    base_members = dict(zip(base["id"], base["members"], strict=True))
    groups = {
        str(participant): int(group["id"])
        for group in math["group-clusters"]
        for base_id in group["members"]
        for participant in base_members[base_id]
    }
    repness = {int(g): {int(r["tid"]) for r in rows} for g, rows in math["repness"].items()}
    consensus = {
        (direction, int(r["tid"]))
        for direction in ("agree", "disagree")
        for r in math["consensus"].get(direction, [])
    }
    conv = PolisConversation(comments, votes, {}, {}, "votes.csv")
    return Conversation(
        folder.name,
        "math fixture",
        conv,
        [str(t) for t in math.get("mod-out") or []],
        [str(t) for t in math.get("meta-tids") or []],
        groups,
        repness,
        consensus,
    )
