"""Build a report's content (``heard.report.content``) for an engagement from the stored data.

Reads only; batched: the same handful of queries at any size (one per breakdown, one for all
key quotes with their contributions, a few per conversation). The rules about what may be
quoted are the public record's (``Contribution.withheld``, ``heard.opinions.queries.shown``),
applied again here at build time: a contribution hidden or withdrawn after the theme run
marked it is not quoted.
"""

from __future__ import annotations

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import CHANNEL_CHOICES, Contribution
from heard.listen.vocab import LANGUAGE_NAMES, Channel, QuoteConsent
from heard.opinions import map_page
from heard.opinions import queries as opinion_queries
from heard.plan.models import Hui
from heard.record import keys
from heard.record import services as record
from heard.report import content as c
from heard.report.models import ReportDraft
from heard.sense import queries as sense_queries
from heard.sense.models import KeyQuote, ThemeRun

# Each breakdown of who we heard: (key, caption, the contribution field it groups by).
DIMENSIONS = (
    ("channel", "channel"),
    ("language", "language"),
    ("audience", "hui__audience__name"),
    ("region", "hui__venue__region"),
)


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


def breakdowns(engagement: Engagement) -> list[c.Breakdown]:
    captions = _captions()
    result = []
    for key, field_name in DIMENSIONS:
        rows = (
            counted(engagement)
            .values(field_name)
            .annotate(n=Count("id"), people=Count("participant", distinct=True))
            .order_by("-n", field_name)
        )
        result.append(
            c.Breakdown(
                key=key,
                caption=captions[key],
                rows=[
                    c.Count(str(r[field_name]), _label(key, r[field_name]), r["n"], r["people"])
                    for r in rows
                ],
            )
        )
    return result


def how_we_listened(engagement: Engagement, who: list[c.Breakdown]) -> c.HowWeListened:
    hui = Hui.objects.filter(engagement=engagement)
    venues = list(hui.exclude(venue=None).values_list("venue__place", "venue__region"))
    hui_span = hui.aggregate(first=Min("starts_at"), last=Max("ends_at"))
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
    return c.HowWeListened(
        hui_count=hui.count(),
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
    )


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
    )


def themes(engagement: Engagement, order: list[int] | None = None) -> c.Themes | None:
    """The latest finished run's standing themes, in the team's ``order`` (theme ids) when set:
    themes it does not list follow in the engine's order."""
    run: ThemeRun | None = sense_queries.latest_done_run(engagement)
    if run is None:
        return None
    standing = c.in_order(list(sense_queries.active_themes(run)), lambda t: t.pk, order or [])
    key_quotes = (
        KeyQuote.objects.filter(theme__in=standing)
        .select_related("contribution", "contribution__participant__hui")
        .order_by("theme_id", "position", "id")
    )
    quotes_of: dict[int, list[c.Quote]] = {}
    for kq in key_quotes:
        quote = quote_of(kq.contribution, kq.start, kq.length)
        if quote is not None:
            quotes_of.setdefault(kq.theme_id, []).append(quote)
    return c.Themes(
        run_version=run.version,
        finished_at=run.finished_at,
        provenance=c.flatten(run.provenance or {}),
        themes=[
            c.ThemeFinding(
                label=t.label,
                count=t.size,
                keywords=list(t.keywords or []),
                quotes=quotes_of.get(t.pk, []),
            )
            for t in standing
        ],
        unassigned=run.memberships.filter(theme__isnull=True).count(),
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
        words = {
            str(number): (text, language)
            for number, text, language in opinion_queries.shown(conversation).values_list(
                "number", "text", "language"
            )
        }
        view = map_page.build(snapshot.result or {}, words)
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
    note = checkpoint.note + "".join(s.line for s in checkpoint.cosignatures.all())
    return c.RecordProof(checkpoint=note, vkey=keys.vkey(), size=checkpoint.size)


def gather(engagement: Engagement, *, edition: c.Edition | None = None) -> c.Report:
    """The report as the data stands now, with the team's texts and theme order (if they
    wrote any) and, when publishing, which version this is."""
    draft = ReportDraft.objects.filter(engagement=engagement).first() or ReportDraft()
    who = breakdowns(engagement)
    return c.Report(
        slug=engagement.slug,
        title=engagement.title,
        title_mi=engagement.title_mi,
        purpose=engagement.purpose,
        generated_at=timezone.now(),
        how=how_we_listened(engagement, who),
        who=who,
        themes=themes(engagement, draft.theme_order),
        conversations=conversations(engagement),
        record=record_proof(),
        introduction=draft.introduction,
        next_steps=draft.next_steps,
        left_out=draft.left_out,
        edition=edition,
    )
