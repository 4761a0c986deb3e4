"""The vote matrix (participants x statements), kept incrementally.

Pol.is keeps a dense matrix of votes with ``nil`` where someone has not voted. At 10,000
participants and 2,000 statements that is 20 million cells of which about one in twenty is a
vote, so heard keeps the votes as coordinate arrays (row, column, value) and builds sparse
matrices from them on demand. New votes are appended; a changed vote is overwritten in place, so
the arrays always hold each participant's *current* vote on each statement.

Rows and columns are numbered in order of first appearance, as Pol.is numbers them (the order
matters: k-means starts from the first distinct rows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from heard.opinions.engine.votes import AGREE, DISAGREE, Vote

_INITIAL_CAPACITY = 1024
_MASK64 = (1 << 64) - 1


def _id_hash(kind: bytes, identifier: str) -> int:
    """A 64-bit hash of an id, the same in every process (Python's ``hash`` is salted)."""
    digest = hashlib.blake2b(kind + identifier.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: spreads every input bit over the output."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class VoteMatrix:
    """Current votes, indexed; ``apply`` takes a batch and says which rows changed."""

    def __init__(self) -> None:
        self.participants: list[str] = []
        self.statements: list[str] = []
        self._row: dict[str, int] = {}
        self._col: dict[str, int] = {}
        # Each held vote's cell as (row << 32 | col), sorted, with its position in the arrays.
        self._keys = np.empty(0, dtype=np.int64)
        self._positions = np.empty(0, dtype=np.int64)
        self._rows = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
        self._cols = np.empty(_INITIAL_CAPACITY, dtype=np.int32)
        self._vals = np.empty(_INITIAL_CAPACITY, dtype=np.int8)
        self.size = 0
        # Hashes of the ids, for the order-free digest of the votes held (see ``digest``).
        self._row_hash: list[int] = []
        self._col_hash: list[int] = []
        self._digest = [0, 0]
        self._csr: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = None
        self.last_at = 0.0

    # --- building ----------------------------------------------------------------------------

    def add_statements(self, statements: Iterable[str]) -> None:
        """Give statements a column before anyone votes on them (they count in the map's width)."""
        for statement in statements:
            self._column(str(statement))

    def _column(self, statement: str) -> int:
        col = self._col.get(statement)
        if col is None:
            col = self._col[statement] = len(self.statements)
            self.statements.append(statement)
            self._col_hash.append(_id_hash(b"s", statement))
            self._csr = None
        return col

    def _row_of(self, participant: str) -> int:
        row = self._row.get(participant)
        if row is None:
            row = self._row[participant] = len(self.participants)
            self.participants.append(participant)
            self._row_hash.append(_id_hash(b"p", participant))
            self._csr = None
        return row

    def _grow(self, needed: int) -> None:
        capacity = len(self._vals)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        for name in ("_rows", "_cols", "_vals"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def apply(self, votes: Iterable[Vote]) -> set[int]:
        """Take votes in order (a later one replaces an earlier one); return the rows changed."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[int] = []
        row_of, column = self._row_of, self._column
        for vote in votes:
            rows.append(row_of(vote.participant))
            cols.append(column(vote.statement))
            vals.append(vote.value)
            if vote.at > self.last_at:
                self.last_at = vote.at
        return self.apply_arrays(rows, cols, vals)

    def apply_arrays(
        self,
        rows: Sequence[int] | np.ndarray,
        cols: Sequence[int] | np.ndarray,
        vals: Sequence[int] | np.ndarray,
    ) -> set[int]:
        """The same for votes already given row and column numbers (in order).

        Vectorised: the cells are found by binary search in a sorted key array, so a batch
        costs O(batch x log votes) plus one O(votes) insertion, never a pass in Python over
        everything held.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=np.int8)
        if len(rows) == 0:
            return set()
        keys = (rows << 32) | cols
        # Within the batch the last vote on a cell wins: unique over the reversed batch.
        unique, first_in_reversed = np.unique(keys[::-1], return_index=True)
        last = len(keys) - 1 - first_in_reversed
        keys, rows, cols, vals = unique, rows[last], cols[last], vals[last]
        where = np.searchsorted(self._keys, keys)
        found = where < len(self._keys)
        found[found] = self._keys[where[found]] == keys[found]
        # Votes that change a cell someone already voted on.
        positions = self._positions[where[found]]
        differs = self._vals[positions] != vals[found]
        replaced = positions[differs]
        self._fold(rows[found][differs], cols[found][differs], self._vals[replaced], -1)
        self._vals[replaced] = vals[found][differs]
        self._fold(rows[found][differs], cols[found][differs], self._vals[replaced], +1)
        changed_rows = rows[found][differs]
        # New cells: append to the arrays and insert their keys in order.
        fresh = ~found
        n_new = int(fresh.sum())
        if n_new:
            self._grow(self.size + n_new)
            span = slice(self.size, self.size + n_new)
            self._rows[span] = rows[fresh]
            self._cols[span] = cols[fresh]
            self._vals[span] = vals[fresh]
            new_positions = np.arange(self.size, self.size + n_new, dtype=np.int64)
            self._keys = np.insert(self._keys, where[fresh], keys[fresh])
            self._positions = np.insert(self._positions, where[fresh], new_positions)
            self.size += n_new
            self._fold(rows[fresh], cols[fresh], vals[fresh], +1)
            changed_rows = np.concatenate([changed_rows, rows[fresh]])
        if len(changed_rows):
            self._csr = None
        return set(np.unique(changed_rows).tolist())

    def _fold(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, sign: int) -> None:
        """Add (or take away) votes' hashes to the digest: two 64-bit lanes, sums mod 2**64."""
        if not len(rows):
            return
        row_hash = np.asarray(self._row_hash, dtype=np.uint64)[rows]
        col_hash = np.asarray(self._col_hash, dtype=np.uint64)[cols]
        value = (vals.astype(np.int64) + 2).astype(np.uint64)
        with np.errstate(over="ignore"):
            for lane in (0, 1):
                seed = np.uint64(0x9E3779B97F4A7C15 * (lane + 1) & _MASK64)
                h = _mix(_mix(row_hash ^ seed) ^ col_hash)
                h = _mix(h + value)
                total = int(h.sum(dtype=np.uint64))
                self._digest[lane] = (self._digest[lane] + sign * total) & _MASK64

    def digest(self) -> str:
        """An order-free digest of the votes held: who voted what on which statement.

        Each vote hashes to two 64-bit lanes (from blake2b of the ids and splitmix64 mixing);
        the digest is their sum mod 2**64. A sum needs no sorting and updates in O(batch) when
        votes arrive or change, so every incremental result can carry its input's hash;
        the same votes, in any order or history, give the same digest.
        """
        return f"{self._digest[0]:016x}{self._digest[1]:016x}"

    def index_participants(self, participants: Sequence[str]) -> np.ndarray:
        """Row numbers for participant ids, adding new ones in the order given."""
        return np.fromiter((self._row_of(p) for p in participants), np.int32, len(participants))

    def index_statements(self, statements: Sequence[str]) -> np.ndarray:
        return np.fromiter((self._column(s) for s in statements), np.int32, len(statements))

    # --- reading -----------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.participants), len(self.statements)

    def column(self, statement: str) -> int | None:
        return self._col.get(statement)

    def sparse(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """(values, voted): CSR matrices; values hold 1/-1/0, voted holds 1 where a vote is.

        A pass is a vote with value 0, so it is stored explicitly in ``voted`` (and counts as
        "seen"), never confused with no vote.
        """
        if self._csr is None:
            n = self.size
            shape = self.shape
            rows, cols = self._rows[:n], self._cols[:n]
            values = sparse.csr_matrix(
                (self._vals[:n].astype(np.float64), (rows, cols)), shape=shape
            )
            voted = sparse.csr_matrix((np.ones(n), (rows, cols)), shape=shape)
            self._csr = (values, voted)
        return self._csr

    def counts_by_row(self) -> np.ndarray:
        """How many statements each participant has voted on (passes included)."""
        return np.bincount(self._rows[: self.size], minlength=len(self.participants))

    def tallies(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per statement: (agree, disagree, seen) counts, over ``rows`` (all when None)."""
        n = self.size
        cols, vals = self._cols[:n], self._vals[:n]
        if rows is not None:
            keep = np.zeros(len(self.participants), dtype=bool)
            keep[rows] = True
            chosen = keep[self._rows[:n]]
            cols, vals = cols[chosen], vals[chosen]
        width = len(self.statements)
        agree = np.bincount(cols[vals == AGREE], minlength=width)
        disagree = np.bincount(cols[vals == DISAGREE], minlength=width)
        seen = np.bincount(cols, minlength=width)
        return agree, disagree, seen

    def group_tallies(
        self, labels: np.ndarray, n_groups: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group and statement (n_groups x width): agree, disagree, seen counts.

        ``labels`` gives each row's group, or -1 for rows outside every group.
        """
        n = self.size
        group = labels[self._rows[:n]]
        inside = group >= 0
        group, cols, vals = group[inside], self._cols[:n][inside], self._vals[:n][inside]
        width = len(self.statements)
        flat = group.astype(np.int64) * width + cols
        size = n_groups * width

        def count(mask: np.ndarray | None) -> np.ndarray:
            chosen = flat if mask is None else flat[mask]
            return np.bincount(chosen, minlength=size).reshape(n_groups, width)

        return count(vals == AGREE), count(vals == DISAGREE), count(None)
