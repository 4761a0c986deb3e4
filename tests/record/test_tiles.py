"""C2SP tlog-tiles: paths from the spec's examples, and building/reading tiles for real trees."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heard.record import merkle, tiles
from heard.record.tiles import TileError


def _tree(size: int, seed: int = 0) -> tuple[merkle.MemoryTree, list[bytes]]:
    rng = random.Random(seed)
    entries = [rng.randbytes(rng.randrange(0, 40)) for _ in range(size)]
    tree = merkle.MemoryTree()
    for entry in entries:
        tree.append(entry)
    return tree, entries


def _reader(entries: list[bytes]):
    return lambda start, end: entries[start:end]


# -------------------------------------------------------------------------------- paths


def test_paths_from_the_spec():
    assert tiles.encode_tile_index(1234067) == "x001/x234/067"
    assert tiles.tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(2, 0, 1) == "tile/2/000.p/1"
    assert tiles.tile_path(1, 1, 17) == "tile/1/001.p/17"
    assert tiles.tile_path(0, 273, 112) == "tile/0/273.p/112"
    assert tiles.tile_path(3, 5, 256) == "tile/3/005"
    assert tiles.entries_path(1000) == "tile/entries/x001/000"
    assert tiles.entries_path(7, 255) == "tile/entries/007.p/255"
    assert tiles.encode_tile_index(0) == "000"
    assert tiles.encode_tile_index(999) == "999"
    assert tiles.encode_tile_index(1000) == "x001/000"


@pytest.mark.parametrize(
    ("level", "index", "width"),
    [(-1, 0, None), (64, 0, None), (0, -1, None), (0, 0, 0), (0, 0, 257), (0, 0, -3)],
)
def test_bad_path_parts_are_refused(level, index, width):
    with pytest.raises(TileError):
        tiles.tile_path(level, index, width)


@given(
    level=st.one_of(st.none(), st.integers(0, 63)),
    index=st.integers(0, 10**12),
    width=st.integers(1, 256),
)
def test_paths_round_trip(level, index, width):
    path = (
        tiles.entries_path(index, width) if level is None else tiles.tile_path(level, index, width)
    )
    assert tiles.parse_tile_path(path) == tiles.TilePath(level, index, width)


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/0001",
        "tile/0/x000/001",  # a second spelling of 1
        "tile/0/001/002",  # inner element without x
        "tile/00/001",
        "tile/64/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/07",
        "tile/0/001.p/",
        "tile/entry/001",
        "/tile/0/001",
        "tile/0/001/",
        "checkpoint",
    ],
)
def test_non_canonical_paths_are_refused(path):
    with pytest.raises(TileError):
        tiles.parse_tile_path(path)


# -------------------------------------------------------------------------------- which tiles


def test_the_spec_example_of_size_70000():
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile,
    # one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    assert tiles.tile_levels(70000) == 3
    level0 = tiles.level_tiles(70000, 0)
    assert len(level0) == 274 and level0[-1] == (273, 112)
    assert all(width == 256 for _, width in level0[:-1])
    assert tiles.level_tiles(70000, 1) == [(0, 256), (1, 17)]
    assert tiles.level_tiles(70000, 2) == [(0, 1)]


def test_size_256_has_a_full_tile_and_a_partial_level_1_tile():
    assert tiles.level_tiles(256, 0) == [(0, 256)]
    assert tiles.level_tiles(256, 1) == [(0, 1)]
    assert tiles.tile_levels(256) == 2
    assert tiles.tile_levels(0) == 0


# -------------------------------------------------------------------------------- contents


def test_level_1_tile_hashes_are_the_roots_of_full_level_0_tiles():
    tree, entries = _tree(256 * 3 + 5)
    built = dict(tiles.build_tiles(tree.size, tree, _reader(entries)))
    level1 = tiles.parse_hash_tile(built["tile/1/000.p/3"], 3)
    for n in range(3):
        leaves = tiles.parse_hash_tile(built[tiles.tile_path(0, n)], 256)
        assert leaves == [merkle.leaf_hash(e) for e in entries[n * 256 : (n + 1) * 256]]
        subtree = merkle.MemoryTree()
        for leaf in leaves:
            subtree.append_leaf_hash(leaf)
        assert level1[n] == subtree.root()
    assert "tile/0/003.p/5" in built and "tile/entries/003.p/5" in built


def test_entry_bundles_are_uint16_length_prefixed():
    bundle = tiles.encode_entry_bundle([b"", b"ab", b"\x00" * 300])
    assert bundle == b"\x00\x00" + b"\x00\x02ab" + b"\x01\x2c" + b"\x00" * 300
    assert tiles.parse_entry_bundle(bundle, 3) == [b"", b"ab", b"\x00" * 300]
    for broken in (bundle[:-1], bundle + b"\x00", bundle[:1]):
        with pytest.raises(TileError):
            tiles.parse_entry_bundle(broken)
    with pytest.raises(TileError):
        tiles.parse_entry_bundle(bundle, 4)
    with pytest.raises(TileError, match="65535"):
        tiles.encode_entry_bundle([b"x" * 65536])


def test_hash_tiles_must_be_whole_hashes():
    for data in (b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 32 * 257):
        with pytest.raises(TileError):
            tiles.parse_hash_tile(data)
    with pytest.raises(TileError):
        tiles.parse_hash_tile(b"\x00" * 64, 3)


def test_entries_that_disagree_with_the_log_are_refused():
    tree, entries = _tree(10)
    wrong = [*entries[:4], b"not the entry", *entries[5:]]
    with pytest.raises(TileError, match="entry 4"):
        dict(tiles.build_tiles(tree.size, tree, _reader(wrong)))


def test_start_size_leaves_out_tiles_that_were_already_full():
    tree, entries = _tree(256 * 2 + 10)
    all_paths = [path for path, _ in tiles.build_tiles(tree.size, tree, _reader(entries))]
    later = [p for p, _ in tiles.build_tiles(tree.size, tree, _reader(entries), start_size=300)]
    assert "tile/0/000" in all_paths and "tile/0/000" not in later
    assert "tile/entries/000" not in later
    assert "tile/0/001" in later and "tile/0/002.p/10" in later and "tile/1/000.p/2" in later


def test_checkpoint_is_yielded_last():
    tree, entries = _tree(3)
    output = list(tiles.build_tiles(3, tree, _reader(entries), checkpoint="note\n"))
    assert output[-1] == ("checkpoint", b"note\n")


# -------------------------------------------------------------------------------- round trips


def _published(size: int, seed: int = 0):
    tree, entries = _tree(size, seed)
    files = dict(tiles.build_tiles(size, tree, _reader(entries)))
    return tree, entries, files


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 70_000), seed=st.integers(0, 2**32))
def test_tiles_rebuild_the_root_and_proofs(size, seed):
    tree, entries, files = _published(size, seed)
    reader = tiles.TileReader(files.__getitem__, size)
    assert reader.root() == tree.root()
    assert tiles.audit_tiles(files.__getitem__, size) == tree.root()
    rng = random.Random(seed)
    for _ in range(3):
        index = rng.randrange(size)
        assert merkle.inclusion_proof(index, size, reader) == merkle.inclusion_proof(
            index, size, tree
        )
        old = rng.randrange(1, size + 1)
        assert merkle.consistency_proof(old, size, reader) == merkle.consistency_proof(
            old, size, tree
        )
    got = [entry for _, entry in tiles.read_entries(files.__getitem__, size)]
    assert got == entries


def test_every_node_of_a_tree_is_readable_from_tiles():
    size = 256 * 256 + 256 * 3 + 77
    tree, _entries, files = _published(size)
    reader = tiles.TileReader(files.__getitem__, size)
    coords = [
        (level, index)
        for level in range(len(tree.levels))
        for index in range(len(tree.levels[level]))
    ]
    assert reader.get_nodes(coords) == tree.get_nodes(coords)
    with pytest.raises(KeyError):
        reader.get_nodes([(0, size)])
    with pytest.raises(KeyError):
        reader.get_nodes([(3, size // 8)])  # incomplete subtree: never stored


def test_a_changed_byte_in_any_tile_or_bundle_is_named():
    size = 256 * 2 + 40
    _tree, _entries, files = _published(size)
    rng = random.Random(7)
    for path in files:
        for _ in range(3):
            changed = dict(files)
            data = bytearray(changed[path])
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            changed[path] = bytes(data)
            with pytest.raises(TileError) as caught:
                tiles.audit_tiles(changed.__getitem__, size)
            assert path in str(caught.value)


def test_missing_tiles_are_key_errors():
    _tree, _entries, files = _published(600)
    del files["tile/0/001"]
    reader = tiles.TileReader(files.__getitem__, 600)
    with pytest.raises(KeyError):
        reader.get_nodes([(0, 300)])
