"""The bulk segment writer writes what Whoosh's own SegmentWriter writes: every posting, its block's statistics,
field lengths, stored values and columns, whether its terms stay in memory or spill to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.writing import SegmentWriter

from service.search.whoosh import bulk
from service.search.whoosh.bulk import BulkSegmentWriter
from service.search.whoosh.schema import index_schema
from tests.helpers import write_segment as _write


def _read(path: Path) -> dict[str, Any]:
    """Everything a reader can see of an index: each term's statistics and postings block by block, and the rest."""
    ix = index.open_dir(str(path))
    try:
        with ix.reader() as reader:
            (leaf, _), = reader.leaf_readers()
            terms = {}
            for field, text in leaf.all_terms():
                info = leaf.term_info(field, text)
                matcher = leaf.postings(field, text)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value(), matcher.block_max_weight(),
                                     matcher.block_min_length(), matcher.block_max_length()))
                    matcher.next()
                terms[(field, text)] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                        info.max_weight(), info.min_id(), info.max_id(), postings)
            fields = reader.schema.scorable_names()
            return {
                "terms": terms,
                "lengths": {f: (reader.field_length(f), [reader.doc_field_length(d, f) for d in reader.all_doc_ids()])
                            for f in fields},
                "stored": list(reader.all_stored_fields()),
                "columns": {name: list(reader.column_reader(name)) for name in ("summary", "hit", "facets", "date",
                                                                                 "order", "title_sort")},
            }
    finally:
        ix.close()


def test_bulk_writer_writes_what_whoosh_writes(tmp_path: Path, segment_documents: list[dict[str, Any]]) -> None:
    _write(tmp_path / "whoosh", segment_documents, SegmentWriter)
    _write(tmp_path / "bulk", segment_documents)
    whoosh, written = _read(tmp_path / "whoosh"), _read(tmp_path / "bulk")
    assert len(written["terms"]) > 1000 and max(len(t[-1]) for t in written["terms"].values()) > 128
    assert written == whoosh


def test_terms_spilled_to_disk_join_into_the_same_segment(
    tmp_path: Path, segment_documents: list[dict[str, Any]],
) -> None:
    runs: list[int] = []
    spill = bulk.TermPool._spill

    def counted(pool: bulk.TermPool) -> None:
        runs.append(1)
        spill(pool)

    bulk.TermPool._spill = counted  # type: ignore[method-assign]
    try:
        _write(tmp_path / "spilled", segment_documents, limitmb=1)
    finally:
        bulk.TermPool._spill = spill  # type: ignore[method-assign]
    _write(tmp_path / "held", segment_documents)
    assert len(runs) > 3
    assert _read(tmp_path / "spilled") == _read(tmp_path / "held")
    assert not [p for p in (tmp_path / "spilled").rglob("*.terms")], "a run left behind"


def test_the_bulk_writer_only_adds(tmp_path: Path) -> None:
    ix = index.create_in(str(tmp_path), index_schema())
    writer = BulkSegmentWriter(ix)
    try:
        with pytest.raises(NotImplementedError):
            writer.add_reader(None)
        with pytest.raises(TypeError):
            writer.add_document(key="k", body=["not", "a", "str"])
    finally:
        writer.cancel()
        ix.close()


def _write_counting_runs(path: Path, docs: list[dict[str, Any]], limit: int, expected: int | None) -> tuple[int, int]:
    """Write docs with a pool of `limit` bytes told to expect `expected` documents: (runs spilled, bytes held)."""
    path.mkdir()
    ix = index.create_in(str(path), index_schema())
    writer = BulkSegmentWriter(ix, expected_docs=expected)
    writer.pool.limit = limit
    for doc in docs:
        writer.add_document(**doc)
    found = len(writer.pool._runs), writer.pool.size
    writer.commit()
    ix.close()
    return found


def test_a_pool_full_near_its_last_documents_holds_them_instead_of_spilling(
    tmp_path: Path, segment_documents: list[dict[str, Any]],
) -> None:
    docs = segment_documents
    _, size = _write_counting_runs(tmp_path / "held", docs, 1 << 40, None)
    limit = int(size / 1.1)  # full at ~90% of the documents: the rest fits in the slack
    assert _write_counting_runs(tmp_path / "unknown", docs, limit, None)[0] == 1
    assert _write_counting_runs(tmp_path / "known", docs, limit, len(docs)) == (0, size)
    assert _write_counting_runs(tmp_path / "short", docs, limit, len(docs) // 2)[0] == 1  # more came than announced
    assert _read(tmp_path / "known") == _read(tmp_path / "held") == _read(tmp_path / "unknown")
