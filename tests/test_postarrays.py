"""Each term's raw arrays hold exactly the ids and weights of its Whoosh postings, deletions are honoured, and a
segment Whoosh's own writer wrote (no marker) is still read through its blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index
from whoosh.writing import SegmentWriter

from service.search.whoosh import postarrays
from service.search.whoosh.docsets import DocSets
from service.search.whoosh.schema import TABLE_SKIPS
from tests.helpers import write_segment as _write


def _whoosh_postings(leaf: Any, field: str, btext: bytes) -> tuple[list[int], list[float]]:
    """A term's postings as Whoosh's own matcher walks them, one posting at a time."""
    matcher = leaf.postings(field, btext)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_every_terms_arrays_equal_its_postings(tmp_path: Path, segment_documents: list[dict[str, Any]]) -> None:
    _write(tmp_path / "bulk", segment_documents)
    ix = index.open_dir(str(tmp_path / "bulk"))
    try:
        with ix.reader() as reader:
            (leaf, _), = reader.leaf_readers()
            assert postarrays.has_arrays(leaf)
            longest = 0
            for field, btext in leaf.all_terms():
                found = postarrays.read(leaf, field, btext)
                assert found is not None, (field, btext)
                ids, weights = _whoosh_postings(leaf, field, btext)
                assert found[0].tolist() == ids, (field, btext)
                assert np.allclose(found[1], weights, rtol=0, atol=0), (field, btext)
                assert postarrays.read_ids(leaf, field, btext).tolist() == ids, (field, btext)  # the numpy-free read
                longest = max(longest, len(ids))
            assert longest > 128  # some term spans more than one block
            assert postarrays.read(leaf, "body", b"no-such-term-anywhere") is None
            assert postarrays.read_ids(leaf, "body", b"no-such-term-anywhere") is None
    finally:
        ix.close()


def test_the_term_table_finds_every_term_whoosh_holds(
    tmp_path: Path, segment_documents: list[dict[str, Any]],
) -> None:
    _write(tmp_path / "bulk", segment_documents)
    ix = index.open_dir(str(tmp_path / "bulk"))
    try:
        with ix.reader() as reader:
            (leaf, _), = reader.leaf_readers()
            terms = postarrays.table(leaf)
            assert terms is not None
            assert terms.fields == {f for f, _ in leaf.all_terms()} - TABLE_SKIPS
            tabled = 0
            for field, btext in leaf.all_terms():
                assert postarrays.frequency(leaf, field, btext) == leaf.doc_frequency(field, btext), (field, btext)
                if field in terms.fields:
                    start, count = terms.find(field, btext)
                    info = leaf.term_info(field, btext)
                    offset, length = info.extent()
                    length = length[0] if isinstance(length, tuple) else length  # as W3TermInfo.from_bytes leaves it
                    assert (start, count) == (offset + length - 8 * count, info.doc_frequency()), (field, btext)
                    tabled += 1
            assert tabled == len(terms.hashes) > 1000
            # absent terms: another field's word, a near miss, nothing at all
            body_word = next(t for f, t in leaf.all_terms() if f == "body")
            assert terms.find("labels", body_word + b"zz") is None
            assert terms.find("body", body_word + b"zz") is None
            assert postarrays.frequency(leaf, "body", b"no-such-term-anywhere") == 0
    finally:
        ix.close()


def test_readers_of_one_segment_share_its_table(tmp_path: Path, segment_documents: list[dict[str, Any]]) -> None:
    _write(tmp_path / "bulk", segment_documents[:20])
    ix = index.open_dir(str(tmp_path / "bulk"))
    try:
        with ix.reader() as one, ix.reader() as two:  # as two threads' searchers of a build hold two readers
            (first, _), = one.leaf_readers()
            (second, _), = two.leaf_readers()
            assert first is not second
            assert postarrays.table(first) is not None
            assert postarrays.table(first) is postarrays.table(second)
    finally:
        ix.close()


def test_a_table_whose_terms_share_a_hash_is_not_written(
    tmp_path: Path, segment_documents: list[dict[str, Any]],
) -> None:
    _write(tmp_path / "bulk", segment_documents[:5])
    ix = index.open_dir(str(tmp_path / "bulk"))
    try:
        segment = ix._segments()[0]
        table = postarrays.TermTableWriter(frozenset())
        table.add("body", b"word", 0, 1)
        table.add("body", b"word", 8, 1)  # the same hash twice: lookups could not tell the two apart
        storage = ix.storage
        before = set(storage.list())
        table.write(segment, storage)
        assert set(storage.list()) == before
    finally:
        ix.close()


def test_a_segment_whoosh_wrote_has_no_marker(tmp_path: Path, segment_documents: list[dict[str, Any]]) -> None:
    _write(tmp_path / "whoosh", segment_documents[:40], SegmentWriter)
    ix = index.open_dir(str(tmp_path / "whoosh"))
    try:
        with ix.reader() as reader:
            (leaf, _), = reader.leaf_readers()
            assert not postarrays.has_arrays(leaf)
            assert postarrays.table(leaf) is None
            for field, btext in list(leaf.all_terms())[:200]:  # counted by Whoosh's own term info
                assert postarrays.frequency(leaf, field, btext) == leaf.doc_frequency(field, btext)
    finally:
        ix.close()


def _live_postings(reader: Any, field: str, btext: bytes) -> tuple[list[int], list[float]]:
    """Whoosh's postings over every segment, deleted documents left out, in global document numbers."""
    ids: list[int] = []
    weights: list[float] = []
    for leaf, offset in reader.leaf_readers():
        if (field, btext) in leaf:
            for docnum, weight in zip(*_whoosh_postings(leaf, field, btext), strict=True):
                if not leaf.is_deleted(docnum):
                    ids.append(docnum + offset)
                    weights.append(weight)
    return ids, weights


def test_deleted_documents_and_whoosh_segments_read_alike(
    tmp_path: Path, segment_documents: list[dict[str, Any]],
) -> None:
    _write(tmp_path / "mixed", segment_documents)
    ix = index.open_dir(str(tmp_path / "mixed"))
    writer = ix.writer()  # Whoosh's own writer: a second segment without arrays, and deletions in the first
    for docnum in range(0, len(segment_documents), 3):
        writer.delete_document(docnum)
    for doc in segment_documents[:30]:
        writer.add_document(**doc)
    writer.commit(merge=False)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            leaves = [leaf for leaf, _ in reader.leaf_readers()]
            assert [postarrays.has_arrays(leaf) for leaf in leaves] == [True, False]
            assert leaves[0].has_deletions()
            docsets = DocSets(reader, searcher)
            checked = 0
            for field, btext in reader.all_terms():
                if not reader.schema[field].scorable:
                    continue
                ids, weights = docsets._read(field, btext)
                expected_ids, expected_weights = _live_postings(reader, field, btext)
                assert ids.tolist() == expected_ids, (field, btext)
                assert weights.tolist() == pytest.approx(expected_weights), (field, btext)
                checked += 1
            assert checked > 1000
    finally:
        ix.close()
