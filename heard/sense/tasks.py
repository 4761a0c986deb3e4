"""Background work for themes, run by the task worker (``heard db_worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from heard.sense import drafts, services


@task()
def analyse(run_id: int) -> dict[str, Any]:
    """Run a queued theme analysis (see ``services.run_analysis``)."""
    return services.run_analysis(run_id)


@task()
def draft_summary(draft_id: int) -> dict[str, Any]:
    """Ask the operator's language model for a draft summary (see ``drafts.write_draft``)."""
    return drafts.write_draft(draft_id)
