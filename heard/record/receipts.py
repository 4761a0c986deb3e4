"""Checking a receipt (a C2SP tlog-proof made by heard), step by step, saying what failed.

Plain logic: the caller supplies the site's verifier key, its latest checkpoint and a way to
get consistency proofs, so the same checks run on the web page, in the CLI and offline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from heard.record import events, merkle, notes


@dataclass
class Result:
    ok: bool
    problems: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    event: dict | None = None


def extra_fields(extra: bytes | None) -> dict:
    """heard's receipts carry {"leaf": base64, "salt": base64 (the author's copy only)}."""
    if not extra:
        return {}
    try:
        data = json.loads(extra.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def check(
    text: str,
    *,
    vkey: str,
    latest=None,
    words: str | None = None,
    leaf: bytes | None = None,
    consistency: Callable[[int, int], list[bytes]] | None = None,
) -> Result:
    """Check a receipt: signature, inclusion, (optionally) the words, and that the site's
    latest checkpoint extends the receipt's. ``latest`` has ``size`` and ``root``."""
    result = Result(ok=False)
    try:
        verifier = notes.Verifier.from_vkey(vkey)
        parsed = notes.parse_proof(text)
    except notes.NoteError as error:
        result.problems.append(f"The receipt cannot be read: {error}")
        return result
    fields = extra_fields(parsed.extra)
    if leaf is None and "leaf" in fields:
        try:
            leaf = _extra_bytes(fields, "leaf", "the receipt's entry bytes")
        except notes.NoteError as error:
            result.problems.append(f"The receipt cannot be read: {error}.")
            return result
    if leaf is None:
        result.problems.append("The receipt holds no entry bytes; give them (--leaf).")
        return result
    try:
        verified = notes.verify_proof(
            text, merkle.leaf_hash(leaf), [verifier], origin=verifier.name
        )
    except notes.NoteError as error:  # verify_proof reports proof failures as NoteError too
        result.problems.append(f"The receipt does not verify: {error}")
        return result
    checkpoint = verified.checkpoint
    result.facts.append(
        f"Entry {verified.index} is in the record of {checkpoint.origin}, whose signed "
        f"checkpoint at size {checkpoint.size} includes it."
    )
    try:
        result.event = events.decode(leaf)
    except ValueError as error:
        result.problems.append(f"The entry is not a heard event: {error}")
    if words is not None:
        commitment = (result.event or {}).get("commitment")
        try:
            salt = _extra_bytes(fields, "salt", "the receipt's salt") if "salt" in fields else None
        except notes.NoteError as error:  # extra is not signed: anyone may have edited it
            result.problems.append(f"The words cannot be checked: {error}.")
        else:
            if salt is None or not commitment:
                result.problems.append(
                    "This receipt cannot confirm words: only the author's own copy holds the salt."
                )
            elif events.commitment_matches(commitment, salt, words):
                result.facts.append("These exact words are the ones the record committed to.")
            else:
                result.problems.append("These words are not the ones the record committed to.")
    if latest is not None and consistency is not None:
        if latest.size < checkpoint.size:
            result.problems.append(
                "The receipt's checkpoint is newer than the site's latest; check again later."
            )
        else:
            try:
                merkle.verify_consistency(
                    checkpoint.size,
                    latest.size,
                    checkpoint.root,
                    bytes(latest.root),
                    consistency(checkpoint.size, latest.size),
                )
            except merkle.ProofError as error:
                result.problems.append(
                    f"The site's latest checkpoint does not extend the receipt's: {error}. "
                    "The record may have been rewritten."
                )
            else:
                result.facts.append(
                    f"The site's latest checkpoint (size {latest.size}) extends it: nothing "
                    "before it has been changed."
                )
    result.ok = not result.problems
    return result


def _extra_bytes(fields: dict, name: str, what: str) -> bytes:
    value = fields.get(name)
    if not isinstance(value, str):
        raise notes.NoteError(f"{what} is missing or not text")
    return notes.b64decode(value, what)


def parse_code(code: str) -> tuple[int, str] | None:
    index, _, prefix = code.strip().partition("-")
    if not index.isdigit() or len(prefix) != 8:
        return None
    try:
        bytes.fromhex(prefix)
    except ValueError:
        return None
    return int(index), prefix.lower()


def receipt_for_code(code: str) -> str:
    """The public receipt for a short code, or "" when the code names no entry."""
    from heard.record import services
    from heard.record.models import LogEntry

    parsed = parse_code(code)
    if parsed is None:
        return ""
    index, prefix = parsed
    item = LogEntry.objects.filter(index=index).first()
    if item is None or bytes(item.leaf_hash)[:4].hex() != prefix:
        return ""
    return services.receipt(index)
