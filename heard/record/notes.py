"""The C2SP text formats the record publishes: signed notes, checkpoints, cosignatures, proofs.

Plain Python (no Django) so that the site, the command line and an offline checker all share one
strict reading of each format. Written from the specification texts:

- c2sp.org/signed-note: a text ending in a newline, a blank line, then one or more lines
  "— <key name> <base64(4-byte key ID || signature)>". Ed25519 keys have signature type 0x01 and
  key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]. Key strings follow Go's
  golang.org/x/mod/sumdb/note: verifier key "<name>+<hex ID>+<base64(type || public key)>", private
  key "PRIVATE+KEY+<name>+<hex ID>+<base64(type || 32-byte seed)>".
- c2sp.org/tlog-checkpoint: the note text "<origin>\\n<size>\\n<base64 root>\\n[extension lines]".
- c2sp.org/tlog-cosignature (Ed25519, cosignature/v1): a note signature whose key ID uses type
  0x04 and whose bytes are an 8-byte big-endian POSIX timestamp followed by an Ed25519 signature
  over "cosignature/v1\\ntime <T>\\n" + the checkpoint text. Witness keys are written as vkeys with
  type 0x04; the private witness key string uses Go's layout with type byte 0x04 (the specification
  names no private key format, so this is ours).
- c2sp.org/tlog-proof: "c2sp.org/tlog-proof@v1", an optional "extra <base64>" line, "index <N>",
  the inclusion proof hashes one base64 hash a line, an empty line, then the signed checkpoint.

Every parser here refuses anything it does not fully understand, with a message that says what is
wrong, because a receipt that is accepted loosely proves nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from heard.record import merkle

SIG_TYPE_ED25519 = 0x01
SIG_TYPE_COSIGNATURE_V1 = 0x04
SIGNATURE_TYPES = (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1)

# The spec says verifiers MUST accept at least 16 signatures and SHOULD set a limit; Go uses 100.
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
ED25519_SIGNATURE_SIZE = 64
TIMESTAMP_SIZE = 8
MAX_TIMESTAMP = 2**63 - 1
MAX_TREE_SIZE = 2**63 - 1
HASH_SIZE = 32
# A Merkle tree of at most 2**63 - 1 leaves has inclusion proofs of at most 63 hashes.
MAX_PROOF_HASHES = 63

COSIGNATURE_HEADER = "cosignature/v1\n"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)")
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


class NoteError(ValueError):
    """A note, key, checkpoint, cosignature or proof is malformed or does not verify."""


# --------------------------------------------------------------------------------------------
# Small strict codecs


def b64encode(data: bytes) -> str:
    """Standard base64 (RFC 4648 section 4) with padding, as every C2SP format uses."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Decode standard base64 strictly: alphabet, padding and canonical form.

    Canonical form (zero pad bits) is required so that one value has exactly one spelling; a
    changed character can then never decode to the same bytes unnoticed.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64: {text!r}") from None
    if b64encode(data) != text:
        raise NoteError(f"{what} is not canonical base64: {text!r}")
    return data


def parse_decimal(text: str, what: str, maximum: int = MAX_TREE_SIZE) -> int:
    """An ASCII decimal with no leading zeroes (except "0 itself"), as the specs require."""
    if not _DECIMAL.fullmatch(text):
        raise NoteError(f"{what} must be an ASCII decimal with no leading zeroes, got {text!r}")
    value = int(text)
    if value > maximum:
        raise NoteError(f"{what} is too large: {text}")
    return value


def _as_text(data: str | bytes, what: str) -> str:
    """Accept text or UTF-8 bytes; refuse invalid UTF-8 (including lone surrogates)."""
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NoteError(
                f"{what} is not valid UTF-8 ({error.reason} at byte {error.start})"
            ) from None
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8 (it contains a lone surrogate)") from None
    return data


def _check_no_controls(text: str, what: str) -> None:
    """Signed notes MUST NOT contain ASCII control characters (below U+0020) other than newline."""
    for position, char in enumerate(text):
        if char < " " and char != "\n":
            raise NoteError(f"{what} contains control character U+{ord(char):04X} at {position}")


def valid_key_name(name: str) -> bool:
    """A key name is non-empty and has no Unicode spaces and no plus signs (signed-note)."""
    return (
        bool(name)
        and "+" not in name
        and not any(char.isspace() or char < " " for char in name)
        and _utf8_ok(name)
    )


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_key_name(name: str) -> None:
    if not valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}: it must be non-empty, with no spaces or '+'")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4], the recommended signed-note key ID."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()[:4]


def _raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _split_key_string(text: str, parts: int, what: str) -> list[str]:
    """Split at the first parts-1 plus signs; base64 key data may itself contain '+'."""
    pieces = text.split("+", parts - 1)
    if len(pieces) != parts:
        raise NoteError(f"malformed {what}")
    return pieces


def _decode_key_fields(name: str, hex_id: str, data64: str, what: str) -> tuple[bytes, int, bytes]:
    """Check the name/ID/data triple shared by vkeys and private keys; return (id, type, key)."""
    _check_key_name(name)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError(f"malformed {what}: key ID must be 8 hex digits, got {hex_id!r}")
    data = b64decode(data64, f"{what} key data")
    if len(data) != 33:
        raise NoteError(f"malformed {what}: expected a type byte and 32 key bytes")
    if data[0] not in SIGNATURE_TYPES:
        raise NoteError(f"unsupported {what} signature type 0x{data[0]:02x}")
    return bytes.fromhex(hex_id), data[0], data[1:]


# --------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class Verifier:
    """A public key that can check note signatures: Ed25519 (0x01) or a witness (0x04)."""

    name: str
    signature_type: int
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if self.signature_type not in SIGNATURE_TYPES:
            raise NoteError(f"unsupported signature type 0x{self.signature_type:02x}")
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, self.signature_type, self.public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse "<name>+<hex key ID>+<base64(type || public key)>" and check the key ID."""
        name, hex_id, data64 = _split_key_string(vkey.strip(), 3, "verifier key")
        claimed_id, signature_type, public_key = _decode_key_fields(
            name, hex_id, data64, "verifier key"
        )
        verifier = cls(name, signature_type, public_key)
        if verifier.key_id != claimed_id:
            raise NoteError("verifier key ID does not match its name and public key")
        return verifier

    @property
    def vkey(self) -> str:
        data = bytes([self.signature_type]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64encode(data)}"

    @property
    def is_witness(self) -> bool:
        return self.signature_type == SIG_TYPE_COSIGNATURE_V1

    def _check_ed25519(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def verify_note_signature(self, text: str, signature: bytes) -> bool:
        """Check signature bytes (after the key ID) over the note text, per signature type."""
        if self.signature_type == SIG_TYPE_ED25519:
            if len(signature) != ED25519_SIGNATURE_SIZE:
                return False
            return self._check_ed25519(text.encode("utf-8"), signature)
        if len(signature) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            message = cosignature_message(text, timestamp)
        except NoteError:
            return False
        return self._check_ed25519(message, signature[TIMESTAMP_SIZE:])


class Signer:
    """A private key held in memory; build it from a private key string with from_key."""

    def __init__(self, name: str, signature_type: int, seed: bytes) -> None:
        _check_key_name(name)
        if len(seed) != 32:
            raise NoteError("an Ed25519 seed is 32 bytes")
        self.name = name
        self.signature_type = signature_type
        self._seed = seed
        self._private_key = Ed25519PrivateKey.from_private_bytes(seed)
        self.verifier = Verifier(name, signature_type, _raw_public_key(self._private_key))

    def __repr__(self) -> str:  # never show the seed
        return f"<Signer {self.verifier.vkey}>"

    @classmethod
    def from_key(cls, private_key: str) -> Signer:
        """Parse "PRIVATE+KEY+<name>+<hex ID>+<base64(type || seed)>" and check the key ID."""
        text = private_key.strip()
        if not text.startswith(PRIVATE_KEY_PREFIX):
            raise NoteError("malformed private key: it must start with PRIVATE+KEY+")
        name, hex_id, data64 = _split_key_string(text[len(PRIVATE_KEY_PREFIX) :], 3, "private key")
        claimed_id, signature_type, seed = _decode_key_fields(name, hex_id, data64, "private key")
        signer = cls(name, signature_type, seed)
        if signer.key_id != claimed_id:
            raise NoteError("private key ID does not match its name and derived public key")
        return signer

    @property
    def key_id(self) -> bytes:
        return self.verifier.key_id

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    @property
    def private_key(self) -> str:
        data = bytes([self.signature_type]) + self._seed
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{b64encode(data)}"

    def sign_raw(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    def signature_line(self, text: str) -> str:
        """The note signature line for text (log keys only; witnesses use cosign)."""
        if self.signature_type != SIG_TYPE_ED25519:
            raise NoteError("a witness key signs checkpoints with cosign(), not sign_note()")
        _check_note_text(text)
        signature = self.key_id + self.sign_raw(text.encode("utf-8"))
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(signature)}\n"

    def sign_note(self, text: str) -> str:
        """The signed note: text, a blank line, and this key's signature line."""
        return text + "\n" + self.signature_line(text)


def _new_key(name: str, signature_type: int) -> str:
    _check_key_name(name)
    return Signer(name, signature_type, os.urandom(32)).private_key


def generate_signer_key(name: str) -> str:
    """A new Ed25519 log key (type 0x01) as a private key string; keep it secret."""
    return _new_key(name, SIG_TYPE_ED25519)


def generate_witness_key(name: str) -> str:
    """A new Ed25519 witness key (type 0x04, cosignature/v1) as a private key string."""
    return _new_key(name, SIG_TYPE_COSIGNATURE_V1)


# --------------------------------------------------------------------------------------------
# Signed notes


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line, not yet verified."""

    name: str
    key_id: bytes
    signature: bytes  # the bytes after the 4-byte key ID
    line: str  # the whole line including the final newline, exactly as found

    @property
    def timestamp(self) -> int | None:
        """The cosignature/v1 timestamp, if this is shaped like one (meaningful only once
        verified by a witness verifier)."""
        if len(self.signature) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            return None
        return int.from_bytes(self.signature[:TIMESTAMP_SIZE], "big")


class OpenedNote(NamedTuple):
    text: str
    verified_by: tuple[str, ...]  # key names whose signatures verified, in note order


def _check_note_text(text: str) -> None:
    _as_text(text, "note text")
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_no_controls(text, "note text")


def parse_signature_line(line: str) -> NoteSignature:
    """Parse "— <name> <base64(key ID || signature)>" (with or without the final newline)."""
    body = line[:-1] if line.endswith("\n") else line
    if "\n" in body:
        raise NoteError("a signature line cannot contain a newline")
    if not body.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"signature line must start with an em dash and a space: {body!r}")
    name, space, data64 = body[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise NoteError(f"signature line has no signature: {body!r}")
    _check_key_name(name)
    data = b64decode(data64, f"signature by {name}")
    if len(data) < 5:
        raise NoteError(f"signature by {name} is too short")
    return NoteSignature(name, data[:4], data[4:], body + "\n")


def split_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Separate a signed note into its text and its parsed (unverified) signature lines."""
    note = _as_text(note, "note")
    _check_no_controls(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("note has no signatures")
    if not block.endswith("\n"):
        raise NoteError("note must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return text, [parse_signature_line(line) for line in lines]


def _verifier_index(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    index: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        key = (verifier.name, verifier.key_id)
        known = index.get(key)
        if known is not None and known != verifier:
            raise NoteError(f"two different keys share name and ID {verifier.name}+{key[1].hex()}")
        index[key] = verifier
    return index


def _verify_signatures(
    note: str | bytes, verifiers: Iterable[Verifier]
) -> tuple[str, list[Verifier]]:
    """The note text and the known keys whose signatures verified (see open_note)."""
    text, signatures = split_note(note)
    known = _verifier_index(verifiers)
    verified: list[Verifier] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if not verifier.verify_note_signature(text, signature.signature):
            raise NoteError(
                f"signature by {signature.name}+{signature.key_id.hex()} does not verify"
            )
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise NoteError("note is not signed by any known key")
    return text, verified


def _names(verified: Sequence[Verifier]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(verifier.name for verifier in verified))


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> OpenedNote:
    """Check a signed note against known keys and return its text and who verified it.

    Signatures from unknown keys (name and key ID not both matching) are ignored, as the spec
    requires. Every signature from a known key must verify, or the whole note is refused (the
    spec's SHOULD), and at least one must verify (its MUST).
    """
    text, verified = _verify_signatures(note, verifiers)
    return OpenedNote(text, _names(verified))


def add_signatures(note: str, signature_lines: Iterable[str]) -> str:
    """Append signature lines (e.g. witness cosignatures) to a signed note, skipping repeats."""
    text, existing = split_note(note)
    lines = [signature.line for signature in existing]
    for line in signature_lines:
        parsed = parse_signature_line(line)
        if parsed.line not in lines:
            lines.append(parsed.line)
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note would have more than {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(lines)


# --------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root, self.extensions)


def _check_checkpoint_line(line: str, what: str) -> None:
    if not line:
        raise NoteError(f"checkpoint {what} must be non-empty")
    if "\n" in line:
        raise NoteError(f"checkpoint {what} cannot contain a newline")
    _check_no_controls(line, f"checkpoint {what}")


def format_checkpoint(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The checkpoint note text (the body that gets signed), in its one canonical form."""
    _check_checkpoint_line(_as_text(origin, "origin"), "origin")
    if not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"tree size out of range: {size!r}")
    if len(root) != HASH_SIZE:
        raise NoteError("checkpoint root hash must be 32 bytes")
    for extension in extensions:
        _check_checkpoint_line(_as_text(extension, "extension"), "extension line")
    lines = [origin, str(size), b64encode(root), *extensions]
    return "\n".join(lines) + "\n"


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """Parse checkpoint note text strictly (it is the text of a signed note, not the note)."""
    text = _as_text(text, "checkpoint")
    if not text.endswith("\n"):
        raise NoteError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs an origin, a size and a root hash line")
    origin, size_line, root_line, *extensions = lines
    _check_checkpoint_line(origin, "origin")
    size = parse_decimal(size_line, "checkpoint tree size")
    root = b64decode(root_line, "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise NoteError("checkpoint root hash must be 32 bytes")
    for extension in extensions:
        _check_checkpoint_line(extension, "extension line")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(signer: Signer, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """A checkpoint signed by the log's key; the origin is the key name, as the spec advises."""
    return signer.sign_note(format_checkpoint(signer.name, size, root, extensions))


def open_checkpoint(
    note: str | bytes,
    verifiers: Iterable[Verifier],
    origin: str | None = None,
    require_log_signature: bool = True,
) -> tuple[Checkpoint, tuple[str, ...]]:
    """Verify a signed checkpoint and parse it; check its origin when one is expected.

    By default a witness cosignature alone is not enough: a log key (type 0x01) must have signed.
    """
    text, verified = _verify_signatures(note, verifiers)
    if require_log_signature and all(verifier.is_witness for verifier in verified):
        raise NoteError("checkpoint is not signed by a known log key")
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, _names(verified)


# --------------------------------------------------------------------------------------------
# Cosignatures (cosignature/v1, Ed25519)


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The exact bytes a cosignature/v1 signs: header, time line, then the checkpoint text."""
    parse_checkpoint(checkpoint_text)
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp out of range: {timestamp}")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, witness: Signer, timestamp: int) -> str:
    """A witness's cosignature line for checkpoint text (not the signed note) at timestamp.

    The caller (the witness) must already have verified the log's signature and consistency.
    """
    if witness.signature_type != SIG_TYPE_COSIGNATURE_V1:
        raise NoteError("cosignatures need a witness key (signature type 0x04)")
    message = cosignature_message(checkpoint_text, timestamp)
    data = witness.key_id + timestamp.to_bytes(TIMESTAMP_SIZE, "big") + witness.sign_raw(message)
    return f"{SIGNATURE_PREFIX}{witness.name} {b64encode(data)}\n"


def verify_cosignature(checkpoint_text: str, signature_line: str, witness: Verifier) -> int:
    """Check one cosignature line from witness over checkpoint text; return its timestamp."""
    if not witness.is_witness:
        raise NoteError("verify_cosignature needs a witness verifier (signature type 0x04)")
    signature = parse_signature_line(signature_line)
    if (signature.name, signature.key_id) != (witness.name, witness.key_id):
        raise NoteError(f"cosignature is from {signature.name}, not from {witness.name}")
    if not witness.verify_note_signature(checkpoint_text, signature.signature):
        raise NoteError(f"cosignature by {witness.name} does not verify")
    timestamp = signature.timestamp
    assert timestamp is not None  # verify_note_signature checked the length
    return timestamp


# --------------------------------------------------------------------------------------------
# Proofs (tlog-proof)


@dataclass(frozen=True)
class TlogProof:
    index: int
    proof: tuple[bytes, ...]
    signed_checkpoint: str  # the checkpoint note exactly as included
    checkpoint: Checkpoint  # parsed from it, NOT yet verified
    extra: bytes | None = None


def format_proof(
    index: int,
    proof_hashes: Sequence[bytes],
    signed_checkpoint: str,
    extra: bytes | None = None,
) -> str:
    """A c2sp.org/tlog-proof@v1 file for the entry at index in the checkpointed tree."""
    if not isinstance(index, int) or not 0 <= index <= MAX_TREE_SIZE:
        raise NoteError(f"entry index out of range: {index!r}")
    if len(proof_hashes) > MAX_PROOF_HASHES:
        raise NoteError("inclusion proof is too long")
    for proof_hash in proof_hashes:
        if len(proof_hash) != HASH_SIZE:
            raise NoteError("inclusion proof hashes must be 32 bytes")
    if extra is not None and not extra:
        raise NoteError("extra data must be non-empty, or None to leave the line out")
    text, _signatures = split_note(signed_checkpoint)
    checkpoint = parse_checkpoint(text)
    if index >= checkpoint.size:
        raise NoteError(f"entry {index} is not in a tree of size {checkpoint.size}")
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        lines.append(f"extra {b64encode(extra)}")
    lines.append(f"index {index}")
    lines.extend(b64encode(proof_hash) for proof_hash in proof_hashes)
    return "\n".join(lines) + "\n\n" + signed_checkpoint


def parse_proof(proof_text: str | bytes) -> TlogProof:
    """Parse a tlog-proof file strictly; the checkpoint's signatures are NOT checked here."""
    text = _as_text(proof_text, "proof")
    header, newline, rest = text.partition("\n")
    if header != TLOG_PROOF_HEADER or not newline:
        raise NoteError(f"proof must start with the line {TLOG_PROOF_HEADER}")
    line, _, rest = rest.partition("\n")
    extra = None
    if line.startswith("extra "):
        extra = b64decode(line[len("extra ") :], "proof extra data")
        if not extra:
            raise NoteError("proof extra line is empty")
        line, _, rest = rest.partition("\n")
    if not line.startswith("index "):
        raise NoteError("proof has no index line")
    index = parse_decimal(line[len("index ") :], "proof index")
    proof: list[bytes] = []
    while True:
        line, newline, rest = rest.partition("\n")
        if not newline:
            raise NoteError("proof has no empty line before its checkpoint")
        if not line:
            break
        if len(proof) == MAX_PROOF_HASHES:
            raise NoteError("inclusion proof is too long")
        proof_hash = b64decode(line, f"proof hash {len(proof) + 1}")
        if len(proof_hash) != HASH_SIZE:
            raise NoteError(f"proof hash {len(proof) + 1} is not 32 bytes")
        proof.append(proof_hash)
    checkpoint_text, _signatures = split_note(rest)
    checkpoint = parse_checkpoint(checkpoint_text)
    if index >= checkpoint.size:
        raise NoteError(f"entry {index} is not in a tree of size {checkpoint.size}")
    return TlogProof(index, tuple(proof), rest, checkpoint, extra)


class VerifiedProof(NamedTuple):
    index: int
    checkpoint: Checkpoint
    verified_by: tuple[str, ...]
    extra: bytes | None


def verify_proof(
    proof_text: str | bytes,
    leaf_hash: bytes,
    verifiers: Iterable[Verifier],
    origin: str | None = None,
) -> VerifiedProof:
    """Check a receipt: the checkpoint is signed by a known log key and includes leaf_hash.

    leaf_hash is the RFC 6962 leaf hash (SHA-256 of 0x00 || entry bytes). A witness cosignature
    alone is not enough: at least one log (type 0x01) key must have signed the checkpoint.
    """
    parsed = parse_proof(proof_text)
    checkpoint, verified_by = open_checkpoint(parsed.signed_checkpoint, verifiers, origin)
    try:
        merkle.verify_inclusion(
            leaf_hash, parsed.index, checkpoint.size, list(parsed.proof), checkpoint.root
        )
    except merkle.ProofError as error:
        raise NoteError(
            f"inclusion proof for entry {parsed.index} does not verify: {error}"
        ) from error
    return VerifiedProof(parsed.index, checkpoint, verified_by, parsed.extra)
