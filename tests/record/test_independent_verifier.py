"""Tests for the independent verifier: published vectors, a naive RFC tree, hand-built receipts.

Nothing here imports `heard`: the point of the verifier is that it shares no code with it.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.record import independent_verifier as iv

REPO_ROOT = Path(__file__).resolve().parents[2]

# The example in the golang.org/x/mod/sumdb/note documentation and note_test.go.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_NOTE = (
    PETER_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# RFC 6962 test vectors for the 8-leaf tree, as published in transparency-dev/merkle
# proof/verify_test.go (inherited from the certificate-transparency reference code). The source
# numbers leaves from 1 in its inclusion vectors; the indexes below are zero-based.
RFC_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
RFC_ROOTS = {  # tree size -> root
    size: bytes.fromhex(h)
    for size, h in enumerate(
        [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
    )
}
H_96A2 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_5F08 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_6B47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_BC1A = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_CA85 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_D37E = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
H_0EBC = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
H_B086 = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
H_6E34 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
H_FAC5 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
RFC_INCLUSION = [  # (index, size, proof)
    (0, 8, [H_96A2, H_5F08, H_6B47]),
    (5, 8, [H_BC1A, H_CA85, H_D37E]),
    (2, 3, [H_FAC5]),
    (1, 5, [H_6E34, H_5F08, H_BC1A]),
]
RFC_CONSISTENCY = [  # (old size, new size, proof)
    (1, 8, [H_96A2, H_5F08, H_6B47]),
    (6, 8, [H_0EBC, H_CA85, H_D37E]),
    (2, 5, [H_5F08, H_BC1A]),
    (6, 7, [H_0EBC, H_B086, H_D37E]),
]
SOME_HASH = hashlib.sha256(b"some other hash").digest()


# --- a naive tree, straight from the recursive definitions in RFC 6962 2.1 / RFC 9162 2.1 ---


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = _largest_power_of_two_below(len(entries))
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def path(m: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) == 1:
        return []
    k = _largest_power_of_two_below(len(entries))
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    if m == len(entries):
        return [] if complete else [mth(entries)]
    k = _largest_power_of_two_below(len(entries))
    if m <= k:
        return [*subproof(m, entries[:k], complete), mth(entries[k:])]
    return [*subproof(m - k, entries[k:], False), mth(entries[:k])]


def flipped(hashes: list[bytes], at: int) -> list[bytes]:
    changed = list(hashes)
    changed[at] = bytes([changed[at][0] ^ 0x10]) + changed[at][1:]
    return changed


# --- signed notes ---


def test_the_published_go_note_verifies():
    assert iv.verify_note(PETER_NOTE, PETER_VKEY) == PETER_TEXT
    assert iv.parse_vkey(PETER_VKEY)[:2] == ("PeterNeumann", bytes.fromhex("c74f20a3"))


@pytest.mark.parametrize("flip", [0x01, 0x02])
def test_any_single_changed_byte_in_the_note_is_rejected(flip):
    note = PETER_NOTE.encode()
    for at in range(len(note)):
        changed = note[:at] + bytes([note[at] ^ flip]) + note[at + 1 :]
        with pytest.raises(iv.VerificationError):
            iv.verify_note(changed, PETER_VKEY)


def test_any_single_changed_byte_in_the_vkey_is_rejected():
    for at in range(len(PETER_VKEY)):
        changed = PETER_VKEY[:at] + chr(ord(PETER_VKEY[at]) ^ 0x01) + PETER_VKEY[at + 1 :]
        with pytest.raises(iv.VerificationError):
            iv.parse_vkey(changed)  # the key ID is recomputed, so a changed key is caught here
        with pytest.raises(iv.VerificationError):
            iv.verify_note(PETER_NOTE, changed)


def test_the_text_ends_at_the_last_blank_line_and_control_characters_are_refused():
    key = Ed25519PrivateKey.generate()
    vkey, poem = make_vkey("quasimodo.example", key), "Ognuno sta solo\n\ned è subito sera.\n"
    assert iv.verify_note(poem + "\n" + sign_line("quasimodo.example", key, poem), vkey) == poem
    for text in ["tab\there\n", "carriage\r\n"]:
        with pytest.raises(iv.VerificationError, match="control character"):
            iv.verify_note(text + "\n" + sign_line("quasimodo.example", key, text), vkey)


def test_unknown_signatures_are_ignored_but_a_bad_known_one_fails_the_note():
    stranger = "— example.org/other " + base64.b64encode(b"\x01\x02\x03\x04" + bytes(64)).decode()
    assert iv.verify_note(PETER_NOTE + stranger + "\n", PETER_VKEY) == PETER_TEXT
    forged = "— PeterNeumann " + base64.b64encode(bytes.fromhex("c74f20a3") + bytes(64)).decode()
    with pytest.raises(iv.VerificationError, match="does not verify"):
        iv.verify_note(PETER_NOTE + forged + "\n", PETER_VKEY)
    with pytest.raises(iv.VerificationError, match="no signature"):
        iv.verify_note(PETER_TEXT + "\n" + stranger + "\n", PETER_VKEY)


# --- RFC 6962 / RFC 9162 proofs ---


def test_the_naive_tree_reproduces_the_published_roots():
    for size, root in RFC_ROOTS.items():
        assert mth(RFC_LEAVES[:size]) == root


@pytest.mark.parametrize(("index", "size", "proof_hex"), RFC_INCLUSION)
def test_published_inclusion_proofs_verify_and_corruptions_do_not(index, size, proof_hex):
    proof, root, leaf = [bytes.fromhex(h) for h in proof_hex], RFC_ROOTS[size], RFC_LEAVES[index]
    assert path(index, RFC_LEAVES[:size]) == proof
    iv.verify_inclusion(leaf, index, size, proof, root)
    bad = [
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (b"wrong leaf", index, size, proof, root),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [root, *proof], root),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, proof[:-1], root),
        *[(leaf, index, size, flipped(proof, at), root) for at in range(len(proof))],
    ]
    if index > 0:
        bad.append((leaf, index - 1, size, proof, root))
    for args in bad:
        with pytest.raises(iv.VerificationError):
            iv.verify_inclusion(*args)


@pytest.mark.parametrize(("old", "new", "proof_hex"), RFC_CONSISTENCY)
def test_published_consistency_proofs_verify_and_corruptions_do_not(old, new, proof_hex):
    proof, r1, r2 = [bytes.fromhex(h) for h in proof_hex], RFC_ROOTS[old], RFC_ROOTS[new]
    assert subproof(old, RFC_LEAVES[:new], True) == proof
    iv.verify_consistency(old, new, r1, r2, proof)
    bad = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, r2, r1, proof),
        (old, new, SOME_HASH, r2, proof),
        (old, new, r1, SOME_HASH, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, proof[:-1]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [r1, *proof]),  # a power-of-two old root must NOT be sent
        (old, new, r1, r2, [proof[0], *proof]),
        *[(old, new, r1, r2, flipped(proof, at)) for at in range(len(proof))],
    ]
    for args in bad:
        with pytest.raises(iv.VerificationError):
            iv.verify_consistency(*args)


def test_every_proof_of_a_naive_tree_verifies_and_every_flipped_bit_fails():
    entries = [f"entry {i}".encode() for i in range(17)]
    for size in range(1, len(entries) + 1):
        tree, root = entries[:size], mth(entries[:size])
        for index in range(size):
            proof = path(index, tree)
            iv.verify_inclusion(entries[index], index, size, proof, root)
            for at in range(len(proof)):
                with pytest.raises(iv.VerificationError):
                    iv.verify_inclusion(entries[index], index, size, flipped(proof, at), root)
        for old in range(1, size):
            proof = subproof(old, tree, True)
            iv.verify_consistency(old, size, mth(entries[:old]), root, proof)
            for at in range(len(proof)):
                with pytest.raises(iv.VerificationError):
                    iv.verify_consistency(old, size, mth(entries[:old]), root, flipped(proof, at))


def test_trivial_consistency_cases():
    empty, root = RFC_ROOTS[0], RFC_ROOTS[3]
    iv.verify_consistency(0, 3, empty, root, [])
    iv.verify_consistency(3, 3, root, root, [])
    for args in [
        (0, 3, SOME_HASH, root, []),
        (3, 3, root, SOME_HASH, []),
        (3, 3, root, root, [root]),
        (4, 3, root, root, []),
    ]:
        with pytest.raises(iv.VerificationError):
            iv.verify_consistency(*args)
    with pytest.raises(iv.VerificationError):
        iv.verify_inclusion(b"", 0, 0, [], empty)


# --- checkpoints, tlog-proof receipts and cosignatures, built by hand from the spec texts ---

LOG_NAME = "example.org/heard-test"


def _raw(public_key) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def make_vkey(name: str, key: Ed25519PrivateKey, key_type: int = 0x01) -> str:
    raw = _raw(key.public_key())
    key_id = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + raw).digest()[:4]
    return f"{name}+{key_id.hex()}+{base64.b64encode(bytes([key_type]) + raw).decode()}"


def sign_line(name: str, key: Ed25519PrivateKey, text: str) -> str:
    key_id = bytes.fromhex(make_vkey(name, key).split("+")[1])
    return f"— {name} {base64.b64encode(key_id + key.sign(text.encode())).decode()}\n"


def checkpoint_text(size: int, root: bytes, origin: str = LOG_NAME) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def receipt_text(index: int, hashes: list[bytes], note: str, extra: bytes | None = None) -> str:
    lines = ["c2sp.org/tlog-proof@v1"]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode())
    lines += [f"index {index}", *(base64.b64encode(h).decode() for h in hashes), ""]
    return "\n".join(lines) + "\n" + note


@pytest.fixture
def log():
    key = Ed25519PrivateKey.generate()
    entries = [f'{{"entry":{i}}}'.encode() for i in range(13)]
    body = checkpoint_text(len(entries), mth(entries))
    return {
        "key": key,
        "vkey": make_vkey(LOG_NAME, key),
        "entries": entries,
        "body": body,
        "note": body + "\n" + sign_line(LOG_NAME, key, body),
    }


def test_parse_checkpoint_follows_the_spec():
    root = RFC_ROOTS[8]
    assert iv.parse_checkpoint(checkpoint_text(8, root) + "ext one\n") == (
        LOG_NAME,
        8,
        root,
        ["ext one"],
    )
    for bad in [
        checkpoint_text(8, root).rstrip("\n"),
        f"{LOG_NAME}\n08\n{base64.b64encode(root).decode()}\n",
        f"{LOG_NAME}\n8\n{base64.b64encode(root[:31]).decode()}\n",
        f"{LOG_NAME}\n8\n",
        checkpoint_text(8, root) + "\n",
        checkpoint_text(8, root, origin=""),
    ]:
        with pytest.raises(iv.VerificationError):
            iv.parse_checkpoint(bad)


def test_every_receipt_of_a_signed_log_verifies(log):
    entries = log["entries"]
    for index, entry in enumerate(entries):
        receipt = receipt_text(index, path(index, entries), log["note"], extra=b"ref:%d" % index)
        result = iv.verify_receipt(receipt, log["vkey"], entry)
        assert (result["index"], result["size"]) == (index, len(entries))
        assert (result["root"], result["extra"]) == (mth(entries), b"ref:%d" % index)
    parsed = iv.parse_tlog_proof(receipt_text(3, path(3, entries), log["note"]))
    assert (parsed["extra"], parsed["index"], parsed["checkpoint_note"]) == (None, 3, log["note"])


def test_a_receipt_for_a_one_entry_log_has_no_hashes():
    key = Ed25519PrivateKey.generate()
    body = checkpoint_text(1, mth([b"only"]))
    receipt = receipt_text(0, [], body + "\n" + sign_line(LOG_NAME, key, body))
    assert iv.verify_receipt(receipt, make_vkey(LOG_NAME, key), b"only")["size"] == 1


def test_any_single_changed_byte_in_a_receipt_is_rejected(log):
    receipt = receipt_text(6, path(6, log["entries"]), log["note"]).encode()
    for at in range(len(receipt)):
        changed = receipt[:at] + bytes([receipt[at] ^ 0x01]) + receipt[at + 1 :]
        with pytest.raises((iv.VerificationError, UnicodeDecodeError)):
            iv.verify_receipt(changed.decode(), log["vkey"], log["entries"][6])


def test_receipts_are_checked_against_leaf_key_and_origin(log):
    entries, note = log["entries"], log["note"]
    receipt = receipt_text(4, path(4, entries), note)
    other_vkey = make_vkey(LOG_NAME, Ed25519PrivateKey.generate())
    with pytest.raises(iv.VerificationError, match="inclusion"):
        iv.verify_receipt(receipt, log["vkey"], entries[5])
    with pytest.raises(iv.VerificationError, match="no signature"):
        iv.verify_receipt(receipt, other_vkey, entries[4])
    with pytest.raises(iv.VerificationError, match="origin"):
        iv.verify_receipt(receipt, log["vkey"], entries[4], origin="example.org/elsewhere")
    # A checkpoint whose origin differs from the key name verifies only when asked for by name.
    body = checkpoint_text(len(entries), mth(entries), origin="example.org/renamed")
    renamed = receipt_text(4, path(4, entries), body + "\n" + sign_line(LOG_NAME, log["key"], body))
    with pytest.raises(iv.VerificationError, match="origin"):
        iv.verify_receipt(renamed, log["vkey"], entries[4])
    assert iv.verify_receipt(renamed, log["vkey"], entries[4], origin="example.org/renamed")


def test_malformed_receipts_are_rejected_with_a_reason(log):
    good = receipt_text(2, path(2, log["entries"]), log["note"])
    for bad, reason in [
        (good.replace("tlog-proof@v1", "tlog-proof@v2", 1), "starts with"),
        (good.replace("index 2\n", "index 02\n", 1), "leading zeroes"),
        (good.replace("index 2\n", "", 1), "index"),
        (good.split("\n\n")[0], "empty line"),
        (good.split("\n\n")[0] + "\n\n", "blank line"),  # no checkpoint after the proof
        (good.replace("\n\n", "\n", 1), "base64"),  # the origin line is read as a proof hash
        (good.replace("index 2\n", "extra !!\nindex 2\n", 1), "base64"),
        (good.replace("\n\n", "\nAAAA\n\n", 1), "32 bytes"),
    ]:
        with pytest.raises(iv.VerificationError, match=reason):
            iv.verify_receipt(bad, log["vkey"], log["entries"][2])


def test_cosignatures_verify_and_do_not_disturb_the_log_signature(log):
    witness, witness_name = Ed25519PrivateKey.generate(), "witness.example/w1"
    timestamp = 1679315147  # the example time in the tlog-cosignature spec
    witness_vkey = make_vkey(witness_name, witness, key_type=0x04)
    key_id = bytes.fromhex(witness_vkey.split("+")[1])
    signed = witness.sign(f"cosignature/v1\ntime {timestamp}\n{log['body']}".encode())
    blob = key_id + timestamp.to_bytes(8, "big") + signed
    cosigned = log["note"] + f"— {witness_name} {base64.b64encode(blob).decode()}\n"
    assert iv.verify_cosignature(cosigned, witness_vkey) == timestamp
    assert iv.verify_note(cosigned, log["vkey"]) == log["body"]
    entries = log["entries"]
    assert iv.verify_receipt(receipt_text(9, path(9, entries), cosigned), log["vkey"], entries[9])
    later = key_id + (timestamp + 1).to_bytes(8, "big") + signed
    forged = log["note"] + f"— {witness_name} {base64.b64encode(later).decode()}\n"
    with pytest.raises(iv.VerificationError, match="does not verify"):
        iv.verify_cosignature(forged, witness_vkey)
    with pytest.raises(iv.VerificationError, match="no cosignature"):
        iv.verify_cosignature(log["note"], witness_vkey)
    with pytest.raises(iv.VerificationError, match="type 0x04"):
        iv.verify_cosignature(cosigned, make_vkey(witness_name, witness))


# --- command line ---


def _files(tmp_path: Path, log, index: int) -> tuple[Path, Path]:
    receipt = tmp_path / "entry.tlog-proof"
    receipt.write_text(receipt_text(index, path(index, log["entries"]), log["note"]))
    leaf = tmp_path / "entry.bin"
    leaf.write_bytes(log["entries"][index])
    return receipt, leaf


def test_the_command_line_says_ok_or_why_not(tmp_path, log, capsys):
    receipt, leaf = _files(tmp_path, log, 11)
    assert iv.main([str(receipt), "--vkey", log["vkey"], "--leaf", str(leaf)]) == 0
    assert capsys.readouterr().out.startswith("OK")
    leaf.write_bytes(b"not the entry")
    assert iv.main([str(receipt), "--vkey", log["vkey"], "--leaf", str(leaf)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert iv.main([str(tmp_path / "missing"), "--vkey", log["vkey"], "--leaf", str(leaf)]) == 1


def test_the_module_runs_with_python_dash_m_and_reads_the_leaf_from_stdin(tmp_path, log):
    receipt, _ = _files(tmp_path, log, 0)
    command = [sys.executable, "-m", "tests.record.independent_verifier", str(receipt)]
    command += ["--vkey", log["vkey"], "--leaf", "-"]
    good = subprocess.run(
        command, input=log["entries"][0], capture_output=True, cwd=REPO_ROOT, check=False
    )
    assert (good.returncode, good.stdout[:2]) == (0, b"OK"), good.stderr
    bad = subprocess.run(
        command, input=b"tampered", capture_output=True, cwd=REPO_ROOT, check=False
    )
    assert bad.returncode == 1
