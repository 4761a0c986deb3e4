"""What a findings report says, as plain data (no Django import).

``heard.report.gather`` fills these from the database; the one template renders them for the
web and for print. Keeping the content apart from both means the rules (what may be quoted,
what is counted) are decided once, and a test can check the content without parsing HTML.
Nothing here is written by hand: every number and every quote comes from the stored data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Count:
    """One row of a breakdown: a value's label and how many."""

    key: str
    label: str
    contributions: int
    people: int = 0


#: The bar chart's geometry (SVG user units): a row's height, the label column, the longest bar.
CHART_ROW = 24
CHART_LABEL = 150
CHART_BAR = 200


@dataclass(frozen=True)
class Bar:
    """A row of a bar chart: its label, value, and where it is drawn."""

    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class Breakdown:
    """A table of counts (the data) and the chart drawn from it (the same numbers)."""

    key: str
    caption: str
    rows: list[Count]

    @property
    def total(self) -> int:
        return sum(r.contributions for r in self.rows)

    @property
    def bars(self) -> list[Bar]:
        most = max((r.contributions for r in self.rows), default=0) or 1
        return [
            Bar(r.label, r.contributions, n * CHART_ROW, round(CHART_BAR * r.contributions / most))
            for n, r in enumerate(self.rows)
        ]

    @property
    def chart_height(self) -> int:
        return max(1, len(self.rows)) * CHART_ROW

    @property
    def chart_width(self) -> int:
        return CHART_LABEL + CHART_BAR + 60

    @property
    def bar_x(self) -> int:
        return CHART_LABEL


@dataclass(frozen=True)
class Quote:
    """Words someone gave us, exactly as stored (the whole contribution or an exact excerpt).

    ``contribution`` is the contribution's id in the open data (``id`` in the JSON export,
    ``comment-id`` in the Pol.is files), so anyone can check the quote against it.
    """

    contribution: int
    text: str
    language: str
    attribution: str | None  # the pseudonym, only when the person let us quote them with it
    whole: bool  # the whole contribution (else an excerpt)


@dataclass(frozen=True)
class ThemeFinding:
    label: str
    count: int
    keywords: list[str]
    quotes: list[Quote]


@dataclass(frozen=True)
class Themes:
    run_version: int
    finished_at: dt.datetime | None
    provenance: list[tuple[str, str]]  # flattened, in a stable order
    themes: list[ThemeFinding]
    unassigned: int  # contributions that fit no theme
    analysed: int  # contributions the run read


@dataclass(frozen=True)
class StatementQuote:
    """An opinion statement's words, exactly as stored; ``ref`` is ``conversation.number``."""

    ref: str
    text: str
    language: str
    note: str  # e.g. "agreed by 80% of group A who saw it": computed, never free text


@dataclass(frozen=True)
class OpinionGroup:
    letter: str
    size: int
    statements: list[StatementQuote]


@dataclass(frozen=True)
class ConversationFinding:
    number: int
    topic: str
    voters: int
    in_map: int
    computed_at: dt.datetime | None
    groups: list[OpinionGroup]
    common_ground: list[StatementQuote]
    provenance: list[tuple[str, str]]


@dataclass(frozen=True)
class HowWeListened:
    hui_count: int
    places: list[str]
    regions: list[str]
    first_day: dt.date | None
    last_day: dt.date | None
    audiences: list[str]
    channels: list[Count]
    languages: list[Count]
    online_responses: int
    contributions: int
    participants: int
    withdrawn: int
    hidden: int
    not_for_quoting: int


@dataclass(frozen=True)
class RecordProof:
    """The record's latest signed checkpoint and the key that verifies it, printed verbatim."""

    checkpoint: str
    vkey: str
    size: int


@dataclass(frozen=True)
class Edition:
    """Which published version this is: printed in it, so a reader holding the page or the PDF
    knows whether a correction followed (``versions_url`` lists them all)."""

    number: int
    published_at: dt.datetime
    change_note: str  # empty for the first version
    versions_url: str


@dataclass
class Report:
    slug: str
    title: str
    title_mi: str
    purpose: str
    generated_at: dt.datetime
    how: HowWeListened
    who: list[Breakdown]
    themes: Themes | None
    conversations: list[ConversationFinding] = field(default_factory=list)
    record: RecordProof | None = None
    # The team's own words (ReportDraft), printed as plain paragraphs; never a quote.
    introduction: str = ""
    next_steps: str = ""
    left_out: str = ""
    edition: Edition | None = None

    def quotes(self) -> list[Quote]:
        """Every quote of a contribution in the report, in order (the test checks each)."""
        return [q for t in (self.themes.themes if self.themes else []) for q in t.quotes]


def in_order(items: list, key, order: list) -> list:
    """``items`` in the team's ``order`` (a list of keys); those not listed follow in their own
    order. Keys in ``order`` that match nothing (a theme since merged away) are ignored."""
    rank = {k: n for n, k in enumerate(order)}
    listed = sorted((i for i in items if key(i) in rank), key=lambda i: rank[key(i)])
    return listed + [i for i in items if key(i) not in rank]


def flatten(mapping: dict, prefix: str = "") -> list[tuple[str, str]]:
    """A nested provenance dict as (dotted key, value) rows, keys sorted: printable as a table
    and the same on every build."""
    rows: list[tuple[str, str]] = []
    for key in sorted(mapping, key=str):
        value = mapping[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows
