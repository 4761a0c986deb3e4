"""``heard export polis|json``: Pol.is files that pandas loads, and the whole engagement as JSON.

Hostile words (commas, quotes, line breaks, macrons, HTML, "NA") must come back byte for byte;
hidden and not-for-quoting words must not reach anything meant for the public.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heard.core.permissions import Phase, Role
from heard.engagements.models import DemographicField
from heard.listen import services
from heard.listen.exporting import POLIS_COMMENTS_COLUMNS, POLIS_SUMMARY_KEYS
from heard.listen.vocab import QuoteConsent
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    'Kia ora, whānau: "commas, quotes" and\nline breaks\r\nstay.',
    "<script>alert('x')</script> <b>bold</b> & more",
    "  leading and trailing spaces  ",
    "NA",
    "=SUM(A1:A2)",
    "Ngā mihi — tēnā koutou 🌿 \u200b zero-width",
]
SECRET = "These words were hidden: they name someone."
PRIVATE = "Please count this but never quote it."


@pytest.fixture
def exported(db):
    """An engagement with a hui, online and hui contributions, one hidden, one not for quoting."""
    engagement = factories.make_engagement(Phase.LISTEN, slug="data-use")
    hui = factories.make_hui(engagement, key="whanganui-1")
    team = factories.make_member(engagement, Role.TEAM)
    DemographicField.objects.create(engagement=engagement, key="age", label="Age range")
    user = factories.make_user("aroha")
    online, _ = services.join_as_participant(
        engagement,
        user,
        pseudonym="Aroha",
        demographics={"age": "25-34"},
        demographics_consent=True,
    )
    shy, _ = services.join_as_participant(
        engagement, factories.make_user("shy"), pseudonym="Shy", demographics={"age": "65+"}
    )
    made = [factories.make_contribution(engagement, t, participant=online) for t in HOSTILE]
    made.append(factories.make_contribution(engagement, "Said at the hui.", hui=hui))
    hidden = factories.make_contribution(engagement, SECRET, participant=online)
    services.hide_contribution(hidden, reason="Names a person", by=team)
    private = factories.make_contribution(
        engagement, PRIVATE, participant=shy, quote_consent=QuoteConsent.NONE
    )
    return {
        "engagement": engagement,
        "visible": made,
        "hidden": hidden,
        "private": private,
        "all": [*made, hidden, private],
    }


def _polis(tmp_path: Path, slug: str = "data-use") -> Path:
    out = tmp_path / "polis"
    call_command("export", "polis", "--engagement", slug, "--out", str(out), stdout=io.StringIO())
    return out


def _json(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "engagement.json"
    call_command(
        "export", "json", "--engagement", "data-use", "--out", str(out), *extra,
        stdout=io.StringIO(),
    )  # fmt: skip
    return json.loads(out.read_text(encoding="utf-8"))


def test_polis_layout_loads_with_pandas(exported, tmp_path):
    out = _polis(tmp_path)
    names = {p.name for p in out.iterdir()}
    assert {
        "comments.csv",
        "votes.csv",
        "participants-votes.csv",
        "stats-history.csv",
        "summary.csv",
        "README.md",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]

    comments = pandas.read_csv(
        out / "comments.csv", dtype={"comment-body": str}, keep_default_na=False
    )
    assert list(comments.columns) == POLIS_COMMENTS_COLUMNS
    assert len(comments) == len(exported["all"])
    assert list(comments["comment-id"]) == sorted(c.pk for c in exported["all"])
    bodies = dict(zip(comments["comment-id"], comments["comment-body"], strict=True))
    for contribution in exported["visible"]:
        assert bodies[contribution.pk] == contribution.text  # exact, byte for byte
    assert set(comments["agrees"]) == {0} and set(comments["disagrees"]) == {0}

    votes = pandas.read_csv(out / "votes.csv")
    assert list(votes.columns) == ["timestamp", "datetime", "comment-id", "voter-id", "vote"]
    assert len(votes) == 0

    participants = pandas.read_csv(out / "participants-votes.csv")
    fixed = ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
    assert list(participants.columns) == fixed + [str(c.pk) for c in sorted(
        exported["all"], key=lambda c: c.pk)]  # fmt: skip
    assert len(participants) == 3  # Aroha, the hui speaker, Shy
    assert participants["n-comments"].sum() == len(exported["all"])
    assert set(participants["participant"]) == set(comments["author-id"])

    stats = pandas.read_csv(out / "stats-history.csv")
    assert list(stats.columns) == ["n-votes", "n-comments", "n-visitors", "n-voters",
                                   "n-commenters"]  # fmt: skip
    assert stats["n-comments"].iloc[-1] == len(exported["all"])
    assert stats["n-commenters"].iloc[-1] == 3

    summary = pandas.read_csv(out / "summary.csv", header=None, index_col=0, dtype=str)
    assert list(summary.index) == POLIS_SUMMARY_KEYS
    assert summary.loc["topic", 1] == exported["engagement"].title
    assert summary.loc["comments", 1] == str(len(exported["all"]))
    assert summary.loc["commenters", 1] == "3"
    assert summary.loc["url", 1].endswith("/e/data-use/")


def test_polis_withholds_hidden_and_not_for_quoting_words(exported, tmp_path):
    out = _polis(tmp_path)
    comments = pandas.read_csv(
        out / "comments.csv", dtype={"comment-body": str}, keep_default_na=False
    ).set_index("comment-id")
    hidden, private = exported["hidden"], exported["private"]
    assert comments.loc[hidden.pk, "moderated"] == -1
    assert comments.loc[hidden.pk, "comment-body"] == ""
    assert comments.loc[private.pk, "moderated"] == 1
    assert comments.loc[private.pk, "comment-body"] == ""
    assert set(comments.drop(index=[hidden.pk]).moderated) == {1}

    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    public_ids = [c.participant.public_id for c in exported["all"]]
    for absent in (SECRET, PRIVATE, "Aroha", "aroha", "Shy", "25-34", "65+", *public_ids):
        assert absent not in everything, absent

    context = pandas.read_csv(out / "heard-comments.csv", keep_default_na=False).set_index(
        "comment-id"
    )
    assert context.loc[hidden.pk, "withheld"] == "hidden"
    assert context.loc[hidden.pk, "hidden-reason"] == "Names a person"
    assert context.loc[private.pk, "withheld"] == "not_for_quoting"
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "empty `comment-body`" in readme


def test_polis_author_ids_are_small_stable_integers(exported, tmp_path):
    first = pandas.read_csv(_polis(tmp_path) / "comments.csv", keep_default_na=False)
    assert sorted(set(first["author-id"])) == [0, 1, 2]
    factories.make_contribution(exported["engagement"], "A later voice.")
    again = pandas.read_csv(_polis(tmp_path) / "comments.csv", keep_default_na=False)
    merged = first.merge(again, on="comment-id", suffixes=("", "_again"))
    assert (merged["author-id"] == merged["author-id_again"]).all()
    assert again["author-id"].iloc[-1] == 3


def test_json_full_keeps_every_word_exactly(exported, tmp_path):
    document = _json(tmp_path)
    assert document["schema_version"] == 1
    assert document["scope"] == "full"
    assert document["generated_at"]
    texts = {c["id"]: c["text"] for c in document["contributions"]}
    assert texts == {c.pk: c.text for c in exported["all"]}
    assert [c["id"] for c in document["contributions"]] == sorted(texts)
    hidden = next(c for c in document["contributions"] if c["id"] == exported["hidden"].pk)
    assert hidden["hidden"] is True and hidden["hidden_reason"] == "Names a person"
    assert document["moderation"] == [
        {
            "contribution": exported["hidden"].pk,
            "action": "hide",
            "reason": "Names a person",
            "at": document["moderation"][0]["at"],
        }
    ]
    hui_words = next(c for c in document["contributions"] if c["text"] == "Said at the hui.")
    assert hui_words["hui"] == "whanganui-1" and hui_words["channel"] == "hui"
    assert document["hui"][0]["venue"]["region"] == "Manawatū-Whanganui"
    assert [q["key"] for q in document["engagement"]["questions"]] == ["q1", "q2"]
    assert document["engagement"]["demographic_fields"][0]["key"] == "age"
    demographics = {p["pseudonym"]: p["demographics"] for p in document["participants"]}
    assert demographics["Aroha"] == {"age": "25-34"}
    assert demographics["Shy"] is None  # no consent, nothing kept or exported
    raw = (tmp_path / "engagement.json").read_text(encoding="utf-8")
    assert "whānau" in raw  # macrons as themselves, not \u escapes
    for never in ('"user"', "username", "aroha@", '"recorded_by"', "decided_by"):
        assert never not in raw


def test_json_public_scope_applies_the_public_record_rules(exported, tmp_path):
    document = _json(tmp_path, "--scope", "public")
    assert document["scope"] == "public"
    by_id = {c["id"]: c for c in document["contributions"]}
    assert by_id[exported["hidden"].pk]["text"] is None
    assert by_id[exported["hidden"].pk]["withheld"] == "hidden"
    assert by_id[exported["private"].pk]["text"] is None
    assert by_id[exported["private"].pk]["withheld"] == "not_for_quoting"
    for contribution in exported["visible"]:
        assert by_id[contribution.pk]["text"] == contribution.text
    raw = (tmp_path / "engagement.json").read_text(encoding="utf-8")
    for absent in (SECRET, PRIVATE, "25-34", "Shy"):
        assert absent not in raw
    assert all(set(p) == {"public_id", "hui"} for p in document["participants"])


def test_json_to_stdout(exported):
    out = io.StringIO()
    call_command("export", "json", "--engagement", "data-use", "--out", "-", stdout=out)
    document = json.loads(out.getvalue())
    assert len(document["contributions"]) == len(exported["all"])


def test_unknown_slug_is_a_clear_error(exported, tmp_path):
    with pytest.raises(CommandError, match=r"No engagement has the slug “nope”.*data-use"):
        _polis(tmp_path, slug="nope")
    assert not (tmp_path / "polis").exists()


def test_unwritable_destination_is_a_clear_error(exported, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(CommandError, match="not a directory"):
        call_command(
            "export", "polis", "--engagement", "data-use", "--out", str(blocker),
            stdout=io.StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError, match="Cannot"):
        call_command(
            "export", "json", "--engagement", "data-use", "--out", str(blocker / "x.json"),
            stdout=io.StringIO(),
        )  # fmt: skip
    assert blocker.read_text() == "not a directory"


def test_missing_format_or_option_is_refused():
    with pytest.raises(CommandError):
        call_command("export", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("export", "polis", "--out", "/tmp/x", stdout=io.StringIO())


def test_json_full_scope_says_withdrawn_words_were_withdrawn(exported, tmp_path):
    gone = exported["visible"][0]
    services.withdraw_contribution(gone, via="team")
    document = _json(tmp_path)
    by_id = {c["id"]: c for c in document["contributions"]}
    assert by_id[gone.pk]["withheld"] == "withdrawn"
    assert by_id[exported["hidden"].pk]["withheld"] is None  # full scope: the team reads them
