"""Pol.is openData into an engagement and back out: nothing lost, everything in the record."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heard.core.permissions import Phase
from heard.opinions import exchange, mapping, services
from heard.opinions.models import ImportedParticipant, Statement, Vote
from heard.opinions.open_data import (
    OpenDataError,
    PolisComment,
    PolisConversation,
    PolisVote,
    read_conversation,
    write_conversation,
)
from heard.record.models import LogEntry
from tests import factories
from tests.opinions.conftest import make_world

UTC = ZoneInfo("UTC")
T0 = 1_500_000_000_000


def polis_folder(tmp_path: Path) -> Path:
    """A small conversation as Pol.is exports it: a rejected comment, an unmoderated one,
    Unicode and a line break in bodies, a changed vote and a repeated one."""
    comments = [
        PolisComment("0", "0", "Data should stay in Aotearoa.", T0, 1, 0, 0),
        PolisComment(
            "1", "1", "Kia tika te whakamahi i ō tātou raraunga.\nKia pono.", T0 + 5, 1, 0, 0
        ),
        PolisComment("2", "2", "You are all idiots", T0 + 9, -1, 0, 0),
        PolisComment("3", "1", "Agencies should ask first, <b>always</b>.", T0 + 12, 0, 0, 0),
    ]
    votes = []
    t = T0 + 100
    for voter in range(8):
        for comment in range(4):
            value = 1 if (voter + comment) % 3 else -1
            votes.append(PolisVote(str(comment), str(voter), value, t))
            t += 1000
    votes.append(PolisVote("0", "3", -1, t + 1))  # a changed vote
    votes.append(PolisVote("1", "4", votes[17].value, t + 2))  # a repeat of a current vote
    agrees: dict[str, int] = {}
    disagrees: dict[str, int] = {}
    for v in votes:
        table = agrees if v.value == 1 else disagrees
        table[v.statement] = table.get(v.statement, 0) + (v.value != 0)
    comments = [
        PolisComment(
            c.id,
            c.author,
            c.body,
            c.created_ms,
            c.moderated,
            agrees.get(c.id, 0),
            disagrees.get(c.id, 0),
        )
        for c in comments
    ]
    groups = {str(v): (v % 2) for v in range(8)}
    summary = {
        "topic": "Our data",
        "url": "https://pol.is/x",
        "views": "20",
        "voters": "8",
        "voters-in-conv": "8",
        "commenters": "3",
        "comments": "4",
        "groups": "2",
        "conversation-description": "What should happen to our data?",
    }
    folder = tmp_path / "conversation"
    write_conversation(PolisConversation(comments, votes, groups, summary), folder, tz=UTC)
    return folder


def _comments(conv: PolisConversation) -> list[tuple]:
    return sorted(
        (c.id, c.author, c.body, c.created_ms, c.moderated, c.agrees, c.disagrees)
        for c in conv.comments
    )


def _votes(conv: PolisConversation) -> list[tuple]:
    return sorted((v.statement, v.voter, v.value, v.at_ms) for v in conv.votes)


@pytest.mark.django_db
def test_an_open_data_folder_imports_and_exports_back_with_nothing_lost(tmp_path):
    folder = polis_folder(tmp_path)
    original = read_conversation(folder)
    engagement = factories.make_engagement(Phase.LISTEN)
    before = LogEntry.objects.count()

    conversation = exchange.import_folder(engagement, folder)

    assert conversation.topic == "Our data"
    assert conversation.statements.count() == 4
    rejected = conversation.statements.get(number=2)
    assert rejected.status == Statement.Status.REJECTED and rejected.text == "You are all idiots"
    assert rejected.hidden_reason  # a public reason, as for every rejection
    assert conversation.statements.get(number=3).status == Statement.Status.PENDING
    assert conversation.statements.get(number=1).text.endswith("\nKia pono.")
    assert Vote.objects.filter(statement__conversation=conversation).count() == len(original.votes)
    assert ImportedParticipant.objects.filter(conversation=conversation).count() == 8
    # Every statement and vote went through the record.
    assert LogEntry.objects.count() - before >= len(original.votes) + 4

    out = tmp_path / "out"
    exchange.export_folder(conversation, out, tz=UTC)
    back = read_conversation(out)
    assert _comments(back) == _comments(original)
    assert _votes(back) == _votes(original)
    assert back.summary["topic"] == "Our data"
    assert set(back.groups) == {str(v) for v in range(8)}


@pytest.mark.django_db
def test_the_export_carries_heards_groups_and_the_public_scope_withholds_rejected_words(tmp_path):
    world = make_world()
    conversation = world.conversation
    voter = world.participant(world.voter)
    for statement in world.seeds:
        services.cast_vote(statement, voter, 1)
    bad, _ = services.submit_statement(conversation, voter, "Words the team rejected")
    services.moderate_statement(bad, Statement.Status.REJECTED, by=world.team, reason="Off topic")
    mapping.compute_now(conversation)

    full = exchange.export_conversation(conversation)
    public = exchange.export_conversation(conversation, scope="public")
    assert "Words the team rejected" in {c.body for c in full.comments}
    assert "Words the team rejected" not in {c.body for c in public.comments}
    assert {c.moderated for c in public.comments if c.id == str(bad.number)} == {-1}
    assert len(full.groups) == 1  # one person voted
    out = tmp_path / "heard"
    paths = exchange.export_folder(conversation, out, scope="public", tz=UTC)
    assert {p.name for p in paths} >= {
        "comments.csv",
        "votes.csv",
        "participants-votes.csv",
        "summary.csv",
    }
    assert read_conversation(out).votes  # what we write, we can read


@pytest.mark.django_db
def test_a_malformed_folder_is_refused_and_nothing_is_imported(tmp_path):
    folder = polis_folder(tmp_path)
    (folder / "votes.csv").write_text(
        (folder / "votes.csv").read_text() + "123,x,0,1,7\n", encoding="utf-8"
    )
    engagement = factories.make_engagement(Phase.LISTEN)
    with pytest.raises(OpenDataError, match=r"votes\.csv"):
        exchange.import_folder(engagement, folder)
    assert not engagement.conversations.exists()


@pytest.mark.django_db
def test_the_import_and_export_commands(tmp_path):
    from django.core.management import CommandError, call_command

    folder = polis_folder(tmp_path)
    engagement = factories.make_engagement(Phase.LISTEN)
    call_command("opinions", "import", str(folder), "--engagement", engagement.slug)
    conversation = engagement.conversations.get()
    assert conversation.snapshots.filter(status="finished").exists()  # its map, computed
    out = tmp_path / "back"
    call_command(
        "opinions",
        "export",
        "--engagement",
        engagement.slug,
        "--conversation",
        str(conversation.number),
        "--out",
        str(out),
    )
    assert _votes(read_conversation(out)) == _votes(read_conversation(folder))
    with pytest.raises(CommandError, match="no engagement"):
        call_command("opinions", "import", str(folder), "--engagement", "nope")
    with pytest.raises(CommandError, match="no conversation 9"):
        call_command(
            "opinions",
            "export",
            "--engagement",
            engagement.slug,
            "--conversation",
            "9",
            "--out",
            str(out),
        )


@pytest.mark.django_db
def test_public_export_withholds_words_still_waiting_in_a_strict_conversation():
    world = make_world()  # strict
    voter = world.participant(world.voter)
    waiting, _ = services.submit_statement(world.conversation, voter, "SECRET pending words")
    public = exchange.export_conversation(world.conversation, scope="public")
    full = exchange.export_conversation(world.conversation)
    assert "SECRET pending words" not in {c.body for c in public.comments}
    assert "SECRET pending words" in {c.body for c in full.comments}
    assert waiting.status == Statement.Status.PENDING


@pytest.mark.django_db
def test_an_import_heard_cannot_keep_exactly_is_refused_with_every_reason(tmp_path):
    folder = polis_folder(tmp_path)
    data = read_conversation(folder)
    data.comments[0] = PolisComment("99999999999999999999", "0", "Too big a number", T0, 1, 0, 0)
    data.comments[1] = PolisComment("1", "1", "x" * 5000, T0, 1, 0, 0)
    data.votes = [v for v in data.votes if v.statement != "0"]
    engagement = factories.make_engagement(Phase.LISTEN)
    with pytest.raises(OpenDataError) as refused:
        exchange.import_conversation(engagement, data, source="bad")
    assert "99999999999999999999" in str(refused.value) and "comment-id 1" in str(refused.value)
    assert not engagement.conversations.exists()


@pytest.mark.django_db
def test_the_site_offers_the_conversation_as_an_open_data_zip(client, tmp_path):
    import io
    import zipfile

    from django.urls import reverse

    world = make_world()
    voter = world.participant(world.voter)
    services.cast_vote(world.seeds[0], voter, 1)
    bad, _ = services.submit_statement(world.conversation, voter, "Words the team rejected")
    services.moderate_statement(bad, Statement.Status.REJECTED, by=world.team, reason="Off topic")
    url = reverse("conversation_open_data", args=[world.engagement.slug, 1])

    public = client.get(url)
    assert public.status_code == 200 and public["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(public.content))
    names = {n.split("/")[-1] for n in archive.namelist()}
    assert names == {"comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"}
    archive.extractall(tmp_path / "public")
    (folder,) = (tmp_path / "public").iterdir()
    read = read_conversation(folder)
    assert "Words the team rejected" not in {c.body for c in read.comments}
    assert (
        len(read.votes) == Vote.objects.filter(statement__conversation=world.conversation).count()
    )

    assert client.get(url + "?scope=full").status_code in (302, 403)  # not for the public
    client.force_login(world.team)
    full = zipfile.ZipFile(io.BytesIO(client.get(url + "?scope=full").content))
    comments = next(n for n in full.namelist() if n.endswith("comments.csv"))
    assert "Words the team rejected" in full.read(comments).decode("utf-8")
