"""The opinion map, Pol.is's pipeline in plain numpy (no Django import).

Public surface: :class:`Vote`, :func:`compute`, :class:`OpinionMap` (incremental), the result
types in :mod:`.result`, and :func:`priority.statement_priority` (the voting order).
"""

from heard.opinions.engine.votes import AGREE, DISAGREE, PASS, Vote

__all__ = ["AGREE", "DISAGREE", "PASS", "Vote"]
