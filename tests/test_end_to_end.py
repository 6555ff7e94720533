"""The Procfile's own commands: the release reindex, then real gunicorn on a loopback port."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import REPO


def _procfile(kind: str) -> list[str]:
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return shlex.split(line.split(":", 1)[1])
    raise AssertionError(f"Procfile has no {kind} line")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return orjson.loads(response.read())


def test_release_then_web_serve_the_sample_content(tmp_path: Path) -> None:
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PORT": str(port), "INDEX_DIR": str(tmp_path / "index"), "CONTENT_DIR": str(REPO / "content"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "WEB_CONCURRENCY": "2"}
    release = subprocess.run(_procfile("release"), cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert release.returncode == 0, release.stderr
    assert "posts indexed" in release.stdout.strip().splitlines()[-1]
    web = subprocess.Popen(_procfile("web"), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = _get(f"{base}/healthz")
                break
            except OSError:
                assert web.poll() is None, web.stdout.read().decode() if web.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        assert health["posts"] >= 8
        posts = _get(f"{base}/api/posts")
        assert posts["total"] == health["posts"] and posts["items"][0]["url"].startswith(f"{base}/")
        slug = posts["items"][0]["slug"]
        post = _get(f"{base}/api/posts/{slug}")
        assert post["slug"] == slug and post["html"]
        word = post["title"].split()[-1]
        found = _get(f"{base}/api/search?q={urllib.request.quote(word)}")
        assert slug in [hit["slug"] for hit in found["items"]]
    finally:
        web.terminate()
        web.wait(timeout=15)
