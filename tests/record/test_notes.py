"""C2SP signed-note, checkpoint, cosignature and tlog-proof formats.

Known answers come from published sources, not from our own output:
- golang.org/x/mod/sumdb/note (note.go package doc and note_test.go): the PeterNeumann private and
  verifier keys, the signed Neumann quote, and the EnochRoot verifier key and signature.
- c2sp.org/tlog-cosignature: the signed message layout "cosignature/v1\\ntime <T>\\n" + checkpoint.
- c2sp.org/tlog-proof: the header, extra, index, hashes, blank line, checkpoint layout.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.record import merkle, notes
from heard.record.notes import NoteError, Signer, Verifier

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
SIGNED = TEXT + "\n" + PETER_SIG


@pytest.fixture
def peter() -> Verifier:
    return Verifier.from_vkey(PETER_VKEY)


# -------------------------------------------------------------------------------- signed-note


def test_signing_reproduces_the_published_signature_exactly():
    signer = Signer.from_key(PETER_SKEY)
    assert signer.sign_note(TEXT) == SIGNED
    assert signer.vkey == PETER_VKEY
    assert signer.private_key == PETER_SKEY
    assert signer.key_id.hex() == "c74f20a3"


def test_opening_the_published_note(peter):
    opened = notes.open_note(SIGNED, [peter])
    assert opened == (TEXT, ("PeterNeumann",))
    text, names = notes.open_note(SIGNED.encode(), [peter])
    assert text == TEXT and names == ("PeterNeumann",)


def test_vkey_key_id_is_the_sha256_of_name_newline_type_key(peter):
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + peter.public_key).digest()[:4]
    assert peter.key_id == expected
    assert peter.vkey == PETER_VKEY


def test_every_changed_byte_of_the_note_is_refused(peter):
    data = SIGNED.encode()
    for position in range(len(data)):
        for delta in (1, 0x80):
            changed = bytearray(data)
            changed[position] ^= delta
            try:
                opened = notes.open_note(bytes(changed), [peter])
            except NoteError:
                continue
            pytest.fail(f"flipping byte {position} was accepted: {opened}")


def test_unknown_signatures_are_ignored_and_known_ones_all_verified(peter):
    both = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert notes.open_note(both, [peter]).verified_by == ("PeterNeumann",)
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    assert notes.open_note(both, [peter, enoch]).verified_by == ("PeterNeumann", "EnochRoot")
    with pytest.raises(NoteError, match="not signed by any known key"):
        notes.open_note(both, [])
    # A known key whose signature is bad spoils the whole note, even beside a good one.
    bad_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    with pytest.raises(NoteError, match="EnochRoot"):
        notes.open_note(TEXT + "\n" + PETER_SIG + bad_enoch, [peter, enoch])


def test_same_name_other_key_id_is_an_unknown_key(peter):
    other = Verifier.from_vkey(
        notes.Signer.from_key(notes.generate_signer_key("PeterNeumann")).vkey
    )
    with pytest.raises(NoteError, match="not signed by any known key"):
        notes.open_note(SIGNED, [other])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,  # no signatures
        TEXT + "\n",  # blank line but no signatures
        TEXT + "\n" + PETER_SIG[:-1],  # no final newline
        "\x01" + TEXT + "\n" + PETER_SIG,  # control character
        TEXT.replace("\n", "\r\n", 1) + "\n" + PETER_SIG,  # carriage return
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter Neumann"),  # space in name
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("— ", "- "),  # hyphen, not em dash
        TEXT + "\n" + PETER_SIG.replace("— ", "—"),  # no space
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),  # bad padding
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # too short: key ID only
        TEXT + "\n" + PETER_SIG * (notes.MAX_SIGNATURES + 1),
    ],
)
def test_malformed_notes_are_refused(peter, message):
    with pytest.raises(NoteError):
        notes.open_note(message, [peter])


def test_invalid_utf8_is_refused(peter):
    with pytest.raises(NoteError, match="UTF-8"):
        notes.open_note(b"\xff" + SIGNED.encode(), [peter])


def test_non_canonical_base64_is_refused(peter):
    # The last character carries 2 unused bits; 'M' -> 'N' changes only those bits.
    sig = PETER_SIG.replace("nAM=", "nAN=")
    assert base64.b64decode(sig.split()[-1]) == base64.b64decode(PETER_SIG.split()[-1])
    with pytest.raises(NoteError, match="canonical"):
        notes.open_note(TEXT + "\n" + sig, [peter])


def test_text_with_blank_lines_splits_at_the_last_blank_line():
    signer = Signer.from_key(notes.generate_signer_key("example.org/log"))
    for text in ("a\n\nb\n", "a\n\n", "\n", "— looks like a signature\n\n"):
        note = signer.sign_note(text)
        assert notes.open_note(note, [signer.verifier]).text == text


@pytest.mark.parametrize("text", ["no newline", "", "a\rb\n", "tab\there\n"])
def test_signing_refuses_text_that_could_not_be_opened(text):
    signer = Signer.from_key(PETER_SKEY)
    with pytest.raises(NoteError):
        signer.sign_note(text)


def test_repeated_signatures_are_all_checked(peter):
    twice = TEXT + "\n" + PETER_SIG + PETER_SIG
    assert notes.open_note(twice, [peter]).verified_by == ("PeterNeumann",)


def test_ambiguous_verifiers_are_refused(peter):
    impostor = Verifier("PeterNeumann", 1, os.urandom(32))
    object.__setattr__(impostor, "key_id", peter.key_id)  # forge a colliding name and ID
    with pytest.raises(NoteError, match="share name and ID"):
        notes.open_note(SIGNED, [peter, impostor])


def test_add_signatures_appends_and_keeps_text(peter):
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    both = notes.add_signatures(SIGNED, [ENOCH_SIG, PETER_SIG])
    assert both == TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert notes.open_note(both, [peter, enoch]).verified_by == ("PeterNeumann", "EnochRoot")


# -------------------------------------------------------------------------------- keys


def test_generated_keys_round_trip():
    key = notes.generate_signer_key("heard.example/record")
    signer = Signer.from_key(key)
    assert signer.private_key == key
    assert signer.name == "heard.example/record"
    verifier = Verifier.from_vkey(signer.vkey)
    assert verifier == signer.verifier
    note = signer.sign_note("hello\n")
    assert notes.open_note(note, [verifier]).verified_by == ("heard.example/record",)
    assert key not in repr(signer)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname", "nbsp\u00a0name", "em\u2003sp"])
def test_invalid_key_names_are_refused(name):
    assert not notes.valid_key_name(name)
    with pytest.raises(NoteError):
        notes.generate_signer_key(name)


def _manglings(text: str):
    data = text.encode()
    for i in range(len(data)):
        changed = bytearray(data)
        changed[i] = (changed[i] + 1) % 256
        yield bytes(changed).decode("utf-8", "replace")
    for cut in range(1, len(text)):
        yield text[:cut]
        yield text[cut:]


def test_mangled_vkeys_are_refused():
    Verifier.from_vkey(PETER_VKEY)
    for mangled in _manglings(PETER_VKEY):
        if mangled.strip() == PETER_VKEY:
            continue
        with pytest.raises(NoteError):
            Verifier.from_vkey(mangled)


def test_mangled_private_keys_are_refused():
    for mangled in _manglings(PETER_SKEY):
        if mangled.strip() == PETER_SKEY:
            continue
        with pytest.raises(NoteError):
            Signer.from_key(mangled)


def test_vkeys_with_wrong_length_or_unknown_type_are_refused():
    # From note_test.go: wrong key length and unknown algorithm, each with an adjusted key hash.
    for vkey in (
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ):
        with pytest.raises(NoteError):
            Verifier.from_vkey(vkey)


# -------------------------------------------------------------------------------- checkpoints

ROOT = bytes(range(32))


def test_checkpoint_format_is_canonical():
    text = notes.format_checkpoint("example.com/log", 20852163, ROOT)
    assert text == f"example.com/log\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    parsed = notes.parse_checkpoint(text)
    assert parsed == notes.Checkpoint("example.com/log", 20852163, ROOT, ())
    assert parsed.text == text
    empty = notes.format_checkpoint("example.com/log", 0, ROOT, ["ext one", "two"])
    assert empty.split("\n")[1] == "0"
    assert notes.parse_checkpoint(empty).extensions == ("ext one", "two")


def test_the_spec_example_checkpoint_parses():
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    parsed = notes.parse_checkpoint(text)
    assert parsed.origin == "example.com/behind-the-sofa"
    assert parsed.size == 20852163
    assert len(parsed.root) == 32


@pytest.mark.parametrize(
    "text",
    [
        "log\n5\n" + base64.b64encode(ROOT).decode(),  # no final newline
        "log\n05\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "log\n+5\n" + base64.b64encode(ROOT).decode() + "\n",
        "log\n5 \n" + base64.b64encode(ROOT).decode() + "\n",
        "log\n٥\n" + base64.b64encode(ROOT).decode() + "\n",  # non-ASCII digit
        "log\n1_0\n" + base64.b64encode(ROOT).decode() + "\n",
        "log\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "log\n5\n" + base64.b64encode(ROOT[:31]).decode() + "\n",  # short root
        "log\n5\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n",  # no padding
        "\n5\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
        "log\n5\n" + base64.b64encode(ROOT).decode() + "\n\n",  # empty extension line
        "log\n5\n",
        "log\n" + str(2**63) + "\n" + base64.b64encode(ROOT).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(NoteError):
        notes.parse_checkpoint(text)


def test_signed_checkpoint_opens_and_checks_origin():
    signer = Signer.from_key(notes.generate_signer_key("example.org/log"))
    note = notes.sign_checkpoint(signer, 7, ROOT)
    checkpoint, names = notes.open_checkpoint(note, [signer.verifier], origin="example.org/log")
    assert (checkpoint.size, checkpoint.root, names) == (7, ROOT, ("example.org/log",))
    with pytest.raises(NoteError, match="origin"):
        notes.open_checkpoint(note, [signer.verifier], origin="example.org/other")


# -------------------------------------------------------------------------------- cosignatures


def test_cosignature_signs_the_message_the_spec_defines():
    witness = Signer.from_key(notes.generate_witness_key("witness.example/w1"))
    assert base64.b64decode(witness.vkey.split("+", 2)[2])[0] == 0x04  # the vkey's type byte
    body = notes.format_checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    line = notes.cosign(body, witness, 1679315147)
    assert line.startswith("— witness.example/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split()[-1])
    assert len(raw) == 4 + 8 + 64
    name = b"witness.example/w1"
    assert raw[:4] == hashlib.sha256(name + b"\n\x04" + witness.verifier.public_key).digest()[:4]
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(witness.verifier.public_key).verify(raw[12:], message)
    assert notes.verify_cosignature(body, line, witness.verifier) == 1679315147


def test_cosigned_checkpoint_opens_with_log_and_witness_keys():
    log = Signer.from_key(notes.generate_signer_key("example.org/log"))
    witness = Signer.from_key(notes.generate_witness_key("witness.example/w1"))
    witness_verifier = Verifier.from_vkey(witness.vkey)
    note = notes.sign_checkpoint(log, 9, ROOT)
    body = notes.split_note(note)[0]
    cosigned = notes.add_signatures(note, [notes.cosign(body, witness, 1700000000)])
    checkpoint, names = notes.open_checkpoint(cosigned, [log.verifier, witness_verifier])
    assert checkpoint.size == 9
    assert names == ("example.org/log", "witness.example/w1")
    # The witness alone does not make a checkpoint trustworthy: the log must have signed.
    with pytest.raises(NoteError, match="log key"):
        notes.open_checkpoint(cosigned, [witness_verifier])
    # A cosignature replayed over another checkpoint does not verify.
    other = notes.sign_checkpoint(log, 10, ROOT)
    forged = notes.add_signatures(other, [notes.cosign(body, witness, 1700000000)])
    with pytest.raises(NoteError, match="does not verify"):
        notes.open_checkpoint(forged, [log.verifier, witness_verifier])


def test_cosignature_checks_refuse_tampering():
    witness = Signer.from_key(notes.generate_witness_key("witness.example/w1"))
    body = notes.format_checkpoint("example.org/log", 3, ROOT)
    line = notes.cosign(body, witness, 5)
    with pytest.raises(NoteError):
        notes.verify_cosignature(body.replace("\n3\n", "\n4\n"), line, witness.verifier)
    raw = bytearray(base64.b64decode(line.split()[-1]))
    raw[11] ^= 1  # change the timestamp
    changed = f"— witness.example/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError):
        notes.verify_cosignature(body, changed, witness.verifier)
    with pytest.raises(NoteError):
        notes.cosign(body, witness, 2**63)
    with pytest.raises(NoteError):
        notes.cosign(body, Signer.from_key(PETER_SKEY), 5)  # a log key is not a witness key
    with pytest.raises(NoteError):
        witness.sign_note(body)  # a witness key does not make plain signatures


# -------------------------------------------------------------------------------- tlog-proof


def _log_with(entries: list[bytes], name: str = "example.org/log"):
    tree = merkle.MemoryTree()
    for entry in entries:
        tree.append(entry)
    signer = Signer.from_key(notes.generate_signer_key(name))
    note = notes.sign_checkpoint(signer, tree.size, tree.root())
    return tree, signer, note


def test_proof_layout_follows_the_spec():
    entries = [f"entry {i}".encode() for i in range(11)]
    tree, _signer, note = _log_with(entries)
    proof = merkle.inclusion_proof(6, tree.size, tree)
    text = notes.format_proof(6, proof, note, extra=b"hello")
    lines = text.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    assert lines[1] == "extra " + base64.b64encode(b"hello").decode()
    assert lines[2] == "index 6"
    assert lines[3 : 3 + len(proof)] == [base64.b64encode(h).decode() for h in proof]
    assert lines[3 + len(proof)] == ""
    assert text.endswith("\n\n" + note)
    parsed = notes.parse_proof(text)
    assert parsed == notes.TlogProof(
        6, tuple(proof), note, notes.parse_checkpoint(notes.split_note(note)[0]), b"hello"
    )
    without_extra = notes.format_proof(6, proof, note)
    assert without_extra.split("\n")[1] == "index 6"
    assert notes.parse_proof(without_extra).extra is None


def test_verify_proof_accepts_the_real_leaf_and_refuses_others():
    entries = [f"entry {i}".encode() for i in range(37)]
    tree, signer, note = _log_with(entries)
    for index in (0, 17, 36):
        text = notes.format_proof(index, merkle.inclusion_proof(index, tree.size, tree), note)
        result = notes.verify_proof(text, merkle.leaf_hash(entries[index]), [signer.verifier])
        assert result.index == index and result.checkpoint.size == 37
        with pytest.raises(NoteError, match="does not verify"):
            notes.verify_proof(text, merkle.leaf_hash(b"something else"), [signer.verifier])
    stranger = Signer.from_key(notes.generate_signer_key("example.org/log"))
    with pytest.raises(NoteError, match="known key"):
        notes.verify_proof(text, merkle.leaf_hash(entries[36]), [stranger.verifier])
    with pytest.raises(NoteError, match="origin"):
        notes.verify_proof(
            text, merkle.leaf_hash(entries[36]), [signer.verifier], origin="elsewhere"
        )


def test_every_changed_byte_of_a_proof_is_refused():
    entries = [f"entry {i}".encode() for i in range(5)]
    tree, signer, note = _log_with(entries)
    text = notes.format_proof(2, merkle.inclusion_proof(2, tree.size, tree), note)
    leaf = merkle.leaf_hash(entries[2])
    data = text.encode()
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 1
        with pytest.raises(NoteError):
            notes.verify_proof(bytes(changed), leaf, [signer.verifier])


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        lambda t: t.replace("index 2", "index 02"),
        lambda t: t.replace("index 2", "index  2"),
        lambda t: t.replace("index 2", "index 9"),  # beyond the checkpoint's size
        lambda t: t.replace("index 2\n", "index 2\nextra aGk=\n"),  # extra after index
        lambda t: t.replace("index 2\n", "extra \nindex 2\n"),  # empty extra
        lambda t: t.replace("\n\n", "\n", 1),  # no blank line before the checkpoint
        lambda t: t.replace("index 2\n", "index 2\nnot base64!\n"),
        lambda t: t.replace("index 2\n", "index 2\nAAAA\n"),  # not 32 bytes
        lambda t: t.split("\n\n", 1)[0] + "\n\n",  # no checkpoint
    ],
)
def test_malformed_proofs_are_refused(mutate):
    entries = [f"entry {i}".encode() for i in range(5)]
    tree, _signer, note = _log_with(entries)
    text = notes.format_proof(2, merkle.inclusion_proof(2, tree.size, tree), note)
    notes.parse_proof(text)
    with pytest.raises(NoteError):
        notes.parse_proof(mutate(text))


def test_format_proof_refuses_bad_input():
    entries = [b"a", b"b"]
    tree, _signer, note = _log_with(entries)
    proof = merkle.inclusion_proof(1, 2, tree)
    with pytest.raises(NoteError):
        notes.format_proof(2, proof, note)  # index beyond size
    with pytest.raises(NoteError):
        notes.format_proof(1, [b"short"], note)
    with pytest.raises(NoteError):
        notes.format_proof(1, proof, note, extra=b"")
    with pytest.raises(NoteError):
        notes.format_proof(1, proof, "not a note")


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_proofs_round_trip_at_random_sizes(size, data):
    index = data.draw(st.integers(0, size - 1))
    extra = data.draw(st.one_of(st.none(), st.binary(min_size=1, max_size=40)))
    entries = [index.to_bytes(4, "big") + bytes([i % 256]) for i in range(size)]
    tree, signer, note = _log_with(entries)
    proof = merkle.inclusion_proof(index, size, tree)
    text = notes.format_proof(index, proof, note, extra)
    parsed = notes.parse_proof(text)
    assert (parsed.index, list(parsed.proof), parsed.extra) == (index, proof, extra)
    assert notes.format_proof(parsed.index, parsed.proof, parsed.signed_checkpoint, extra) == text
    result = notes.verify_proof(text, merkle.leaf_hash(entries[index]), [signer.verifier])
    assert result.extra == extra
