"""heard.record.merkle against RFC 9162 section 2.1: published vectors, a reference written straight
from the RFC's recursive definitions, and properties at random sizes.

The reference functions below (``ref_mth``, ``ref_path``, ``ref_subproof`` and their inverses) are
transcriptions of the RFC's definitions (MTH in 2.1.1, PATH in 2.1.3.1, PROOF/SUBPROOF in 2.1.4.1):
slow, recursive and obviously right, so the fast iterative code is checked against the definition
and not against itself.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from heard.record.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_nodes,
    new_nodes_batch,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# --------------------------------------------------------------------------------------------
# Published vectors.
#
# The eight leaf inputs, the roots at sizes 0..8, the stored (complete subtree) node hashes and
# the inclusion and consistency paths are the RFC 6962 test vectors shared by implementations:
# transparency-dev/merkle testonly/constants.go (LeafInputs, NodeHashes, RootHashes),
# testonly/reference_test.go and proof/verify_test.go, which carry them over from Google's
# certificate-transparency C++ tests ("Generated from ReferenceSnapshotConsistency in C++
# version", certificate-transparency-go merkletree). Cross-checked: the same hex appears in several
# independent ports (Go, Java, Scala, OCaml, Python) and every value is recomputed below from the
# RFC definitions by ref_mth/ref_path/ref_subproof.
# The hash known answers (empty leaf, "L123456", node of "N123" and "N456") are from
# transparency-dev/merkle rfc6962/rfc6962_test.go.
# --------------------------------------------------------------------------------------------

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

ROOTS = [  # ROOTS[n] = MTH of the first n leaf inputs
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

NODE_HASHES = [  # NODE_HASHES[level][index]: every complete subtree of the 8-leaf tree
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

INCLUSION_VECTORS = [  # (index, size, path), index zero-based
    (0, 1, []),
    (
        0,
        2,
        ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    ),
    (
        1,
        2,
        ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    ),
    (
        2,
        3,
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

CONSISTENCY_VECTORS = [  # (old_size, new_size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


def hexes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


# --------------------------------------------------------------------------------------------
# The reference: RFC 9162 section 2.1, transcribed.
# --------------------------------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split_point(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: Sequence[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = split_point(n)
    return sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_subproof(m: int, entries: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [ref_mth(entries)]
    k = split_point(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], whole), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


def ref_proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


def ref_root_from_path(m: int, n: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """Undo PATH: the root the path leads to, or None when its length cannot fit (m, n)."""
    if n == 1:
        return leaf if not path else None
    if not path:
        return None
    k = split_point(n)
    *rest, last = path
    if m < k:
        below = ref_root_from_path(m, k, leaf, rest)
        return None if below is None else sha256(b"\x01" + below + last)
    below = ref_root_from_path(m - k, n - k, leaf, rest)
    return None if below is None else sha256(b"\x01" + last + below)


def ref_roots_from_subproof(
    m: int, n: int, whole: bool, proof: Sequence[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """Undo SUBPROOF: (old subtree hash, new subtree hash), or None when the length cannot fit."""
    if m == n:
        if whole:
            return (old_root, old_root) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k = split_point(n)
    *rest, last = proof
    if m <= k:
        below = ref_roots_from_subproof(m, k, whole, rest, old_root)
        return None if below is None else (below[0], sha256(b"\x01" + below[1] + last))
    below = ref_roots_from_subproof(m - k, n - k, False, rest, old_root)
    if below is None:
        return None
    return sha256(b"\x01" + last + below[0]), sha256(b"\x01" + last + below[1])


def ref_accepts_inclusion(leaf: bytes, m: int, n: int, path: Sequence[bytes], top: bytes) -> bool:
    if not 0 <= m < n:
        return False
    return ref_root_from_path(m, n, leaf, path) == top


def ref_accepts_consistency(
    m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    if not 0 <= m <= n:
        return False
    if m == 0:
        return not proof and old_root == EMPTY_ROOT
    if m == n:
        return not proof and old_root == new_root
    return ref_roots_from_subproof(m, n, True, proof, old_root) == (old_root, new_root)


# --------------------------------------------------------------------------------------------
# Readers.
# --------------------------------------------------------------------------------------------


class DictReader:
    """A NodeReader over a plain dict, independent of MemoryTree's layout; counts its calls."""

    def __init__(self, nodes: dict[tuple[int, int], bytes] | None = None) -> None:
        self.nodes = dict(nodes or {})
        self.calls = 0
        self.read: list[tuple[int, int]] = []

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        self.calls += 1
        self.read.extend(coords)
        return [self.nodes[coord] for coord in coords]

    def store(self, created: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, value in created:
            assert (level, index) not in self.nodes, f"node {(level, index)} written twice"
            self.nodes[(level, index)] = value


def stored_nodes(tree: MemoryTree) -> dict[tuple[int, int], bytes]:
    return {
        (level, index): value
        for level, row in enumerate(tree.levels)
        for index, value in enumerate(row)
    }


def expected_stored_nodes(entries: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree of the tree over ``entries``, hashed by the reference."""
    nodes = {}
    level = 0
    while (1 << level) <= len(entries):
        width = 1 << level
        for index in range(len(entries) // width):
            nodes[(level, index)] = ref_mth(entries[index * width : (index + 1) * width])
        level += 1
    return nodes


def entry(number: int) -> bytes:
    return f"entry {number}".encode()


BIG_SIZE = 3000
BIG_ENTRIES = [entry(number) for number in range(BIG_SIZE)]
BIG_TREE = MemoryTree()
for _data in BIG_ENTRIES:
    BIG_TREE.append(_data)
BIG_ROOTS: dict[int, bytes] = {}


def big_root(size: int) -> bytes:
    """The reference root of the first ``size`` big entries (memoised: the reference is slow)."""
    if size not in BIG_ROOTS:
        BIG_ROOTS[size] = ref_mth(BIG_ENTRIES[:size])
    return BIG_ROOTS[size]


def vector_tree() -> MemoryTree:
    tree = MemoryTree()
    for data in LEAF_INPUTS:
        tree.append(data)
    return tree


# --------------------------------------------------------------------------------------------
# Known answers.
# --------------------------------------------------------------------------------------------


def test_hash_known_answers() -> None:
    assert HASH_SIZE == 32
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    # The prefixes keep leaves, nodes and order apart.
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)


def test_published_vectors_are_the_rfc_definitions() -> None:
    """The vectors themselves, recomputed from the RFC text, so a typo in them cannot hide."""
    for size, expected in enumerate(ROOTS):
        assert ref_mth(LEAF_INPUTS[:size]).hex() == expected
    for index, size, path in INCLUSION_VECTORS:
        assert hexes(ref_path(index, LEAF_INPUTS[:size])) == path
    for old_size, new_size, proof in CONSISTENCY_VECTORS:
        expected = [] if old_size == new_size else ref_proof(old_size, LEAF_INPUTS[:new_size])
        assert hexes(expected) == proof
    assert {coord: value.hex() for coord, value in expected_stored_nodes(LEAF_INPUTS).items()} == {
        (level, index): value
        for level, row in enumerate(NODE_HASHES)
        for index, value in enumerate(row)
    }


def test_roots_and_stored_nodes_match_published_vectors() -> None:
    tree = vector_tree()
    assert tree.size == 8
    assert [[value.hex() for value in row] for row in tree.levels] == NODE_HASHES
    for size, expected in enumerate(ROOTS):
        assert tree.root(size).hex() == expected
        assert root(size, tree).hex() == expected
    assert tree.root().hex() == ROOTS[8]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, path: list[str]) -> None:
    tree = vector_tree()
    proof = inclusion_proof(index, size, tree)
    assert hexes(proof) == path
    verify_inclusion(leaf_hash(LEAF_INPUTS[index]), index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_consistency_vectors(old_size: int, new_size: int, proof: list[str]) -> None:
    tree = vector_tree()
    got = consistency_proof(old_size, new_size, tree)
    assert hexes(got) == proof
    verify_consistency(
        old_size, new_size, bytes.fromhex(ROOTS[old_size]), bytes.fromhex(ROOTS[new_size]), got
    )


def test_every_small_proof_equals_the_rfc_definition() -> None:
    """Exhaustive up to 70 leaves: every inclusion path and every consistency proof."""
    for size in range(1, 71):
        entries = BIG_ENTRIES[:size]
        top = big_root(size)
        assert root(size, BIG_TREE) == top
        for index in range(size):
            proof = inclusion_proof(index, size, BIG_TREE)
            assert proof == ref_path(index, entries), (index, size)
            verify_inclusion(leaf_hash(entries[index]), index, size, proof, top)
        for old_size in range(1, size):
            proof = consistency_proof(old_size, size, BIG_TREE)
            assert proof == ref_proof(old_size, entries), (old_size, size)
            verify_consistency(old_size, size, big_root(old_size), top, proof)


# --------------------------------------------------------------------------------------------
# Corruption: the probes transparency-dev/merkle uses, on the published vectors.
# --------------------------------------------------------------------------------------------

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.mark.parametrize(("index", "size", "path"), [v for v in INCLUSION_VECTORS if v[2]])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(h) for h in path]
    top = bytes.fromhex(ROOTS[size])
    leaf = leaf_hash(LEAF_INPUTS[index])
    probes = [
        (leaf, index - 1, size, proof, top),
        (leaf, index + 1, size, proof, top),
        (leaf, index ^ 2, size, proof, top),
        (leaf, index, size * 2, proof, top),
        (leaf, index, size // 2, proof, top),
        (leaf_hash(b"WrongLeaf"), index, size, proof, top),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, top], top),
        (leaf, index, size, [top, *proof], top),
        (leaf, index, size, proof[:-1], top),
        (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], top),
        (leaf, index, size, [*proof, b""], top),
        (leaf, index, size, [b"", *proof], top),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([flipped[position][0] ^ 8]) + flipped[position][1:]
        probes.append((leaf, index, size, flipped, top))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_inclusion(*probe)
    with pytest.raises(ProofError, match="too long"):
        verify_inclusion(leaf, index, size, [*proof, top], top)
    with pytest.raises(ProofError, match="too short"):
        verify_inclusion(leaf, index, size, proof[:-1], top)


@pytest.mark.parametrize(("old_size", "new_size", "path"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_corrupted_consistency_proofs_fail(old_size: int, new_size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(h) for h in path]
    old, new = bytes.fromhex(ROOTS[old_size]), bytes.fromhex(ROOTS[new_size])
    probes = [
        (old_size - 1, new_size, old, new, proof),
        (old_size + 1, new_size, old, new, proof),
        (old_size ^ 2, new_size, old, new, proof),
        (old_size, new_size * 2, old, new, proof),
        (old_size, new_size // 2, old, new, proof),
        (old_size, new_size, SOME_HASH, new, proof),
        (old_size, new_size, old, SOME_HASH, proof),
        (old_size, new_size, new, old, proof),
        (old_size, new_size, old, new, []),
        (old_size, new_size, old, new, [*proof, old]),
        (old_size, new_size, old, new, [*proof, new]),
        (old_size, new_size, old, new, [old, *proof]),
        (old_size, new_size, old, new, [new, *proof]),
        (old_size, new_size, old, new, [proof[0], *proof]),
        (old_size, new_size, old, new, proof[:-1]),
        (old_size, new_size, old, new, [*proof, b""]),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([flipped[position][0] ^ 16]) + flipped[position][1:]
        probes.append((old_size, new_size, old, new, flipped))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)
    with pytest.raises(ProofError, match="too long"):
        verify_consistency(old_size, new_size, old, new, [*proof, new])
    with pytest.raises(ProofError, match="too short"):
        verify_consistency(old_size, new_size, old, new, proof[:-1])


# --------------------------------------------------------------------------------------------
# Edge cases: clear errors.
# --------------------------------------------------------------------------------------------


def test_inclusion_edge_cases() -> None:
    tree = vector_tree()
    with pytest.raises(ValueError, match="size 0"):
        inclusion_proof(0, 0, tree)
    with pytest.raises(ValueError, match="outside a tree of size 8"):
        inclusion_proof(8, 8, tree)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(-1, 8, tree)
    with pytest.raises(KeyError):  # beyond what is stored
        inclusion_proof(3, 9, tree)
    assert inclusion_proof(0, 1, tree) == []

    leaf = leaf_hash(LEAF_INPUTS[0])
    with pytest.raises(ProofError, match="size 0"):
        verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(leaf, 1, 1, [], leaf)
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(leaf, 2, 1, [], leaf)
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(b"", 0, 1, [], leaf)
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(leaf, 0, 1, [], b"")
    verify_inclusion(leaf, 0, 1, [], leaf)  # a one-leaf tree: the root is the leaf hash


def test_consistency_edge_cases() -> None:
    tree = vector_tree()
    roots = [bytes.fromhex(h) for h in ROOTS]
    with pytest.raises(ValueError, match="a log never shrinks"):
        consistency_proof(5, 4, tree)
    with pytest.raises(ValueError, match="negative"):
        consistency_proof(-1, 4, tree)
    with pytest.raises(KeyError):
        consistency_proof(3, 9, tree)
    # Defined as empty: from the empty tree, and between equal sizes.
    assert consistency_proof(0, 0, tree) == []
    assert consistency_proof(0, 5, tree) == []
    assert consistency_proof(5, 5, tree) == []
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, roots[5], [])
    verify_consistency(5, 5, roots[5], roots[5], [])

    with pytest.raises(ProofError, match="larger than new size"):
        verify_consistency(5, 4, roots[5], roots[4], [])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 5, roots[1], roots[5], [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(0, 5, EMPTY_ROOT, roots[5], [roots[5]])
    with pytest.raises(ProofError, match="two different roots"):
        verify_consistency(5, 5, roots[5], roots[6], [])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(5, 5, roots[5], roots[5], [roots[5]])
    with pytest.raises(ProofError, match="empty consistency proof"):
        verify_consistency(1, 2, roots[1], roots[2], [])
    with pytest.raises(ProofError, match="32 bytes"):
        verify_consistency(1, 2, b"short", roots[2], [])


def test_memory_tree_edge_cases() -> None:
    tree = MemoryTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT
    assert root(0, tree) == EMPTY_ROOT
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append_leaf_hash(b"too short")
    assert tree.append(b"a") == 0
    assert tree.append_leaf_hash(leaf_hash(b"b")) == 1
    assert tree.root() == ref_mth([b"a", b"b"])
    with pytest.raises(ValueError, match="beyond"):
        tree.root(3)
    with pytest.raises(ValueError, match="negative"):
        root(-1, tree)
    for missing in [(0, 2), (1, 1), (2, 0), (0, -1), (-1, 0)]:
        with pytest.raises(KeyError):
            tree.get_nodes([(0, 0), missing])
    assert tree.get_nodes([]) == []


def test_new_nodes_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        new_nodes(0, b"short", DictReader())
    with pytest.raises(ValueError, match="negative"):
        new_nodes(-1, leaf_hash(b"x"), DictReader())
    with pytest.raises(ValueError, match="leaf hash 1 of the batch"):
        new_nodes_batch(0, [leaf_hash(b"x"), b"short"], DictReader())
    assert new_nodes_batch(5, [], DictReader()) == []


def test_new_nodes_example_from_the_spec() -> None:
    """Appending leaf 3 creates (0, 3), (1, 1) and (2, 0), reading (0, 2) and (1, 0)."""
    reader = DictReader()
    for index in range(3):
        reader.store(new_nodes(index, leaf_hash(LEAF_INPUTS[index]), reader))
    reader.calls, reader.read = 0, []
    created = new_nodes(3, leaf_hash(LEAF_INPUTS[3]), reader)
    assert [(level, index) for level, index, _ in created] == [(0, 3), (1, 1), (2, 0)]
    assert created[-1][2].hex() == ROOTS[4]
    assert reader.calls == 1
    assert sorted(reader.read) == [(0, 2), (1, 0)]


# --------------------------------------------------------------------------------------------
# Properties at random sizes.
# --------------------------------------------------------------------------------------------

POWER_EDGES = sorted({2**k + d for k in range(12) for d in (-1, 0, 1) if 1 <= 2**k + d <= BIG_SIZE})
# Any size, with extra weight on the sizes next to powers of two, where the tree changes shape.
sizes = st.one_of(st.integers(min_value=1, max_value=BIG_SIZE), st.sampled_from(POWER_EDGES))


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=0, max_value=BIG_SIZE))
def test_root_from_stored_hashes_is_the_rfc_mth(size: int) -> None:
    reader = DictReader(stored_nodes(BIG_TREE))
    assert root(size, reader) == big_root(size)
    assert reader.calls == (1 if size else 0)
    assert len(reader.read) == size.bit_count()


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=sizes)
def test_inclusion_proofs_verify_and_read_once(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    reader = DictReader(stored_nodes(BIG_TREE))
    proof = inclusion_proof(index, size, reader)
    assert reader.calls == (1 if size > 1 else 0)
    assert len(reader.read) <= 2 * size.bit_length()
    assert len(proof) <= size.bit_length()
    top = big_root(size)
    leaf = leaf_hash(BIG_ENTRIES[index])
    verify_inclusion(leaf, index, size, proof, top)
    assert ref_root_from_path(index, size, leaf, proof) == top


@settings(max_examples=300, deadline=None)
@given(data=st.data(), new_size=sizes)
def test_consistency_proofs_verify_and_read_once(data: st.DataObject, new_size: int) -> None:
    old_size = data.draw(st.integers(min_value=0, max_value=new_size), label="old_size")
    reader = DictReader(stored_nodes(BIG_TREE))
    proof = consistency_proof(old_size, new_size, reader)
    assert reader.calls == (1 if 0 < old_size < new_size else 0)
    old, new = big_root(old_size), big_root(new_size)
    verify_consistency(old_size, new_size, old, new, proof)
    assert ref_accepts_consistency(old_size, new_size, old, new, proof)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), size=sizes)
def test_any_flipped_byte_in_an_inclusion_proof_fails(data: st.DataObject, size: int) -> None:
    assume(size > 1)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(index, size, BIG_TREE)
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="hash")
    offset = data.draw(st.integers(min_value=0, max_value=HASH_SIZE - 1), label="byte")
    mask = data.draw(st.integers(min_value=1, max_value=255), label="mask")
    damaged = list(proof)
    value = bytearray(damaged[position])
    value[offset] ^= mask
    damaged[position] = bytes(value)
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(BIG_ENTRIES[index]), index, size, damaged, big_root(size))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), new_size=sizes)
def test_any_flipped_byte_in_a_consistency_proof_fails(data: st.DataObject, new_size: int) -> None:
    assume(new_size > 1)
    old_size = data.draw(st.integers(min_value=1, max_value=new_size - 1), label="old_size")
    proof = consistency_proof(old_size, new_size, BIG_TREE)
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="hash")
    offset = data.draw(st.integers(min_value=0, max_value=HASH_SIZE - 1), label="byte")
    mask = data.draw(st.integers(min_value=1, max_value=255), label="mask")
    damaged = list(proof)
    value = bytearray(damaged[position])
    value[offset] ^= mask
    damaged[position] = bytes(value)
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, big_root(old_size), big_root(new_size), damaged)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), size=sizes)
def test_inclusion_with_a_wrong_index_size_or_root(data: st.DataObject, size: int) -> None:
    """A wrong index in the same tree always fails. A proof says nothing of the size itself (RFC
    9162: the size comes from the signed checkpoint), so another (index, size) whose path has the
    same shape computes the same root: exactly those, and only those, verify, as the RFC's
    recursive definition says."""
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(index, size, BIG_TREE)
    top = big_root(size)
    leaf = leaf_hash(BIG_ENTRIES[index])
    other_index = data.draw(st.integers(min_value=-2, max_value=2 * size), label="other_index")
    if other_index != index:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, other_index, size, proof, top)
    other_size = data.draw(st.integers(min_value=0, max_value=4 * size), label="other_size")
    for probe_index, probe_size in [(index, other_size), (other_index, other_size)]:
        if (probe_index, probe_size) == (index, size):
            continue
        accepted = ref_accepts_inclusion(leaf, probe_index, probe_size, proof, top)
        if accepted:
            verify_inclusion(leaf, probe_index, probe_size, proof, top)
        else:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, probe_index, probe_size, proof, top)
    wrong_root = data.draw(st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE), label="root")
    assume(wrong_root != top)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, wrong_root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(b"not " + BIG_ENTRIES[index]), index, size, proof, top)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), new_size=sizes)
def test_consistency_with_wrong_sizes_or_roots(data: st.DataObject, new_size: int) -> None:
    """Wrong roots always fail; wrong sizes fail unless the RFC's recursive definition gives the
    same two roots from the same proof (the sizes are bound by the signed checkpoints)."""
    old_size = data.draw(st.integers(min_value=1, max_value=new_size), label="old_size")
    proof = consistency_proof(old_size, new_size, BIG_TREE)
    old, new = big_root(old_size), big_root(new_size)
    other_old = data.draw(st.integers(min_value=-1, max_value=2 * new_size), label="other_old")
    other_new = data.draw(st.integers(min_value=-1, max_value=4 * new_size), label="other_new")
    for probe in [(other_old, new_size), (old_size, other_new), (other_old, other_new)]:
        if probe == (old_size, new_size):
            continue
        if ref_accepts_consistency(*probe, old, new, proof):
            verify_consistency(*probe, old, new, proof)
        else:
            with pytest.raises(ProofError):
                verify_consistency(*probe, old, new, proof)
    wrong = data.draw(st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE), label="root")
    assume(wrong not in (old, new))
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, wrong, new, proof)
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, old, wrong, proof)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=0, max_value=600))
def test_new_nodes_build_exactly_the_stored_hashes(size: int) -> None:
    """One leaf at a time through new_nodes, against a dict reader: the same nodes as MemoryTree
    holds, and as the reference hashes every complete subtree; one read per append at most."""
    reader = DictReader()
    for index in range(size):
        before = reader.calls
        created = new_nodes(index, leaf_hash(BIG_ENTRIES[index]), reader)
        assert reader.calls - before == (1 if index & 1 else 0)
        assert [level for level, _, _ in created] == list(range(len(created)))
        reader.store(created)
    memory = MemoryTree()
    for data in BIG_ENTRIES[:size]:
        memory.append(data)
    assert reader.nodes == stored_nodes(memory)
    assert reader.nodes == expected_stored_nodes(BIG_ENTRIES[:size])


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=700), max_size=12),
    total=st.integers(min_value=0, max_value=700),
)
def test_new_nodes_batch_builds_exactly_the_stored_hashes(cuts: list[int], total: int) -> None:
    """Leaves appended in batches of random sizes (empty ones too): each batch reads only nodes
    stored before it, in one call, and the end result is the same stored hashes."""
    bounds = sorted({0, total, *(cut for cut in cuts if cut <= total)})
    reader = DictReader()
    for start, end in itertools.pairwise(bounds):
        before = reader.calls
        old = set(reader.nodes)
        reader.read = []
        created = new_nodes_batch(
            start, [leaf_hash(data) for data in BIG_ENTRIES[start:end]], reader
        )
        assert reader.calls - before <= 1
        assert set(reader.read) <= old
        assert len(reader.read) <= start.bit_length()
        keys = [(level, index) for level, index, _ in created]
        assert keys == sorted(keys)
        reader.store(created)
    assert reader.nodes == expected_stored_nodes(BIG_ENTRIES[:total])


def test_proofs_at_every_size_of_a_growing_tree_match_a_fresh_tree() -> None:
    """Proofs at an older size from a bigger stored tree equal those of a tree of that size."""
    rng = random.Random(9162)
    for size in rng.sample(range(1, BIG_SIZE), 40):
        small = MemoryTree()
        for data in BIG_ENTRIES[:size]:
            small.append(data)
        index = rng.randrange(size)
        assert inclusion_proof(index, size, small) == inclusion_proof(index, size, BIG_TREE)
        old_size = rng.randrange(size + 1)
        assert consistency_proof(old_size, size, small) == consistency_proof(
            old_size, size, BIG_TREE
        )
        assert small.root() == BIG_TREE.root(size)
