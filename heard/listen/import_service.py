"""Importing hui notes: from an uploaded file to a previewed batch, and from a confirmed batch
to contributions.

The web import (preview, then the worker) and ``heard import contributions`` share these
functions, so a file is judged and imported by one set of rules:

1. :func:`read_file` parses and checks the bytes against the engagement (plain parser in
   ``heard.listen.importing``).
2. :func:`create_batch` keeps the file whole with its report: nothing is imported yet.
3. :func:`confirm` moves a previewed batch to "queued" exactly once (a double click or a
   resent form changes nothing the second time) and, on the web, enqueues the task.
4. :func:`run_import` (the task, or the command in-process) parses the stored bytes again and
   writes good rows through ``services.submit_contribution``, one transaction per chunk, with a
   client key derived from (batch, line): running it twice never keeps a row twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from heard.engagements.models import Engagement
from heard.listen import services
from heard.listen.importing import (
    EngagementShape,
    ImportRow,
    ParseResult,
    Problem,
    gettext_noop,
    parse_file,
)
from heard.listen.models import Contribution, ImportBatch, Participant
from heard.listen.vocab import Channel, QuoteConsent

logger = logging.getLogger(__name__)

# Rows written per transaction: small enough that the web processes are never kept waiting
# for long on SQLite's single writer, large enough to be quick.
CHUNK_ROWS = 200
PREVIEW_ROWS = 200
MAX_REPORTED_ROWS = 1000
PREVIEW_TEXT_CHARS = 600
# Namespace for import client keys: uuid5(namespace, "batch:sha256:line").
IMPORT_KEY_NAMESPACE = uuid.UUID("6f1c1f55-2b8e-4b7a-9a43-6a1d3c0e8b21")

ACTIVE_OR_DONE = (
    ImportBatch.Status.QUEUED,
    ImportBatch.Status.IMPORTING,
    ImportBatch.Status.DONE,
)


def engagement_shape(engagement: Engagement) -> EngagementShape:
    """The plain description of the engagement the parser checks rows against."""
    return EngagementShape(
        hui_keys=frozenset(engagement.hui.values_list("key", flat=True)),
        question_keys=frozenset(engagement.questions.values_list("key", flat=True)),
        max_text_chars=settings.HEARD_CONTRIBUTION_MAX_CHARS,
    )


def read_file(engagement: Engagement, content: bytes, filename: str) -> ParseResult:
    """Parse and check a file; rows also answer to ``services.text_problems``, the rule every
    door applies, so that a row the preview calls good is one the import can keep."""
    result = parse_file(
        content,
        filename,
        engagement_shape(engagement),
        max_bytes=settings.HEARD_IMPORT_MAX_BYTES,
    )
    for row in result.rows:
        if not any(problem.column == "text" for problem in row.problems):
            row.problems.extend(
                Problem(message, column="text") for message in services.text_problems(row.text)
            )
    return result


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [p.as_json() for p in problems]


def _said_at_text(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()


def _preview_row(row: ImportRow) -> dict[str, Any]:
    shown = row.text[:PREVIEW_TEXT_CHARS]
    return {
        "line": row.line,
        "text": shown,
        "text_cut": len(row.text) - len(shown),
        "hui": row.hui,
        "speaker": row.speaker,
        "language": row.language,
        "question": row.question,
        "channel": row.channel,
        "quote_consent": row.quote_consent,
        "said_at": _said_at_text(row.said_at),
        "ok": row.ok,
        "problems": _problems_json(row.problems),
        "warnings": _problems_json(row.warnings),
    }


def build_report(result: ParseResult) -> dict[str, Any]:
    """What the preview page and the command show, kept with the batch (JSON)."""
    bad = result.bad_rows
    warned = [row for row in result.rows if row.warnings]
    return {
        "format": result.format,
        "delimiter": result.delimiter,
        "sheet": result.sheet,
        "columns": result.columns,
        "file_problems": _problems_json(result.file_problems),
        "warnings": _problems_json(result.warnings),
        "blank_rows": result.blank_rows,
        "good_rows": len(result.rows) - len(bad),
        "bad_lines": [row.line for row in bad],
        "problems": [
            {"line": row.line, "problems": _problems_json(row.problems)}
            for row in bad[:MAX_REPORTED_ROWS]
        ],
        "problems_not_listed": max(0, len(bad) - MAX_REPORTED_ROWS),
        "row_warnings": [
            {"line": row.line, "warnings": _problems_json(row.warnings)}
            for row in warned[:MAX_REPORTED_ROWS]
        ],
        "preview": [_preview_row(row) for row in result.rows[:PREVIEW_ROWS]],
        "preview_not_shown": max(0, len(result.rows) - PREVIEW_ROWS),
    }


def create_batch(
    engagement: Engagement,
    *,
    filename: str,
    content: bytes,
    uploaded_by,
    result: ParseResult,
) -> ImportBatch:
    """Keep the file whole, with its report, waiting for a decision. Imports nothing."""
    return ImportBatch.objects.create(
        engagement=engagement,
        filename=filename[:255],
        content=content,
        sha256=sha256_of(content),
        uploaded_by=uploaded_by,
        status=ImportBatch.Status.PREVIEWED,
        total_rows=len(result.rows),
        error_rows=len(result.bad_rows),
        report=build_report(result),
    )


def earlier_imports_of_same_file(batch: ImportBatch) -> QuerySet[ImportBatch]:
    """Other imports of byte-for-byte the same file into this engagement (queued or done)."""
    return (
        ImportBatch.objects.filter(
            engagement_id=batch.engagement_id, sha256=batch.sha256, status__in=ACTIVE_OR_DONE
        )
        .exclude(pk=batch.pk)
        .order_by("-created_at")
    )


def confirm(batch: ImportBatch, mode: str, *, enqueue: bool = True) -> bool:
    """Queue a previewed batch for import in ``mode``. Returns whether this call queued it.

    The move from "previewed" to "queued" is one conditional UPDATE, in the same transaction
    as the task row, so two confirmations racing (a double click, two tabs) queue it once, and
    a crash between the two leaves neither.
    """
    from heard.listen.tasks import import_batch

    with transaction.atomic():
        moved = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEWED).update(
            status=ImportBatch.Status.QUEUED, mode=mode
        )
        if not moved:
            return False
        if enqueue:
            task_result = import_batch.enqueue(batch.pk)
            ImportBatch.objects.filter(pk=batch.pk).update(task_id=str(task_result.id))
    batch.refresh_from_db()
    return True


def retry(batch: ImportBatch) -> bool:
    """Queue a failed batch again. Rows already imported are recognised by their keys."""
    from heard.listen.tasks import import_batch

    with transaction.atomic():
        moved = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.FAILED).update(
            status=ImportBatch.Status.QUEUED
        )
        if not moved:
            return False
        task_result = import_batch.enqueue(batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(task_id=str(task_result.id))
    batch.refresh_from_db()
    return True


def discard(batch: ImportBatch) -> bool:
    """Drop a previewed batch: nothing from it is imported (the file is kept for the record)."""
    moved = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEWED).update(
        status=ImportBatch.Status.DISCARDED
    )
    batch.refresh_from_db()
    return bool(moved)


def client_key_for(batch: ImportBatch, line: int) -> uuid.UUID:
    """The same (batch, line) always gives the same key, so a retried import is idempotent."""
    return uuid.uuid5(IMPORT_KEY_NAMESPACE, f"{batch.pk}:{batch.sha256}:{line}")


def _aware(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """Dates and times in the file are local (the deployment's time zone) unless they say."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


class _RowWriter:
    """Writes good rows of one batch, caching the hui, questions and speakers it looks up."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        engagement = batch.engagement
        self.hui = {h.key: h for h in engagement.hui.all()}
        self.questions = {q.key: q for q in engagement.questions.all()}
        self.speakers: dict[tuple[str, str], Participant] = {}

    def participant(self, row: ImportRow) -> Participant:
        key = (row.hui, row.speaker)
        if key not in self.speakers:
            self.speakers[key] = (
                services.speaker_at_hui(self.hui[row.hui], row.speaker)
                if row.hui
                else services.voice_without_account(
                    self.batch.engagement, source=f"import-{self.batch.pk}", tag=row.speaker
                )
            )
        return self.speakers[key]

    def write(self, row: ImportRow) -> bool:
        submission = services.Submission(
            text=row.text,
            language=row.language,
            channel=Channel(row.channel),
            quote_consent=QuoteConsent(row.quote_consent),
            question=self.questions.get(row.question) if row.question else None,
            hui=self.hui.get(row.hui) if row.hui else None,
            said_at=_aware(row.said_at),
            client_key=client_key_for(self.batch, row.line),
        )
        _contribution, created = services.submit_contribution(
            self.batch.engagement,
            self.participant(row),
            submission,
            recorded_by=self.batch.uploaded_by,
            import_batch=self.batch,
            source_line=row.line,
        )
        return created


def _finish(batch: ImportBatch, status: str, **result: Any) -> None:
    report = dict(batch.report or {})
    report["result"] = result
    imported = Contribution.objects.filter(import_batch=batch).count()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, report=report, imported_rows=imported
    )


def run_import(batch_id: int) -> dict[str, Any]:
    """Import a queued batch: the task body, and what the command runs in-process.

    Parses the stored bytes again (the engagement may have changed since the preview: a hui
    renamed, a question removed). In "all rows" mode a row that is now bad stops the whole
    import before anything is written; in "good rows only" mode it is skipped and reported.
    """
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.IMPORTING]
    ).update(status=ImportBatch.Status.IMPORTING)
    batch = ImportBatch.objects.select_related("engagement", "uploaded_by").get(pk=batch_id)
    if not claimed:
        return {"batch": batch_id, "status": batch.status, "imported": batch.imported_rows}
    try:
        result = read_file(batch.engagement, bytes(batch.content), batch.filename)
        if not result.readable:
            _finish(
                batch,
                ImportBatch.Status.FAILED,
                failure=_problems_json(result.file_problems),
            )
            return {"batch": batch_id, "status": ImportBatch.Status.FAILED, "imported": 0}
        bad_lines = [row.line for row in result.bad_rows]
        if bad_lines and batch.mode != ImportBatch.Mode.GOOD_ONLY:
            report = build_report(result)
            batch.report = report
            _finish(
                batch,
                ImportBatch.Status.FAILED,
                failure=[
                    Problem(
                        gettext_noop(
                            "Rows that were good at the preview are bad now (the engagement "
                            "changed since): lines %(lines)s. Nothing was imported."
                        ),
                        params={"lines": ", ".join(map(str, bad_lines[:50]))},
                    ).as_json()
                ],
            )
            ImportBatch.objects.filter(pk=batch.pk).update(error_rows=len(bad_lines))
            return {"batch": batch_id, "status": ImportBatch.Status.FAILED, "imported": 0}
        writer = _RowWriter(batch)
        good = result.good_rows
        new_rows = 0
        for start in range(0, len(good), CHUNK_ROWS):
            with transaction.atomic():
                for row in good[start : start + CHUNK_ROWS]:
                    new_rows += writer.write(row)
            ImportBatch.objects.filter(pk=batch.pk).update(
                imported_rows=Contribution.objects.filter(import_batch=batch).count()
            )
        _finish(
            batch,
            ImportBatch.Status.DONE,
            imported=len(good),
            new=new_rows,
            skipped_lines=bad_lines,
        )
        return {"batch": batch_id, "status": ImportBatch.Status.DONE, "imported": len(good)}
    except Exception as error:
        logger.exception("Import batch %s failed", batch_id)
        _finish(
            batch,
            ImportBatch.Status.FAILED,
            failure=[
                Problem(
                    gettext_noop(
                        "The import stopped with an error (%(error)s). Rows imported before it "
                        "stopped are kept; trying again continues without keeping any row twice."
                    ),
                    params={"error": f"{type(error).__name__}: {error}"[:300]},
                ).as_json()
            ],
        )
        raise
