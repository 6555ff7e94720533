"""The content folder's stamp: a reindex with nothing changed reads no file, and any change or a due post rebuilds."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.indexing import reindex
from service.layout import IndexLayout
from service.sources import Stamping, read_record, stamp
from tests.helpers import served_client, write_post

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _two_posts(content: Path) -> None:
    write_post(content, "2024-01-01-alpha.md", "title: Alpha heron", "Herons nest here.\n")
    write_post(content, "2024-02-01-beta.md", "title: Beta budget", "The council budget vote.\n")


def _titles(content: Path, index: Path) -> list[str]:
    return [p["title"] for p in served_client(content, index).get("/api/posts").get_json()["items"]]


def test_nothing_changed_reads_nothing_and_reports_the_served_build(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    write_post(content_dir, "2024-03-01-broken.md", "title: [unclosed", "Body.\n")  # an error, reported each time
    index = tmp_path / "index"
    first = reindex(content_dir, index, now=NOW)
    second = reindex(content_dir, index, now=NOW)
    assert first.mode == "full" and second.mode == "unchanged" and second.reused
    assert (second.build_id, second.posts, second.files) == (first.build_id, first.posts, first.files)
    assert [str(p) for p in second.problems] == [str(p) for p in first.problems] and second.skipped
    assert "unchanged" in second.line() and "0 of 3 files parsed" in second.line()


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    post = content_dir / "_posts" / "2024-01-01-alpha.md"
    before = post.stat()
    post.write_text(post.read_text().replace("Alpha heron", "Alpha egret"))  # same length
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a copy that keeps times would leave it
    assert post.stat().st_size == before.st_size and post.stat().st_mtime_ns == before.st_mtime_ns
    again = reindex(content_dir, index, now=NOW)
    assert again.mode == "incremental" and again.updated == 1
    assert "Alpha egret" in _titles(content_dir, index)


def test_a_file_added_outside_posts_rebuilds(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    (content_dir / "_data").mkdir()
    (content_dir / "_data" / "team.yml").write_text("- name: Ada\n")
    again = reindex(content_dir, index, now=NOW)
    assert again.mode != "unchanged"
    assert served_client(content_dir, index).get("/api/data/team").get_json() == [{"name": "Ada"}]


def test_a_future_post_coming_due_rebuilds_with_nothing_changed(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    write_post(content_dir, "2024-07-01-gamma.md", "title: Gamma tram", "Trams.\n")  # a month after NOW
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    assert "Gamma tram" not in _titles(content_dir, index)
    record = read_record(index)
    assert record is not None and record.until == int(datetime(2024, 7, 1, tzinfo=UTC).timestamp())
    assert reindex(content_dir, index, now=NOW + timedelta(days=29)).mode == "unchanged"  # not yet due
    due = reindex(content_dir, index, now=NOW + timedelta(days=31))
    assert due.mode == "incremental" and due.added == 1
    assert "Gamma tram" in _titles(content_dir, index)


def test_a_clock_set_back_decides_visibility_again(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    earlier = reindex(content_dir, index, now=datetime(2024, 1, 15, tzinfo=UTC))  # beta is in its future then
    assert earlier.mode != "unchanged" and earlier.posts == 1


def test_full_always_reads_and_a_missing_record_is_no_shortcut(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    assert reindex(content_dir, index, now=NOW, full=True).parsed == 2
    IndexLayout(index).sources.unlink()
    assert reindex(content_dir, index, now=NOW).mode == "reused"  # read again, same build
    IndexLayout(index).sources.write_text("{not json")
    assert reindex(content_dir, index, now=NOW).mode == "reused"
    assert reindex(content_dir, index, now=NOW).mode == "unchanged"


def test_stamp_follows_a_linked_folder_once_and_skips_jekylls_output(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    (content_dir / "loop").symlink_to(content_dir, target_is_directory=True)  # a link loop must end
    first = stamp(content_dir, "key")
    (content_dir / "_site").mkdir()
    (content_dir / "_site" / "index.html").write_text("built by Jekyll")
    assert stamp(content_dir, "key") == first
    assert stamp(content_dir, "other key") != first
    (content_dir / "_posts" / "2024-01-01-alpha.md").unlink()
    assert stamp(content_dir, "key") != first


def test_a_stamp_taken_in_a_child_is_the_stamp_taken_here(content_dir: Path) -> None:
    _two_posts(content_dir)
    (content_dir / "about.md").write_text("---\ntitle: About\n---\nHi.\n")
    lines: dict[str, str] = {}
    here = stamp(content_dir, "key", lines)
    child = Stamping(content_dir, "key", files_before=3, fork_from=1)
    assert child.forked
    assert child.result() == (here, lines) and "_posts/2024-01-01-alpha.md" in lines
    small = Stamping(content_dir, "key", files_before=3, fork_from=10)  # a small folder is stamped at once
    assert not small.forked and small.result() == (here, lines)


def test_a_child_that_dies_is_replaced_by_stamping_here(content_dir: Path) -> None:
    _two_posts(content_dir)
    child = Stamping(content_dir, "key", files_before=3, fork_from=1)
    assert child._child is not None
    os.kill(child._child.pid, signal.SIGKILL)  # the answer must still be the folder's stamp, never an empty one
    lines: dict[str, str] = {}
    assert child.result() == (stamp(content_dir, "key", lines), lines) and len(lines) == 2


def test_a_big_folder_is_stamped_beside_the_patch_reading_its_base(content_dir: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index, now=NOW)
    record = read_record(index)
    assert record is not None and record.files == 2  # the next run knows the folder's size before stamping it
    monkeypatch.setattr("service.sources.FORK_FROM", 2)  # two files count as big here
    post = content_dir / "_posts" / "2024-01-01-alpha.md"
    post.write_text(post.read_text().replace("Herons nest here.", "Herons and egrets nest here."))
    again = reindex(content_dir, index, now=NOW)
    assert again.patched and again.updated == 1
    found = served_client(content_dir, index).get("/api/search?q=egrets").get_json()
    assert [hit["title"] for hit in found["items"]] == ["Alpha heron"]
    assert reindex(content_dir, index, now=NOW).mode == "unchanged"
