"""``heard opinions compute DIR --out OUT.json``, run as a user runs it: the real ``heard``
entry point in a fresh process, a Pol.is openData folder in (written by the test), the
contract's JSON out; bad input and a bad --out refused with a clear message and no output.

The tests that need the engine run once ``heard.opinions.engine.engine`` exists (checked with
importlib, so they start running the moment it lands)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heard.opinions.open_data import (
    PolisComment,
    PolisConversation,
    PolisVote,
    write_conversation,
)

HEARD = Path(sys.executable).parent / "heard"
CONTRACT_KEYS = {"provenance", "groups", "repness", "consensus", "pca"}
needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("heard.opinions.engine.engine") is None,
    reason="heard.opinions.engine.engine has not landed yet",
)

STATEMENTS = 12  # 0-5 one camp agrees with, 6-11 the other; 12 everyone agrees with
CAMP_A = [str(p) for p in range(0, 40, 2)]
CAMP_B = [str(p) for p in range(1, 40, 2)]
LATECOMER = "77"  # two votes: too few to be placed in the map


def two_camps(*, consensus_moderated: int = 1) -> PolisConversation:
    """Forty participants in two clear camps over twelve statements, every one of them agreeing
    with a thirteenth, and a latecomer with two votes. Each votes in a burst, five seconds a
    vote, ten minutes after the one before: a history of some forty updates to replay."""
    comments = [
        PolisComment(str(s), "0", f"Statement {s}, ā", 1_600_000_000_000 + s, 1, 0, 0)
        for s in range(STATEMENTS)
    ]
    comments.append(
        PolisComment(
            str(STATEMENTS), "1", "We all agree.", 1_600_000_000_000, consensus_moderated, 0, 0
        )
    )
    votes: list[PolisVote] = []
    start = 1_600_000_100_000
    for arrival, p in enumerate(CAMP_A + CAMP_B):
        at = start + arrival * 600_000
        camp = 1 if p in CAMP_A else -1
        for s in range(STATEMENTS):
            value = camp if s < STATEMENTS // 2 else -camp
            if (int(p) + s) % 7 == 0:
                value = 0  # a few passes
            votes.append(PolisVote(str(s), p, value, at))
            at += 5_000
        votes.append(PolisVote(str(STATEMENTS), p, 1, at))
    at = start + 41 * 600_000
    votes.append(PolisVote("0", LATECOMER, 1, at))
    votes.append(PolisVote("6", LATECOMER, -1, at + 5_000))
    return PolisConversation(comments, votes, {}, {"topic": "Two camps"})


def folder_of(conv: PolisConversation, path: Path, *, without: str | None = None) -> Path:
    write_conversation(conv, path, tz=ZoneInfo("Pacific/Auckland"))
    if without:
        (path / without).unlink()
    return path


def run_cli(tmp_path: Path, *args: object) -> subprocess.CompletedProcess:
    env = {**os.environ, "HEARD_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [str(HEARD), "opinions", *map(str, args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_json(path: Path) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


@needs_engine
def test_compute_writes_the_contract(tmp_path):
    folder = folder_of(two_camps(), tmp_path / "conv")
    out = tmp_path / "map.json"
    done = run_cli(tmp_path, "compute", folder, "--out", out)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    document = read_json(out)
    assert set(document) >= CONTRACT_KEYS

    groups = document["groups"]
    assert set(groups) == set(CAMP_A + CAMP_B), "everyone but the latecomer, as strings"
    assert LATECOMER not in groups
    assert all(isinstance(g, int) and not isinstance(g, bool) for g in groups.values())
    assert len({groups[p] for p in CAMP_A}) == 1, "a camp is one group"
    assert len({groups[p] for p in CAMP_B}) == 1
    assert groups[CAMP_A[0]] != groups[CAMP_B[0]]

    comment_ids = set(range(STATEMENTS + 1))
    assert set(document["repness"]) == {str(g) for g in groups.values()}
    for statements in document["repness"].values():
        assert statements, "each camp has statements that set it apart"
        assert all(type(s) is int for s in statements), "comment ids as the files' integers"
        assert set(statements) <= comment_ids
    assert all(type(s) is int for s in document["consensus"])
    assert STATEMENTS in document["consensus"], "what everyone agrees with is common ground"
    assert isinstance(document["pca"], dict)

    source = document["provenance"]["source"]
    assert source["replay"] is True, "votes.csv has timestamps: replayed by default"
    assert source["votes_from"] == "votes.csv"
    assert source["votes_read"] == len(two_camps().votes)


@needs_engine
def test_no_replay_is_recorded_and_gives_the_same_camps(tmp_path):
    folder = folder_of(two_camps(), tmp_path / "conv")
    done = run_cli(tmp_path, "compute", folder, "--out", tmp_path / "a.json", "--no-replay")
    assert done.returncode == 0, done.stderr
    document = read_json(tmp_path / "a.json")
    assert document["provenance"]["source"]["replay"] is False
    assert document["provenance"]["source"]["replay_why"] == "--no-replay"
    groups = document["groups"]
    assert len({groups[p] for p in CAMP_A}) == 1 and groups[CAMP_A[0]] != groups[CAMP_B[0]]


@needs_engine
def test_participants_votes_alone_are_computed_without_replay(tmp_path):
    folder = folder_of(two_camps(), tmp_path / "conv", without="votes.csv")
    done = run_cli(tmp_path, "compute", folder, "--out", tmp_path / "m.json")
    assert done.returncode == 0, done.stderr
    document = read_json(tmp_path / "m.json")
    source = document["provenance"]["source"]
    assert source["votes_from"] == "participants-votes.csv"
    assert source["replay"] is False
    assert "no timestamps" in source["replay_why"]
    assert set(document["groups"]) == set(CAMP_A + CAMP_B)


@needs_engine
def test_moderated_out_statements_are_left_out_of_the_map(tmp_path):
    folder = folder_of(two_camps(consensus_moderated=-1), tmp_path / "conv")
    done = run_cli(tmp_path, "compute", folder, "--out", tmp_path / "m.json", "--no-replay")
    assert done.returncode == 0, done.stderr
    document = read_json(tmp_path / "m.json")
    assert STATEMENTS not in document["consensus"]
    assert all(STATEMENTS not in s for s in document["repness"].values())
    assert document["provenance"]["source"]["moderated_out"] == 1


def test_a_missing_folder_is_a_clear_error(tmp_path):
    done = run_cli(tmp_path, "compute", tmp_path / "nowhere", "--out", tmp_path / "m.json")
    assert done.returncode != 0
    assert "no such folder" in done.stderr and "nowhere" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "m.json").exists()


def test_malformed_csv_names_file_and_line_and_keeps_the_old_output(tmp_path):
    folder = folder_of(two_camps(), tmp_path / "conv")
    votes = folder / "votes.csv"
    lines = votes.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rsplit(",", 1)[0] + ",2\n"  # a vote of 2 on line 4
    votes.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "m.json"
    out.write_text("the previous map\n")
    done = run_cli(tmp_path, "compute", folder, "--out", out)
    assert done.returncode != 0
    assert f"{votes} line 4: vote '2'" in done.stderr
    assert "Traceback" not in done.stderr
    assert out.read_text() == "the previous map\n", "nothing half-written over it"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".m.json")] == []


@pytest.mark.parametrize("where", ["under-a-file", "a-directory"])
def test_an_unwritable_out_is_refused_before_any_work(tmp_path, where):
    folder = folder_of(two_camps(), tmp_path / "conv")
    (tmp_path / "plain-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    out = tmp_path / "plain-file" / "m.json" if where == "under-a-file" else tmp_path / "a-dir"
    done = run_cli(tmp_path, "compute", folder, "--out", out)
    assert done.returncode != 0
    assert "--out" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_folder_without_votes_is_refused(tmp_path):
    conv = two_camps()
    folder = folder_of(PolisConversation(conv.comments, []), tmp_path / "conv")
    done = run_cli(tmp_path, "compute", folder, "--out", tmp_path / "m.json")
    assert done.returncode != 0
    assert "no votes" in done.stderr
    assert not (tmp_path / "m.json").exists()


def test_compute_needs_out(tmp_path):
    done = run_cli(tmp_path, "compute", tmp_path)
    assert done.returncode != 0
    assert "--out" in done.stderr
