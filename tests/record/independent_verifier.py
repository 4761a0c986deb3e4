"""An independent verifier for heard's receipts, written only from the public specifications.

Why this exists: issue 3 is done when a receipt from the demo verifies with an implementation that
shares no code with heard. So this module imports nothing from `heard`; every rule below comes from
the spec texts, which are cited where they apply:

- RFC 9162 2.1.3.2 (verifying an inclusion proof) and 2.1.4.2 (verifying consistency), with the
  RFC 6962 hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
- c2sp.org/signed-note (notes, Ed25519 signatures, key IDs and verifier keys),
  c2sp.org/tlog-checkpoint, c2sp.org/tlog-proof and c2sp.org/tlog-cosignature (Ed25519 type).

Usage: python -m tests.record.independent_verifier RECEIPT --vkey VKEY --leaf FILE   (FILE may be -)
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import sys
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) = HASH() for the empty tree
KEY_TYPE_ED25519 = 0x01  # signed-note signature type for Ed25519
KEY_TYPE_COSIGNATURE = 0x04  # tlog-cosignature timestamped Ed25519 (cosignature/v1)
MAX_SIGNATURES = 100  # signed-note: verifiers SHOULD cap this, and MUST accept at least 16
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
EM_DASH_SPACE = "\u2014 "


class VerificationError(Exception):
    """Anything that is malformed, does not verify, or does not match what was expected."""


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root: bytes
    extensions: list[str]


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _b64(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), canonical only: a re-encoding must give the same text.

    Without the canonical check, a changed character in the unused low bits of the last group
    would decode to the same bytes and a modified note would still be accepted.
    """
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise VerificationError(f"{what} is not valid base64") from error
    if base64.b64encode(data).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return data


def _decimal(text: str, what: str) -> int:
    """ASCII decimal with no leading zeroes (unless it is 0), as tlog-checkpoint/tlog-proof say."""
    if not (text.isascii() and text.isdigit()) or (len(text) > 1 and text[0] == "0"):
        raise VerificationError(f"{what} {text!r} is not a decimal with no leading zeroes")
    value = int(text)
    if value >= 2**64:
        raise VerificationError(f"{what} {text} does not fit in 64 bits")
    return value


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(char.isspace() for char in name):
        raise VerificationError(f"key name {name!r} is empty or has a space or '+'")


def _key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def parse_vkey(vkey: str, key_type: int = KEY_TYPE_ED25519) -> tuple[str, bytes, bytes]:
    """Parse "<name>+<hex key ID>+<base64(type || 32-byte key)>"; check the type and the key ID."""
    parts = vkey.strip().split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) != 3:
        raise VerificationError("a verifier key has the form <name>+<hex key id>+<base64 key>")
    name, id_hex, key_b64 = parts
    _check_key_name(name)
    if len(id_hex) != 8 or any(char not in "0123456789abcdefABCDEF" for char in id_hex):
        raise VerificationError(f"verifier key ID {id_hex!r} is not 8 hex digits")
    key = _b64(key_b64, "verifier key")
    if len(key) != 33 or key[0] != key_type:
        raise VerificationError(f"verifier key is not type 0x{key_type:02x} with a 32-byte key")
    public_key = key[1:]
    if _key_id(name, key_type, public_key) != bytes.fromhex(id_hex):
        raise VerificationError("verifier key ID does not match its name and key")
    return name, bytes.fromhex(id_hex), public_key


def _split_note(note: str | bytes) -> tuple[str, list[tuple[str, bytes]]]:
    """signed-note format: text ending in newline, a blank line, then '— <name> <base64>' lines."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as error:
            raise VerificationError("note is not valid UTF-8") from error
    if any(ord(char) < 0x20 and char != "\n" for char in note):
        raise VerificationError("note contains a control character other than newline")
    split = note.rfind("\n\n")  # the text ends at the LAST empty line; the text may contain some
    if split < 0 or not note.endswith("\n"):
        raise VerificationError("note has no blank line before its signatures, or no final newline")
    text, lines = note[: split + 1], note[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError("note has too many signatures")
    signatures = []
    for line in lines:
        fields = line.removeprefix(EM_DASH_SPACE).split(" ")
        if not line.startswith(EM_DASH_SPACE) or len(fields) != 2:
            raise VerificationError(f"malformed signature line {line!r}")
        _check_key_name(fields[0])
        signature = _b64(fields[1], "signature")
        if len(signature) < 5:
            raise VerificationError("signature is shorter than a key ID and one byte")
        signatures.append((fields[0], signature))
    return text, signatures


def _ed25519_ok(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_note(note: str | bytes, vkey: str) -> str:
    """Return the note text if the key signed it. Unknown keys are ignored, as the spec requires;
    a signature by the known key (same name AND key ID) that fails makes the whole note fail."""
    name, key_id, public_key = parse_vkey(vkey)
    text, signatures = _split_note(note)
    verified = False
    for signer, signature in signatures:
        if (signer, signature[:4]) != (name, key_id):
            continue
        if not _ed25519_ok(public_key, signature[4:], text.encode()):
            raise VerificationError(f"the signature by {name} does not verify")
        verified = True
    if not verified:
        raise VerificationError(f"the note has no signature by {name}+{key_id.hex()}")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """tlog-checkpoint note text: origin, tree size, base64 root hash, then optional extensions."""
    if not text.endswith("\n"):
        raise VerificationError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(line == "" for line in lines):
        raise VerificationError("checkpoint needs at least three lines, none of them empty")
    root = _b64(lines[2], "checkpoint root hash")
    if len(root) != HASH_SIZE:
        raise VerificationError("checkpoint root hash is not 32 bytes")
    return Checkpoint(lines[0], _decimal(lines[1], "tree size"), root, lines[3:])


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise VerificationError("a hash is not 32 bytes")


def verify_inclusion_hash(
    hash_: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    """RFC 9162 2.1.3.2, step by step, for a leaf hash."""
    _check_hashes(hash_, root, *proof)
    if not 0 <= index < size:  # 1. leaf_index >= tree_size fails
        raise VerificationError(f"index {index} is not inside a tree of size {size}")
    fn, sn, r = index, size - 1, hash_  # 2. and 3.
    for p in proof:  # 4.
        if sn == 0:  # a.
            raise VerificationError("inclusion proof is too long")
        if fn & 1 or fn == sn:  # b.
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # c.
    if sn != 0 or r != root:  # 5.
        raise VerificationError("inclusion proof does not lead to the root")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """Verify that entry bytes `leaf` are entry `index` of the tree of `size` with `root`."""
    verify_inclusion_hash(leaf_hash(leaf), index, size, proof, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    """RFC 9162 2.1.4.2 for 0 < first < second. The RFC's algorithm covers only that range, so the
    trivial cases are decided here: a tree is consistent with itself and the empty tree (root
    SHA-256 of nothing) with every tree, each only with an empty proof."""
    _check_hashes(old_root, new_root, *proof)
    if not 0 <= old_size <= new_size:
        raise VerificationError(f"size {old_size} cannot be followed by size {new_size}")
    if old_size == 0 or old_size == new_size:
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or old_root != expected:
            raise VerificationError("trivial consistency needs an empty proof and matching roots")
        return
    if not proof:  # 1.
        raise VerificationError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # 2. first is an exact power of 2: the log left it out
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # 3.
    while fn & 1:  # 4.
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # 5.
    for c in path[1:]:  # 6.
        if sn == 0:  # a.
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:  # b.
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # c.
    if fr != old_root or sr != new_root or sn != 0:  # 7.
        raise VerificationError("consistency proof does not lead to both roots")


def parse_tlog_proof(text: str) -> dict:
    """tlog-proof: header, optional 'extra <base64>', 'index <n>', hashes, empty line, checkpoint.

    The hashes end at the first empty line; everything after it is the checkpoint note, verbatim.
    """
    lines = text.split("\n")
    if lines[0] != PROOF_HEADER:
        raise VerificationError(f"a tlog-proof starts with the line {PROOF_HEADER}")
    at, extra = 1, None
    if len(lines) > at and lines[at].startswith("extra "):
        extra, at = _b64(lines[at].removeprefix("extra "), "extra data"), at + 1
    if len(lines) <= at or not lines[at].startswith("index "):
        raise VerificationError("a tlog-proof needs an 'index <n>' line after the header")
    index = _decimal(lines[at].removeprefix("index "), "index")
    try:
        blank = lines.index("", at + 1)
    except ValueError as error:
        raise VerificationError("a tlog-proof needs an empty line before the checkpoint") from error
    proof = [_b64(line, "proof hash") for line in lines[at + 1 : blank]]
    _check_hashes(*proof)
    checkpoint_note = "\n".join(lines[blank + 1 :])
    return {"extra": extra, "index": index, "proof": proof, "checkpoint_note": checkpoint_note}


def verify_receipt(receipt_text: str, vkey: str, leaf: bytes, origin: str | None = None) -> dict:
    """Everything a holder of a receipt can check offline: the log's signature on the checkpoint,
    the checkpoint's origin (default: the key name, which tlog-checkpoint says SHOULD match it),
    and that `leaf` (the entry's exact bytes) is at the receipt's index under the signed root."""
    parsed = parse_tlog_proof(receipt_text)
    checkpoint = parse_checkpoint(verify_note(parsed["checkpoint_note"], vkey))
    expected_origin = origin if origin is not None else parse_vkey(vkey)[0]
    if checkpoint.origin != expected_origin:
        raise VerificationError(
            f"checkpoint origin is {checkpoint.origin!r}, not {expected_origin!r}"
        )
    verify_inclusion(leaf, parsed["index"], checkpoint.size, parsed["proof"], checkpoint.root)
    return {
        "index": parsed["index"],
        "size": checkpoint.size,
        "root": checkpoint.root,
        "origin": checkpoint.origin,
        "extra": parsed["extra"],
    }


def verify_cosignature(note: str | bytes, witness_vkey: str) -> int:
    """tlog-cosignature, Ed25519 type (key type 0x04): return the cosignature's timestamp.

    The signature is key ID || u64 big-endian timestamp || Ed25519 signature over
    "cosignature/v1\\ntime <timestamp>\\n" followed by the whole checkpoint text.
    """
    name, key_id, public_key = parse_vkey(witness_vkey, KEY_TYPE_COSIGNATURE)
    text, signatures = _split_note(note)
    parse_checkpoint(text)
    timestamps = []
    for signer, signature in signatures:
        if (signer, signature[:4]) != (name, key_id):
            continue
        if len(signature) != 4 + 8 + 64:
            raise VerificationError(f"the cosignature by {name} is not 76 bytes")
        timestamp = int.from_bytes(signature[4:12], "big")
        message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
        if timestamp >= 2**63 or not _ed25519_ok(public_key, signature[12:], message):
            raise VerificationError(f"the cosignature by {name} does not verify")
        timestamps.append(timestamp)
    if not timestamps:
        raise VerificationError(f"the note has no cosignature by {name}+{key_id.hex()}")
    return max(timestamps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a C2SP tlog-proof receipt offline.")
    parser.add_argument("receipt", help="the .tlog-proof file")
    parser.add_argument("--vkey", required=True, help="the log's verifier key")
    parser.add_argument("--leaf", required=True, help="file with the entry's exact bytes, or -")
    parser.add_argument("--origin", help="expected log origin (default: the key's name)")
    args = parser.parse_args(argv)
    try:
        with open(args.receipt, "rb") as receipt_file:
            receipt = receipt_file.read().decode("utf-8")
        if args.leaf == "-":
            leaf = sys.stdin.buffer.read()
        else:
            with open(args.leaf, "rb") as leaf_file:
                leaf = leaf_file.read()
        result = verify_receipt(receipt, args.vkey, leaf, args.origin)
    except (OSError, UnicodeDecodeError, VerificationError) as error:
        print(f"FAILED: {error}")
        return 1
    print(f"OK: entry {result['index']} is in {result['origin']} at tree size {result['size']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
