"""Background work for opinions, run by the task worker (``heard db_worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from heard.opinions import mapping


@task()
def compute_map(snapshot_id: int) -> dict[str, Any]:
    """Bring a conversation's opinion map up to date (see ``mapping.compute_snapshot``)."""
    return mapping.compute_snapshot(snapshot_id)
