"""Themes for the demo engagement: one finished analysis, run in-process by ``heard demo``.

So that ``make run`` shows themes with exact quotes straight away, without waiting for a
worker. Idempotent: an engagement that already has a finished analysis is left alone.
"""

from __future__ import annotations

from heard.core.models import Membership
from heard.core.permissions import Role
from heard.engagements.models import Engagement
from heard.sense import services
from heard.sense.models import ThemeRun


def ensure_demo_themes(engagement: Engagement) -> ThemeRun | None:
    """Run the analysis once for ``engagement`` (as its first team member); returns the new
    run, or None when a finished one was already there."""
    if engagement.theme_runs.filter(status=ThemeRun.Status.DONE).exists():
        return None
    analyst = (
        Membership.objects.filter(engagement=engagement, role=Role.TEAM)
        .select_related("user")
        .order_by("id")
        .first()
    )
    run = services.start_run(engagement, by=analyst.user if analyst else None, enqueue=False)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    return run
