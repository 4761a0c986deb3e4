"""Pol.is openData folders (heard.opinions.open_data): read exactly what Pol.is writes, write
exactly what Pol.is reads, refuse malformed input with the file and the line.

Every folder here is written by the test itself, in the byte layout of Pol.is's own exports
(LF line ends, quotes only where needed, ``datetime`` in JavaScript's ``Date.toString`` shape).
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from heard.listen.exporting import POLIS_COMMENTS_COLUMNS, POLIS_VOTES_COLUMNS
from heard.opinions.engine import Vote
from heard.opinions.open_data import (
    OpenDataError,
    PolisComment,
    PolisConversation,
    PolisVote,
    engine_inputs,
    latest_votes,
    read_conversation,
    vote_history,
    write_conversation,
)

JAKARTA = ZoneInfo("Asia/Jakarta")  # the zone Pol.is's openData exports were written in

# A small conversation exactly as Pol.is exports it: comments in Pol.is's (meaningless) order,
# a body with a comma and doubled quotes, one spanning lines, te reo Māori and CJK; a changed
# vote (voter 1 on comment 0: agree, then disagree a second later); participants-votes rows
# in Pol.is's order with a blank group; a summary value spanning lines.
COMMENTS_CSV = (
    "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    "1403054218578,Wed Jun 18 08:16:58 WIB 2014,1,0,1,1,1,"
    '"Kia ora, he pātai tēnei: ""he aha te utu""?"\n'
    "1403054214174,Wed Jun 18 08:16:54 WIB 2014,0,0,2,1,1,Wages should rise.\n"
    "1403054222443,Wed Jun 18 08:17:02 WIB 2014,2,1,0,1,-1,"
    '"First line\nsecond line,\n  third — 最低工資  "\n'
)
VOTES_CSV = (
    "timestamp,datetime,comment-id,voter-id,vote\n"
    "1403054300000,Wed Jun 18 08:18:20 WIB 2014,0,0,1\n"
    "1403054310000,Wed Jun 18 08:18:30 WIB 2014,0,1,1\n"
    "1403054311000,Wed Jun 18 08:18:31 WIB 2014,0,1,-1\n"
    "1403054305000,Wed Jun 18 08:18:25 WIB 2014,1,0,1\n"
    "1403054320000,Wed Jun 18 08:18:40 WIB 2014,1,1,-1\n"
    "1403054330000,Wed Jun 18 08:18:50 WIB 2014,2,1,-1\n"
    "1403054340000,Wed Jun 18 08:19:00 WIB 2014,2,3,0\n"
)
PARTICIPANTS_CSV = (
    "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n"
    "1,0,1,3,0,3,-1,-1,-1\n"
    "0,1,2,2,2,0,1,1,\n"
    "3,,0,1,0,0,,,0\n"
)
SUMMARY_CSV = (
    "topic,$15/hour\n"
    "url,https://pol.is/2demo\n"
    "views,12\n"
    "voters,3\n"
    "voters-in-conv,2\n"
    "commenters,2\n"
    "comments,3\n"
    "groups,2\n"
    'conversation-description,"How will it change things?\nSay, in a line."\n'
)
FILES = {
    "comments.csv": COMMENTS_CSV,
    "votes.csv": VOTES_CSV,
    "participants-votes.csv": PARTICIPANTS_CSV,
    "summary.csv": SUMMARY_CSV,
}


def make_folder(path: Path, files: dict[str, str | bytes] | None = None, **changes) -> Path:
    """Write the conversation (with ``changes``: file name with '-' as '_' -> text, or None to
    leave the file out) into ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    contents = dict(files or FILES)
    for key, value in changes.items():
        contents[key.replace("_", "-").replace("-csv", ".csv")] = value
    for name, text in contents.items():
        if text is not None:
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            (path / name).write_bytes(data)
    return path


def test_reads_a_polis_folder_exactly(tmp_path):
    conv = read_conversation(make_folder(tmp_path / "conv"))
    assert conv.votes_source == "votes.csv"
    assert [c.id for c in conv.comments] == ["1", "0", "2"], "file order kept"
    assert conv.comments[0] == PolisComment(
        id="1",
        author="0",
        body='Kia ora, he pātai tēnei: "he aha te utu"?',
        created_ms=1403054218578,
        moderated=1,
        agrees=1,
        disagrees=1,
    )
    assert conv.comments[2].body == "First line\nsecond line,\n  third — 最低工資  "
    assert conv.comments[2].moderated == -1
    assert len(conv.votes) == 7, "the whole history, the changed vote included"
    assert conv.votes[1:3] == [
        PolisVote("0", "1", 1, 1403054310000),
        PolisVote("0", "1", -1, 1403054311000),
    ]
    assert conv.groups == {"1": 0, "0": 1, "3": None}
    assert list(conv.groups) == ["1", "0", "3"], "participants-votes.csv's row order"
    assert conv.summary["conversation-description"] == "How will it change things?\nSay, in a line."
    assert conv.has_timestamps


def test_writing_what_was_read_gives_the_same_bytes(tmp_path):
    conv = read_conversation(make_folder(tmp_path / "in"))
    written = write_conversation(conv, tmp_path / "out", tz=JAKARTA)
    assert sorted(p.name for p in written) == sorted(FILES)
    for name, text in FILES.items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == text, name
    assert read_conversation(tmp_path / "out") == conv


def test_round_trip_of_a_conversation_built_in_code(tmp_path):
    tricky = [
        "Line one\r\nline two (CRLF kept)",
        '  "quoted", with commas, and spaces  ',
        "Kāore au i te whakaae 🙂",
        "",
        "NA",
        "=1+1",
    ]
    comments = [
        PolisComment(str(n), str(n % 2), body, 1700000000000 + n, (1, 0, -1)[n % 3], n, 0)
        for n, body in enumerate(tricky)
    ]
    votes = [
        PolisVote("0", "5", 1, 1700000100000),
        PolisVote("3", "5", 0, 1700000100500),
        PolisVote("0", "5", -1, 1700000200000),
        PolisVote("4", "12", 1, 1700000300000),
    ]
    conv = PolisConversation(comments, votes, {"5": 0, "12": None}, {"topic": "Te wai"})
    write_conversation(conv, tmp_path / "out", tz=ZoneInfo("Pacific/Auckland"))
    again = read_conversation(tmp_path / "out")
    assert again.comments == comments
    assert again.votes == votes
    # participants-votes.csv has a row for every author and voter: those missing from
    # ``groups`` (authors 0 and 1) come back with a blank group, after the ones given
    assert again.groups == {"5": 0, "12": None, "0": None, "1": None}
    # summary.csv gains Pol.is's keys, counted from the conversation
    assert again.summary == {
        "topic": "Te wai",
        "url": "",
        "views": "",
        "voters": "2",
        "voters-in-conv": "1",
        "commenters": "2",
        "comments": "6",
        "groups": "1",
        "conversation-description": "",
    }
    assert [c.body for c in again.comments] == tricky
    write_conversation(again, tmp_path / "again", tz=ZoneInfo("Pacific/Auckland"))
    assert read_conversation(tmp_path / "again") == again


def test_written_participants_votes_hold_the_latest_vote_and_counts(tmp_path):
    conv = PolisConversation(
        comments=[
            PolisComment("10", "7", "a", 1, 1, 0, 0),
            PolisComment("2", None, "b", 2, 1, 0, 0),
        ],
        votes=[
            PolisVote("2", "7", 1, 5000),
            PolisVote("10", "7", -1, 4000),
            PolisVote("2", "7", 0, 3000),  # older than the agree above, though later in file
            PolisVote("10", "9", 1, 6000),
        ],
    )
    write_conversation(conv, tmp_path, tz=ZoneInfo("UTC"))
    lines = (tmp_path / "participants-votes.csv").read_text().splitlines()
    assert lines == [
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,2,10",
        "7,,1,2,1,1,1,-1",
        "9,,0,1,1,0,,1",
    ]
    votes = (tmp_path / "votes.csv").read_text().splitlines()
    assert votes[0] == ",".join(POLIS_VOTES_COLUMNS)
    assert votes[1] == "5000,Thu Jan 01 00:00:05 UTC 1970,2,7,1"
    comments = (tmp_path / "comments.csv").read_text().splitlines()
    assert comments[0] == ",".join(POLIS_COMMENTS_COLUMNS)
    assert comments[2] == "2,Thu Jan 01 00:00:00 UTC 1970,2,,0,0,1,b"


def test_datetime_column_in_the_zone_asked_for(tmp_path):
    conv = PolisConversation([PolisComment("0", "0", "x", 1542406176584, 0, 0, 0)], [])
    write_conversation(conv, tmp_path, tz=ZoneInfo("Pacific/Auckland"))
    row = (tmp_path / "comments.csv").read_text().splitlines()[1]
    assert row == "1542406176584,Sat Nov 17 11:09:36 NZDT 2018,0,0,0,0,0,x"


def test_participants_votes_stand_in_for_a_missing_votes_csv(tmp_path):
    conv = read_conversation(make_folder(tmp_path, votes_csv=None))
    assert conv.votes_source == "participants-votes.csv"
    assert not conv.has_timestamps
    assert conv.votes == [
        PolisVote("0", "1", -1, None),
        PolisVote("1", "1", -1, None),
        PolisVote("2", "1", -1, None),
        PolisVote("0", "0", 1, None),
        PolisVote("1", "0", 1, None),
        PolisVote("2", "3", 0, None),
    ], "row by row, column by column; blank cells are no vote"
    assert latest_votes(conv) == [Vote(v.voter, v.statement, v.value, at=0.0) for v in conv.votes]


def test_a_byte_order_mark_is_tolerated(tmp_path):
    folder = make_folder(
        tmp_path,
        comments_csv=b"\xef\xbb\xbf" + COMMENTS_CSV.encode(),
        votes_csv=b"\xef\xbb\xbf" + VOTES_CSV.encode(),
    )
    assert read_conversation(folder) == read_conversation(make_folder(tmp_path / "plain"))


def test_crlf_files_read_the_same_and_keep_crlf_inside_bodies(tmp_path):
    crlf = COMMENTS_CSV.replace("\n", "\r\n")
    conv = read_conversation(make_folder(tmp_path, comments_csv=crlf))
    assert conv.comments[2].body == "First line\r\nsecond line,\r\n  third — 最低工資  "
    assert conv.comments[0].body == 'Kia ora, he pātai tēnei: "he aha te utu"?'


def test_latest_votes_by_time_then_file_order():
    conv = PolisConversation(
        comments=[PolisComment("0", None, "a", None, 1, 0, 0)],
        votes=[
            PolisVote("0", "a", 1, 3000),
            PolisVote("0", "a", -1, 2000),  # older: loses although later in the file
            PolisVote("0", "b", 1, 2500),
            PolisVote("0", "b", 0, 2500),  # same time: the later row wins
            PolisVote("0", "c", -1, 1000),
        ],
    )
    assert latest_votes(conv) == [
        Vote("c", "0", -1, at=1.0),
        Vote("b", "0", 0, at=2.5),
        Vote("a", "0", 1, at=3.0),
    ], "oldest first"
    assert vote_history(conv)[1] == Vote("a", "0", -1, at=2.0), "history keeps file order"


def test_engine_inputs_name_statements_in_id_order_and_the_moderated_out():
    conv = PolisConversation(
        comments=[
            PolisComment("10", None, "a", None, -1, 0, 0),
            PolisComment("9", None, "b", None, 0, 0, 0),
            PolisComment("0", None, "m", None, 1, 0, 0, is_meta=True),
        ],
        votes=[],
    )
    assert engine_inputs(conv) == {
        "statements": ["0", "9", "10"],
        "moderated_out": ["10"],
        "meta": ["0"],
    }


BAD_VOTES_HEADER = "timestamp,datetime,comment-id,voter-id,vote\n"


@pytest.mark.parametrize(
    ("changes", "file", "line", "words"),
    [
        ({"comments_csv": None}, "comments.csv", None, "file not found"),
        (
            {"comments_csv": COMMENTS_CSV.replace(",moderated,", ",status,")},
            "comments.csv",
            1,
            "missing column 'moderated'",
        ),
        (
            {"comments_csv": COMMENTS_CSV.replace(",2,1,0,1,-1,", ",two,1,0,1,-1,")},
            "comments.csv",
            4,
            "comment-id 'two' is not a non-negative integer",
        ),
        (
            {"comments_csv": COMMENTS_CSV + "1403054222999,x,0,3,0,0,1,again\n"},
            "comments.csv",
            7,
            "comment-id 0 appears twice (first on line 3)",
        ),
        (
            {"comments_csv": COMMENTS_CSV.replace(",1,1,Wages", ",1,2,Wages")},
            "comments.csv",
            3,
            "moderated '2'",
        ),
        (
            {"comments_csv": COMMENTS_CSV + '1,x,9,0,0,0,1,"never closed\n'},
            "comments.csv",
            7,
            "malformed CSV",
        ),
        (
            {"comments_csv": COMMENTS_CSV.encode() + b"1,x,9,0,0,0,1,caf\xe9\n"},
            "comments.csv",
            7,
            "not UTF-8",
        ),
        (
            {"votes_csv": BAD_VOTES_HEADER + "1,x,0,0,1\n1,x,0,1,2\n"},
            "votes.csv",
            3,
            "vote '2' is not 1 (agree), -1 (disagree) or 0 (pass)",
        ),
        (
            {"votes_csv": BAD_VOTES_HEADER + "1,x,0,0,1\n2,x,7,0,1\n"},
            "votes.csv",
            3,
            "a vote on comment-id 7, which is not in comments.csv",
        ),
        (
            {"votes_csv": BAD_VOTES_HEADER + "1,x,0,zoe,1\n"},
            "votes.csv",
            2,
            "voter-id 'zoe' is not a non-negative integer",
        ),
        (
            {"votes_csv": BAD_VOTES_HEADER + "1,x,0,0\n"},
            "votes.csv",
            2,
            "4 cells where the header has 5",
        ),
        (
            {"votes_csv": "timestamp,comment-id,vote\n"},
            "votes.csv",
            1,
            "missing column 'voter-id'",
        ),
        (
            {"participants_votes_csv": PARTICIPANTS_CSV.replace("3,,0,1", "3,x,0,1")},
            "participants-votes.csv",
            4,
            "group-id 'x' is not an integer",
        ),
        (
            {"participants_votes_csv": PARTICIPANTS_CSV.replace(",0,1,2\n", ",0,1,8\n")},
            "participants-votes.csv",
            1,
            "a vote column for comment-id 8, which is not in comments.csv",
        ),
        (
            {
                "votes_csv": None,
                "participants_votes_csv": PARTICIPANTS_CSV.replace(",,0\n", ",,y\n"),
            },
            "participants-votes.csv",
            4,
            "vote on comment-id 2 'y'",
        ),
        (
            {"summary_csv": SUMMARY_CSV + "groups,2,extra\n"},
            "summary.csv",
            11,
            "3 cells where a summary row has 2",
        ),
        ({"votes_csv": None, "participants_votes_csv": None}, None, None, "neither votes.csv"),
    ],
)
def test_malformed_input_is_refused_with_file_and_line(tmp_path, changes, file, line, words):
    folder = make_folder(tmp_path / "conv", **changes)
    with pytest.raises(OpenDataError) as raised:
        read_conversation(folder)
    error = raised.value
    assert words in str(error)
    if file is not None:
        assert error.path == folder / file
        assert str(folder / file) in str(error)
    assert error.line == line
    if line is not None:
        assert f"line {line}:" in str(error)


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(OpenDataError, match=r"no such folder: .*nowhere"):
        read_conversation(tmp_path / "nowhere")


def test_blank_lines_between_rows_are_not_votes(tmp_path):
    conv = read_conversation(
        make_folder(tmp_path, votes_csv=VOTES_CSV.replace("\n1403054320000", "\n\n1403054320000"))
    )
    assert len(conv.votes) == 7


def test_writing_refuses_a_vote_on_an_unknown_comment(tmp_path):
    conv = PolisConversation([], [PolisVote("3", "0", 1, None)])
    with pytest.raises(OpenDataError, match="not a comment"):
        write_conversation(conv, tmp_path, tz=JAKARTA)
    assert not (tmp_path / "votes.csv").exists()


def test_writing_into_a_file_path_is_an_error(tmp_path):
    (tmp_path / "taken").write_text("x")
    conv = read_conversation(make_folder(tmp_path / "in"))
    with pytest.raises(OpenDataError, match="not a directory"):
        write_conversation(conv, tmp_path / "taken", tz=JAKARTA)
