"""Gather what ``audit`` needs from the database, in batches (a million rows fit)."""

from __future__ import annotations

from heard.record.audit import RecordEvents, Report, audit_log, audit_records
from heard.record.models import Checkpoint, LogEntry, LogHead, TreeNode

BATCH = 100_000


def _stored_bytes(value) -> bytes:
    """A binary column's value as bytes, whatever someone wrote there.

    SQLite keeps the type of each value, not of the column: an edit such as ``replace(leaf,
    ...)`` stores text where bytes were. The audit must read it and report the change, not fail.
    """
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


def _entries():
    for index, leaf, leaf_hash in (
        LogEntry.objects.order_by("index")
        .values_list("index", "leaf", "leaf_hash")
        .iterator(chunk_size=BATCH)
    ):
        yield index, _stored_bytes(leaf), _stored_bytes(leaf_hash)


def audit_database(vkey: str) -> Report:
    from heard.listen.models import Contribution

    report = Report()
    head = LogHead.objects.filter(id=1).first()
    stored = (
        (level, index, _stored_bytes(value))
        for level, index, value in TreeNode.objects.values_list("level", "index", "hash").iterator(
            chunk_size=BATCH
        )
    )
    checkpoints = (
        (f"checkpoint {c.pk} (size {c.size})", c.note)
        for c in Checkpoint.objects.order_by("size", "id").iterator()
    )
    from heard.opinions import audit_db as opinion_rows
    from heard.opinions.audit import OpinionEvents, audit_opinions

    log = RecordEvents()
    opinions = OpinionEvents()

    def see(index: int, event: dict) -> None:
        log.see(index, event)
        opinions.see(index, event)

    audit_log(
        _entries(),
        stored,
        checkpoints,
        vkey,
        report,
        expected_size=head.size if head else 0,
        on_event=see,
    )
    rows, hidden = {}, {}
    for c in Contribution.objects.select_related(
        "engagement", "participant", "question", "hui"
    ).iterator(chunk_size=BATCH):
        rows[c.pk] = {
            "engagement": c.engagement.slug,
            "participant": c.participant.public_id,
            "channel": c.channel,
            "language": c.language,
            "question": c.question.key if c.question_id else None,
            "hui": c.hui.key if c.hui_id else None,
            "quote_consent": c.quote_consent,
            "log_index": c.log_index,
            "text": c.text,
            "salt": _stored_bytes(c.salt) if c.salt is not None else None,
            "withdrawn": c.withdrawn_at is not None,
        }
        hidden[c.pk] = (c.is_hidden, c.hidden_reason if c.is_hidden else "")
    audit_records(log, rows, hidden, report)
    audit_opinions(
        opinions,
        opinion_rows.statement_rows(),
        opinion_rows.vote_rows(),
        opinion_rows.tally_rows(),
        report,
    )
    return report
