"""Audit a published log (an exported folder or a URL) from its tiles alone, offline from us.

The signed checkpoint says how big the log is and what its root is; the tiles must rebuild
exactly that root, every hash tile must agree byte for byte, and every entry must be a heard
event in canonical form.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from heard.record import events, notes, tiles
from heard.record.audit import Report

MAX_FILE_BYTES = 64 * 1024 * 1024


def fetcher(source: str) -> Callable[[str], bytes]:
    if source.startswith(("http://", "https://")):
        base = source.rstrip("/") + "/"

        def fetch(path: str) -> bytes:
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310
                    return response.read(MAX_FILE_BYTES)
            except OSError as error:
                raise KeyError(f"{path}: {error}") from error

        return fetch
    root = Path(source)

    def read(path: str) -> bytes:
        try:
            return (root / path).read_bytes()
        except OSError as error:
            raise KeyError(f"{path}: {error.strerror}") from error

    return read


def audit_source(source: str, vkey: str) -> Report:
    report = Report()
    fetch = fetcher(source)
    try:
        note = fetch("checkpoint").decode("utf-8")
    except (KeyError, UnicodeDecodeError) as error:
        report.problems.append(f"checkpoint: cannot be read ({error})")
        return report
    verifier = notes.Verifier.from_vkey(vkey)
    try:
        checkpoint, _ = notes.open_checkpoint(note, [verifier], origin=verifier.name)
    except notes.NoteError as error:
        report.problems.append(f"checkpoint: its signature does not verify ({error})")
        return report
    report.checkpoints = 1

    def check_entry(index: int, leaf: bytes) -> None:
        try:
            events.decode(leaf)
        except (ValueError, UnicodeDecodeError) as error:
            report.problems.append(f"entry {index}: {error}")

    try:
        root = tiles.audit_tiles(fetch, checkpoint.size, on_entry=check_entry)
    except (tiles.TileError, KeyError) as error:
        report.problems.append(str(error))
        return report
    if root != checkpoint.root:
        report.problems.append("checkpoint: the tiles rebuild a different root than it signs")
    report.entries = checkpoint.size
    return report
