"""The open-data bundle beside a built report (``DIR/data/``), in public scope only.

Issue 6 asks for CSV and JSON of contributions, themes and votes, with a data card and the
licence, that any web host serves and that opens from disk. What may be published is decided
by the code the other public outputs use, never again here: ``exporting.public_scope`` for
contributions (hidden, not-for-quoting and withdrawn words withheld), ``gather.quote_of`` for
key quotes (the same check the report makes before it prints one) and the opinions export's
public scope for statements and votes. So the data and the report cannot disagree about what
the public may read, and every quote in the report can be found, exactly, in the data.

    data/index.html              a page listing every file, with links (works from disk)
    data/README.md               the data card: files, fields, counts, what is left out and why
    data/LICENSE                 CC BY 4.0, with the attribution to give
    data/contributions.csv|json  every contribution, words only where the public may read them
    data/themes.csv|json         the latest finished theme run's standing themes
    data/theme-members.csv       which theme each analysed contribution sits in
    data/theme-quotes.csv        each key quote as a span (contribution id, start, length)
    data/engagement.json         the whole engagement in public scope (``heard export json``)
    data/polis/                  the contributions in Pol.is's openData layout, with its card
    data/opinions-N/             each conversation's statements and votes (Pol.is layout), and
                                 conversation.json (the same in JSON)
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from heard.engagements.models import Engagement
from heard.listen import exporting
from heard.listen.vocab import Withheld
from heard.opinions import exchange
from heard.opinions.open_data import OpenDataError, PolisConversation, write_conversation
from heard.record import keys
from heard.report import gather
from heard.sense import queries as sense_queries
from heard.sense.models import KeyQuote, ThemeMembership

LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# The public contribution's fields, in this order, for both files. The pseudonym is left out:
# the report prints it beside a quote when its owner allowed, and no row needs it.
CONTRIBUTION_FIELDS = [
    "id",
    "participant",
    "text",
    "withheld",
    "hidden_reason",
    "language",
    "channel",
    "question",
    "hui",
    "quote_consent",
    "received_at",
    "said_at",
]
THEMES_COLUMNS = ["theme-id", "order", "label", "size", "keywords", "key-quotes"]
MEMBERS_COLUMNS = ["contribution-id", "theme-id"]
QUOTES_COLUMNS = ["theme-id", "contribution-id", "start", "length"]


class BundleError(Exception):
    """The bundle could not be written; the message says where and why."""


@dataclass
class Written:
    """What went into ``data/``: the files, and the numbers the data card reports."""

    files: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    conversations: list[dict] = field(default_factory=list)


# --- Contributions ------------------------------------------------------------------------------


def contribution_rows(public: dict) -> list[dict]:
    """The public document's contributions, each with only ``CONTRIBUTION_FIELDS``."""
    return [{key: c.get(key) for key in CONTRIBUTION_FIELDS} for c in public["contributions"]]


def _csv_value(value: object) -> object:
    return "" if value is None else value


def _csv(columns: list[str], rows: list[list[object]]) -> str:
    return exporting.csv_text([columns] + [[_csv_value(v) for v in row] for row in rows])


# --- Themes -------------------------------------------------------------------------------------


def themes_document(engagement: Engagement) -> dict:
    """The latest finished theme run's standing themes, with their members and key quotes.

    Members are every analysed contribution not withdrawn since (a withdrawn person's words
    leave the themes too; hidden and not-for-quoting words stay: they are counted, never
    quoted). A key quote is listed only when the report would print it (``gather.quote_of``).
    """
    run = sense_queries.latest_done_run(engagement)
    if run is None:
        return {"run": None, "themes": [], "unassigned": []}
    standing = list(sense_queries.standing_themes(run))
    members: dict[int | None, list[int]] = {}
    for theme_id, contribution_id in (
        ThemeMembership.objects.filter(run=run)
        .filter(Q(theme__isnull=True) | Q(theme__merged_into__isnull=True))
        .exclude(contribution__withdrawn_at__isnull=False)
        .order_by("contribution_id")
        .values_list("theme_id", "contribution_id")
    ):
        members.setdefault(theme_id, []).append(contribution_id)
    quotes: dict[int, list[dict]] = {}
    for kq in (
        KeyQuote.objects.filter(theme__in=standing)
        .select_related("contribution", "contribution__participant")
        .order_by("theme_id", "position", "id")
    ):
        if gather.quote_of(kq.contribution, kq.start, kq.length) is not None:
            quotes.setdefault(kq.theme_id, []).append(
                {"contribution": kq.contribution_id, "start": kq.start, "length": kq.length}
            )
    return {
        "run": {
            "version": run.version,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "provenance": run.provenance or {},
        },
        "themes": [
            {
                "id": t.pk,
                "order": n,
                "label": t.label,
                "size": len(members.get(t.pk, [])),
                "keywords": list(t.keywords or []),
                "members": members.get(t.pk, []),
                "key_quotes": quotes.get(t.pk, []),
            }
            for n, t in enumerate(standing, start=1)
        ],
        "unassigned": members.get(None, []),
    }


def themes_tables(themes: dict) -> dict[str, str]:
    """themes.csv, theme-members.csv and theme-quotes.csv from the themes document."""
    theme_rows, member_rows, quote_rows = [], [], []
    for t in themes["themes"]:
        keywords = "; ".join(t["keywords"])
        theme_rows.append(
            [t["id"], t["order"], t["label"], t["size"], keywords, len(t["key_quotes"])]
        )
        member_rows += [[c, t["id"]] for c in t["members"]]
        quote_rows += [
            [t["id"], q["contribution"], q["start"], q["length"]] for q in t["key_quotes"]
        ]
    member_rows += [[c, None] for c in themes["unassigned"]]
    member_rows.sort(key=lambda row: row[0])
    return {
        "themes.csv": _csv(THEMES_COLUMNS, theme_rows),
        "theme-members.csv": _csv(MEMBERS_COLUMNS, member_rows),
        "theme-quotes.csv": _csv(QUOTES_COLUMNS, quote_rows),
    }


# --- Votes --------------------------------------------------------------------------------------


def conversation_document(number: int, topic: str, conv: PolisConversation) -> dict:
    """A conversation's public openData as one JSON document (the same rows as its CSVs)."""
    return {
        "conversation": number,
        "topic": topic,
        "statements": [
            {
                "id": c.id,
                "author": c.author,
                "text": c.body or None,
                "moderated": c.moderated,
                "agrees": c.agrees,
                "disagrees": c.disagrees,
                "created_ms": c.created_ms,
            }
            for c in conv.comments
        ],
        "votes": [
            {"statement": v.statement, "voter": v.voter, "vote": v.value, "at_ms": v.at_ms}
            for v in conv.votes
        ],
        "groups": conv.groups,
        "summary": conv.summary,
    }


# --- Writing ------------------------------------------------------------------------------------


def write_file(path: Path, data: str | bytes) -> None:
    """Whole or not at all (``exporting._write_atomically``): a web host never serves half a
    file. Readable by the web server; text is written as UTF-8."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BundleError(f"Cannot write to {path.parent}: {error.strerror or error}.") from error
    try:
        exporting._write_atomically(path, data)
    except exporting.ExportError as error:
        raise BundleError(str(error)) from error


def _text(path: Path, text: str, written: Written) -> None:
    write_file(path, text)
    written.files.append(path)


def write(engagement: Engagement, data: Path) -> Written:
    """Write the whole bundle into ``data`` (made if missing); each file whole or not at all."""
    tz = ZoneInfo(settings.TIME_ZONE)
    base = getattr(settings, "HEARD_BASE_URL", "").rstrip("/")
    url = base + engagement.get_absolute_url()
    written = Written()
    try:
        document = exporting.collect(engagement)
        public = exporting.public_scope(document)
        written.files += exporting.write_polis(document, data / "polis", tz=tz, url=url)
        exporting.write_json(public, data / "engagement.json")
    except exporting.ExportError as error:
        raise BundleError(str(error)) from error
    written.files.append(data / "engagement.json")

    rows = contribution_rows(public)
    _text(
        data / "contributions.json",
        exporting.dumps(
            {
                "engagement": engagement.slug,
                "generated_at": public["generated_at"],
                "licence": LICENCE_URL,
                "contributions": rows,
            }
        ),
        written,
    )
    _text(
        data / "contributions.csv",
        _csv(CONTRIBUTION_FIELDS, [[r[k] for k in CONTRIBUTION_FIELDS] for r in rows]),
        written,
    )
    themes = themes_document(engagement)
    _text(data / "themes.json", exporting.dumps(themes), written)
    for name, text in themes_tables(themes).items():
        _text(data / name, text, written)

    for conversation in engagement.conversations.order_by("number"):
        folder = data / f"opinions-{conversation.number}"
        conv = exchange.export_conversation(conversation, scope="public")
        try:
            written.files += write_conversation(conv, folder, tz=tz)
        except OpenDataError as error:
            raise BundleError(str(error)) from error
        doc = conversation_document(conversation.number, conversation.topic, conv)
        _text(folder / "conversation.json", exporting.dumps(doc), written)
        written.conversations.append(
            {
                "number": conversation.number,
                "topic": conversation.topic,
                "statements": len(conv.comments),
                "withheld": sum(1 for c in conv.comments if not c.body),
                "votes": len(conv.votes),
                "voters": len({v.voter for v in conv.votes}),
            }
        )

    withheld = [r["withheld"] for r in rows]
    written.counts = {
        "contributions": len(rows),
        "published": withheld.count(None),
        "hidden": withheld.count(Withheld.HIDDEN),
        "not_for_quoting": withheld.count(Withheld.NOT_FOR_QUOTING),
        "withdrawn": withheld.count(Withheld.WITHDRAWN),
        "people": len({r["participant"] for r in rows if r["withheld"] != Withheld.WITHDRAWN}),
        "themes": len(themes["themes"]),
        "unassigned": len(themes["unassigned"]),
        "key_quotes": sum(len(t["key_quotes"]) for t in themes["themes"]),
        "run": themes["run"]["version"] if themes["run"] else 0,
    }
    meta = public["engagement"]
    _text(data / "LICENSE", licence(meta["title"], meta["slug"], url), written)
    _text(data / "README.md", data_card(meta["title"], meta["slug"], url, written), written)
    _text(data / "index.html", listing(meta["title"], data, written.files), written)
    return written


# --- The data card, the licence and the listing -------------------------------------------------


def licence(title: str, slug: str, url: str) -> str:
    where = f", {url}" if url.startswith("http") else ""
    return f"""The open data of “{title}” (engagement `{slug}`{where})

Licence: {LICENCE_NAME}
{LICENCE_URL}
The licence's legal code: {LICENCE_URL}legalcode

You may copy, share and adapt this data, for any purpose, even commercially, provided you
give appropriate credit, link to the licence, and say whether you made changes. You may not
suggest that the engagement's team or the people who took part endorse you or your use.

Give credit as:

    “{title}”, open data of the engagement {slug}, by the people who took part and the
    engagement's team; {LICENCE_NAME}.

The words in it are the participants' own, published with their consent, exactly as given.
Please quote them exactly, and never try to find out who a participant is.
"""


def data_card(title: str, slug: str, url: str, written: Written) -> str:
    n = written.counts
    conversations = (
        "\n".join(
            f"- `opinions-{c['number']}/`: “{c['topic']}”: {c['statements']} statements "
            f"({c['withheld']} with their words withheld), {c['votes']} votes from {c['voters']} "
            "people."
            for c in written.conversations
        )
        or "- No conversation."
    )
    run = (
        f"Theme analysis run {n['run']} found {n['themes']} themes, with {n['key_quotes']} key "
        f"quotes; {n['unassigned']} contributions fit no theme."
        if n["run"]
        else "No theme analysis has finished yet, so the theme files are empty."
    )
    counted = n["contributions"] - n["withdrawn"]
    return f"""# Open data: {title}

The data behind the findings report “What you told us” of the engagement `{slug}` ({url}),
built by heard. {n["contributions"]} contributions: {n["published"]} with their words
published, {n["hidden"]} hidden by moderation, {n["not_for_quoting"]} not for quoting and
{n["withdrawn"]} withdrawn. The report counts {counted} (all but the withdrawn), from
{n["people"]} people. {run}

Licence: CC BY 4.0 (see `LICENSE`). Credit the engagement and the people who took part.

## Files

All text is UTF-8 (macrons and every other character as themselves). CSV files are
comma-separated with a header row, quoted only where needed; an empty cell is no value.

- `contributions.csv`, `contributions.json`: one row per contribution, in id order.
  - `id`: the contribution's id. The report marks each quote with it
    (`<blockquote data-contribution="ID">`) and prints it under the quote ("contribution ID").
  - `participant`: a pseudonymous id per person (`p-…`), as in `engagement.json`.
  - `text`: the words exactly as given, or empty when `withheld` says why they are not here.
  - `withheld`: empty, `hidden`, `not_for_quoting` or `withdrawn` (see below).
  - `hidden_reason`: the moderators' public reason, for hidden words.
  - `language`: a BCP 47 tag (`en`, `mi`, `zh`, …). `channel`: online, hui, paper, email,
    transcript. `question`, `hui`: the keys of the question answered and the hui it was said
    at (described in `engagement.json`).
  - `quote_consent`: `quote` (may be quoted, with the person's chosen pseudonym), `anonymous`
    (may be quoted without a name) or `none` (counted, never quoted).
  - `received_at`, `said_at`: ISO 8601 times (when heard received it; when it was said, for
    hui notes).
- `themes.json`: the theme analysis (`run`: its version, when it finished, and its provenance:
  the engine, model and settings that let anyone rerun it) and each standing theme: `id`,
  `order`, `label`, `size` (members), `keywords`, `members` (contribution ids) and
  `key_quotes` (each a `contribution` id with `start` and `length`); `unassigned` lists the
  contributions that fit no theme.
- `themes.csv`: one row per theme: `theme-id`, `order`, `label`, `size`, `keywords` (joined
  with "; ") and how many `key-quotes`.
- `theme-members.csv`: `contribution-id`, `theme-id` (empty: fits no theme), for every
  contribution the analysis read.
- `theme-quotes.csv`: `theme-id`, `contribution-id`, `start`, `length`: the key quote is the
  contribution's `text` from `start`, `length` characters long. Both count Unicode code points
  (Python's `text[start:start + length]`; in JavaScript, `Array.from(text)`, not UTF-16 units).
- `engagement.json`: the whole engagement in public scope, as `heard export json --scope
  public` writes it: questions, audiences, hui (no notes), participants (only their ids),
  contributions and the moderation decisions with their public reasons. Beside words whose
  author let us quote them with a name (`quote_consent` `quote`), its `pseudonym` is the name
  the public record page shows: their chosen pseudonym, or for hui notes the hui and the
  facilitator's speaker tag (such as "Hui 3: A").
- `polis/`: the contributions in Pol.is's openData layout, with its own data card
  (`polis/README.md`).
{conversations}
  Each `opinions-N/` holds that conversation in Pol.is's openData layout: `comments.csv` (the
  statements; `comment-body` empty where the public may not read it), `votes.csv` (every vote
  in order: 1 agree, -1 disagree, 0 pass; `voter-id` a number per voter in this conversation
  only), `participants-votes.csv` (each voter's latest votes and opinion group) and
  `summary.csv`; and `conversation.json`, the same statements, votes, groups and summary in
  JSON. The report cites a statement as `data-statement="N.ID"`: conversation N, `comment-id`
  ID.
- `LICENSE`, `README.md` (this card) and `index.html` (a list of the files).

## What is left out, and why

- **Hidden** (`withheld` = `hidden`): words moderators hid, with a public reason
  (`hidden_reason`). Counted, never published or quoted.
- **Not for quoting** (`withheld` = `not_for_quoting`): the person asked to be counted and not
  quoted. Their words are not published.
- **Withdrawn** (`withheld` = `withdrawn`): the person withdrew their words; they are gone
  everywhere. The row stays with no words, so that ids do not shift; the report does not count
  it, and it is in no theme here.
- No names, accounts, contact details, per-person demographics, hui notes or import details.
  `contributions.csv` and `contributions.json` carry no pseudonym at all; `engagement.json`
  only the ones described above.

The rows of hidden and not-for-quoting contributions stay, with their language, channel and
theme, so that every count in the report can be checked.

## Checking a quote in the report

Each quote in `../index.html` is `<blockquote data-contribution="ID">` (and "contribution ID"
is printed under it). Find the row with that `id` in `contributions.csv`: the quote is its
`text` exactly, or an exact part of it (for a key quote, the span in `theme-quotes.csv`).
Nothing in a quote is retyped, trimmed or corrected. A statement, `data-statement="N.ID"`, is
the `comment-body` of `comment-id` ID in `opinions-N/comments.csv`.

## Checking the record

Contributions, withdrawals, moderation decisions, theme edits, statements and votes are
entries in the site's append-only, signed record. `../record/` holds it as C2SP tlog-tiles
with its signed `checkpoint`; the report prints the checkpoint it was built from and the
verifier key:

    {keys.vkey()}

Check the whole record, offline, with heard:

    heard record verify record/ --vkey "THE KEY ABOVE"

It checks the checkpoint's signature, rebuilds the tree from every entry, and names any
problem. `record/checkpoint` may be later than the one printed in the report (the record only
grows); anyone can check that it extends it (`heard record consistency`). Any C2SP
tlog-tiles client can read the tiles too.

## Reading the files

With pandas, read text as text so that words such as "NA" stay words:

    pandas.read_csv("contributions.csv", dtype=str, keep_default_na=False)

Spreadsheet programs may treat a cell starting with = + - or @ as a formula: import as text.
"""


DESCRIPTIONS = {
    "README.md": "The data card: what each file holds, the counts, and what is left out and why",
    "LICENSE": "The licence (CC BY 4.0) and the credit to give",
    "contributions.csv": "Every contribution, words only where the public may read them",
    "contributions.json": "The same contributions, in JSON",
    "themes.json": "The themes: labels, sizes, key phrases, members and key quotes",
    "themes.csv": "One row per theme",
    "theme-members.csv": "Which theme each contribution sits in",
    "theme-quotes.csv": "Each key quote: contribution id, start and length",
    "engagement.json": "The whole engagement in public scope",
    "comments.csv": "Pol.is layout: one row per contribution or statement",
    "votes.csv": "Pol.is layout: every vote, in order",
    "participants-votes.csv": "Pol.is layout: each voter's latest votes and group",
    "summary.csv": "Pol.is layout: the summary",
    "stats-history.csv": "Pol.is layout: running totals",
    "heard-comments.csv": "heard's columns for each contribution (language, channel, consent)",
    "conversation.json": "The conversation's statements, votes and groups, in JSON",
}


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"


def listing(title: str, data: Path, files: list[Path]) -> str:
    """``data/index.html``: every file with a relative link, so the list works from disk (a
    browser shows a folder, not its ``index.html``) and on any host; no script, no styles
    from elsewhere."""
    paths = sorted({p.relative_to(data).as_posix() for p in files} | {"index.html"})
    items = []
    for rel in paths:
        if rel == "index.html":
            continue
        name = rel.rsplit("/", 1)[-1]
        size = (data / rel).stat().st_size
        items.append(
            f'<li><a href="{html.escape(rel)}">{html.escape(rel)}</a> '
            f"<span>({_size(size)})</span>: {html.escape(DESCRIPTIONS.get(name, ''))}</li>"
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open data: {html.escape(title)}</title>
<style>
body {{ margin: 0; font-family: system-ui, "DejaVu Sans", sans-serif; line-height: 1.5;
  color: #1b1b1b; }}
main {{ max-width: 46rem; margin: 0 auto; padding: 1rem; }}
a {{ color: #0b5394; overflow-wrap: anywhere; }}
li {{ margin: 0.25rem 0; }}
li span {{ color: #555; }}
</style>
</head>
<body>
<main>
<h1>Open data: {html.escape(title)}</h1>
<p>The data behind <a href="../index.html">the report</a>, in public scope: no names, and no
words the public may not read. Start with <a href="README.md">the data card</a>; the licence is
<a href="LICENSE">CC BY 4.0</a>.</p>
<ul>
{chr(10).join(items)}
</ul>
</main>
</body>
</html>
"""
