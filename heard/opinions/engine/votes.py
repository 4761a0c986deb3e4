"""Votes as the engine takes them: who, on what, which way, when.

Pol.is's database stores agree as -1; its openData exports and heard use the reading order
people expect: agree 1, disagree -1, pass 0.
"""

from __future__ import annotations

from dataclasses import dataclass

AGREE, DISAGREE, PASS = 1, -1, 0


@dataclass(frozen=True, slots=True)
class Vote:
    """One vote. A later vote (by ``at``, then arrival order) by the same participant on the
    same statement replaces the earlier one in the map; the platform keeps the history."""

    participant: str
    statement: str
    value: int
    at: float = 0.0  # seconds since the epoch; orders votes and replays history

    def __post_init__(self) -> None:
        if self.value not in (AGREE, DISAGREE, PASS):
            raise ValueError(f"a vote is 1 (agree), -1 (disagree) or 0 (pass), not {self.value!r}")
