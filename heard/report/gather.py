"""Build a report's content (``heard.report.content``) for an engagement from the stored data.

Reads only; batched: the same handful of queries at any size (one per breakdown, one for all
key quotes with their contributions, a few per conversation). The rules about what may be
quoted are the public record's (``Contribution.withheld``, ``heard.opinions.queries.shown``),
applied again here at build time: a contribution hidden or withdrawn after the theme run
marked it is not quoted.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from django.db.models import Count, Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from heard.core.permissions import REPORT_AND_AFTER
from heard.engagements.models import DemographicField, Engagement
from heard.listen.models import CHANNEL_CHOICES, Contribution, Participant
from heard.listen.vocab import LANGUAGE_NAMES, Channel, QuoteConsent
from heard.opinions import map_page
from heard.opinions import queries as opinion_queries
from heard.opinions.models import HuiTally, Vote
from heard.plan.models import Hui
from heard.record import keys
from heard.record import services as record
from heard.report import content as c
from heard.report import evidence, population
from heard.report.models import ReportDraft
from heard.sense import queries as sense_queries
from heard.sense.models import KeyQuote, ThemeMembership, ThemeRun

# Each breakdown of who we heard: (key, caption, the contribution field it groups by).
DIMENSIONS = (
    ("channel", "channel"),
    ("language", "language"),
    ("audience", "hui__audience__name"),
    ("region", "hui__venue__region"),
)


def names() -> dict[str, str]:
    return {
        "channel": _("Channel"),
        "language": _("Language"),
        "audience": _("Audience (hui)"),
        "region": _("Region (hui venue)"),
    }


def _captions() -> dict[str, str]:
    return {
        "channel": _("Contributions by channel"),
        "language": _("Contributions by language"),
        "audience": _("Contributions by audience (hui only)"),
        "region": _("Contributions by region (hui only)"),
    }


def language_name(tag: str) -> str:
    return LANGUAGE_NAMES.get(tag.split("-")[0].lower(), tag)


def _label(dimension: str, value) -> str:
    if dimension == "channel":
        return str(dict(CHANNEL_CHOICES).get(value, value))
    if dimension == "language":
        return language_name(value)
    if value in (None, ""):
        return _("Not at a hui, or not recorded")
    return str(value)


def counted(engagement: Engagement):
    """The contributions that count: every one except those withdrawn at the person's request
    (hidden ones and ones not for quoting are counted, never quoted)."""
    return Contribution.objects.filter(engagement=engagement, withdrawn_at__isnull=True)


#: Dimensions the team may enter population shares for (channel has no population).
COMPARABLE = ("language", "audience", "region")
DEMOGRAPHIC = "demo:"


def compared(breakdown: c.Breakdown, entered: dict | None) -> c.Breakdown:
    """The breakdown with the team's population shares beside it (``heard.report.population``):
    groups the shares name but nobody was heard from are added, flagged, never left out."""
    shares = (entered or {}).get("shares") or {}
    if not shares:
        return breakdown
    rows = list(breakdown.rows)
    keys = {r.key for r in rows}
    rows += [c.Count(group, group, 0, 0) for group in shares if group not in keys]
    people = {r.key: r.people for r in rows}
    rare = {r.key: c.SMALL_CELL for r in rows if r.suppressed}
    found = population.compare(people, {g: float(v) for g, v in shares.items()}, rare)
    rows = [
        dataclasses.replace(
            r,
            heard_percent=found[r.key].heard_percent,
            population_percent=found[r.key].population_percent,
            ratio=found[r.key].ratio,
            flag=found[r.key].flag,
        )
        if r.key in found
        else r
        for r in rows
    ]
    return dataclasses.replace(breakdown, rows=rows, source=str(entered.get("source") or ""))


def breakdowns(engagement: Engagement, shares: dict | None = None) -> list[c.Breakdown]:
    """Contributions and people by channel, language, hui audience and hui region, then people
    by each self-described answer; each with the team's population shares when entered."""
    shares = shares or {}
    captions = _captions()
    result = []
    for key, field_name in DIMENSIONS:
        rows = (
            counted(engagement)
            .values(field_name)
            .annotate(n=Count("id"), people=Count("participant", distinct=True))
            .order_by("-n", field_name)
        )
        breakdown = c.Breakdown(
            key=key,
            caption=captions[key],
            name=names()[key],
            rows=[
                c.Count(
                    "" if r[field_name] is None else str(r[field_name]),
                    _label(key, r[field_name]),
                    r["n"],
                    r["people"],
                )
                for r in rows
            ],
        )
        result.append(compared(breakdown, shares.get(key)) if key in COMPARABLE else breakdown)
    return result + demographic_breakdowns(engagement, shares)


def demographic_fields(engagement: Engagement) -> list[DemographicField]:
    """The self-described questions with set answers (free-text answers are not tabulated:
    tables of people's own words would be quotes without consent)."""
    return list(
        engagement.demographic_fields.filter(kind=DemographicField.Kind.CHOICE).order_by(
            "order", "id"
        )
    )


def demographic_breakdowns(engagement: Engagement, shares: dict) -> list[c.Breakdown]:
    """People by each answer, from those who consented to give them and were heard (a counted
    contribution). A rare answer (fewer than ``SMALL_CELL`` people) is not printed."""
    fields = demographic_fields(engagement)
    if not fields:
        return []
    heard = (
        Participant.objects.filter(engagement=engagement, demographics_consent=True)
        .filter(contributions__withdrawn_at__isnull=True)
        .annotate(n=Count("contributions", filter=Q(contributions__withdrawn_at__isnull=True)))
        .values_list("demographics", "n")
    )
    answers = [(d or {}, n) for d, n in heard]
    result = []
    for f in fields:
        people: Counter[str] = Counter()
        said: Counter[str] = Counter()
        for demographics, n in answers:
            value = demographics.get(f.key)
            if isinstance(value, str) and value:
                people[value] += 1
                said[value] += n
        order = {choice: i for i, choice in enumerate(f.choices or [])}
        values = sorted(people, key=lambda v: (order.get(v, len(order)), v))
        rows = [
            c.Count(
                v,
                v,
                said[v],
                people[v],
                suppressed=people[v] < c.SMALL_CELL,
            )
            for v in values
        ]
        caption = _("People by %(question)s (self-described, with consent)") % {"question": f.label}
        key = f"{DEMOGRAPHIC}{f.key}"
        breakdown = c.Breakdown(key=key, caption=caption, rows=rows, measure="people", name=f.label)
        result.append(compared(breakdown, shares.get(key)))
    return result


def how_we_listened(engagement: Engagement, who: list[c.Breakdown]) -> c.HowWeListened:
    hui = Hui.objects.filter(engagement=engagement)
    venues = list(hui.exclude(venue=None).values_list("venue__place", "venue__region"))
    hui_span = hui.aggregate(first=Min("starts_at"), last=Max("ends_at"), n=Count("id"))
    all_words = Contribution.objects.filter(engagement=engagement)
    totals = all_words.aggregate(
        first=Min("received_at"),
        last=Max("received_at"),
        said_first=Min("said_at"),
        said_last=Max("said_at"),
        total=Count("id", filter=Q(withdrawn_at__isnull=True)),
        withdrawn=Count("id", filter=Q(withdrawn_at__isnull=False)),
        hidden=Count("id", filter=Q(withdrawn_at__isnull=True, is_hidden=True)),
        none=Count(
            "id",
            filter=Q(withdrawn_at__isnull=True, is_hidden=False, quote_consent=QuoteConsent.NONE),
        ),
        online=Count("id", filter=Q(withdrawn_at__isnull=True, channel=Channel.ONLINE)),
        people=Count("participant", distinct=True, filter=Q(withdrawn_at__isnull=True)),
    )
    moments = [
        m
        for m in (
            hui_span["first"],
            hui_span["last"],
            totals["first"],
            totals["last"],
            totals["said_first"],
            totals["said_last"],
        )
        if m is not None
    ]
    days = sorted(timezone.localtime(m).date() for m in moments)
    by_key = {b.key: b for b in who}
    answered = dict(
        counted(engagement)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
        .order_by()
    )
    questions = [
        c.Count(q.key, q.text, answered.get(q.pk, 0))
        for q in engagement.questions.order_by("order", "id")
    ]
    return c.HowWeListened(
        hui_count=hui_span["n"],
        places=sorted({p for p, _r in venues if p}),
        regions=sorted({r for _p, r in venues if r}),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        audiences=[str(a.name) for a in engagement.audiences.order_by("order", "id")],
        channels=by_key["channel"].rows,
        languages=by_key["language"].rows,
        online_responses=totals["online"],
        contributions=totals["total"],
        participants=totals["people"],
        withdrawn=totals["withdrawn"],
        hidden=totals["hidden"],
        not_for_quoting=totals["none"],
        questions=questions,
        surveys=surveys(engagement),
    )


def surveys(engagement: Engagement) -> list[c.Survey]:
    """Each conversation as the survey it was: statements the public could vote on, people who
    voted (their current votes), and the hui that voted by show of hands."""
    listed = opinion_queries.conversations_for_listing(engagement)
    ids = [conversation.pk for conversation in listed]
    votes = dict(
        Vote.objects.filter(statement__conversation__in=ids, current=True)
        .values_list("statement__conversation")
        .annotate(n=Count("id"))
        .order_by()
    )
    tallied = dict(
        HuiTally.objects.filter(statement__conversation__in=ids)
        .values_list("statement__conversation")
        .annotate(n=Count("hui", distinct=True))
        .order_by()
    )
    return [
        c.Survey(
            number=conversation.number,
            topic=conversation.topic,
            statements=conversation.shown_count,
            voters=conversation.voter_count,
            votes=votes.get(conversation.pk, 0),
            hui_tallies=tallied.get(conversation.pk, 0),
        )
        for conversation in listed
    ]


def quote_of(contribution: Contribution, start: int, length: int) -> c.Quote | None:
    """The words to quote, exactly as stored, or None when they may not be quoted (withheld now,
    or a span that does not lie inside the stored words)."""
    if contribution.withheld() is not None:
        return None
    text = contribution.text
    if length <= 0 or start < 0 or start + length > len(text):
        return None
    words = text[start : start + length]
    # As in the public open data: the pseudonym only, only with "quote" consent; never a hui
    # speaker tag or anything else display_name might fall back to.
    attribution = (
        contribution.participant.pseudonym or None
        if contribution.quote_consent == QuoteConsent.QUOTE
        else None
    )
    return c.Quote(
        contribution=contribution.pk,
        text=words,
        language=contribution.language,
        attribution=attribution,
        whole=words == text,
        start=start,
    )


def _chosen_quotes(run: ThemeRun, choice: dict) -> dict[int, list[c.Quote]]:
    """The quotes the team chose for each theme, in their order, each read again from the
    stored words; a choice whose contribution left the theme or may no longer be quoted is
    dropped (the team's page says so)."""
    wanted = {int(t): [tuple(int(x) for x in ref) for ref in refs] for t, refs in choice.items()}
    ids = {ref[0] for refs in wanted.values() for ref in refs}
    if not ids:
        return {}
    members = set(
        ThemeMembership.objects.filter(run=run, contribution_id__in=ids).values_list(
            "theme_id", "contribution_id"
        )
    )
    stored = {
        x.pk: x for x in Contribution.objects.filter(pk__in=ids).select_related("participant")
    }
    chosen: dict[int, list[c.Quote]] = {}
    for theme_id, refs in wanted.items():
        quotes = []
        for cid, start, length in refs:
            if (theme_id, cid) not in members or cid not in stored:
                continue
            quote = quote_of(stored[cid], start, length)
            if quote is not None:
                quotes.append(quote)
        chosen[theme_id] = quotes
    return chosen


def themes(
    engagement: Engagement,
    order: list[int] | None = None,
    choice: dict | None = None,
) -> c.Themes | None:
    """The latest finished run's standing themes, in the team's ``order`` (theme ids) when set:
    themes it does not list follow in the engine's order. Each shows the quotes the team chose
    for it (``choice``), or else the analysis's key quotes."""
    run: ThemeRun | None = sense_queries.latest_done_run(engagement)
    if run is None:
        return None
    standing = c.in_order(list(sense_queries.standing_themes(run)), lambda t: t.pk, order or [])
    key_quotes = (
        KeyQuote.objects.filter(theme__in=standing)
        .select_related("contribution", "contribution__participant")
        .order_by("theme_id", "position", "id")
    )
    choice = {int(k): v for k, v in (choice or {}).items() if int(k) in {t.pk for t in standing}}
    quotes_of: dict[int, list[c.Quote]] = _chosen_quotes(run, choice)
    for kq in key_quotes:
        if kq.theme_id in choice:
            continue
        quote = quote_of(kq.contribution, kq.start, kq.length)
        if quote is not None:
            quotes_of.setdefault(kq.theme_id, []).append(quote)
    # Counted as the open data counts them: words withdrawn since the run are not counted.
    sizes = sense_queries.live_sizes(run)
    return c.Themes(
        run_version=run.version,
        finished_at=run.finished_at,
        provenance=c.flatten(run.provenance or {}),
        themes=[
            c.ThemeFinding(
                label=t.label,
                count=sizes.get(t.pk, 0),
                keywords=list(t.keywords or []),
                quotes=quotes_of.get(t.pk, []),
                id=t.pk,
                summary=t.summary,
            )
            for t in standing
        ],
        unassigned=sizes.get(None, 0),
        analysed=run.memberships.count(),
    )


def _statement(conversation_number: int, line, note: str) -> c.StatementQuote:
    return c.StatementQuote(
        ref=f"{conversation_number}.{line.number}",
        text=line.text,
        language=line.language,
        note=note,
    )


def conversations(engagement: Engagement) -> list[c.ConversationFinding]:
    found = []
    for conversation in engagement.conversations.order_by("number"):
        snapshot = opinion_queries.latest_map(conversation)
        if snapshot is None:
            continue
        view = map_page.build(snapshot.result or {}, opinion_queries.public_words(conversation))
        groups = []
        for g in view.groups:
            lines = []
            for line in g.apart:
                share, rest = line.group_share, line.others_share
                agree = line.direction == "agree"
                percent = share.agree_percent if agree else share.disagree_percent
                others = rest.agree_percent if agree else rest.disagree_percent
                verb = _("agreed") if agree else _("disagreed")
                note = _(
                    "%(percent)s%% of group %(letter)s %(verb)s (of %(seen)s who saw it); "
                    "%(others)s%% of everyone else"
                ) % {
                    "percent": percent,
                    "letter": g.letter,
                    "verb": verb,
                    "seen": share.seen,
                    "others": others,
                }
                lines.append(_statement(conversation.number, line, note))
            groups.append(c.OpinionGroup(letter=g.letter, size=g.size, statements=lines))
        common = []
        for row, verb in [(r, _("agreed")) for r in view.common_agree] + [
            (r, _("disagreed")) for r in view.common_disagree
        ]:
            note = _("%(percent)s%% of everyone who saw it %(verb)s") % {
                "percent": row.overall_percent,
                "verb": verb,
            }
            common.append(_statement(conversation.number, row, note))
        found.append(
            c.ConversationFinding(
                number=conversation.number,
                topic=conversation.topic,
                voters=view.voters,
                in_map=view.in_map,
                computed_at=snapshot.computed_at,
                groups=groups,
                common_ground=common,
                provenance=c.flatten(snapshot.provenance or {}),
            )
        )
    return found


def record_proof() -> c.RecordProof | None:
    """The latest signed checkpoint (with any witnesses' cosignatures), as the public record
    page serves it, and the verifier key."""
    checkpoint = record.latest_checkpoint()
    if checkpoint is None:
        return None
    note = record.cosigned_note(checkpoint)
    return c.RecordProof(checkpoint=note, vkey=keys.vkey(), size=checkpoint.size)


#: The report's headings (msgids), printed in the report's language and, in a bilingual
#: report, in the other of English and te reo Māori.
HEADINGS = {
    "report": gettext_noop("What you told us"),
    "contents": gettext_noop("Contents"),
    "intro": gettext_noop("Introduction"),
    "how": gettext_noop("How we listened"),
    "who": gettext_noop("Who we heard"),
    "what": gettext_noop("What you told us"),
    "where": gettext_noop("Where people stand"),
    "common": gettext_noop("Common ground"),
    "next": gettext_noop("What happens next"),
    "left_out": gettext_noop("What was left out and why"),
    "record": gettext_noop("About this record"),
}
BILINGUAL = ("en", "mi")


def headings(bilingual: bool) -> dict[str, c.Heading]:
    """Each heading in the active language and, when ``bilingual``, the other one (only where a
    translation exists: an English heading is never repeated as its own "translation")."""
    language = (translation.get_language() or "en").split("-")[0]
    other = next((lang for lang in BILINGUAL if lang != language), "") if bilingual else ""
    result = {}
    for key, msgid in HEADINGS.items():
        text = _(msgid)
        second = ""
        if other:
            with translation.override(other):
                second = _(msgid)
            if second == text:
                second = ""
        result[key] = c.Heading(text, second, other if second else "")
    return result


def with_anchors(
    themes: c.Themes | None, conversations: list[c.ConversationFinding]
) -> tuple[c.Themes | None, list[c.ConversationFinding]]:
    """The themes and conversations with the first appearance of each quoted contribution and
    each statement given its page id, so the team's narrative can link to it (a contribution
    quoted twice is linked once)."""
    seen: set[str] = set()
    if themes:
        themes_ = []
        for theme in themes.themes:
            quotes = []
            for q in theme.quotes:
                anchor = f"c-{q.contribution}"
                quotes.append(dataclasses.replace(q, anchor="" if anchor in seen else anchor))
                seen.add(anchor)
            themes_.append(dataclasses.replace(theme, quotes=quotes))
        themes = dataclasses.replace(themes, themes=themes_)
    conversations = [
        dataclasses.replace(
            conversation,
            groups=[
                dataclasses.replace(g, statements=[_anchored(s, seen) for s in g.statements])
                for g in conversation.groups
            ],
            common_ground=[_anchored(s, seen) for s in conversation.common_ground],
        )
        for conversation in conversations
    ]
    return themes, conversations


def _anchored(statement: c.StatementQuote, seen: set[str]) -> c.StatementQuote:
    anchor = f"s-{statement.ref}"
    if anchor in seen:
        return statement
    seen.add(anchor)
    return dataclasses.replace(statement, anchor=anchor)


def evidence_in(
    themes: c.Themes | None, conversations: list[c.ConversationFinding]
) -> dict[tuple[str, str], c.Evidence]:
    """What the team's narrative may link to: every quote, statement and theme among the
    (anchored, ``with_anchors``) themes and conversations the report shows."""
    found: dict[tuple[str, str], c.Evidence] = {}
    if themes:
        for theme in themes.themes:
            label = _("theme “%(label)s”") % {"label": theme.label}
            found[("t", str(theme.id))] = c.Evidence("t", str(theme.id), label, theme.anchor)
            for q in theme.quotes:
                if q.anchor:
                    label = _("contribution %(id)s") % {"id": q.contribution}
                    found[("c", str(q.contribution))] = c.Evidence(
                        "c", str(q.contribution), label, q.anchor
                    )
    for conversation in conversations:
        for s in [s for g in conversation.groups for s in g.statements] + (
            conversation.common_ground
        ):
            if s.anchor:
                label = _("statement %(ref)s") % {"ref": s.ref}
                found[("s", s.ref)] = c.Evidence("s", s.ref, label, s.anchor)
    return found


def _findings(
    engagement: Engagement, draft: ReportDraft
) -> tuple[c.Themes | None, list[c.ConversationFinding]]:
    """The themes (in the draft's order, with its quote choice) and the conversations, anchored:
    the parts of the report the team's narrative may link into."""
    return with_anchors(
        themes(engagement, draft.theme_order, draft.quote_choice or {}),
        conversations(engagement),
    )


def evidence_available(
    engagement: Engagement, draft: ReportDraft | None = None
) -> dict[tuple[str, str], c.Evidence]:
    """What the team's narrative may link to in the report as the data and the draft stand now
    (``evidence_in``), without building the rest of the report."""
    return evidence_in(*_findings(engagement, draft or draft_of(engagement)))


#: evidence.KINDS, marked for translation.
EVIDENCE_KINDS = {
    "c": gettext_noop("contribution"),
    "s": gettext_noop("statement"),
    "t": gettext_noop("theme"),
}


def resolver(found: dict[tuple[str, str], c.Evidence]) -> evidence.Resolver:
    def resolve(kind: str, ref: str) -> c.Evidence:
        if (kind, ref) in found:
            return found[(kind, ref)]
        label = _("%(what)s %(ref)s, no longer in this report") % {
            "what": _(EVIDENCE_KINDS[kind]),
            "ref": ref,
        }
        return c.Evidence(kind, ref, label, None)

    return resolve


def draft_of(engagement: Engagement) -> ReportDraft:
    """The engagement's draft, unsaved and empty when the team has written nothing yet."""
    return ReportDraft.objects.filter(engagement=engagement).first() or ReportDraft(
        engagement=engagement
    )


def interim(engagement: Engagement) -> bool:
    """Whether a report published now is an interim one (before the report phase)."""
    return engagement.current_phase() not in REPORT_AND_AFTER


def gather(engagement: Engagement, *, edition: c.Edition | None = None) -> c.Report:
    """The report as the data stands now, with the team's texts, choices and population shares
    (if they entered any) and, when publishing, which version this is."""
    draft = draft_of(engagement)
    who = breakdowns(engagement, draft.population or {})
    themes_, conversations_ = _findings(engagement, draft)
    report = c.Report(
        slug=engagement.slug,
        title=engagement.title,
        title_mi=engagement.title_mi,
        purpose=engagement.purpose,
        generated_at=timezone.now(),
        how=how_we_listened(engagement, who),
        who=who,
        themes=themes_,
        conversations=conversations_,
        record=record_proof(),
        edition=edition,
        headings=headings(draft.bilingual),
        language=(translation.get_language() or "en").split("-")[0],
    )
    resolve = resolver(evidence_in(report.themes, report.conversations))
    report.introduction = evidence.narrative(draft.introduction, resolve)
    report.next_steps = evidence.narrative(draft.next_steps, resolve)
    report.left_out = evidence.narrative(draft.left_out, resolve)
    notes = draft.theme_notes or {}
    if report.themes:
        report.themes = dataclasses.replace(
            report.themes,
            themes=[
                dataclasses.replace(t, note=evidence.narrative(notes.get(str(t.id), ""), resolve))
                for t in report.themes.themes
            ],
        )
    return report
