"""Each term's document numbers and weights as raw arrays after its Whoosh posting blocks, read in one piece.

Whoosh reads a posting list a block at a time: for each block a header, a zlib stream and a pickle, then the ids
rebuilt from their gaps, about 250 microseconds for a common word at 10,000 posts and most of a search's CPU.
The bulk writer appends the term's ids (uint32) and weights (float32, as Whoosh's blocks store them) after the
last block, inside the term's extent: Whoosh's own matchers stop at the last block and never see them, merges
copy postings through matchers, and a segment written by Whoosh's writer has no marker and is read as before.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound

EXT = ".bsa"  # an empty file in a segment whose terms carry their arrays (inside the compound file, if any)
_IDS, _WEIGHTS = np.dtype("=u4"), np.dtype("=f4")  # the writer's own byte order: a build is read where written


def tail(ids: array, weights: array) -> bytes:
    """Return the bytes appended to a term's postings: every id, then every weight."""
    return ids.tobytes() + weights.tobytes()


def mark(segment: Any, storage: Any) -> None:
    """Say of a segment being written that its terms carry their arrays."""
    segment.create_file(storage, EXT).close()


def has_arrays(leaf: Any) -> bool:
    """Say whether a segment reader's terms carry their arrays (only segments the bulk writer wrote do)."""
    segment, storage = getattr(leaf, "_segment", None), getattr(leaf, "_storage", None)
    if segment is None or storage is None or not hasattr(leaf, "_terms"):
        return False
    return bool(storage.file_exists(segment.make_filename(EXT)))


def read(leaf: Any, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a term's segment-local ids and weights in one read (deleted documents included), or None if absent."""
    try:
        info = leaf.term_info(field, btext)
    except TermNotFound:
        return None
    offset, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length as struct.unpack's tuple
        length = length[0]
    count = info.doc_frequency()
    raw = leaf._terms._postfile.get(offset + length - 8 * count, 8 * count)
    return np.frombuffer(raw, _IDS, count), np.frombuffer(raw, _WEIGHTS, count, 4 * count)
