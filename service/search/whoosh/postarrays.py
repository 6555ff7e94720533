"""Each term's document numbers and weights as raw arrays after its Whoosh posting blocks, read in one piece.

Whoosh reads a posting list a block at a time: for each block a header, a zlib stream and a pickle, then the ids
rebuilt from their gaps, about 250 microseconds for a common word at 10,000 posts and most of a search's CPU.
The bulk writer appends the term's ids (uint32) and weights (float32, as Whoosh's blocks store them) after the
last block, inside the term's extent: Whoosh's own matchers stop at the last block and never see them, merges
copy postings through matchers, and a segment written by Whoosh's writer has no marker and is read as before.

Finding a term is the other cost: Whoosh's on-disk hash table takes two probes and a handful of reads a lookup,
and a search looks up about forty terms (each word in four fields, its corrections, the title bonuses), most of
them absent. So the bulk writer also writes a term table (TABLE_EXT): per term a 64-bit hash of its field and
bytes, a second 32-bit check, where its arrays start and how many postings it has, sorted by hash; a lookup is
one binary search in memory, and a table is loaded once per segment, on the first lookup.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import zlib
from array import array
from typing import TYPE_CHECKING, Any

from whoosh.reading import TermNotFound

from service.search.whoosh.storage import read_at

if TYPE_CHECKING:
    import numpy as np

EXT = ".bsa"  # an empty file in a segment whose terms carry their arrays (inside the compound file, if any)
TABLE_EXT = ".bst"  # the segment's term table (its fields and those with positions on the first line, then arrays)
_IDS, _WEIGHTS = "=u4", "=f4"  # numpy's names for the writer's own byte order: a build is read where written
_TABLE_MAGIC = b"BST1 "
_LOAD_LOCK = threading.Lock()
TABLES_KEPT = 16  # segments whose tables a process keeps (a build has one or two, plus an edit's)
_TABLES: dict[str, TermTable | None] = {}


def tail(ids: array, weights: array) -> bytes:
    """Return the bytes appended to a term's postings: every id, then every weight."""
    return ids.tobytes() + weights.tobytes()


def positions_tail(counts: array, positions: array) -> bytes:
    """Return the bytes written before the ids of a field with positions: every position, then each posting's count."""
    return positions.tobytes() + counts.tobytes()


def mark(segment: Any, storage: Any) -> None:
    """Say of a segment being written that its terms carry their arrays."""
    segment.create_file(storage, EXT).close()


def has_arrays(leaf: Any) -> bool:
    """Say whether a segment reader's terms carry their arrays (only segments the bulk writer wrote do)."""
    segment, storage = getattr(leaf, "_segment", None), getattr(leaf, "_storage", None)
    if segment is None or storage is None or not hasattr(leaf, "_terms"):
        return False
    return bool(storage.file_exists(segment.make_filename(EXT)))


def term_key(field: str, btext: bytes) -> tuple[int, int]:
    """Return the table's hash and check of one term (two independent hashes: a false match needs both equal)."""
    key = field.encode("utf-8") + b"\x00" + btext
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"), zlib.crc32(key)


class TermTableWriter:
    """Collects a segment's terms as they are written and writes its term table at the end."""

    def __init__(self, skip: frozenset[str]) -> None:
        self._skip = skip  # fields Whoosh looks up itself (unique keys, numbers): never read as arrays
        self._fields: set[str] = set()
        self._positions: set[str] = set()  # fields whose terms carry their raw positions too
        self._hashes, self._checks, self._starts, self._counts = array("Q"), array("I"), array("Q"), array("I")

    def add(self, field: str, btext: bytes, start: int, count: int, positions: bool = False) -> None:
        """Record a term whose arrays start at `start` in the postings file (its positions before them)."""
        if field in self._skip:
            return
        self._fields.add(field)
        if positions:
            self._positions.add(field)
        hashed, check = term_key(field, btext)
        self._hashes.append(hashed)
        self._checks.append(check)
        self._starts.append(start)
        self._counts.append(count)

    def write(self, segment: Any, storage: Any) -> None:
        """Write the table into the segment; none when two terms share a hash (lookups then go through Whoosh)."""
        # Sorted in Python, not numpy: an edit's segment then never imports numpy (50 ms of a 0.5 s edit), and a
        # build's 80,000 terms a segment sort in about 40 ms. Equal hashes sort by check: no table is written then.
        rows = sorted(zip(self._hashes, self._checks, self._starts, self._counts, strict=True))
        if any(rows[at][0] == rows[at - 1][0] for at in range(1, len(rows))):
            return
        fields = ",".join(sorted(self._fields)) + "|" + ",".join(sorted(self._positions))
        head = _TABLE_MAGIC + fields.encode("utf-8") + b"\n"
        parts = [array(code, [row[column] for row in rows]) for column, code in enumerate("QIQI")]
        f = segment.create_file(storage, TABLE_EXT)
        try:
            f.write(head + b"".join(p.tobytes() for p in parts))
        finally:
            f.close()


class TermTable:
    """A segment's term table in memory: which fields it covers, and its sorted hashes with what each points at."""

    __slots__ = ("checks", "counts", "fields", "hashes", "positions", "starts")

    def __init__(self, raw: bytes) -> None:
        line = raw.index(b"\n")
        fields, _, positions = raw[len(_TABLE_MAGIC):line].decode("utf-8").partition("|")
        self.fields = frozenset(fields.split(",")) - {""}
        self.positions = frozenset(positions.split(",")) - {""}
        # memoryviews: bisect searches one in C and an item is a Python int (numpy's scalars cost twice as much)
        body = memoryview(raw)[line + 1:]
        n = len(body) // 24
        self.hashes = body[:8 * n].cast("Q")
        self.checks = body[8 * n:12 * n].cast("I")
        self.starts = body[12 * n:20 * n].cast("Q")
        self.counts = body[20 * n:24 * n].cast("I")

    def find(self, field: str, btext: bytes) -> tuple[int, int] | None:
        """Return (start, count) of a term's arrays, or None when the segment does not hold it."""
        hashed, check = term_key(field, btext)
        at = bisect.bisect_left(self.hashes, hashed)
        if at == len(self.hashes) or self.hashes[at] != hashed or self.checks[at] != check:
            return None
        return self.starts[at], self.counts[at]


def table(leaf: Any) -> TermTable | None:
    """Return a segment reader's term table, or None if it has none.

    Loaded once per process and segment (every thread has its own readers of a build: one copy each would be
    four tables a worker), found again by the segment's id, which is never reused for other contents; the
    tables of the last few segments opened are kept, so older builds' go with them.
    """
    found = getattr(leaf, "_bs_table", False)
    if found is not False:
        return found
    segment, storage = getattr(leaf, "_segment", None), getattr(leaf, "_storage", None)
    if segment is None or storage is None:
        return None
    key = segment.segment_id()
    with _LOAD_LOCK:  # one load per segment, however many threads ask at once
        if key in _TABLES:
            found = _TABLES[key]
        else:
            found = _TABLES[key] = _load_table(segment, storage)
            while len(_TABLES) > TABLES_KEPT:
                _TABLES.pop(next(iter(_TABLES)))
        leaf._bs_table = found
    return found


def _load_table(segment: Any, storage: Any) -> TermTable | None:
    name = segment.make_filename(TABLE_EXT)
    if not storage.file_exists(name):
        return None
    f = storage.open_file(name)
    try:
        raw = f.read()
    finally:
        f.close()
    return TermTable(raw) if raw.startswith(_TABLE_MAGIC) else None


def _raw(leaf: Any, field: str, btext: bytes) -> tuple[bytes, int] | None:
    """Return a term's raw ids and weights and how many postings it has, or None if the segment does not hold it."""
    terms = table(leaf)
    if terms is not None and field in terms.fields:
        found = terms.find(field, btext)
        if found is None:
            return None
        start, count = found
        return read_at(leaf._terms._postfile, start, 8 * count), count
    try:
        info = leaf.term_info(field, btext)
    except TermNotFound:
        return None
    offset, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length as struct.unpack's tuple
        length = length[0]
    count = info.doc_frequency()
    return read_at(leaf._terms._postfile, offset + length - 8 * count, 8 * count), count


def read(leaf: Any, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a term's segment-local ids and weights in one read (deleted documents included), or None if absent."""
    import numpy as np  # searches read arrays; an edit's writes never do (see read_ids)

    found = _raw(leaf, field, btext)
    if found is None:
        return None
    raw, count = found
    return np.frombuffer(raw, _IDS, count), np.frombuffer(raw, _WEIGHTS, count, 4 * count)


def read_ids(leaf: Any, field: str, btext: bytes) -> memoryview | None:
    """Return a term's segment-local ids, ascending, as a memoryview of ints (no numpy), or None if absent."""
    found = _raw(leaf, field, btext)
    return None if found is None else memoryview(found[0])[:4 * found[1]].cast("I")


def frequency(leaf: Any, field: str, btext: bytes) -> int:
    """Return how many documents of a segment (deleted ones included, as Whoosh counts) hold a term."""
    terms = table(leaf)
    if terms is not None and field in terms.fields:
        found = terms.find(field, btext)
        return 0 if found is None else found[1]
    try:
        return int(leaf.term_info(field, btext).doc_frequency())
    except TermNotFound:
        return 0


def read_positions(leaf: Any, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a term's segment-local ids and, per posting, its positions as (id << 32 | position) keys, ascending;
    None when the segment keeps no raw positions for the field (or does not hold the term: then both are empty)."""
    import numpy as np

    terms = table(leaf)
    if terms is None or field not in terms.positions:
        return None
    found = terms.find(field, btext)
    if found is None:
        return np.empty(0, np.uint32), np.empty(0, np.uint64)
    start, count = found
    postfile = leaf._terms._postfile
    raw = read_at(postfile, start - 4 * count, 8 * count)  # the counts, then the ids
    counts, ids = np.frombuffer(raw, _IDS, count), np.frombuffer(raw, _IDS, count, 4 * count)
    total = int(counts.sum())
    places = np.frombuffer(read_at(postfile, start - 4 * count - 4 * total, 4 * total), _IDS, total)
    return ids, (np.repeat(ids.astype(np.uint64), counts) << np.uint64(32)) | places.astype(np.uint64)
