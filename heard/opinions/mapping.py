"""The opinion map in the platform: queue an update, run it incrementally, keep it.

A map is a ``MapSnapshot``. Each update starts from the engine state kept with the last
finished snapshot and reads only the vote rows recorded since (``last_log_index``), so a
conversation with a million votes is not re-read on every vote: the engine's own incremental
update (``OpinionMap.update``) does the rest. Every computation is an entry in the record with
the engine's version, the hash of its input and the hash of its result, so anyone can rerun it.

Votes trigger updates (``schedule``): at most one update is waiting per conversation, so a burst
of votes makes one update, not one per vote.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from heard.opinions.engine.engine import OpinionMap, dump_state, load_state
from heard.opinions.engine.votes import Vote as EngineVote
from heard.opinions.models import Conversation, MapSnapshot, Statement, Vote
from heard.record import events
from heard.record import services as record
from heard.record.events import EventType

_BATCH = 50_000  # vote rows read per query


def excluded_statements(conversation: Conversation) -> tuple[set[str], set[str]]:
    """(moderated out, meta): statement numbers the map leaves out. Rejected and withdrawn
    statements are out (their words are not public, so nothing may be said of them); meta
    statements (about the process) are shown to voters but kept off the map, as in Pol.is."""
    out: set[str] = set()
    meta: set[str] = set()
    rows = conversation.statements.values_list("number", "status", "withdrawn_at", "is_meta")
    for number, status, withdrawn_at, is_meta in rows:
        if status == Statement.Status.REJECTED or withdrawn_at is not None:
            out.add(str(number))
        elif is_meta:
            meta.add(str(number))
    return out, meta


STALE_AFTER = dt.timedelta(minutes=15)  # a queued or running update this old is given up


def schedule(conversation: Conversation) -> MapSnapshot:
    """Queue an update unless one is already waiting; returns the waiting snapshot.

    Checked under the conversation's lock, so two votes at once queue one update. An update
    queued or running for longer than ``STALE_AFTER`` (a worker that died with it) is marked
    failed and a new one queued, so the map never stops following the votes.
    """
    with transaction.atomic():
        Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        _give_up_stale(conversation)
        waiting = conversation.snapshots.filter(status=MapSnapshot.Status.QUEUED).first()
        if waiting is not None:
            return waiting
        return request_map(conversation)


def _give_up_stale(conversation: Conversation) -> None:
    old = timezone.now() - STALE_AFTER
    conversation.snapshots.filter(
        status__in=[MapSnapshot.Status.QUEUED, MapSnapshot.Status.RUNNING], created_at__lt=old
    ).update(
        status=MapSnapshot.Status.FAILED,
        error="Given up: not finished within 15 minutes (the worker may have stopped).",
    )


def _new_snapshot(conversation: Conversation) -> MapSnapshot:
    """A queued snapshot numbered after the last (call inside a transaction)."""
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    last = conversation.snapshots.aggregate(n=Max("number"))["n"] or 0
    return MapSnapshot.objects.create(conversation=conversation, number=last + 1)


def request_map(conversation: Conversation) -> MapSnapshot:
    """Queue an update of the map on the worker (numbered after the last snapshot)."""
    with transaction.atomic():
        snapshot = _new_snapshot(conversation)

        def enqueue() -> None:
            from heard.opinions.tasks import compute_map

            result = compute_map.enqueue(snapshot.pk)
            MapSnapshot.objects.filter(pk=snapshot.pk).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
    return snapshot


def _previous(snapshot: MapSnapshot) -> MapSnapshot | None:
    return (
        MapSnapshot.objects.filter(
            conversation=snapshot.conversation_id,
            status=MapSnapshot.Status.FINISHED,
            number__lt=snapshot.number,
        )
        .exclude(state=None)
        .order_by("-number")
        .first()
    )


def _new_votes(conversation: Conversation, after: int):
    """Vote rows (history included) recorded after record index ``after``, in record order,
    in batches."""
    rows = Vote.objects.filter(statement__conversation=conversation, log_index__isnull=False)
    rows = rows.order_by("log_index")
    last = after
    while True:
        batch = list(
            rows.filter(log_index__gt=last).values_list(
                "log_index", "participant__public_id", "statement__number", "value", "cast_at"
            )[:_BATCH]
        )
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def compute_snapshot(snapshot_id: int) -> dict[str, Any]:
    """Run a queued update (the task body; the demo calls it in-process). A snapshot is run
    once: a task delivered twice finds it no longer queued and does nothing."""
    claimed = MapSnapshot.objects.filter(pk=snapshot_id, status=MapSnapshot.Status.QUEUED).update(
        status=MapSnapshot.Status.RUNNING
    )
    if not claimed:
        return {"snapshot": snapshot_id, "skipped": True}
    snapshot = MapSnapshot.objects.select_related("conversation__engagement").get(pk=snapshot_id)
    try:
        return _compute(snapshot)
    except Exception as error:  # the snapshot says what failed; the worker logs the rest
        MapSnapshot.objects.filter(pk=snapshot.pk).update(
            status=MapSnapshot.Status.FAILED, error=f"{type(error).__name__}: {error}"
        )
        raise


def _compute(snapshot: MapSnapshot) -> dict[str, Any]:
    conversation = snapshot.conversation
    previous = _previous(snapshot)
    opinion_map, last_vote = OpinionMap(), -1  # no earlier map: start from every vote
    if previous is not None:
        # A state kept by another engine version is refused (ValueError): start afresh too.
        with contextlib.suppress(ValueError):
            opinion_map, last_vote = load_state(bytes(previous.state)), previous.last_log_index
    moderated_out, meta = excluded_statements(conversation)
    opinion_map.set_moderation(moderated_out, meta)
    for batch in _new_votes(conversation, last_vote):
        opinion_map.add_votes(
            EngineVote(public_id, str(number), value, cast_at.timestamp())
            for _pk, public_id, number, value, cast_at in batch
        )
        last_vote = batch[-1][0]
    result = opinion_map.update()
    document = result.to_json()
    result_hash = hashlib.sha256(
        json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    provenance = {**result.provenance, "replay": False, "result_hash": result_hash}
    now = timezone.now()
    with transaction.atomic():
        entry = record.append(
            EventType.OPINION_MAP_COMPUTED,
            {
                "engagement": conversation.engagement.slug,
                "conversation": conversation.number,
                "map": snapshot.number,
                "engine": f"heard.opinions {provenance['version']}",
                "input_hash": provenance["input_hash"],
                "result_hash": result_hash,
                "groups": result.group_count,
                "in_map": len(result.groups),
                "votes": provenance["votes"],
                "at": events.timestamp(now),
            },
        )
        MapSnapshot.objects.filter(pk=snapshot.pk).update(
            status=MapSnapshot.Status.FINISHED,
            computed_at=now,
            last_log_index=last_vote,
            result=document,
            state=dump_state(opinion_map),
            provenance=provenance,
            log_index=entry.index,
        )
        # Only the newest map needs the engine's state to go on from; older maps keep their
        # result and provenance (and their record entry), not the working state.
        MapSnapshot.objects.filter(conversation=conversation, number__lt=snapshot.number).exclude(
            state=None
        ).update(state=None)
    return {"snapshot": snapshot.pk, "groups": result.group_count, "in_map": len(result.groups)}


def compute_now(conversation: Conversation) -> MapSnapshot:
    """Queue and run an update in this process (the demo, tests, the command line)."""
    with transaction.atomic():
        snapshot = _new_snapshot(conversation)
    compute_snapshot(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot
