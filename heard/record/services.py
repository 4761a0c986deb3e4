"""The one door into the record: append events, issue checkpoints, make receipts.

``append`` must run inside the transaction that writes the row the event describes (the
listen services do this), so a crash leaves neither an entry without its row nor a row without
its entry. Appends lock the log's head row, so concurrent writers take turns and the tree's
stored hashes are always those of a prefix of the log.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from heard.record import events, keys, merkle, notes
from heard.record.events import EventType
from heard.record.models import Checkpoint, LogEntry, LogHead, TreeNode


class DatabaseNodes:
    """The tree's stored hashes, read from the database in one query per call, and cached.

    Stored hashes never change once written, so a process may keep what it has read. It keeps
    only what it read outside any transaction (committed rows): inside one, a later rollback
    could take back a hash it saw. ``clear`` empties the cache (tests that flush the database).
    """

    MAX_CACHED = 500_000  # about 60 MB; the top of the tree is what proofs share

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], bytes] = {}

    def clear(self) -> None:
        self._cache.clear()

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        if not coords:
            return []
        cache = self._cache
        missing = sorted({c for c in coords if c not in cache})
        found: dict[tuple[int, int], bytes] = {}
        if missing:
            found = self._read(missing)
            if not connection.in_atomic_block:
                if len(cache) + len(found) > self.MAX_CACHED:
                    cache.clear()
                cache.update(found)
        try:
            return [cache[c] if c in cache else found[c] for c in coords]
        except KeyError as absent:
            raise KeyError(f"stored hash {absent.args[0]} is missing") from None

    def _read(self, coords: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        quote = connection.ops.quote_name
        where = " OR ".join([f"({quote('level')} = %s AND {quote('index')} = %s)"] * len(coords))
        sql = (
            f"SELECT {quote('level')}, {quote('index')}, {quote('hash')} "  # noqa: S608 (our names)
            f"FROM {quote(TreeNode._meta.db_table)} WHERE {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for coord in coords for value in coord])
            return {(level, index): bytes(value) for level, index, value in cursor.fetchall()}


NODES = DatabaseNodes()


def append(event_type: EventType, fields: dict[str, Any]) -> Appended:
    """Append one event; returns its entry. Call inside the transaction of the row it records."""
    return append_many([(event_type, fields)])[0]


def append_many(items: Sequence[tuple[EventType, dict[str, Any]]]) -> list[Appended]:
    """Append several events at once (one lock, two bulk inserts)."""
    leaves = [(str(kind), events.encode(kind, fields)) for kind, fields in items]
    with transaction.atomic():
        head, _ = LogHead.objects.select_for_update().get_or_create(id=1)
        size = head.size
        hashes = [merkle.leaf_hash(leaf) for _, leaf in leaves]
        created = merkle.new_nodes_batch(size, hashes, NODES)
        now = timezone.now()
        if connection.vendor != "postgresql":
            now = connection.ops.adapt_datetimefield_value(now)
        _insert(
            LogEntry._meta.db_table,
            ("index", "kind", "leaf", "leaf_hash", "appended_at"),
            ((size + i, kind, leaf, hashes[i], now) for i, (kind, leaf) in enumerate(leaves)),
        )
        _insert(TreeNode._meta.db_table, ("level", "index", "hash"), created)
        LogHead.objects.filter(id=1).update(size=size + len(leaves))
    return [Appended(size + i, kind, leaf, hashes[i]) for i, (kind, leaf) in enumerate(leaves)]


class Appended(NamedTuple):
    """An entry just appended (a plain tuple: building model objects costs more than writing)."""

    index: int
    kind: str
    leaf: bytes
    leaf_hash: bytes


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    """PostgreSQL's COPY: about twice as fast as executemany for a batch of appends."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _insert(table: str, columns: tuple[str, ...], rows) -> None:
    """Insert rows in one statement: COPY on PostgreSQL, ``executemany`` elsewhere. The ORM's
    bulk_create spends ten times longer building model objects than the database spends
    writing them (benchmarks/record_appends)."""
    if connection.vendor == "postgresql":
        _copy(table, columns, rows)
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})",  # noqa: S608 (our names)
            list(rows),
        )


def size() -> int:
    head = LogHead.objects.filter(id=1).first()
    return head.size if head else 0


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size", "-id").first()


def cosigned_note(checkpoint: Checkpoint) -> str:
    """The checkpoint's signed note followed by its witnesses' cosignature lines, as the record
    serves it and the report prints it."""
    return checkpoint.note + "".join(c.line for c in checkpoint.cosignatures.all())


def issue_checkpoint() -> Checkpoint:
    """Sign and keep a checkpoint of the log as it is now (the latest, if the log has not grown)."""
    with transaction.atomic():
        head, _ = LogHead.objects.select_for_update().get_or_create(id=1)
        latest = latest_checkpoint()
        if latest is not None and latest.size == head.size:
            return latest
        root = merkle.root(head.size, NODES)
        note = notes.sign_checkpoint(keys.signer(), head.size, root)
        return Checkpoint.objects.create(size=head.size, root=root, note=note)


def checkpoint_covering(index: int) -> Checkpoint:
    latest = latest_checkpoint()
    if latest is None or latest.size <= index:
        latest = issue_checkpoint()
    return latest


def entry(index: int) -> LogEntry:
    return LogEntry.objects.get(index=index)


def receipt(index: int, *, salt: bytes | None = None) -> str:
    """A C2SP tlog-proof for entry ``index``: the entry's bytes (and, for its author only, the
    salt of their words) ride in ``extra`` so the receipt can be checked with nothing else."""
    item = entry(index)
    checkpoint = checkpoint_covering(index)
    proof = merkle.inclusion_proof(index, checkpoint.size, NODES)
    extra = {"leaf": base64.b64encode(bytes(item.leaf)).decode()}
    if salt is not None:
        extra["salt"] = base64.b64encode(salt).decode()
    extra_bytes = json.dumps(extra, sort_keys=True, separators=(",", ":")).encode()
    return notes.format_proof(index, proof, checkpoint.note, extra_bytes)


def receipt_code(index: int) -> str:
    """A short code a person can keep: the entry's index and the start of its leaf hash."""
    leaf_hash = LogEntry.objects.values_list("leaf_hash", flat=True).get(index=index)
    return f"{index}-{bytes(leaf_hash)[:4].hex()}"


def consistency(old_size: int, new_size: int) -> list[bytes]:
    return merkle.consistency_proof(old_size, new_size, NODES)
