"""Watch mode: saving a post reindexes it after a short quiet period; a burst of saves makes one build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.search import current_build_dir
from service.watch import watch
from tests.helpers import REPO, write_post


def _until(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_saves_are_debounced_into_one_incremental_build(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    lines: list[str] = []
    stop = threading.Event()
    index = tmp_path / "index"
    thread = threading.Thread(target=watch, args=(content_dir, index),
                              kwargs={"debounce": 0.5, "echo": lines.append, "stop": stop}, daemon=True)
    thread.start()
    try:
        _until(lambda: any("posts indexed" in line for line in lines))
        first = current_build_dir(index)
        for n in range(2, 6):  # a burst of saves, closer together than the debounce
            write_post(content_dir, f"2024-01-0{n}-post-{n}.md", f"title: Post {n}", "Body.\n")
            time.sleep(0.05)
        _until(lambda: sum("posts indexed" in line for line in lines) >= 2)
        time.sleep(1.5)  # nothing more may follow the burst
        builds = [line for line in lines if "posts indexed" in line]
        assert len(builds) == 2, lines
        assert "incremental: 0 updated, 4 added" in builds[1] and "5 posts indexed" in builds[1]
        assert current_build_dir(index) != first
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and lines[-1] == "stopped watching"


def test_a_broken_save_is_reported_and_the_rest_keeps_serving(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(content_dir, tmp_path / "index"),
                              kwargs={"debounce": 0.3, "echo": lines.append, "stop": stop}, daemon=True)
    thread.start()
    try:
        _until(lambda: any("posts indexed" in line for line in lines))
        write_post(content_dir, "2024-01-02-bad.md", "title: [unclosed", "Body.\n")
        _until(lambda: any("2024-01-02-bad.md" in line and "error" in line for line in lines))
        _until(lambda: sum("posts indexed" in line for line in lines) >= 2)
        assert "1 posts indexed" in [line for line in lines if "posts indexed" in line][-1]
    finally:
        stop.set()
        thread.join(timeout=10)


def test_watch_command_reindexes_on_save_and_stops_on_ctrl_c(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    env = {**os.environ, "CONTENT_DIR": str(content_dir), "INDEX_DIR": str(tmp_path / "index"),
           "PYTHONUNBUFFERED": "1"}
    flask = Path(sys.executable).parent / "flask"
    process = subprocess.Popen([str(flask), "--app", "service", "watch", "--debounce", "0.3"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        _until(lambda: any("posts indexed" in line for line in lines), 60)
        write_post(content_dir, "2024-01-02-two.md", "title: Two", "Second.\n")
        _until(lambda: any("2 posts indexed" in line for line in lines), 60)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=5)
    assert lines[0].startswith("watching ") and lines[-1].strip() == "stopped watching", "".join(lines)
