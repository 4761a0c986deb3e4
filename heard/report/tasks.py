"""Background work for the report, run by the task worker (``heard db_worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from heard.report import services


@task()
def publish_report(publication_id: int) -> dict[str, Any]:
    """Publish a queued version (see ``services.run_publication``)."""
    return services.run_publication(publication_id)
