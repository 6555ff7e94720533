"""An edit's segment is written like a build's (term table, raw arrays), and small segments are merged once they
pile up, so searches after edits keep the fast path; what is served stays what a full build serves (test_patch)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from whoosh import index

from service.indexing import reindex
from service.search import current_build_dir
from service.search.whoosh import postarrays
from service.search.whoosh.update import MERGE_SMALL_AT, SMALL_SEGMENT_DOCS
from tests.helpers import served_client, write_post

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _segments(index_dir: Path) -> list[tuple[int, bool]]:
    """Each segment of the served build: its document count and whether it has a term table."""
    build = current_build_dir(index_dir)
    assert build is not None
    ix = index.open_dir(str(build))
    try:
        with ix.reader() as reader:
            return sorted((leaf.doc_count_all(), postarrays.table(leaf) is not None)
                          for leaf, _ in reader.leaf_readers())
    finally:
        ix.close()


def test_edits_write_tabled_segments_until_small_ones_are_merged(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "site", tmp_path / "index"
    (content / "_posts").mkdir(parents=True)
    for n in range(1, 4):
        write_post(content, f"2024-0{n}-01-post-{n}.md", f"title: Post {n}", f"First words of post {n}.\n")
    reindex(content, index_dir, now=NOW)
    assert all(tabled for _, tabled in _segments(index_dir))
    path = content / "_posts" / "2024-02-01-post-2.md"
    for edit in range(1, MERGE_SMALL_AT + 1):
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"\nA heron, edit number {edit}.\n")
        summary = reindex(content, index_dir, now=NOW)
        assert summary.patched, summary.line()
        segments = _segments(index_dir)
        if edit < MERGE_SMALL_AT - 1:  # one more small segment per edit, each with its table
            assert len(segments) == edit + 1 and all(tabled for _, tabled in segments), (edit, segments)
        else:  # merged by Whoosh's writer: fewer segments, every document still there
            assert len(segments) < edit + 1, (edit, segments)
        assert all(count < SMALL_SEGMENT_DOCS for count, _ in segments)
        found = served_client(content, index_dir).get("/api/search?q=heron").get_json()
        assert [hit["slug"] for hit in found["items"]] == ["post-2"], edit
        assert f"edit number {edit}" in served_client(content, index_dir).get("/api/posts/post-2").get_json()["html"]
