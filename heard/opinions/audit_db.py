"""Read the opinion rows the record audit compares with the log, in batches."""

from __future__ import annotations

from collections.abc import Iterator

from heard.opinions.audit import StatementRow, TallyRow, VoteRow
from heard.opinions.models import HuiTally, Statement, Vote

BATCH = 100_000


def _bytes(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite keeps what an edit wrote: report it, never crash
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


def statement_rows() -> Iterator[StatementRow]:
    for s in Statement.objects.select_related("conversation__engagement", "author").iterator(
        chunk_size=BATCH
    ):
        yield StatementRow(
            key=(s.conversation.engagement.slug, s.conversation.number, s.number),
            participant=s.author.public_id if s.author_id else None,
            seed=s.is_seed,
            meta=s.is_meta,
            language=s.language,
            status=s.status,
            hidden_reason=s.hidden_reason,
            log_index=s.log_index,
            text=s.text,
            salt=_bytes(s.salt),
            withdrawn=s.withdrawn_at is not None,
        )


def vote_rows() -> Iterator[VoteRow]:
    columns = (
        "pk",
        "statement__conversation__engagement__slug",
        "statement__conversation__number",
        "statement__number",
        "participant__public_id",
        "value",
        "log_index",
        "current",
    )
    for pk, slug, conversation, number, participant, value, index, current in (
        Vote.objects.order_by("pk").values_list(*columns).iterator(chunk_size=BATCH)
    ):
        yield VoteRow(pk, (slug, conversation, number), participant, value, index, current)


def tally_rows() -> Iterator[TallyRow]:
    columns = (
        "pk",
        "statement__conversation__engagement__slug",
        "statement__conversation__number",
        "statement__number",
        "hui__key",
        "agree",
        "disagree",
        "passes",
        "log_index",
        "current",
    )
    for pk, slug, conversation, number, hui, a, d, p, index, current in (
        HuiTally.objects.order_by("pk").values_list(*columns).iterator(chunk_size=BATCH)
    ):
        yield TallyRow(pk, (slug, conversation, number), hui, (a, d, p), index, current)
