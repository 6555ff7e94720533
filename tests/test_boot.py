"""Boot: a web process with no usable index for its content builds one before it serves, and says so."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from service import create_app
from service.boot import ensure_index, unusable_reason
from service.content.images import DEFAULT_WIDTHS
from service.indexing import acquire_lock, build_and_publish, reindex, release_lock
from service.search import current_build_dir
from tests.helpers import write_post


class FileLog:
    """A log the forked build child can write to as well: one line per call, appended to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    @property
    def lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []


@pytest.fixture
def site(content_dir: Path) -> Path:
    write_post(content_dir, "2024-05-01-harbour-lights.md", "title: Harbour lights", "The ferry crossed at dusk.\n")
    write_post(content_dir, "2024-05-02-tide-tables.md", "title: Tide tables", "Low water came at noon.\n")
    write_post(content_dir, "2024-05-03-unfinished.md", "title: Unfinished\npublished: false", "Not yet.\n")
    return content_dir


def _config(content: Path, index: Path, **extra: Any) -> Any:
    return create_app({"TESTING": True, "CONTENT_DIR": str(content), "INDEX_DIR": str(index), **extra}).config


def test_an_empty_index_dir_is_built_before_serving(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    assert ensure_index(_config(site, index), log) == "built"
    build = current_build_dir(index)
    assert build is not None
    assert log.lines[0].startswith("boot: no index has been built: indexing")
    assert any(line.startswith("boot: built index") and "2 posts indexed" in line for line in log.lines), log.lines
    assert log.lines[-1] == f"boot: serving build {build.name} from {index}"
    app = create_app({"TESTING": True, "CONTENT_DIR": str(site), "INDEX_DIR": str(index)})
    assert [p["slug"] for p in app.test_client().get("/api/posts").get_json()["items"]] == ["tide-tables",
                                                                                           "harbour-lights"]


def test_a_usable_index_is_served_as_it_is(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    built = reindex(site, index)
    stamp = (index / "builds" / built.build_id).stat().st_mtime_ns
    assert ensure_index(_config(site, index), log) == "kept"
    assert log.lines == [f"boot: serving build {built.build_id} from {index}"]
    assert (index / "builds" / built.build_id).stat().st_mtime_ns == stamp  # not even republished


def test_an_index_built_with_other_settings_is_rebuilt(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    first = reindex(site, index)
    assert unusable_reason(index, site, True, DEFAULT_WIDTHS) is not None
    assert ensure_index(_config(site, index, PREVIEW=True), log) == "built"
    assert "other settings" in log.lines[0]
    build = current_build_dir(index)
    assert build is not None and build.name != first.build_id
    app = create_app({"TESTING": True, "CONTENT_DIR": str(site), "INDEX_DIR": str(index), "PREVIEW": True})
    assert app.test_client().get("/api/posts").get_json()["total"] == 3  # the unpublished post, in preview


def test_always_reindexes_content_changed_while_the_process_was_down(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    reindex(site, index)
    write_post(site, "2024-05-04-new-pier.md", "title: New pier", "Opened today.\n")
    assert ensure_index(_config(site, index, BOOT_REINDEX="auto"), log) == "kept"  # auto does not scan the posts
    assert ensure_index(_config(site, index, BOOT_REINDEX="always"), log) == "built"
    assert any("3 posts indexed" in line for line in log.lines), log.lines


def test_off_never_builds_and_says_what_follows(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    assert ensure_index(_config(site, index, BOOT_REINDEX="off"), log) == "kept"
    assert current_build_dir(index) is None
    assert "BOOT_REINDEX=off" in log.lines[0] and "503" in log.lines[0]


def test_an_unknown_mode_is_a_clear_error(site: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BOOT_REINDEX must be one of auto, always, off; got 'sometimes'"):
        ensure_index(_config(site, tmp_path / "index", BOOT_REINDEX="sometimes"), FileLog(tmp_path / "boot.log"))


def test_a_build_that_cannot_run_is_reported_not_raised(site: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where INDEX_DIR should be", encoding="utf-8")
    log = FileLog(tmp_path / "boot.log")
    assert ensure_index(_config(site, blocked), log) == "failed"
    assert any(line.startswith("boot: the reindex stopped:") for line in log.lines), log.lines
    assert "/readyz answers 503" in log.lines[-1]


def test_of_two_processes_over_one_index_dir_one_builds_and_the_other_waits(site: Path, tmp_path: Path) -> None:
    index, log = tmp_path / "index", FileLog(tmp_path / "boot.log")
    other = acquire_lock(index)  # another process' reindex is running
    outcome: list[str] = []
    booting = threading.Thread(target=lambda: outcome.append(ensure_index(_config(site, index), log)))
    booting.start()
    deadline = time.monotonic() + 30
    while not any("waiting for it" in line for line in log.lines):
        assert time.monotonic() < deadline, log.lines
        time.sleep(0.05)
    try:
        summary = build_and_publish(site, index)
    finally:
        release_lock(other)
    booting.join(timeout=60)
    assert outcome == ["built"]  # an index is there now, built while this process waited
    assert "boot: another process built it meanwhile; not building again" in log.lines
    assert not any(line.startswith("boot: built index") for line in log.lines)
    assert log.lines[-1] == f"boot: serving build {summary.build_id} from {index}"
