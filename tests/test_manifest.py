"""The build manifest: the indexer writes every field of Manifest and no other, and an opened build reads it back."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from service.indexing import reindex
from service.layout import IndexLayout, read_json
from service.search import Manifest, current_build_dir, open_index
from tests.helpers import write_post


def test_the_written_manifest_is_exactly_the_dataclass_and_reads_back(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-02-one.md", "title: One\ncategories: [City Hall]\ntags: [bikes]", "One.\n")
    write_post(content_dir, "2024-02-03-two.md", "title: Two\ncategories: [City Hall]", "Two.\n")
    summary = reindex(content_dir, tmp_path / "index")
    written = read_json(IndexLayout(tmp_path / "index").build(summary.build_id).manifest)
    assert list(written) == [f.name for f in fields(Manifest)]
    build = current_build_dir(tmp_path / "index")
    assert build is not None
    opened = open_index(build)
    try:
        assert opened.manifest == Manifest.from_json(written)
        assert opened.manifest.build_id == summary.build_id and opened.manifest.order == [
            "/city%20hall/2024/02/03/two", "/city%20hall/2024/01/02/one"]  # Jekyll ids, newest first
        assert opened.manifest.duplicates == {}
        assert opened.manifest.labels("categories") == [{"name": "City Hall", "slug": "city-hall", "count": 2}]
        assert opened.manifest.labels("tags") == [{"name": "bikes", "slug": "bikes", "count": 1}]
    finally:
        opened.close()


def test_what_is_not_a_manifest_reads_as_none() -> None:
    assert Manifest.from_json(None) is None and Manifest.from_json([1]) is None
    assert Manifest.from_json({"build_id": "b", "unknown": 1}) == Manifest(build_id="b")
