"""Publishing under load: real gunicorn workers answer a steady stream while content changes and is reindexed.

No request may fail, every answer must come whole from one build, and within a second of each switch every
worker must answer from the new build.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.helpers import REPO, write_post

pytestmark = pytest.mark.slow

WORKERS = 3
CLIENTS = 6
REINDEXES = 4
URLS = ("/api/posts?per_page=50", "/api/search?q=millbrook", "/api/categories", "/healthz", "/api/quotes",
        "/api/posts?page=2&per_page=5")


@dataclass
class Answer:
    url: str
    started: float
    status: int
    build: str | None
    total: int | None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(base: str, url: str) -> Answer:
    started = time.time()
    try:
        with urllib.request.urlopen(base + url, timeout=10) as response:
            body = orjson.loads(response.read())
            build = response.headers.get("X-Content-Build") or (body.get("build_id") if url == "/healthz" else None)
            total = body.get("total") if url.startswith("/api/posts?per_page=50") else None
            return Answer(url, started, response.status, build, total)
    except urllib.error.HTTPError as exc:
        return Answer(url, started, exc.code, None, None)
    except OSError:
        return Answer(url, started, 0, None, None)


def _current(index: Path) -> str | None:
    try:
        return Path(os.readlink(index / "current")).name
    except OSError:
        return None


def test_reindex_under_load_drops_nothing_and_switches_every_worker(tmp_path: Path) -> None:
    content, index = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "CONTENT_DIR": str(content), "INDEX_DIR": str(index), "PORT": str(port), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": str(WORKERS), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("BROADSHEET_TEST_PAUSE", None)
    flask = [str(bin_dir / "flask"), "--app", "service", "reindex"]
    first = subprocess.run(flask, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "service:create_app()"], cwd=REPO,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    answers: list[Answer] = []
    switches: list[tuple[float, str]] = [(0.0, _current(index) or "")]
    stop = threading.Event()

    def load() -> None:
        n = 0
        while not stop.is_set():
            answers.append(_fetch(base, URLS[n % len(URLS)]))
            n += 1

    def watch_link() -> None:  # the order of the builds; publish() stamps each build's folder when it switches
        while not stop.is_set():
            now = _current(index)
            if now and now != switches[-1][1]:
                switches.append(((index / "builds" / now).stat().st_mtime, now))
            time.sleep(0.005)

    try:
        deadline = time.monotonic() + 30
        while _fetch(base, "/healthz").status != 200:
            assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        watcher = threading.Thread(target=watch_link, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            for _ in range(CLIENTS):
                pool.submit(load)
            time.sleep(1)
            for n in range(REINDEXES):
                write_post(content, f"2025-07-0{n + 1}-load-test-post-{n}.md", f"title: Load post {n}",
                           f"Millbrook load test post number {n}.\n")
                run = subprocess.run(flask, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
                assert run.returncode == 0, run.stderr
                time.sleep(1.5)  # keep serving past the one-second window
            stop.set()
        watcher.join(timeout=5)
    finally:
        stop.set()
        web.terminate()
        web.wait(timeout=20)

    switches[1:] = [((index / "builds" / build).stat().st_mtime, build) for _, build in switches[1:]]
    builds = [build for _, build in switches]
    print(f"\n{len(answers)} requests over {REINDEXES} reindexes, builds: {builds}")
    assert len(builds) == REINDEXES + 1, f"expected a switch per reindex, saw {builds}"
    failed = [a for a in answers if a.status != 200]
    assert not failed, f"{len(failed)} failed requests, e.g. {failed[:3]}"
    unnamed = [a for a in answers if a.build is None]
    assert not unnamed, f"answers without a build: {unnamed[:3]}"
    sample_count = _count_sample_posts()
    posts_in = {build: sample_count + n for n, build in enumerate(builds)}
    for answer in answers:
        assert answer.build in posts_in, f"answer from an unknown build: {answer}"
        if answer.total is not None:
            assert answer.total == posts_in[answer.build], f"body and X-Content-Build disagree: {answer}"
    order = {build: n for n, build in enumerate(builds)}
    for n, (switched, build) in enumerate(switches[1:], 1):
        # A request that started just before the next switch may be answered by that newer build: that is fine.
        late = [a for a in answers if a.started >= switched + 1.0 and order[a.build] < n]  # type: ignore[index]
        assert not late, f"{len(late)} answers from an older build more than 1 s after switching to {build}: {late[:3]}"


def _count_sample_posts() -> int:
    from service.content.loader import load_content

    return len(load_content(REPO / "content").posts)
