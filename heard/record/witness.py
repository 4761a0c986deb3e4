"""A witness: check that a log's new checkpoint extends the last one it saw, then cosign it.

Plain module. Another agency, an iwi organisation or a university runs ``heard record witness``
against our site; a log that rewrote its history cannot get their cosignature on the new tree.
The witness keeps the last checkpoint it cosigned in a state file of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from heard.record import merkle, notes


class WitnessError(Exception):
    """The checkpoint must not be cosigned: the reason says why."""


def witness_once(
    *,
    checkpoint_note: str,
    consistency: Callable[[int, int], list[bytes]],
    log_vkey: str,
    signer: notes.Signer,
    state: Path,
    now: int | None = None,
) -> tuple[str, str]:
    """Verify, check consistency with the remembered checkpoint, cosign, remember.

    Returns the note with the cosignature added and the cosignature line.
    """
    log = notes.Verifier.from_vkey(log_vkey)
    try:
        checkpoint, _ = notes.open_checkpoint(checkpoint_note, [log], origin=log.name)
    except notes.NoteError as error:
        raise WitnessError(f"the checkpoint's signature does not verify: {error}") from error
    if state.exists():
        last = notes.parse_checkpoint(state.read_text(encoding="utf-8"))
        if last.origin != checkpoint.origin:
            raise WitnessError(f"the state file is for {last.origin}, not {checkpoint.origin}")
        if checkpoint.size < last.size:
            raise WitnessError(f"the log went back from {last.size} to {checkpoint.size} entries")
        if checkpoint.size == last.size and checkpoint.root != last.root:
            raise WitnessError(f"two different trees of size {last.size}: the log forked")
        if checkpoint.size > last.size:
            try:
                merkle.verify_consistency(
                    last.size,
                    checkpoint.size,
                    last.root,
                    checkpoint.root,
                    consistency(last.size, checkpoint.size),
                )
            except merkle.ProofError as error:
                raise WitnessError(
                    f"the new checkpoint does not extend the one seen before: {error}"
                ) from error
    line = notes.cosign(checkpoint.text, signer, int(time.time()) if now is None else now)
    state.parent.mkdir(parents=True, exist_ok=True)
    temporary = state.with_suffix(".tmp")
    temporary.write_text(checkpoint.text, encoding="utf-8")
    temporary.replace(state)
    return notes.add_signatures(checkpoint_note, [line]), line


def accept_cosignatures(
    note: str, checkpoint_notes: dict[str, object], witness_vkeys: list[str]
) -> list[tuple[object, str, str]]:
    """The site's side: which cosignature lines in ``note`` come from a known witness and
    verify over one of our checkpoints. ``checkpoint_notes`` maps checkpoint text to its row.

    Returns (row, witness name, line) for each; raises WitnessError when none qualifies.
    """
    text, signatures = notes.split_note(note)
    row = checkpoint_notes.get(text)
    if row is None:
        raise WitnessError("that is not one of this log's checkpoints")
    accepted = []
    for vkey in witness_vkeys:
        witness = notes.Verifier.from_vkey(vkey)
        for signature in signatures:
            if signature.name != witness.name or signature.key_id != witness.key_id:
                continue
            try:
                notes.verify_cosignature(text, signature.line, witness)
            except notes.NoteError as error:
                raise WitnessError(
                    f"the cosignature of {witness.name} does not verify: {error}"
                ) from error
            accepted.append((row, witness.name, signature.line))
    if not accepted:
        raise WitnessError("no cosignature from a witness this site knows")
    return accepted
