"""INDEX_DIR's layout: a real reindex writes exactly where IndexLayout says, and JSON sidecars are replaced whole."""

from __future__ import annotations

from pathlib import Path

from service.indexing import reindex
from service.layout import IndexLayout, read_json, write_json_atomic
from service.search import current_build_dir
from tests.helpers import write_post


def test_a_reindex_writes_where_the_layout_says(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-02-one.md", "title: One", "Words.\n")
    layout = IndexLayout(tmp_path / "index")
    summary = reindex(content_dir, layout.root)
    build = layout.build(summary.build_id)
    assert layout.current.is_symlink() and current_build_dir(layout.root) == build.root
    assert read_json(build.manifest)["build_id"] == summary.build_id
    assert set(read_json(build.fingerprints)) == {"/2024/01/02/one"}  # keyed by Jekyll id
    assert read_json(layout.last_reindex)["status"] == "succeeded"
    assert layout.lock.exists() and layout.parse_cache.is_dir()
    assert read_json(layout.sources)["build_id"] == summary.build_id
    assert {p.name for p in layout.root.iterdir()} == {"current", "builds", ".reindex.lock", "last-reindex.json",
                                                       "cache", "changes.jsonl", "sources.json"}
    assert build.inventory.is_file()


def test_write_json_atomic_replaces_the_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    write_json_atomic(path, {"n": 1})
    write_json_atomic(path, {"n": 2})
    assert read_json(path) == {"n": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]
    path.write_bytes(b'{"n": 3')  # torn
    assert read_json(path) is None and read_json(tmp_path / "missing.json") is None
