"""Checkpoints on a schedule, on the ordinary task worker (no separate scheduler).

``issue_scheduled_checkpoint`` signs a checkpoint when the log has grown, then queues itself
again for ``interval`` seconds later. ``heard record schedule`` starts the chain once (``make
run`` does); starting it twice is harmless: a second chain finds the log unchanged and stops.
"""

from __future__ import annotations

import datetime as dt

from django.tasks import task
from django.utils import timezone

DEFAULT_INTERVAL = 300


@task()
def issue_scheduled_checkpoint(interval: int = DEFAULT_INTERVAL) -> int:
    from heard.record import services

    checkpoint = services.issue_checkpoint()
    schedule(interval)
    return checkpoint.size


def pending() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=issue_scheduled_checkpoint.module_path, status="READY"
    ).exists()


def schedule(interval: int = DEFAULT_INTERVAL) -> bool:
    """Queue the next scheduled checkpoint unless one is already waiting."""
    if pending():
        return False
    issue_scheduled_checkpoint.using(
        run_after=timezone.now() + dt.timedelta(seconds=interval)
    ).enqueue(interval)
    return True
