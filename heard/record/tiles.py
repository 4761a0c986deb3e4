"""The log as C2SP tlog-tiles: static files any web host or mirror can serve, and an offline reader.

Plain Python (no Django). Written from the specification text (c2sp.org/tlog-tiles):

- Hash tiles live at ``tile/<L>/<N>[.p/<W>]``. A full tile holds 256 consecutive 32-byte hashes;
  the tile at level L holds the stored hashes of Merkle level 8*L, i.e. hash i of tile n at level L
  is MTH(D[(n*256 + i) * 256**L : (n*256 + i + 1) * 256**L]). Level 0 tiles hold leaf hashes.
- ``<N>`` is written in zero-padded 3-digit path elements, all but the last prefixed with "x":
  1234067 is ``x001/x234/067``. ``<L>`` and ``<W>`` are decimals without leading zeroes.
- For a tree of size s, the partial tile at level L has ``floor(s / 256**L) mod 256`` hashes and
  is served as ``.p/<W>``; empty tiles are never served. A partial tile is never hashed into the
  level above.
- Entry bundles live at ``tile/entries/<N>[.p/<W>]``: the entries of the matching level 0 tile,
  each as a big-endian uint16 length followed by the entry bytes (so an entry is at most 65535
  bytes).
- The signed checkpoint is served at ``checkpoint``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from heard.record import merkle

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes in a full tile
HASH_SIZE = merkle.HASH_SIZE
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
CHECKPOINT_PATH = "checkpoint"

EntryReader = Callable[[int, int], Sequence[bytes]]
"""entry_reader(start, end) returns the exact leaf bytes of entries start .. end-1."""

Fetch = Callable[[str], bytes]
"""fetch(path) returns the bytes of a tile, bundle or checkpoint path (a file or a URL)."""


class TileError(ValueError):
    """A tile path, tile or entry bundle is malformed or disagrees with the tree."""


# --------------------------------------------------------------------------------------------
# Paths


def encode_tile_index(index: int) -> str:
    """``<N>``: 3-digit groups, all but the last prefixed with "x" (1234067 -> x001/x234/067)."""
    if not isinstance(index, int) or index < 0:
        raise TileError(f"tile index must be a non-negative integer, got {index!r}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _width_suffix(width: int | None) -> str:
    if width is None or width == TILE_WIDTH:
        return ""
    if not isinstance(width, int) or not 1 <= width < TILE_WIDTH:
        raise TileError(f"a partial tile has 1 to 255 entries, got {width!r}")
    return f".p/{width}"


def tile_path(level: int, index: int, width: int | None = None) -> str:
    """``tile/<L>/<N>`` for a full hash tile, ``tile/<L>/<N>.p/<W>`` for a partial one."""
    if not isinstance(level, int) or not 0 <= level <= MAX_TILE_LEVEL:
        raise TileError(f"tile level must be 0 to {MAX_TILE_LEVEL}, got {level!r}")
    return f"tile/{level}/{encode_tile_index(index)}{_width_suffix(width)}"


def entries_path(index: int, width: int | None = None) -> str:
    """``tile/entries/<N>`` for a full entry bundle, with ``.p/<W>`` for a partial one."""
    return f"tile/entries/{encode_tile_index(index)}{_width_suffix(width)}"


@dataclass(frozen=True)
class TilePath:
    """A parsed tile path; level is None for an entry bundle. width is 256 for a full tile."""

    level: int | None
    index: int
    width: int

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        if self.level is None:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)


_TILE_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/)*[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> TilePath:
    """Parse a tile or entry bundle path strictly; only the one canonical spelling is accepted."""
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        raise TileError(f"not a tile path: {path!r}")
    level = None if match["level"] == "entries" else int(match["level"])
    index = int(match["index"].replace("x", "").replace("/", ""))
    width = int(match["width"]) if match["width"] else TILE_WIDTH
    if level is not None and level > MAX_TILE_LEVEL:
        raise TileError(f"tile level above {MAX_TILE_LEVEL}: {path!r}")
    if match["width"] and width >= TILE_WIDTH:
        raise TileError(f"a partial tile has 1 to 255 entries: {path!r}")
    parsed = TilePath(level, index, width)
    if parsed.path != path:  # e.g. x000/001 for 1: a second name for the same tile
        raise TileError(f"not the canonical tile path: {path!r} (expected {parsed.path!r})")
    return parsed


# --------------------------------------------------------------------------------------------
# Which tiles a tree has


def level_tiles(size: int, level: int) -> list[tuple[int, int]]:
    """(index, width) of every tile at ``level`` for a tree of ``size`` leaves, in order."""
    count = size >> (TILE_HEIGHT * level)  # stored hashes at Merkle level 8*level
    tiles = [(index, TILE_WIDTH) for index in range(count // TILE_WIDTH)]
    if count % TILE_WIDTH:
        tiles.append((count // TILE_WIDTH, count % TILE_WIDTH))
    return tiles


def tile_levels(size: int) -> int:
    """How many tile levels a tree of ``size`` leaves has (0 for the empty tree)."""
    levels = 0
    while size >> (TILE_HEIGHT * levels):
        levels += 1
    return levels


def tile_width(size: int, level: int, index: int) -> int:
    """The width of tile ``index`` at ``level`` in a tree of ``size`` (0 if it has none yet)."""
    count = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


# --------------------------------------------------------------------------------------------
# Contents


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Each entry as a big-endian uint16 length and its bytes, concatenated."""
    parts = []
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileError(
                f"entry {position} of the bundle is {len(entry)} bytes; at most 65535 fit"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(bytes(entry))
    return b"".join(parts)


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """The entries of a bundle; refuse truncation, trailing bytes or the wrong count."""
    entries = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise TileError(f"entry bundle ends inside a length prefix at byte {position}")
        length = int.from_bytes(data[position : position + 2], "big")
        start = position + 2
        if start + length > len(data):
            raise TileError(f"entry {len(entries)} of the bundle is cut short")
        entries.append(bytes(data[start : start + length]))
        position = start + length
    if width is not None and len(entries) != width:
        raise TileError(f"entry bundle holds {len(entries)} entries, expected {width}")
    return entries


def parse_hash_tile(data: bytes, width: int | None = None) -> list[bytes]:
    """The hashes of a tile; its length must be a whole number of hashes (and match width)."""
    if len(data) % HASH_SIZE or not data:
        raise TileError(f"a hash tile is a non-empty run of 32-byte hashes, got {len(data)} bytes")
    hashes = [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]
    if len(hashes) > TILE_WIDTH or (width is not None and len(hashes) != width):
        raise TileError(f"hash tile holds {len(hashes)} hashes, expected {width or TILE_WIDTH}")
    return hashes


def hash_tile(level: int, index: int, width: int, reader: merkle.NodeReader) -> bytes:
    """The bytes of one hash tile, read from the stored hashes in one batch."""
    merkle_level = TILE_HEIGHT * level
    first = index * TILE_WIDTH
    coords = [(merkle_level, first + offset) for offset in range(width)]
    return b"".join(reader.get_nodes(coords))


def build_tiles(
    size: int,
    node_reader: merkle.NodeReader,
    entry_reader: EntryReader | None = None,
    *,
    start_size: int = 0,
    checkpoint: str | bytes | None = None,
    check_entries: bool = True,
) -> Iterator[tuple[str, bytes]]:
    """Every (path, bytes) the tree at ``size`` needs: hash tiles, entry bundles, checkpoint.

    With ``start_size``, full tiles that were already full at that size are left out (they are
    immutable, so a mirror that has them keeps them); partial tiles for ``size`` are always made.
    Without ``entry_reader`` only hash tiles are made. With ``check_entries`` each entry is
    hashed and compared with its leaf hash, so a bundle can never disagree with the tree.
    ``checkpoint`` (the signed note for ``size``) is yielded last as ``checkpoint``.
    """
    if not 0 <= start_size <= size:
        raise TileError(f"start size {start_size} must be between 0 and the size {size}")
    for level in range(tile_levels(size)):
        already_full = (start_size >> (TILE_HEIGHT * level)) // TILE_WIDTH
        for index, width in level_tiles(size, level):
            if width == TILE_WIDTH and index < already_full:
                continue
            data = hash_tile(level, index, width, node_reader)
            yield tile_path(level, index, width), data
            if level == 0 and entry_reader is not None:
                yield (
                    entries_path(index, width),
                    _bundle(index, width, data, entry_reader, check_entries),
                )
    if checkpoint is not None:
        yield CHECKPOINT_PATH, checkpoint.encode() if isinstance(checkpoint, str) else checkpoint


def _bundle(
    index: int, width: int, leaf_tile: bytes, entry_reader: EntryReader, check: bool
) -> bytes:
    start = index * TILE_WIDTH
    entries = list(entry_reader(start, start + width))
    if len(entries) != width:
        raise TileError(f"entry reader gave {len(entries)} entries for {start}..{start + width}")
    if check:
        for offset, entry in enumerate(entries):
            expected = leaf_tile[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]
            if merkle.leaf_hash(entry) != expected:
                raise TileError(f"entry {start + offset} does not match its leaf hash in the log")
    return encode_entry_bundle(entries)


# --------------------------------------------------------------------------------------------
# Reading tiles back (offline verification, mirrors)


class TileReader:
    """A merkle.NodeReader over published tiles, for a tree of a known (checkpointed) size.

    Any stored hash (level l, index i) is rebuilt from the tile at level l // 8 by hashing within
    the tile, so merkle.root, merkle.inclusion_proof and merkle.consistency_proof work unchanged
    on a mirror or an export directory. Tiles are fetched once each and kept.
    """

    def __init__(self, fetch: Fetch, size: int) -> None:
        self.fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], list[list[bytes]]] = {}

    def _levels(self, level: int, index: int) -> list[list[bytes]]:
        """The tile's hashes, then each Merkle level built from complete pairs within it."""
        key = (level, index)
        levels = self._tiles.get(key)
        if levels is None:
            width = tile_width(self.size, level, index)
            if width == 0:
                raise KeyError(key)
            path = tile_path(level, index, width)
            try:
                data = self.fetch(path)
            except (FileNotFoundError, KeyError) as error:
                raise KeyError(path) from error
            try:
                row = parse_hash_tile(data, width)
            except TileError as error:
                raise TileError(f"{path}: {error}") from None
            levels = [row]
            while len(row) > 1:
                row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
                levels.append(row)
            self._tiles[key] = levels
        return levels

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        hashes = []
        for level, index in coords:
            if level < 0 or index < 0 or (index + 1) << level > self.size:
                raise KeyError((level, index))
            tile_level, sublevel = divmod(level, TILE_HEIGHT)
            tile_index = (index << sublevel) // TILE_WIDTH
            levels = self._levels(tile_level, tile_index)
            hashes.append(levels[sublevel][index - tile_index * (TILE_WIDTH >> sublevel)])
        return hashes

    def root(self) -> bytes:
        return merkle.root(self.size, self)


def read_entries(fetch: Fetch, size: int, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(index, leaf bytes) of entries start .. size-1, read from the entry bundles."""
    for index, width in level_tiles(size, 0):
        if (index + 1) * TILE_WIDTH <= start:
            continue
        path = entries_path(index, width)
        try:
            entries = parse_entry_bundle(fetch(path), width)
        except TileError as error:
            raise TileError(f"{path}: {error}") from None
        for offset, entry in enumerate(entries):
            if index * TILE_WIDTH + offset >= start:
                yield index * TILE_WIDTH + offset, entry


def audit_tiles(
    fetch: Fetch, size: int, on_entry: Callable[[int, bytes], None] | None = None
) -> bytes:
    """Rebuild the whole tree from the entry bundles, check every hash tile against it byte for
    byte, and return the root (to compare with the signed checkpoint's). ``on_entry`` sees each
    entry as it passes, so a caller checking entries needs no second download.

    Raises TileError naming the first path that disagrees.
    """
    tree = merkle.MemoryTree()
    for index, width in level_tiles(size, 0):
        bundle_path, leaf_path = entries_path(index, width), tile_path(0, index, width)
        try:
            entries = parse_entry_bundle(fetch(bundle_path), width)
        except TileError as error:
            raise TileError(f"{bundle_path}: {error}") from None
        try:
            leaves = parse_hash_tile(fetch(leaf_path), width)
        except TileError as error:
            raise TileError(f"{leaf_path}: {error}") from None
        for offset, (entry, leaf) in enumerate(zip(entries, leaves, strict=True)):
            position = index * TILE_WIDTH + offset
            if merkle.leaf_hash(entry) != leaf:
                raise TileError(
                    f"entry {position} in {bundle_path} does not match its leaf hash in {leaf_path}"
                )
            tree.append_leaf_hash(leaf)
            if on_entry is not None:
                on_entry(position, entry)
    for level in range(1, tile_levels(size)):
        for index, width in level_tiles(size, level):
            path = tile_path(level, index, width)
            if fetch(path) != hash_tile(level, index, width, tree):
                raise TileError(f"{path} does not match the tree rebuilt from the entries")
    return tree.root(size)
