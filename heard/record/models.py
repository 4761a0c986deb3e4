"""The record's storage: entries, the tree's stored hashes, checkpoints, cosignatures.

Rows here are never changed or deleted: the database refuses it (triggers, created by the
migration ``0002_append_only``), not only the ORM. Only ``heard.record.services`` writes them.
"""

from __future__ import annotations

from django.db import models


class LogEntry(models.Model):
    """One leaf of the Merkle log: the exact canonical bytes of an event."""

    index = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=40, db_index=True)
    leaf = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)
    appended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "log entries"

    def __str__(self) -> str:
        return f"entry {self.index} ({self.kind})"


class TreeNode(models.Model):
    """A stored hash: the root of the complete subtree over leaves
    [index·2^level, (index+1)·2^level)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LogHead(models.Model):
    """One row: the log's size. Appends lock it, so concurrent writers take turns."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log of {self.size} entries"


class Checkpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint in a signed note), as published."""

    size = models.BigIntegerField(db_index=True)
    root = models.BinaryField(max_length=32)
    note = models.TextField()
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["size", "id"]

    def __str__(self) -> str:
        return f"checkpoint at {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature line on a checkpoint (C2SP tlog-cosignature)."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness = models.CharField(max_length=200)
    line = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "witness"], name="one_cosignature_each")
        ]

    def __str__(self) -> str:
        return f"{self.witness} on {self.checkpoint}"
