"""Reads for the theme pages, batched: a page costs the same few queries at any size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from heard.engagements.models import Engagement
from heard.listen.models import CHANNEL_CHOICES, Contribution
from heard.listen.vocab import LANGUAGE_NAMES
from heard.sense.models import AssignedBy, Theme, ThemeMembership, ThemeRun

NO_THEME = "none"  # the browser's filter value for "fits no theme"

# Each breakdown: (its name, the browser's filter parameter, the membership field it counts).
DIMENSIONS = (
    ("channel", "channel", "contribution__channel"),
    ("hui", "hui", "contribution__hui__key"),
    ("audience", "audience", "contribution__hui__audience__key"),
    ("language", "language", "contribution__language"),
)


def latest_done_run(engagement: Engagement) -> ThemeRun | None:
    return engagement.theme_runs.filter(status=ThemeRun.Status.DONE).order_by("-version").first()


def standing_themes(run: ThemeRun) -> QuerySet[Theme]:
    """The run's themes still standing (not merged away), in the run's order, without counts:
    for readers that need the themes, not the analysts' tallies."""
    return run.themes.filter(merged_into__isnull=True).order_by("position", "id")


def live_sizes(run: ThemeRun) -> dict[int | None, int]:
    """Each theme's contributions (None: those fitting no theme) as the findings and the open
    data count them: words withdrawn since the analysis are not counted."""
    live = ThemeMembership.objects.filter(run=run, contribution__withdrawn_at__isnull=True)
    return dict(live.values_list("theme_id").annotate(n=Count("id")).order_by())


def active_themes(run: ThemeRun) -> QuerySet[Theme]:
    """The run's themes still standing (not merged away), with their counts."""
    return standing_themes(run).annotate(
        size=Count("memberships", distinct=True),
        by_person=Count(
            "memberships",
            filter=Q(memberships__assigned_by=AssignedBy.PERSON),
            distinct=True,
        ),
        quotes=Count("key_quotes", distinct=True),
    )


@dataclass
class Breakdown:
    """How a theme's (or the no-theme bucket's) contributions spread over one dimension."""

    name: str
    param: str
    label: str
    rows: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, n)


def _value_labels(engagement: Engagement) -> dict[str, dict[str, str]]:
    return {
        "channel": {v: str(label) for v, label in CHANNEL_CHOICES},
        "hui": dict(engagement.hui.values_list("key", "title")),
        "audience": {a.key: a.localised_name for a in engagement.audiences.all()},
        "language": dict(LANGUAGE_NAMES),
    }


def breakdowns(run: ThemeRun) -> dict[int | None, list[Breakdown]]:
    """Counts by channel, hui, audience and language for every theme of the run, and for the
    "fits no theme" bucket (key ``None``): one query per dimension."""
    names = {
        "channel": _("Channel"),
        "hui": _("Hui"),
        "audience": _("Audience"),
        "language": _("Language"),
    }
    labels = _value_labels(run.engagement)
    result: dict[int | None, list[Breakdown]] = defaultdict(
        lambda: [Breakdown(n, p, names[n]) for n, p, _f in DIMENSIONS]
    )
    for index, (name, _param, path) in enumerate(DIMENSIONS):
        counts = (
            ThemeMembership.objects.filter(run=run)
            .values("theme_id", path)
            .annotate(n=Count("id"))
            .order_by("theme_id", "-n", path)
        )
        for row in counts:
            value = row[path]
            label = labels[name].get(value, value) if value else _("none")
            result[row["theme_id"]][index].rows.append((value or "", label, row["n"]))
    return result


def newer_contributions(run: ThemeRun) -> int:
    """Contributions kept since the run read its input (not in it): a cue to run again."""
    return (
        Contribution.objects.filter(engagement=run.engagement, withdrawn_at__isnull=True)
        .exclude(theme_memberships__run=run)
        .count()
    )


def withdrawn_since(run: ThemeRun) -> int:
    return run.memberships.filter(contribution__withdrawn_at__isnull=False).count()


def memberships(run: ThemeRun) -> QuerySet[ThemeMembership]:
    return (
        ThemeMembership.objects.filter(run=run)
        .select_related(
            "contribution",
            "contribution__hui",
            "contribution__hui__audience",
            "contribution__participant",
            "contribution__participant__hui",
            "contribution__question",
            "theme",
            "machine_theme",
            "assigned_by_user",
        )
        .order_by("theme__position", "-score", "contribution_id")
    )


def filter_memberships(qs: QuerySet[ThemeMembership], params) -> QuerySet[ThemeMembership]:
    """The contribution browser's filters: theme (or "none"), channel, hui, audience, language,
    who placed it, and a text search. Theme pages are for people who may read every word, so
    the search looks at all of them."""
    theme = params.get("theme")
    if theme == NO_THEME or params.get("unassigned"):
        qs = qs.filter(theme__isnull=True)
    elif theme and theme.isdigit():
        qs = qs.filter(theme_id=int(theme))
    for _name, param, path in DIMENSIONS:
        if value := params.get(param):
            qs = qs.filter(**{path: value})
    if (placed := params.get("placed")) in (AssignedBy.MACHINE, AssignedBy.PERSON):
        qs = qs.filter(assigned_by=placed)
    if q := params.get("q"):
        qs = qs.filter(contribution__text__icontains=q[:200])
    return qs
