"""The demo engagement's published findings: what ``heard demo`` adds after its themes.

The demo is in its listening phase, so what it publishes is an interim report ("what we have
heard so far"), as a real team might publish one mid-way. The team's words link to evidence
that exists in this demo (its first themes and their first quotes), and two population
comparisons show under-heard groups flagged. Idempotent: an engagement with a published
version is left alone.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from heard.core.models import Membership
from heard.core.permissions import Role
from heard.engagements.models import Engagement
from heard.report import gather, services
from heard.report.models import ReportVersion

#: Rounded shares for the demo's questions, marked as such in the source (not a citation).
AGE_SHARES = {
    "Under 18": 22.5,
    "18-24": 9.0,
    "25-34": 14.5,
    "35-44": 13.0,
    "45-54": 12.5,
    "55-64": 12.0,
    "65+": 16.5,
}
REGION_SHARES = {
    "Auckland": 33.0,
    "Canterbury": 13.2,
    "Wellington": 10.3,
    "Waikato": 10.5,
    "Bay of Plenty": 6.7,
    "Manawatū-Whanganui": 5.1,
    "Otago": 4.9,
    "Northland": 3.9,
    "Hawke's Bay": 3.5,
    "Taranaki": 2.5,
    "Southland": 2.0,
    "Nelson": 1.1,
    "Tasman": 1.1,
    "Marlborough": 1.0,
    "Gisborne": 1.0,
    "West Coast": 0.6,
}
SOURCE = "Rounded from Stats NZ 2023 Census, usually resident population (demo figures)"


def ensure_demo_report(engagement: Engagement) -> ReportVersion | None:
    """Write the demo team's words and population shares, and publish version 1 (as the
    first team member); None when a version is already published or no analysis finished."""
    if ReportVersion.objects.filter(engagement=engagement).exists():
        return None
    themes = services.orderable_themes(engagement)
    if not themes:
        return None
    member = (
        Membership.objects.filter(engagement=engagement, role=Role.TEAM)
        .select_related("user")
        .order_by("id")
        .first()
    )
    by = member.user if member else None
    keys = {f"{gather.DEMOGRAPHIC}{f.key}": f for f in gather.demographic_fields(engagement)}
    for key, shares in (("demo:age_band", AGE_SHARES), ("demo:region", REGION_SHARES)):
        if key in keys:
            services.save_population(engagement, key, by=by, source=SOURCE, shares=shares)
    with translation.override(settings.LANGUAGE_CODE):
        report = gather.gather(engagement)
    first, second = report.themes.themes[0], report.themes.themes[min(1, len(themes) - 1)]
    quote = next((q for t in report.themes.themes for q in t.quotes if q.anchor), None)
    evidence = f" [c:{quote.contribution}]" if quote else ""
    services.save_draft(
        engagement,
        by=by,
        introduction=(
            "This is what we have heard so far, in people's own words. Listening is still "
            "open: the findings will change as more people take part.\n\n"
            f"The strongest theme so far is [t:{first.id}]; many people also spoke about "
            f"[t:{second.id}].{evidence}"
        ),
        next_steps=(
            "We will keep listening until the last hui, then publish the full findings and "
            "take a draft policy back to the people who took part, clause by clause."
        ),
        left_out=(
            "Contributions hidden by moderation are counted but not quoted; each has a public "
            "reason. Contributions given 'not for quoting' are counted and never quoted. "
            "Withdrawn words are gone."
        ),
        theme_order=[t.pk for t in themes],
        bilingual=True,
    )
    return services.publish(engagement, by=by)
