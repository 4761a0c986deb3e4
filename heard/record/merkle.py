"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and their verification.

The record is an append-only log; its tree is the one RFC 6962 / RFC 9162 section 2.1 defines, with
SHA-256: a leaf hashes as ``H(0x00 || data)``, an interior node as ``H(0x01 || left || right)``, and
the empty tree as ``H("")``. Every tool that speaks the Certificate Transparency / C2SP formats can
then check our roots and proofs without trusting our code.

Storage model ("stored hashes", as in tlog-tiles): node ``(level, index)`` is the hash of the
COMPLETE subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf
hashes. Those are the only hashes ever stored, and they never change once written, so a database
table of them is append-only. The hash of an incomplete subtree (on the right edge of a tree whose
size is not a power of two) is never stored: it is recomputed from the complete subtrees it is made
of, which is why the root and the proofs work at ANY size up to the stored one.

Proof generation first works out, with bit arithmetic alone, every stored node a proof needs, then
asks the reader for all of them in ONE ``get_nodes`` call, so a database-backed reader answers a
proof with one query. Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeReader",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "new_nodes",
    "new_nodes_batch",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one entry: ``SHA-256(0x00 || data)``.

    The 0x00 prefix keeps a leaf from ever being mistaken for an interior node (second-preimage
    resistance)."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 || left || right)``.

    Both arguments are 32-byte hashes; they are not checked here because this runs in every append
    and proof (callers that take hashes from outside check them)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


EMPTY_ROOT: bytes = _sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string (RFC 9162 section 2.1.1)."""


class ProofError(ValueError):
    """A proof does not verify, or its parameters (sizes, index, hash lengths) cannot be right."""


class NodeReader(Protocol):
    """Where the stored hashes live (memory, the database, a tile mirror)."""

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        """The stored hashes at ``(level, index)``, in the order asked; raise KeyError when one is
        not stored."""
        ...


# --------------------------------------------------------------------------------------------
# Which stored nodes a computation needs: bit arithmetic only, no hashing, no reads.
# --------------------------------------------------------------------------------------------


def _range_nodes(start: int, end: int, coords: list[tuple[int, int]]) -> None:
    """Append to ``coords`` the complete subtrees that make up leaves ``[start, end)``, left to
    right, largest first.

    ``start`` must be a multiple of the largest power of two not above ``end - start`` (true for
    the ranges used here: the whole tree and the right part of a subtree), so the pieces are the
    set bits of the width, high to low, and their hash folded from the right is the RFC 9162 MTH of
    the range."""
    width = end - start
    position = start
    level = width.bit_length() - 1
    while level >= 0:
        if (width >> level) & 1:
            coords.append((level, position >> level))
            position += 1 << level
        level -= 1


def _path_nodes(
    index: int, level: int, size: int, coords: list[tuple[int, int]]
) -> tuple[int, int]:
    """Append to ``coords`` the stored nodes of the RFC 9162 audit path of node ``(level, index)``
    in the tree of ``size`` leaves, bottom up; return ``(start, count)``: the slice of ``coords``
    (``count`` > 1) that must be folded into one hash because that sibling is an incomplete subtree,
    or ``(0, 0)`` when every sibling is a stored node.

    Below the level where the path of the node and the path of the last leaf meet, every sibling is
    a complete (stored) subtree. At that level the sibling is the right edge of the tree, whole or
    partial. Above it the path runs along the right edge, where the RFC tree only has a sibling (to
    the left, complete) where the bit of the index is set."""
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()
    fold_start = fold_count = 0
    node = index
    for depth in range(inner - 1):
        coords.append((level + depth, node ^ 1))
        node >>= 1
    if inner:
        edge_level = level + inner - 1
        edge_start = (node ^ 1) << edge_level
        before = len(coords)
        _range_nodes(edge_start, size, coords)
        if len(coords) - before > 1:
            fold_start, fold_count = before, len(coords) - before
        node >>= 1
    depth = inner
    while node:
        if node & 1:
            coords.append((level + depth, node ^ 1))
        node >>= 1
        depth += 1
    return fold_start, fold_count


def _read(reader: NodeReader, coords: list[tuple[int, int]]) -> list[bytes]:
    hashes = reader.get_nodes(coords)
    if len(hashes) != len(coords):
        raise KeyError(f"the node reader returned {len(hashes)} hashes for {len(coords)} nodes")
    return hashes


def _fold_right(hashes: Sequence[bytes]) -> bytes:
    """The MTH of consecutive complete subtrees, largest first: hashed together from the right."""
    result = hashes[-1]
    for position in range(len(hashes) - 2, -1, -1):
        result = _sha256(_NODE_PREFIX + hashes[position] + result).digest()
    return result


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")


# --------------------------------------------------------------------------------------------
# Appending: the stored hashes a new leaf (or batch of leaves) creates.
# --------------------------------------------------------------------------------------------


def new_nodes(size: int, leaf_hash: bytes, reader: NodeReader) -> list[tuple[int, int, bytes]]:
    """The stored hashes created by appending ``leaf_hash`` as leaf number ``size`` (0-based) to a
    tree of ``size`` leaves, as ``(level, index, hash)`` by rising level: the leaf itself and every
    complete subtree it completes (leaf 3 creates (0, 3), (1, 1) and (2, 0)).

    Reads only the left siblings it merges with (as many as ``size`` has trailing one bits), in one
    ``get_nodes`` call."""
    return new_nodes_batch(size, [leaf_hash], reader)


def new_nodes_batch(
    size: int, leaf_hashes: Sequence[bytes], reader: NodeReader
) -> list[tuple[int, int, bytes]]:
    """The stored hashes created by appending ``leaf_hashes`` as leaves ``size``, ``size + 1``, ...
    all at once, as ``(level, index, hash)`` by rising level and then index.

    Reads only stored nodes from before the batch (the left edge pieces the batch completes), in
    one ``get_nodes`` call; never a node the batch itself creates, so the caller may write all of
    them in one statement afterwards."""
    if size < 0:
        raise ValueError(f"tree size must not be negative (got {size})")
    current = [value if type(value) is bytes else bytes(value) for value in leaf_hashes]
    if any(len(value) != HASH_SIZE for value in current):
        for position, value in enumerate(current):
            _check_hash(value, f"leaf hash {position} of the batch")
    end = size + len(current)
    # Level L of the batch starts at index size >> L. When that index is odd, its left sibling is
    # an older stored node; it is needed when the pair it forms is complete within the batch.
    needed: list[tuple[int, int]] = []
    level = 0
    while ((size >> level) + 1) << level <= end:
        if (size >> level) & 1:
            needed.append((level, (size >> level) - 1))
        level += 1
    older = dict(zip(needed, _read(reader, needed), strict=True)) if needed else {}

    created = [(0, index, value) for index, value in enumerate(current, size)]
    first = size
    level = 0
    sha256, prefix = _sha256, _NODE_PREFIX
    while True:
        if first & 1:
            if not current:
                break
            current.insert(0, older[(level, first - 1)])
            first -= 1
        if len(current) < 2:
            break
        current = [
            sha256(prefix + left + right).digest()
            for left, right in zip(current[0::2], current[1::2], strict=False)
        ]
        level += 1
        first >>= 1
        created.extend([(level, index, value) for index, value in enumerate(current, first)])
    return created


# --------------------------------------------------------------------------------------------
# Roots and proofs from stored hashes.
# --------------------------------------------------------------------------------------------


def root(size: int, reader: NodeReader) -> bytes:
    """The RFC 9162 Merkle Tree Hash of the first ``size`` leaves, from the stored complete
    subtrees that make up ``[0, size)`` (one per set bit of ``size``), read in one call."""
    if size < 0:
        raise ValueError(f"tree size must not be negative (got {size})")
    if size == 0:
        return EMPTY_ROOT
    coords: list[tuple[int, int]] = []
    _range_nodes(0, size, coords)
    return _fold_right(_read(reader, coords))


def _assemble(hashes: list[bytes], fold_start: int, fold_count: int) -> list[bytes]:
    if not fold_count:
        return hashes
    folded = _fold_right(hashes[fold_start : fold_start + fold_count])
    return [*hashes[:fold_start], folded, *hashes[fold_start + fold_count :]]


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """The RFC 9162 section 2.1.3.1 inclusion proof (audit path) of leaf ``index`` in the tree of
    the first ``size`` leaves, bottom up, from one ``get_nodes`` call.

    Raises ValueError for a size of 0 or an index outside the tree, KeyError (from the reader) when
    a needed node is not stored (``size`` beyond what is stored)."""
    if size <= 0:
        raise ValueError(f"no inclusion proof in a tree of size {size}: it has no leaves")
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    coords: list[tuple[int, int]] = []
    fold_start, fold_count = _path_nodes(index, 0, size, coords)
    if not coords:
        return []
    return _assemble(_read(reader, coords), fold_start, fold_count)


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """The RFC 9162 section 2.1.4.1 consistency proof that the tree of ``old_size`` leaves is a
    prefix of the tree of ``new_size`` leaves, from one ``get_nodes`` call.

    For ``0 < old_size < new_size`` this is PROOF(m, D[n]) of the RFC. For ``old_size == 0`` and
    ``old_size == new_size`` the proof is empty (every tree extends the empty tree, and a tree is
    consistent with itself; C2SP tlog-witness relies on both); ``verify_consistency`` then checks
    the roots instead. Raises ValueError for negative sizes or ``old_size > new_size``."""
    if old_size < 0 or new_size < 0:
        raise ValueError(f"tree sizes must not be negative (got {old_size} and {new_size})")
    if old_size > new_size:
        raise ValueError(
            f"old size {old_size} is larger than new size {new_size}: a log never shrinks"
        )
    if old_size == 0 or old_size == new_size:
        return []
    # SUBPROOF ends at the last complete subtree of the old tree, (level, index); the proof is that
    # node (left out when it is the whole old tree, old_size a power of two) followed by its audit
    # path in the new tree.
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size >> level) - 1
    coords: list[tuple[int, int]] = [(level, index)] if index else []
    fold_start, fold_count = _path_nodes(index, level, new_size, coords)
    return _assemble(_read(reader, coords), fold_start, fold_count)


# --------------------------------------------------------------------------------------------
# Verification: RFC 9162 sections 2.1.3.2 and 2.1.4.2, step by step.
# --------------------------------------------------------------------------------------------


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise ProofError(f"proof hash {position} is not {HASH_SIZE} bytes")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves whose root is
    ``root`` (RFC 9162 section 2.1.3.2); raise ProofError saying why not."""
    if not isinstance(leaf_hash, bytes | bytearray) or len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"the leaf hash is not {HASH_SIZE} bytes")
    if not isinstance(root, bytes | bytearray) or len(root) != HASH_SIZE:
        raise ProofError(f"the root hash is not {HASH_SIZE} bytes")
    if size <= 0 or index < 0:
        raise ProofError(f"no leaf {index} in a tree of size {size}")
    if index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_proof_hashes(proof)
    fn, sn = index, size - 1
    result = bytes(leaf_hash)
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"the proof is too long for leaf {index} of a tree of size {size}")
        if fn & 1 or fn == sn:
            result = _sha256(_NODE_PREFIX + sibling + result).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = _sha256(_NODE_PREFIX + result + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is too short for leaf {index} of a tree of size {size}")
    if result != root:
        raise ProofError(
            f"the proof does not lead to the root: leaf {index} is not in this tree of size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` leaves with root ``old_root`` is a prefix of the tree
    of ``new_size`` leaves with root ``new_root`` (RFC 9162 section 2.1.4.2); raise ProofError
    saying why not.

    As in ``consistency_proof``: for ``old_size == 0`` the proof must be empty and ``old_root`` the
    empty tree's root; for equal sizes the proof must be empty and the roots equal."""
    for value, what in ((old_root, "old"), (new_root, "new")):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise ProofError(f"the {what} root is not {HASH_SIZE} bytes")
    if old_size < 0 or new_size < 0:
        raise ProofError(f"tree sizes must not be negative (got {old_size} and {new_size})")
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    _check_proof_hashes(proof)
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        if old_root != EMPTY_ROOT:
            raise ProofError("the old root is not the root of the empty tree")
        return
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for the same tree size {old_size}")
        return
    # 0 < old_size < new_size from here: RFC 9162 section 2.1.4.2.
    if not proof:
        raise ProofError(f"empty consistency proof from size {old_size} to {new_size}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError(f"the proof is too long for sizes {old_size} to {new_size}")
        if fn & 1 or fn == sn:
            fr = _sha256(_NODE_PREFIX + sibling + fr).digest()
            sr = _sha256(_NODE_PREFIX + sibling + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + sibling).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"the proof is too short for sizes {old_size} to {new_size}")
    if fr != old_root:
        raise ProofError(f"the proof does not lead to the old root (size {old_size})")
    if sr != new_root:
        raise ProofError(f"the proof does not lead to the new root (size {new_size})")


# --------------------------------------------------------------------------------------------
# The in-memory tree.
# --------------------------------------------------------------------------------------------


class MemoryTree:
    """All stored hashes in memory, one list per level: for tests, benchmarks, the offline verifier
    and the tiles export. Implements NodeReader.

    ``levels[L][i]`` is node (L, i); appending a leaf adds it to level 0 and then, while the new
    node is a right child, its parent (on average one extra hash per leaf)."""

    __slots__ = ("levels",)

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        """Append one entry (its leaf bytes); return its 0-based index."""
        return self.append_leaf_hash(_sha256(_LEAF_PREFIX + data).digest())

    def append_leaf_hash(self, h: bytes) -> int:
        """Append one leaf by its leaf hash; return its 0-based index."""
        if len(h) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes")
        if type(h) is not bytes:
            h = bytes(h)
        levels = self.levels
        row = levels[0]
        index = len(row)
        row.append(h)
        node, level = index, 0
        while node & 1:
            h = _sha256(_NODE_PREFIX + row[node - 1] + h).digest()
            level += 1
            node >>= 1
            if level == len(levels):
                levels.append([])
            row = levels[level]
            row.append(h)
        return index

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        """The stored hashes at ``(level, index)``; KeyError names the first one not stored."""
        levels = self.levels
        try:
            hashes = [levels[level][index] for level, index in coords if level >= 0 and index >= 0]
        except IndexError:
            hashes = []
        if len(hashes) == len(coords):
            return hashes
        for level, index in coords:
            if not (0 <= level < len(levels) and 0 <= index < len(levels[level])):
                raise KeyError((level, index))
        raise KeyError(tuple(coords))  # pragma: no cover - unreachable: some coordinate was bad

    def root(self, size: int | None = None) -> bytes:
        """The root at ``size`` leaves (default: all of them)."""
        if size is None:
            size = self.size
        if size > self.size:
            raise ValueError(f"tree size {size} is beyond the {self.size} leaves stored")
        return root(size, self)
