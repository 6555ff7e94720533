"""The Procfile's own commands: the release check, then real gunicorn over an empty INDEX_DIR on a loopback port.

The web process is given no index and no other command: it must build one at boot and serve the sample content.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.helpers import REPO, free_port, get, path_with, procfile_command, stop, wait_until_answers


def test_release_check_then_web_over_an_empty_index_serve_the_sample_content(tmp_path: Path) -> None:
    port = free_port()
    index = tmp_path / "index"
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "INDEX_DIR": str(index),
           "CONTENT_DIR": str(REPO / "content"), "PATH": path_with(Path(sys.executable).parent),
           "WEB_CONCURRENCY": "2"}
    release = subprocess.run(procfile_command(REPO, "release"), cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=120)
    assert release.returncode == 0, release.stdout + release.stderr
    assert " 0 errors" in release.stdout.strip().splitlines()[-1]
    assert not index.exists(), "the release phase must not be what builds the index (its files are thrown away)"
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(procfile_command(REPO, "web"), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/readyz", web, 60, log)
        health = get(f"{base}/healthz").body
        assert health["posts"] >= 8
        posts = get(f"{base}/api/posts").body
        assert posts["total"] == health["posts"] and posts["items"][0]["url"].startswith(f"{base}/")
        slug = posts["items"][0]["slug"]
        post = get(f"{base}/api/posts/{slug}").body
        assert post["slug"] == slug and post["html"]
        word = post["title"].split()[-1]
        found = get(f"{base}/api/search?q={urllib.request.quote(word)}").body
        assert slug in [hit["slug"] for hit in found["items"]]
    finally:
        stop(web)
    said = log.read_text()
    assert "boot: no index has been built" in said and f"boot: serving build {health['build_id']}" in said, said
