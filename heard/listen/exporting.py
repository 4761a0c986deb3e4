"""Open-data exports of an engagement: one JSON document, and the Pol.is openData layout.

The engagement is first gathered into one *document* of plain dicts and lists (the JSON export,
``collect``). Everything else here is plain Python working on that document: the public-scope
rules, the Pol.is tables and the file writing. So the rules about what may be published are
testable without a database, and the two exports cannot disagree about them.

``collect`` is the only function that reads the database; it imports Django inside itself so
that the rest of this module stays importable without settings.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from heard.listen import vocab

SCHEMA_VERSION = 1

# Column names and order exactly as in Pol.is's openData exports (compdemocracy/openData).
POLIS_COMMENTS_COLUMNS = [
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
]
POLIS_VOTES_COLUMNS = ["timestamp", "datetime", "comment-id", "voter-id", "vote"]
POLIS_PARTICIPANTS_COLUMNS = [
    "participant",
    "group-id",
    "n-comments",
    "n-votes",
    "n-agree",
    "n-disagree",
]  # ...then one column per comment-id, holding that participant's vote on it
POLIS_STATS_COLUMNS = ["n-votes", "n-comments", "n-visitors", "n-voters", "n-commenters"]
POLIS_SUMMARY_KEYS = [
    "topic",
    "url",
    "views",
    "voters",
    "voters-in-conv",
    "commenters",
    "comments",
    "groups",
    "conversation-description",
]
# Not Pol.is: what Pol.is has no column for, keyed by comment-id to join with comments.csv.
HEARD_COMMENTS_COLUMNS = [
    "comment-id",
    "language",
    "channel",
    "question",
    "hui",
    "quote-consent",
    "withheld",
    "hidden-reason",
]
# Pol.is "moderated": 1 accepted by a moderator, 0 not yet moderated, -1 rejected.
POLIS_ACCEPTED, POLIS_REJECTED = 1, -1


_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class ExportError(Exception):
    """The export could not be written; the message says where and why."""


# --- The public scope -------------------------------------------------------------------------


def withheld_reason(contribution: dict) -> str | None:
    """Why the public may not read these words, if they may not (the public record's rules)."""
    return vocab.withheld_reason(
        withdrawn=bool(contribution.get("withdrawn")),
        hidden=contribution["hidden"],
        quote_consent=contribution["quote_consent"],
    )


def public_scope(document: dict) -> dict:
    """The document as anyone may see it: the same rules as the public record page.

    Words hidden by moderation or not for quoting become ``text: null`` (with ``withheld``
    saying why); a pseudonym stays only beside words its owner let us quote with it; speaker
    tags, per-person demographics, hui notes and import provenance go.
    """
    public = copy.deepcopy(document)
    public["scope"] = "public"
    for hui in public["hui"]:
        hui.pop("notes", None)
    public["participants"] = [
        {"public_id": p["public_id"], "hui": p["hui"]} for p in document["participants"]
    ]
    for contribution in public["contributions"]:
        reason = withheld_reason(contribution)
        contribution["withheld"] = reason
        if reason:
            contribution["text"] = None
        if reason or contribution["quote_consent"] != "quote":
            contribution["pseudonym"] = None
        contribution.pop("source", None)
    return public


# --- JSON -------------------------------------------------------------------------------------


def dumps(document: dict) -> str:
    """UTF-8 JSON with macrons and every other character as themselves (not \\u escapes)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_json(document: dict, out: Path | TextIO) -> None:
    """Write the document to a path (atomically: all or nothing) or to an open text stream."""
    text = dumps(document)
    if isinstance(out, Path):
        _write_atomically(out, text)
    else:
        out.write(text)


# --- Pol.is -----------------------------------------------------------------------------------


def polis_datetime(moment: dt.datetime, tz: ZoneInfo) -> str:
    """Pol.is's human-readable column: JavaScript's ``Date.toString`` shape, e.g.
    ``Sat Nov 17 05:09:36 NZDT 2018``, in the engagement's time zone (English names always)."""
    local = moment.astimezone(tz)
    return (
        f"{_DAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} "
        f"{local:%H:%M:%S} {local.tzname()} {local.year}"
    )


def _millis(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


def polis_author_ids(contributions: Iterable[dict]) -> dict[str, int]:
    """A small integer per participant (Pol.is uses integers), in order of first contribution.

    Contributions are never deleted and ids only grow, so re-exporting a growing engagement
    keeps everyone's number.
    """
    ids: dict[str, int] = {}
    for contribution in sorted(contributions, key=lambda c: c["id"]):
        ids.setdefault(contribution["participant"], len(ids))
    return ids


def polis_tables(document: dict, *, tz: ZoneInfo, url: str) -> dict[str, list[list[Any]]]:
    """Each Pol.is file's rows (header first), built from the *public* scope of ``document``.

    Words the public may not read keep their row (they are counted) with an empty body.
    heard has no voting yet: votes.csv is a header, the vote counts are 0, no groups.
    """
    public = public_scope(document)
    contributions = sorted(public["contributions"], key=lambda c: c["id"])
    authors = polis_author_ids(contributions)
    comments = [POLIS_COMMENTS_COLUMNS]
    extra = [HEARD_COMMENTS_COLUMNS]
    stats = [POLIS_STATS_COLUMNS]
    written_by: dict[int, int] = {}
    for n, c in enumerate(contributions, start=1):
        received = dt.datetime.fromisoformat(c["received_at"])
        author = authors[c["participant"]]
        written_by[author] = written_by.get(author, 0) + 1
        moderated = POLIS_REJECTED if c["hidden"] else POLIS_ACCEPTED
        body = c["text"] if c["text"] is not None else ""
        comments.append(
            [
                _millis(received),
                polis_datetime(received, tz),
                c["id"],
                author,
                0,
                0,
                moderated,
                body,
            ]
        )
        extra.append(
            [
                c["id"],
                c["language"],
                c["channel"],
                c["question"] or "",
                c["hui"] or "",
                c["quote_consent"],
                c["withheld"] or "",
                c["hidden_reason"] or "",
            ]
        )
        stats.append([0, n, len(written_by), 0, len(written_by)])
    comment_ids = [c["id"] for c in contributions]
    participants = [POLIS_PARTICIPANTS_COLUMNS + [str(i) for i in comment_ids]]
    for author in sorted(written_by):
        participants.append([author, "", written_by[author], 0, 0, 0] + [""] * len(comment_ids))
    engagement = public["engagement"]
    summary_values = {
        "topic": engagement["title"],
        "url": url,
        "views": "",
        "voters": 0,
        "voters-in-conv": 0,
        "commenters": len(written_by),
        "comments": len(contributions),
        "groups": 0,
        "conversation-description": engagement["purpose"],
    }
    return {
        "comments.csv": comments,
        "votes.csv": [POLIS_VOTES_COLUMNS],
        "participants-votes.csv": participants,
        "stats-history.csv": stats,
        "summary.csv": [[key, summary_values[key]] for key in POLIS_SUMMARY_KEYS],
        "heard-comments.csv": extra,
    }


def csv_text(rows: list[list[Any]]) -> str:
    """CSV as Pol.is writes it: comma-separated, LF line ends, quotes only where needed
    (a field with a comma, quote or line break is quoted; quotes inside are doubled)."""
    from io import StringIO

    buffer = StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue()


def polis_readme(document: dict, tables: dict[str, list[list[Any]]], url: str) -> str:
    engagement = document["engagement"]
    comments = tables["comments.csv"][1:]
    hidden = sum(1 for row in comments if row[6] == POLIS_REJECTED)
    withheld = sum(1 for row in tables["heard-comments.csv"][1:] if row[6])
    return f"""# {engagement["title"]}: open data in the Pol.is layout

Exported by heard from the engagement `{engagement["slug"]}` ({url}).
{len(comments)} contributions from {len(tables["participants-votes.csv"]) - 1} participants;
{hidden} hidden by moderation; {withheld} with their words withheld (hidden, or not for quoting).

## Licence

CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/) unless the engagement says otherwise.
Credit the engagement and the people who took part.

## Files

The first five follow Pol.is's openData exports (github.com/compdemocracy/openData): same
names, same columns in the same order, so tools written for Pol.is data read them.

- `comments.csv`: one row per contribution. `comment-id` is heard's contribution id (the same
  `id` as in the JSON export and the API); `author-id` is a number per participant in this
  export only; `timestamp` is milliseconds since 1970 (UTC) and `datetime` the same moment in
  the engagement's time zone; `comment-body` is the words exactly as given.
  `moderated` is 1 (accepted) or -1 (hidden by moderation).
- `votes.csv`: heard has no voting yet, so only the header.
- `participants-votes.csv`: one row per participant who contributed, with `n-comments`; the
  vote columns (one per comment-id) are empty and `group-id` is empty (no opinion groups).
- `stats-history.csv`: running totals after each contribution, oldest first.
- `summary.csv`: key,value rows without a header. `views` is empty: heard does not count
  page views. `voters` and `groups` are 0.
- `heard-comments.csv` (heard's own, not Pol.is): per `comment-id`, the language tag, the
  channel (online, hui, paper, email, transcript), the question and hui keys, the person's
  quote consent, why the words are withheld if they are, and the moderator's public reason.

## Privacy: what is and is not here

Pseudonymous: no names, pseudonyms, accounts, contact details or demographics. A participant
is only a number.

Some rows have an **empty `comment-body`**, on purpose: the words of a contribution **hidden
by moderation** (`moderated` -1; the public reason is in `heard-comments.csv`) and of one whose
author asked **not to be quoted** (`quote-consent` none, `withheld` not_for_quoting) are not
published. Their rows stay so that counts are true.

## Reading the files

Every cell is exact: words are not trimmed or changed. With pandas, read the text as text so
that a contribution such as "NA" or "null" is not taken for a missing value:

    pandas.read_csv("comments.csv", dtype={{"comment-body": str}}, keep_default_na=False)
    pandas.read_csv("summary.csv", header=None, index_col=0)

Spreadsheet programs may treat a cell starting with = + - or @ as a formula: import as text.
"""


def write_polis(document: dict, out_dir: Path, *, tz: ZoneInfo, url: str) -> list[Path]:
    """Write the Pol.is files and a README (data card) into ``out_dir``; return their paths.

    Each file is written whole or not at all; ``out_dir`` is made if it does not exist.
    """
    tables = polis_tables(document, tz=tz, url=url)
    _make_dir(out_dir)
    written = []
    for name, rows in tables.items():
        path = out_dir / name
        _write_atomically(path, csv_text(rows))
        written.append(path)
    readme = out_dir / "README.md"
    _write_atomically(readme, polis_readme(document, tables, url))
    written.append(readme)
    return written


# --- Files ------------------------------------------------------------------------------------


def _make_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise ExportError(f"{path} exists and is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"Cannot create the directory {path}: {error.strerror}.") from error


def _write_atomically(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: a reader never sees half. Text is
    written as UTF-8, as it is (no newline translation); the file is readable by a web server."""
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name.")
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise ExportError(f"Cannot write to {path.parent}: {error.strerror}.") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"Cannot write {path}: {error.strerror}.") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- Gathering (the one function that reads the database) -------------------------------------


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def collect(engagement, *, generated_at: dt.datetime | None = None) -> dict:
    """The whole engagement as one document, in full (the team's own archive): every
    contribution with its ``id`` and exact ``text``, in id order. No account ids, usernames or
    staff identities, in any scope; demographics only for people who consented to give them."""
    from django.utils import timezone

    import heard
    from heard.engagements.models import Engagement
    from heard.listen.models import Contribution, ModerationDecision, Participant

    engagement = Engagement.objects.prefetch_related(
        "phase_windows", "questions", "audiences", "demographic_fields"
    ).get(pk=engagement.pk)
    hui_rows = engagement.hui.select_related("venue", "audience").order_by("id")
    participants = (
        Participant.objects.filter(engagement=engagement).select_related("hui").order_by("id")
    )
    contributions = (
        Contribution.objects.filter(engagement=engagement)
        .select_related("participant", "participant__hui", "question", "hui")
        .order_by("id")
    )
    decisions = ModerationDecision.objects.filter(contribution__engagement=engagement).order_by(
        "id"
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(generated_at or timezone.now()),
        "generator": f"heard {heard.__version__}",
        "scope": "full",
        "engagement": {
            "slug": engagement.slug,
            "title": engagement.title,
            "title_mi": engagement.title_mi,
            "summary": engagement.summary,
            "purpose": engagement.purpose,
            "purpose_mi": engagement.purpose_mi,
            "url": engagement.get_absolute_url(),
            "current_phase": engagement.current_phase().value,
            "phases": [
                {
                    "phase": row["phase"],
                    "starts_on": _iso(row["starts_on"]),
                    "ends_on": _iso(row["ends_on"]),
                }
                for row in engagement.phase_schedule()
            ],
            "questions": [
                {"key": q.key, "text": q.text, "text_mi": q.text_mi, "order": q.order}
                for q in engagement.questions.all()
            ],
            "audiences": [
                {"key": a.key, "name": a.name, "name_mi": a.name_mi, "order": a.order}
                for a in engagement.audiences.all()
            ],
            "demographic_fields": [
                {
                    "key": f.key,
                    "label": f.label,
                    "label_mi": f.label_mi,
                    "kind": f.kind,
                    "choices": f.choices,
                }
                for f in engagement.demographic_fields.all()
            ],
        },
        "hui": [
            {
                "key": h.key,
                "title": h.title,
                "starts_at": _iso(h.starts_at),
                "ends_at": _iso(h.ends_at),
                "format": h.format,
                "audience": h.audience.key if h.audience_id else None,
                "capacity": h.capacity,
                "attendance": h.attendance,
                "venue": None
                if h.venue is None
                else {
                    "name": h.venue.name,
                    "place": h.venue.place,
                    "region": h.venue.region,
                    "accessibility": h.venue.accessibility,
                    "capacity": h.venue.capacity,
                },
                "notes": h.notes,
            }
            for h in hui_rows
        ],
        "participants": [
            {
                "public_id": p.public_id,
                "pseudonym": p.pseudonym or None,
                "hui": p.hui.key if p.hui_id else None,
                "speaker_tag": p.speaker_tag or None,
                "demographics": p.demographics if p.demographics_consent else None,
            }
            for p in participants
        ],
        "contributions": [
            {
                "id": c.pk,
                "text": None if c.withdrawn_at else c.text,
                "withheld": str(vocab.Withheld.WITHDRAWN) if c.withdrawn_at else None,
                "withdrawn": c.withdrawn_at is not None,
                "language": c.language,
                "channel": c.channel,
                "question": c.question.key if c.question_id else None,
                "hui": c.hui.key if c.hui_id else None,
                "participant": c.participant.public_id,
                "pseudonym": str(c.participant.display_name),
                "quote_consent": c.quote_consent,
                "hidden": c.is_hidden,
                "hidden_reason": c.hidden_reason if c.is_hidden else None,
                "received_at": _iso(c.received_at),
                "said_at": _iso(c.said_at),
                "source": {"import_batch": c.import_batch_id, "line": c.source_line}
                if c.import_batch_id
                else None,
            }
            for c in contributions.iterator(chunk_size=2000)
        ],
        "moderation": [
            {
                "contribution": d.contribution_id,
                "action": d.action,
                "reason": d.reason,
                "at": _iso(d.decided_at),
            }
            for d in decisions
        ],
    }
