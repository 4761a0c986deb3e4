"""Background work for the listen app, run by the task worker (``heard db_worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from heard.listen import import_service


@task()
def import_batch(batch_id: int) -> dict[str, Any]:
    """Import a confirmed batch of hui notes (see ``import_service.run_import``)."""
    return import_service.run_import(batch_id)
