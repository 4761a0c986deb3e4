"""``heard record export-tiles DIR``: the log as static C2SP tlog-tiles any web host can serve."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from heard.record import services, tiles
from heard.record.models import LogEntry


def read_leaves(start: int, end: int) -> list[bytes]:
    rows = LogEntry.objects.filter(index__gte=start, index__lt=end).order_by("index")
    return [bytes(leaf) for leaf in rows.values_list("leaf", flat=True)]


def export_tiles(out: Path) -> int:
    """Write every tile, entry bundle and the signed checkpoint for the log as it is now.

    Files are written atomically (a mirror never serves half a tile); existing full tiles are
    immutable and rewritten byte for byte identical.
    """
    checkpoint = services.issue_checkpoint()
    count = 0
    for path, data in tiles.build_tiles(
        checkpoint.size, services.NODES, read_leaves, checkpoint=checkpoint.note
    ):
        _write(out / path, data)
        count += 1
    return count


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
