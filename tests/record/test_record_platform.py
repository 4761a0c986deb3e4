"""The record inside the platform: every write is an entry, the database refuses edits,
receipts verify with an independent implementation, withdrawal shreds, and audits name tampering.
"""

from __future__ import annotations

import base64
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from heard.core.permissions import Role
from heard.listen import services
from heard.record import events, guards, keys, merkle
from heard.record import services as record
from heard.record.audit_db import audit_database
from heard.record.models import Checkpoint, LogEntry, TreeNode
from tests import factories
from tests.record import independent_verifier as independent

pytestmark = pytest.mark.django_db


def _unguarded(sql: str, params=()) -> None:
    """Change bytes behind the application's back, as an attacker with the database would."""
    guards.run(connection, guards.drop_sql(connection.vendor))
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        guards.run(connection, guards.create_sql(connection.vendor))


def test_every_write_is_an_entry_with_a_commitment_not_the_words(engagement):
    team = factories.make_member(engagement, Role.TEAM)
    words = "Kia ora, my mother's name is Mere and she lives in Ōtaki"
    contribution = factories.make_contribution(engagement, words)
    services.hide_contribution(contribution, reason="Names a family member", by=team)
    entries = list(LogEntry.objects.order_by("index"))
    assert [e.kind for e in entries] == ["contribution.submitted", "contribution.hidden"]
    leaf = bytes(entries[0].leaf)
    assert b"Mere" not in leaf and "Ōtaki".encode() not in leaf  # never the words
    event = events.decode(leaf)
    assert event["participant"].startswith("p-")  # pseudonymous
    assert event["commitment"] == events.commitment(bytes(contribution.salt), words)
    assert contribution.log_index == entries[0].index
    assert set(event) == {
        "type",
        "v",
        "engagement",
        "contribution",
        "participant",
        "channel",
        "language",
        "quote_consent",
        "commitment",
        "received",
    }


def test_database_refuses_changes_and_deletes():
    factories.make_contribution(factories.make_engagement())
    for sql in (
        "UPDATE record_logentry SET kind = 'x'",
        "DELETE FROM record_logentry",
        "UPDATE record_treenode SET hash = hash",
        "DELETE FROM record_treenode",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.all().delete()


def test_demo_receipt_verifies_with_independent_implementation(tmp_path, capsysbinary):
    call_command("demo", no_themes=True)
    vkey = keys.vkey()
    size = record.size()
    assert size >= 500  # the demo's whole history: hui, contributions, moderation
    index = random.Random(7).randrange(size)
    out = tmp_path / "r.tlog-proof"
    call_command("record", "receipt", str(index), "--out", str(out))
    capsysbinary.readouterr()
    call_command("record", "entry", str(index))
    leaf = capsysbinary.readouterr().out
    assert leaf == bytes(LogEntry.objects.get(index=index).leaf)
    found = independent.verify_receipt(out.read_text(), vkey, leaf)
    assert found["index"] == index and found["size"] == size
    # and our own offline check agrees
    call_command("record", "verify-receipt", str(out), "--vkey", vkey)
    with pytest.raises(independent.VerificationError):
        independent.verify_receipt(out.read_text(), vkey, leaf + b" ")


def test_withdrawal_shreds_the_words_and_the_log_still_verifies(client, engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    from heard.listen.models import Participant

    participant = Participant.objects.get(user=user)
    contribution = factories.make_contribution(
        engagement, "Please forget this", participant=participant
    )
    record.issue_checkpoint()
    client.force_login(user)
    url = reverse("withdraw_own", args=[engagement.slug, contribution.pk])
    client.post(url, {"confirm": "yes"})
    contribution.refresh_from_db()
    assert contribution.is_withdrawn and contribution.text == "" and contribution.salt is None
    assert LogEntry.objects.filter(kind="contribution.withdrawn").count() == 1
    record.issue_checkpoint()
    report = audit_database(keys.vkey())
    assert report.ok, report.problems
    page = client.get(reverse("public_record", args=[engagement.slug])).content.decode()
    assert "Withdrawn at the participant’s request." in page
    assert "Please forget this" not in page


def _audit_problems() -> list[str]:
    return audit_database(keys.vkey()).problems


def _demo_with_checkpoint() -> None:
    engagement = factories.make_engagement()
    team = factories.make_member(engagement, Role.TEAM)
    hui = factories.make_hui(engagement)
    made = [
        factories.make_contribution(engagement, f"Words number {i}", hui=hui) for i in range(40)
    ]
    services.hide_contribution(made[3], reason="Names someone", by=team)
    record.issue_checkpoint()
    factories.make_contribution(engagement, "After the checkpoint")
    record.issue_checkpoint()
    assert _audit_problems() == []


def _flip(value: bytes, rng: random.Random) -> bytes:
    data = bytearray(value)
    position = rng.randrange(len(data))
    data[position] ^= 1 << rng.randrange(8)
    return bytes(data)


@pytest.mark.parametrize("seed", range(6))
def test_changed_byte_in_an_entry_is_named(seed):
    _demo_with_checkpoint()
    rng = random.Random(seed)
    entry = rng.choice(list(LogEntry.objects.all()))
    _unguarded(
        'UPDATE record_logentry SET leaf = %s WHERE "index" = %s',
        [_flip(bytes(entry.leaf), rng), entry.index],
    )
    problems = _audit_problems()
    assert any(f"entry {entry.index}" in p for p in problems), problems


@pytest.mark.parametrize("seed", range(4))
def test_changed_byte_in_a_stored_hash_is_named(seed):
    _demo_with_checkpoint()
    rng = random.Random(seed)
    node = rng.choice(list(TreeNode.objects.all()))
    _unguarded(
        'UPDATE record_treenode SET hash = %s WHERE level = %s AND "index" = %s',
        [_flip(bytes(node.hash), rng), node.level, node.index],
    )
    problems = _audit_problems()
    assert any(f"stored hash {node.level}/{node.index}" in p for p in problems), problems


@pytest.mark.parametrize("seed", range(4))
def test_changed_byte_in_a_checkpoint_is_named(seed):
    _demo_with_checkpoint()
    rng = random.Random(seed)
    checkpoint = rng.choice(list(Checkpoint.objects.all()))
    note = checkpoint.note.encode()
    changed = _flip(note, rng).decode("utf-8", "replace")
    _unguarded("UPDATE record_checkpoint SET note = %s WHERE id = %s", [changed, checkpoint.pk])
    problems = _audit_problems()
    assert any(f"checkpoint {checkpoint.pk}" in p for p in problems), problems


@pytest.mark.parametrize("field", ["text", "salt", "channel", "quote_consent"])
def test_changed_record_is_named(field):
    _demo_with_checkpoint()
    from heard.listen.models import Contribution

    contribution = Contribution.objects.order_by("?").first()
    values = {
        "text": "Doctored words",
        "salt": b"\x00" * 32,
        "channel": "email",
        "quote_consent": "none" if contribution.quote_consent != "none" else "quote",
    }
    Contribution.objects.filter(pk=contribution.pk).update(**{field: values[field]})
    problems = _audit_problems()
    assert any(f"contribution {contribution.pk}" in p for p in problems), problems


def test_verify_command_exits_non_zero_and_names_the_problem(capsys):
    _demo_with_checkpoint()
    vkey = keys.vkey()
    call_command("record", "verify", "--vkey", vkey)
    assert "OK" in capsys.readouterr().out
    entry = LogEntry.objects.order_by("index")[5]
    _unguarded(
        'UPDATE record_logentry SET leaf = %s WHERE "index" = %s',
        [bytes(entry.leaf).replace(b'"v":1', b'"v":2'), entry.index],
    )
    with pytest.raises(CommandError, match="problems found"):
        call_command("record", "verify", "--vkey", vkey)
    assert "entry 5" in capsys.readouterr().err


def test_consistency_command_matches_independent_verifier(capsys):
    _demo_with_checkpoint()
    size = record.size()
    old = size // 3
    call_command("record", "consistency", str(old), str(size))
    proof = [base64.b64decode(line) for line in capsys.readouterr().out.split()]
    independent.verify_consistency(
        old, size, merkle.root(old, record.NODES), merkle.root(size, record.NODES), proof
    )


def test_receipt_check_page_accepts_code_and_words(client, engagement):
    user = factories.make_member(engagement, Role.PARTICIPANT)
    client.force_login(user)
    from heard.listen.models import Participant

    contribution = factories.make_contribution(
        engagement, "Kei te pai", participant=Participant.objects.get(user=user)
    )
    own = client.get(reverse("receipt", args=[engagement.slug, contribution.pk]))
    assert own.status_code == 200 and b"c2sp.org/tlog-proof@v1" in own.content
    page = client.post(
        reverse("record_check"), {"pasted": own.content.decode(), "words": "Kei te pai"}
    )
    result = page.context["result"]
    assert result.ok, result.problems
    assert any("exact words" in f for f in result.facts)
    wrong = client.post(
        reverse("record_check"), {"pasted": own.content.decode(), "words": "Kei te kino"}
    )
    assert not wrong.context["result"].ok
    code = record.receipt_code(contribution.log_index)
    by_code = client.post(reverse("record_check"), {"code": code})
    assert by_code.context["result"].ok
    assert not client.post(reverse("record_check"), {"code": "1-00000000"}).context["result"].ok


def test_checkpoint_and_vkey_urls(client, engagement):
    factories.make_contribution(engagement)
    vkey = client.get(reverse("record_vkey")).content.decode().strip()
    note = client.get(reverse("record_checkpoint")).content.decode()
    origin, size, _root, _ = independent.parse_checkpoint(independent.verify_note(note, vkey))
    assert origin == "heard.test/record" and size == record.size() == 1
    assert client.get(reverse("record")).status_code == 200


def test_export_tiles_and_audit_them_offline_and_from_the_site(tmp_path, live_server, capsys):
    engagement = factories.make_engagement()
    for i in range(300):  # more than one full tile
        factories.make_contribution(engagement, f"Tile words {i}")
    vkey = keys.vkey()
    out = tmp_path / "tiles"
    call_command("record", "export-tiles", str(out))
    assert (out / "checkpoint").exists() and (out / "tile/0/000").exists()
    assert (out / "tile/entries/000").exists() and (out / "tile/0/001.p/44").exists()
    call_command("record", "verify", str(out), "--vkey", vkey)
    assert "OK" in capsys.readouterr().out
    # the site serves the same bytes
    import urllib.request

    for path in ("tile/0/000", "tile/entries/001.p/44", "tile/1/000.p/1"):
        with urllib.request.urlopen(f"{live_server.url}/record/{path}") as response:
            assert response.read() == (out / path).read_bytes(), path
    call_command("record", "verify", f"{live_server.url}/record/", "--vkey", vkey)
    # one changed byte in an exported tile is found and named
    tile = out / "tile/0/001.p/44"
    data = bytearray(tile.read_bytes())
    data[17] ^= 0x40
    tile.write_bytes(bytes(data))
    with pytest.raises(CommandError):
        call_command("record", "verify", str(out), "--vkey", vkey)
    assert "tile/0/001.p/44" in capsys.readouterr().err


def test_witness_cosigns_consistent_checkpoints_and_refuses_a_rewritten_log(
    tmp_path, live_server, settings, capsys
):
    from heard.record import notes
    from heard.record.models import Cosignature

    key_file = tmp_path / "witness.key"
    call_command("record", "witness-key", "witness.example.ac.nz", "--out", str(key_file))
    witness_vkey = capsys.readouterr().out.strip()
    settings.HEARD_RECORD_WITNESSES = [witness_vkey]
    engagement = factories.make_engagement()
    factories.make_contribution(engagement, "First")
    state = tmp_path / "state"
    args = [
        "record",
        "witness",
        f"{live_server.url}/record/",
        "--log-vkey",
        keys.vkey(),
        "--key",
        str(key_file),
        "--state",
        str(state),
        "--submit",
    ]
    call_command(*args)
    first_note = capsys.readouterr().out
    assert notes.open_checkpoint(
        first_note, [notes.Verifier.from_vkey(witness_vkey), notes.Verifier.from_vkey(keys.vkey())]
    )
    assert Cosignature.objects.count() == 1
    for i in range(5):
        factories.make_contribution(engagement, f"More {i}")
    record.issue_checkpoint()
    call_command(*args)  # grown and consistent: cosigned again
    assert Cosignature.objects.count() == 2
    assert "witness.example.ac.nz" in capsys.readouterr().out
    served = live_server.url + "/record/checkpoint"
    import urllib.request

    with urllib.request.urlopen(served) as response:
        assert "— witness.example.ac.nz" in response.read().decode()
    # the witness refuses a log that rewrote its past: remember a different tree of a size
    tree = merkle.MemoryTree()
    for i in range(record.size()):
        tree.append(f"forged {i}".encode())
    state.write_text(notes.format_checkpoint(keys.origin(), record.size(), tree.root()))
    with pytest.raises(CommandError, match=r"forked|does not extend"):
        call_command(*args)


@pytest.mark.django_db(transaction=True)
def test_scheduled_checkpoints_run_on_the_real_worker(settings, tmp_path):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from heard.record import tasks

    factories.make_contribution(factories.make_engagement())
    assert tasks.schedule(60) and not tasks.schedule(60)  # one chain at a time
    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(seconds=1))
    from tests.worker import run_worker

    run_worker(max_tasks=1)
    assert Checkpoint.objects.filter(size=record.size()).exists()
    assert tasks.pending()  # it queued the next one


def test_receipt_with_an_edited_extra_is_refused_not_a_crash(client, engagement):
    """``extra`` is not signed: a receipt whose salt was edited is a problem to report."""
    import json

    from heard.record import notes as record_notes

    contribution = factories.make_contribution(engagement, "Kei te pai")
    parsed = record_notes.parse_proof(record.receipt(contribution.log_index))
    fields = json.loads(parsed.extra)
    for salt in ("abc", 42):
        edited = record_notes.format_proof(
            parsed.index,
            parsed.proof,
            parsed.signed_checkpoint,
            json.dumps({**fields, "salt": salt}).encode(),
        )
        page = client.post(reverse("record_check"), {"pasted": edited, "words": "Kei te pai"})
        assert page.status_code == 200
        result = page.context["result"]
        assert not result.ok and any("cannot be checked" in p for p in result.problems)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps a type per value")
def test_sql_edit_that_turns_bytes_into_text_is_named_not_a_crash():
    """On SQLite, ``replace()`` on a blob stores text; the audit reads it and names the entry."""
    _demo_with_checkpoint()
    _unguarded(
        """UPDATE record_logentry SET leaf = replace(leaf, '"hui"', '"huu"') WHERE "index" = 7"""
    )
    problems = _audit_problems()
    assert any("entry 7" in p for p in problems), problems
