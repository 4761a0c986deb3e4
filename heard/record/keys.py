"""The site's signing key for checkpoints: a file outside the database, made on first use.

The key's name is the log's origin (one per site), so the origin is fixed when the key is made.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

from django.conf import settings

from heard.record import notes


def _default_origin() -> str:
    if settings.HEARD_RECORD_ORIGIN:
        return settings.HEARD_RECORD_ORIGIN
    base = settings.HEARD_BASE_URL.split("://", 1)[-1].strip("/")
    return f"{base}/record" if base else f"heard.localhost/record-{secrets.token_hex(4)}"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = notes.generate_signer_key(_default_origin())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first; use theirs
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")


@functools.cache
def _signer_for(path: str) -> notes.Signer:
    file = Path(path)
    if not file.exists():
        _create(file)
    return notes.Signer.from_key(file.read_text().strip())


def signer() -> notes.Signer:
    return _signer_for(str(settings.HEARD_RECORD_KEY_FILE))


def origin() -> str:
    return signer().name


def vkey() -> str:
    return signer().vkey
