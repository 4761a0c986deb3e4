"""A policy version's content as plain data, and its canonical hash (no Django import).

The hash is what the record holds for a version and what an endorsement is bound to, so it
must be computable by anyone from the published content alone: the content is written as
RFC 8785 canonical JSON (sorted keys, one spelling per number and string) and hashed with
SHA-256. The words are hashed exactly as written (no normalising, trimming or re-wrapping):
nothing the team wrote is silently changed, and a changed character is a changed hash.

Clauses carry a stable ``key`` across versions ("P1", "G3.2"...): a version is the clauses in
order, each with its text in English and te reo Māori (either may be missing, and is then
absent, never machine-filled), its trace to themes and quotes, or its reason for not coming
from the engagement.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import rfc8785

#: The canonical form's version: bump it if the shape changes, so old hashes still verify.
FORMAT = "heard.policy/1"

KINDS = ("preamble", "principle", "guideline", "clause")


@dataclass(frozen=True)
class QuoteRef:
    """Words a clause answers: a span of a stored contribution (its open-data id)."""

    contribution: int
    start: int
    length: int


@dataclass(frozen=True)
class ClauseContent:
    key: str
    kind: str
    heading_en: str = ""
    heading_mi: str = ""
    text_en: str = ""
    text_mi: str = ""
    themes: tuple[int, ...] = ()  # theme ids (heard.sense) the clause answers
    quotes: tuple[QuoteRef, ...] = ()
    not_from_engagement: str = ""  # why the clause does not come from what was heard

    @property
    def has_evidence(self) -> bool:
        return bool(self.themes or self.quotes)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "kind": self.kind}
        for name in ("heading_en", "heading_mi", "text_en", "text_mi", "not_from_engagement"):
            value = getattr(self, name)
            if value:
                body[name] = value
        if self.themes:
            body["themes"] = sorted(set(self.themes))
        if self.quotes:
            body["quotes"] = [
                {"contribution": q.contribution, "start": q.start, "length": q.length}
                for q in sorted(set(self.quotes), key=lambda q: (q.contribution, q.start, q.length))
            ]
        return body


@dataclass(frozen=True)
class VersionContent:
    engagement: str  # the engagement's slug
    title: str
    number: int
    clauses: tuple[ClauseContent, ...] = field(default_factory=tuple)
    title_mi: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format": FORMAT,
            "engagement": self.engagement,
            "title": self.title,
            "version": self.number,
            "clauses": [c.as_dict() for c in self.clauses],
        }
        if self.title_mi:
            body["title_mi"] = self.title_mi
        return body


def canonical(content: VersionContent) -> bytes:
    """The version's canonical bytes (RFC 8785 JSON): what its hash is taken over."""
    return rfc8785.dumps(content.as_dict())


def content_hash(content: VersionContent) -> str:
    """``sha256:`` and the hex digest of the canonical bytes."""
    return "sha256:" + hashlib.sha256(canonical(content)).hexdigest()


def check(content: VersionContent) -> list[str]:
    """What is wrong with a version's shape, as sentences (empty when it may be issued): keys
    unique and present, kinds known, every clause with some words, and every clause either
    traced to what was heard or saying why not."""
    problems = []
    seen: set[str] = set()
    for clause in content.clauses:
        if not clause.key:
            problems.append("A clause has no key.")
        elif clause.key in seen:
            problems.append(f"Clause {clause.key} appears twice.")
        seen.add(clause.key)
        if clause.kind not in KINDS:
            problems.append(f"Clause {clause.key}: unknown kind {clause.kind!r}.")
        if not (clause.text_en.strip() or clause.text_mi.strip()):
            problems.append(f"Clause {clause.key} has no words in either language.")
        if clause.has_evidence and clause.not_from_engagement:
            problems.append(
                f"Clause {clause.key} is traced to what was heard and also says it is not."
            )
    return problems
