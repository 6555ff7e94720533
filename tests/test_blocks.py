"""Posting blocks as Whoosh 3 writes them: positions encoded alike, small blocks stored as is, large ones packed."""

from __future__ import annotations

import zlib
from pathlib import Path

from whoosh import index
from whoosh.formats import Positions

from service.content.loader import load_content
from service.search.whoosh.blocks import COMPRESS_FROM, encode_positions
from service.search.whoosh.bulk import BulkSegmentWriter
from service.search.whoosh.schema import index_schema
from service.search.whoosh.writer import post_documents
from tests.helpers import REPO


def test_positions_are_encoded_as_whoosh_encodes_them() -> None:
    for positions in ([0], [7], [300], [0], [1, 2], [0, 5, 9, 4000], list(range(0, 2000, 3))):
        assert encode_positions(positions) == Positions().encode(positions)


def test_positions_whoosh_writes_decode_back() -> None:
    """A last gap of 46 positions is the case whoosh-ng's varints misread as a pickle (its final byte is b".")."""
    for positions in ([46], [0, 46], [5, 51], [100, 274], [46, 92, 138], list(range(0, 4600, 46))):
        assert Positions().decode_positions(Positions().encode(positions)) == positions


def test_small_blocks_are_stored_as_is_and_large_ones_compressed(tmp_path: Path) -> None:
    docs = [doc for _ in range(8) for post in load_content(REPO / "content").posts for doc in post_documents(post)]
    ix = index.create_in(str(tmp_path), index_schema())
    writer = BulkSegmentWriter(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    seen: dict[bool, int] = {False: 0, True: 0}
    with ix.reader() as reader:
        (leaf, _), = reader.leaf_readers()
        for field, text in leaf.all_terms():
            matcher = leaf.postings(field, text)
            data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
            packed = bool(matcher._compression)
            raw = zlib.decompress(data) if packed else data
            assert packed == (len(raw) >= COMPRESS_FROM), (field, text)
            seen[packed] += 1
            ids = list(matcher.all_ids())
            assert ids and ids == sorted(set(ids)), (field, text)  # still readable, in order
    ix.close()
    assert seen[False] > 100 and seen[True] > 10
