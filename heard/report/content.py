"""What a findings report says, as plain data (no Django import).

``heard.report.gather`` fills these from the database; the one template renders them for the
web and for print. Keeping the content apart from both means the rules (what may be quoted,
what is counted) are decided once, and a test can check the content without parsing HTML.
Nothing here is written by hand: every number and every quote comes from the stored data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from heard.report.population import UNDER


@dataclass(frozen=True)
class Count:
    """One row of a breakdown: a value's label and how many.

    ``suppressed``: fewer people than ``SMALL_CELL`` gave this self-described answer, so the
    counts are not printed (a rare answer could point to a person). When the team entered
    population shares, ``heard_percent`` is this group's share of the people heard in the
    groups the population covers, beside ``population_percent``; ``flag`` says when the group
    was under-represented ("under") or not heard at all ("not_heard")."""

    key: str
    label: str
    contributions: int
    people: int = 0
    suppressed: bool = False
    heard_percent: float | None = None
    population_percent: float | None = None
    ratio: float | None = None
    flag: str = ""


#: Self-described answers given by fewer people than this are counted but not printed.
SMALL_CELL = 3


#: Scripts whose letters join or reorder (Arabic, Hebrew, the Indic scripts, Thai, Khmer...).
#: WeasyPrint draws SVG text letter by letter, unshaped, so a chart label in one of them would
#: print broken; the chart shows the group's key instead, and its table beside it the name.
SHAPED_SCRIPTS = re.compile(r"[\u0590-\u08ff\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def chart_label(label: str, key: str) -> str:
    return key if SHAPED_SCRIPTS.search(label) and key else label


#: The bar chart's geometry (SVG user units): a row's height, the label column, the longest bar.
CHART_ROW = 24
CHART_LABEL = 150
CHART_BAR = 200


@dataclass(frozen=True)
class Bar:
    """A row of a bar chart: its label, the value printed at the bar's end, where it is drawn,
    and (when population shares were entered) where the population's share is marked."""

    label: str
    value: str
    y: int
    width: int
    marker: int | None = None

    @property
    def text_x(self) -> int:
        """Where the value is printed: past the bar and past the population mark, so the mark
        never strikes through the number."""
        return CHART_LABEL + max(self.width, (self.marker or 0) + 2) + 6


@dataclass(frozen=True)
class Breakdown:
    """A table of counts (the data) and the chart drawn from it (the same numbers).

    ``measure`` is what the bars show: contributions, or people (for self-described answers);
    when population shares were entered (``source`` names where they come from) the bars show
    each group's share of the people heard, with the population's share marked on each."""

    key: str
    caption: str
    rows: list[Count]
    measure: str = "contributions"
    source: str = ""
    name: str = ""  # short: what the groups are ("Language", "Age"), for sentences

    @property
    def compared(self) -> bool:
        return any(r.population_percent is not None for r in self.rows)

    @property
    def flagged(self) -> list[Count]:
        return [r for r in self.rows if r.flag]

    def _value(self, row: Count) -> float:
        if row.suppressed:
            return 0
        if self.compared:
            return row.heard_percent or 0
        return row.people if self.measure == "people" else row.contributions

    @property
    def bars(self) -> list[Bar]:
        values = [self._value(r) for r in self.rows]
        scale = max(values + [r.population_percent or 0 for r in self.rows], default=0) or 1
        bars = []
        for n, (row, value) in enumerate(zip(self.rows, values, strict=True)):
            if row.suppressed:
                shown = f"<{SMALL_CELL}"
            elif self.compared:
                shown = f"{value:g}%"
            else:
                shown = str(value)
            marker = (
                round(CHART_BAR * row.population_percent / scale)
                if row.population_percent is not None
                else None
            )
            bars.append(
                Bar(
                    chart_label(row.label, row.key),
                    shown,
                    n * CHART_ROW,
                    round(CHART_BAR * value / scale),
                    marker,
                )
            )
        return bars

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
class Heading:
    """A heading in the report's language and, in a bilingual report, in the other one."""

    text: str
    other: str = ""
    other_language: str = ""


@dataclass(frozen=True)
class Evidence:
    """What a sentence of the team's narrative rests on: a quote, a statement or a theme in
    the report (``anchor`` is its id in the page), or, when it is not in the report (any
    more), None and the link is printed as plain words."""

    kind: str  # "c" contribution, "s" statement, "t" theme
    ref: str
    label: str
    anchor: str | None


@dataclass(frozen=True)
class Segment:
    """A run of the team's words, or a link to evidence (``text`` empty)."""

    text: str = ""
    evidence: Evidence | None = None


#: The team's narrative: paragraphs of segments.
Narrative = list[list[Segment]]


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
    start: int = 0  # where the words start in the stored contribution
    anchor: str = ""  # the page id of the first quote of this contribution ("c-ID")


@dataclass(frozen=True)
class ThemeFinding:
    label: str
    count: int
    keywords: list[str]
    quotes: list[Quote]
    id: int = 0
    summary: str = ""  # the analysts' summary of the theme (heard.sense), as they wrote it
    note: Narrative = field(default_factory=list)  # the report team's words under the theme

    @property
    def anchor(self) -> str:
        return f"t-{self.id}"


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
    anchor: str = ""  # the page id of the statement's first appearance ("s-CONV.NUM")


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
class Survey:
    """A statement-voting conversation: the survey people answered by agreeing or not."""

    number: int
    topic: str
    statements: int
    voters: int
    votes: int
    hui_tallies: int


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
    questions: list[Count] = field(default_factory=list)  # the questions asked, and answers
    surveys: list[Survey] = field(default_factory=list)


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
    interim: bool = False  # published before the report phase: what we have heard so far


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
    # The team's own words (ReportDraft), as paragraphs whose links point at evidence in the
    # report; never a quote.
    introduction: Narrative = field(default_factory=list)
    next_steps: Narrative = field(default_factory=list)
    left_out: Narrative = field(default_factory=list)
    edition: Edition | None = None
    headings: dict[str, Heading] = field(default_factory=dict)
    language: str = "en"

    small_cell: int = SMALL_CELL

    @property
    def under_heard(self) -> list[tuple[Breakdown, Count]]:
        """Every group heard less than its population share, or not at all: listed in the
        text, not only marked in a table."""
        return [(b, row) for b in self.who for row in b.flagged]

    @property
    def under_ratio_percent(self) -> int:
        return round(UNDER * 100)

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
