"""A reindex killed with SIGKILL at any step leaves the served index intact, and the next reindex succeeds."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.indexing import lock_is_free
from service.layout import IndexLayout
from service.search import current_build_dir
from tests.helpers import REPO, served_client, write_post

pytestmark = pytest.mark.slow


def _command(content: Path, index: Path, pause: str | None = None, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CONTENT_DIR": str(content), "INDEX_DIR": str(index)}
    env.pop("BROADSHEET_TEST_PAUSE", None)
    if pause:
        env["BROADSHEET_TEST_PAUSE"] = pause
    flask = Path(sys.executable).parent / "flask"
    return subprocess.Popen([str(flask), "--app", "service", "reindex", *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_pause(process: subprocess.Popen[str], point: str) -> None:
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if ready:
            line = process.stderr.readline()  # type: ignore[union-attr]
            seen += line
            if f"paused at {point}" in line:
                return
        assert process.poll() is None, f"the reindex ended before pausing at {point}: {seen}"
    raise AssertionError(f"no pause at {point} within 120 s: {seen}")


def _kill_at(process: subprocess.Popen[str], point: str) -> None:
    """SIGKILL the reindex once it has paused at point (killed anyway if the wait fails)."""
    try:
        _wait_for_pause(process, point)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def _served(content: Path, index: Path) -> tuple[str, int, list[str]]:
    client = served_client(content, index)
    health = client.get("/healthz").get_json()
    posts = client.get("/api/posts?per_page=100")
    search = client.get("/api/search?q=heron")
    assert posts.status_code == search.status_code == 200
    return health["build_id"], posts.get_json()["total"], [h["slug"] for h in search.get_json()["items"]]


@pytest.mark.parametrize("point", ["parse", "write", "switch"])
@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_sigkill_at_each_step_leaves_the_served_index_intact(tmp_path: Path, point: str, full: bool) -> None:
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    first = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "service", "reindex"], cwd=REPO,
                           env={**os.environ, "CONTENT_DIR": str(content), "INDEX_DIR": str(index)},
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _served(content, index)

    write_post(content, "2025-06-01-heron-chicks-hatch.md", "title: Heron chicks hatch", "Three heron chicks.\n")
    process = _command(content, index, point, *(["--full"] if full else []))
    _kill_at(process, point)
    assert process.returncode == -signal.SIGKILL

    assert _served(content, index) == before, "the killed reindex changed what is served"
    assert lock_is_free(index), "the killed reindex left its lock held"
    if point == "switch":  # the new build was complete and renamed into place, but never published
        assert len([b for b in IndexLayout(index).builds.iterdir() if not b.name.startswith(".")]) == 2

    again = _command(content, index)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "posts indexed" in out
    build_id, total, hits = _served(content, index)
    assert build_id != before[0] and total == before[1] + 1 and "heron-chicks-hatch" in hits
    assert current_build_dir(index) == IndexLayout(index).build(build_id).root
    assert not [b for b in IndexLayout(index).builds.iterdir() if b.name.startswith(".staging-")], "staging left behind"


@pytest.mark.parametrize("point", ["parse", "write", "switch"])
def test_sigkill_while_an_edit_is_patched_leaves_the_served_index_intact(tmp_path: Path, point: str) -> None:
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    assert _command(content, index).wait(timeout=300) == 0
    before = _served(content, index)
    edited = sorted((content / "_posts").glob("*heron*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA closing word on the heron's quetzalberries.\n",
                      encoding="utf-8")
    process = _command(content, index, point)
    _kill_at(process, point)
    assert _served(content, index) == before, "the killed reindex changed what is served"
    assert lock_is_free(index), "the killed reindex left its lock held"

    again = _command(content, index)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and "posts indexed" in out, err
    assert ", patched:" in out, out  # the edit was patched in, not scanned
    assert _served(content, index)[0] != before[0]
    client = served_client(content, index)
    assert [h["slug"] for h in client.get("/api/search?q=quetzalberries").get_json()["items"]] == [edited.stem[11:]]
    assert not [b for b in IndexLayout(index).builds.iterdir() if b.name.startswith(".staging-")], "staging left behind"
