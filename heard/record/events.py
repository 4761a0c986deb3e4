"""The typed events the record holds, as deterministic bytes.

Plain module (no Django): an entry is the RFC 8785 (JSON Canonicalization Scheme) encoding of one
event, so anyone can re-create the exact leaf bytes from the fields. Content never enters the
log: a contribution's words enter as a salted commitment, so that withdrawal can destroy the
words and the salt and leave a log that still verifies (crypto-shredding). No event carries
personal information: people appear only as pseudonymous public ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from enum import StrEnum
from typing import Any

import orjson
import rfc8785

SCHEMA_VERSION = 1
SALT_BYTES = 32
_COMMITMENT_PREFIX = b"heard.commitment.v1\x00"


class EventType(StrEnum):
    CONTRIBUTION_SUBMITTED = "contribution.submitted"
    CONTRIBUTION_HIDDEN = "contribution.hidden"
    CONTRIBUTION_UNHIDDEN = "contribution.unhidden"
    CONTRIBUTION_WITHDRAWN = "contribution.withdrawn"
    HUI_RECORDED = "hui.recorded"
    # Themes (heard.sense): each run and each analyst edit, with who (a staff pseudonym), what
    # and why. No participant words: quotes are spans of a contribution, summaries a digest.
    THEME_RUN_STARTED = "theme.run_started"
    THEME_RUN_FINISHED = "theme.run_finished"
    THEME_RENAMED = "theme.renamed"
    THEME_MERGED = "theme.merged"
    THEME_SPLIT = "theme.split"
    THEME_MEMBERS_MOVED = "theme.members_moved"
    THEME_KEY_QUOTE_MARKED = "theme.key_quote_marked"
    THEME_KEY_QUOTE_UNMARKED = "theme.key_quote_unmarked"
    THEME_SUMMARY_WRITTEN = "theme.summary_written"
    # Opinions (heard.opinions): conversations, statements (their words as a commitment, as for
    # contributions), moderation with its public reason, votes and hui tallies (counts only).
    CONVERSATION_CREATED = "conversation.created"
    STATEMENT_SUBMITTED = "statement.submitted"
    STATEMENT_ACCEPTED = "statement.accepted"
    STATEMENT_REJECTED = "statement.rejected"
    STATEMENT_WITHDRAWN = "statement.withdrawn"
    VOTE_CAST = "vote.cast"
    TALLY_RECORDED = "tally.recorded"
    # The opinion map: each computation, with the engine, its parameters' digest, the hash of
    # its input (the votes) and of its result, so anyone can rerun it and compare.
    OPINION_MAP_COMPUTED = "opinion.map_computed"
    # The findings report (heard.report): each published version, with the SHA-256 of its page
    # and of its PDF, who published it (a staff pseudonym) and a digest of the change note.
    REPORT_PUBLISHED = "report.published"
    # A published version's stored copy loses the words of a contribution since withdrawn:
    # the version, the contribution, the new page's hash (the published hashes stay as they were).
    REPORT_REDACTED = "report.redacted"
    # The policy (heard.policy): a version issued, with the SHA-256 of its canonical content
    # (heard.policy.document), and a theme set aside or taken back, with a digest of the reason.
    POLICY_VERSION_ISSUED = "policy.version_issued"
    POLICY_THEME_SET_ASIDE = "policy.theme_set_aside"
    POLICY_THEME_TAKEN_BACK = "policy.theme_taken_back"
    # The working group: a member joins (public id, role, term; the name is on the group's page,
    # not in the log), and a decision on a version, bound to its hash, with the members'
    # positions counted, digests of the minutes and of each dissent.
    POLICY_MEMBER_ADDED = "policy.member_added"
    POLICY_DECISION = "policy.decision"
    # Check-back: a round opened on an issued version (its hash), a person's answers on a
    # clause (the comment as a salted commitment; a change names the entry it replaces), a
    # hui's show of hands on a clause, and a round closed.
    POLICY_CHECK_BACK_OPENED = "policy.check_back_opened"
    POLICY_FEEDBACK = "policy.feedback"
    POLICY_FEEDBACK_TALLY = "policy.feedback_tally"
    POLICY_CHECK_BACK_CLOSED = "policy.check_back_closed"


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def commitment(salt: bytes, content: str) -> str:
    """Hex SHA-256 of a domain prefix, the salt and the UTF-8 content.

    With the salt destroyed, the commitment says nothing about the words, even short ones.
    """
    return hashlib.sha256(_COMMITMENT_PREFIX + salt + content.encode("utf-8")).hexdigest()


def commitment_matches(expected: str, salt: bytes, content: str) -> bool:
    return hmac.compare_digest(expected, commitment(salt, content))


def digest(data: str | bytes) -> str:
    """The SHA-256 hex digest of words or bytes the record commits to without holding them
    (a change note, a reason, minutes) or of a published file. Text is hashed as UTF-8."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def timestamp(moment: dt.datetime) -> str:
    """UTC, second precision, "Z" suffix: one spelling per instant."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


_MAX_EXACT_INT = 2**53 - 1


def _simple(body: dict[str, Any]) -> bool:
    """A flat object of ASCII keys and strings, integers a double holds exactly, booleans or
    null: every event heard writes. For these, orjson's sorted compact output is byte for byte
    the RFC 8785 form (tests/record/test_events.py checks this property), at a tenth the cost."""
    for key, value in body.items():
        kind = type(value)
        if kind is str or value is None or kind is bool:
            pass
        elif kind is int:
            if not -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
                return False
        else:
            return False  # floats, nested objects and subclasses take the reference path
        if type(key) is not str or not key.isascii():
            return False
    return True


def canonical(body: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of an event body (fast path for simple events, the reference otherwise)."""
    if _simple(body):
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(body)


def encode(event_type: EventType, fields: dict[str, Any]) -> bytes:
    """The exact leaf bytes for an event: canonical JSON with the type and schema version.

    ``None`` values are dropped so that an absent field has one spelling.
    """
    body = {k: v for k, v in fields.items() if v is not None}
    if "type" in body or "v" in body:
        raise ValueError("'type' and 'v' are reserved")
    body["type"] = str(event_type)
    body["v"] = SCHEMA_VERSION
    return canonical(body)


def decode(leaf: bytes) -> dict[str, Any]:
    """Parse leaf bytes and check they are in canonical form (re-encoding gives the same)."""
    try:
        body = orjson.loads(leaf)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(body, dict) or "type" not in body:
        raise ValueError("not a heard event")
    if canonical(body) != leaf:
        raise ValueError("not in canonical form")
    return body
