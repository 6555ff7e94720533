"""/media/<path>?w=<width>: resized variants made once, cached beside the index; originals and SVG as they are."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image as PILImage

from service.indexing import reindex
from tests.helpers import REPO, write_image, write_post

FORMATS = [("photo.jpg", "image/jpeg", "JPEG"), ("photo.png", "image/png", "PNG"),
           ("photo.gif", "image/gif", "GIF"), ("photo.webp", "image/webp", "WEBP")]
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="300"><script>alert(1)</script></svg>'


@pytest.fixture
def site(content_dir: Path, make_app: Any) -> Any:
    for name, _, _ in FORMATS:
        write_image(content_dir / "assets" / name, (1000, 500))
    (content_dir / "assets" / "diagram.svg").write_bytes(SVG)
    (content_dir / "assets" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    whole = write_image(content_dir / "assets" / "whole.jpg", (1000, 500)).read_bytes()
    (content_dir / "assets" / "truncated.jpg").write_bytes(whole[: len(whole) // 2])  # a good header, half the data
    PILImage.new("1", (10_000, 10_000)).save(content_dir / "assets" / "bomb.png")
    (content_dir / "assets" / "paper.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    frames = [PILImage.new("RGB", (800, 400), colour) for colour in ("red", "blue")]
    frames[0].save(content_dir / "assets" / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    write_post(content_dir, "2024-01-01-pictures.md", "title: Pictures\nimage: /assets/photo.jpg", "Words.\n")
    return make_app(content_dir)


def _cache_files(app: Any) -> list[Path]:
    cache = Path(app.config["INDEX_DIR"]) / "media-cache"
    return sorted(p for p in cache.rglob("*") if p.is_file() and p.suffix != ".lock") if cache.exists() else []


@pytest.mark.parametrize(("name", "mime", "fmt"), FORMATS)
def test_w_serves_that_width_in_the_same_format_with_caching_headers(site: Any, name: str, mime: str,
                                                                      fmt: str) -> None:
    client = site.test_client()
    response = client.get(f"/media/assets/{name}?w=320")
    assert response.status_code == 200 and response.mimetype == mime
    with PILImage.open(io.BytesIO(response.data)) as image:
        assert (image.format, image.size) == (fmt, (320, 160))
    assert response.headers["Cache-Control"] == "public, max-age=2592000"
    etag = response.headers["ETag"]
    assert etag and response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/media/assets/{name}?w=320", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert len(_cache_files(site)) == 1  # made once, then served from the cache beside the index


def test_original_is_served_without_w(site: Any) -> None:
    client = site.test_client()
    original = (Path(site.config["CONTENT_DIR"]) / "assets" / "photo.png").read_bytes()
    response = client.get("/media/assets/photo.png")
    assert response.status_code == 200 and response.data == original
    assert _cache_files(site) == []


def test_a_variant_is_made_once_even_when_asked_for_at_the_same_time(site: Any) -> None:
    def fetch(_: int) -> tuple[int, bytes, str]:
        response = site.test_client().get("/media/assets/photo.jpg?w=640")
        return response.status_code, response.data, response.headers["ETag"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(fetch, range(12)))
    assert {status for status, _, _ in results} == {200}
    assert len({body for _, body, _ in results}) == 1 and len({etag for _, _, etag in results}) == 1
    assert len(_cache_files(site)) == 1


@pytest.mark.parametrize("query", ["w=321", "w=0", "w=-320", "w=abc", "w=99999", "w=", "w=320.5", "width=320"])
def test_unlisted_or_malformed_width_is_a_400(site: Any, query: str) -> None:
    response = site.test_client().get(f"/media/assets/photo.jpg?{query}")
    assert response.status_code == 400, query
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert set(body["errors"]) & {"w", "width"}, body
    assert _cache_files(site) == []


def test_unlisted_width_names_the_configured_ones(site: Any) -> None:
    body = site.test_client().get("/media/assets/photo.jpg?w=321").get_json()
    assert body["errors"]["w"] == ["must be one of the configured widths: 320, 640, 1024, 1600"]


def test_configured_widths_come_from_image_widths(content_dir: Path, make_app: Any) -> None:
    write_image(content_dir / "assets" / "photo.jpg", (1000, 500))
    client = make_app(content_dir, IMAGE_WIDTHS="200,500").test_client()
    assert client.get("/media/assets/photo.jpg?w=320").status_code == 400
    with PILImage.open(io.BytesIO(client.get("/media/assets/photo.jpg?w=500").data)) as image:
        assert image.size == (500, 250)


def test_svg_is_served_as_is_and_never_rasterised(site: Any) -> None:
    client = site.test_client()
    for url in ("/media/assets/diagram.svg", "/media/assets/diagram.svg?w=320"):
        response = client.get(url)
        assert response.status_code == 200 and response.data == SVG, url
        assert response.mimetype == "image/svg+xml"
        assert "sandbox" in response.headers["Content-Security-Policy"]  # its script never runs
    assert _cache_files(site) == []


def test_images_with_no_smaller_variant_come_back_whole(site: Any) -> None:
    client = site.test_client()
    content = Path(site.config["CONTENT_DIR"]) / "assets"
    assert client.get("/media/assets/photo.png?w=1600").data == (content / "photo.png").read_bytes()
    assert client.get("/media/assets/anim.gif?w=320").data == (content / "anim.gif").read_bytes()
    assert _cache_files(site) == []


def test_broken_images_and_bombs_are_refused_cleanly(site: Any) -> None:
    client = site.test_client()
    for name in ("broken.png", "bomb.png", "truncated.jpg"):
        response = client.get(f"/media/assets/{name}?w=320")
        assert response.status_code == 422, name
        assert response.content_type == "application/problem+json"
        assert "cannot be resized" in response.get_json()["detail"]
    assert "decompression bomb" in client.get("/media/assets/bomb.png?w=320").get_json()["detail"]
    assert _cache_files(site) == []


def test_only_images_take_w(site: Any) -> None:
    assert site.test_client().get("/media/assets/paper.pdf").status_code == 200
    response = site.test_client().get("/media/assets/paper.pdf?w=320")
    assert response.status_code == 400 and "w" in response.get_json()["errors"]


def test_traversal_through_w_paths_is_refused(site: Any, tmp_path: Path) -> None:
    outside = write_image(tmp_path / "secret.png", (1000, 500))
    (Path(site.config["CONTENT_DIR"]) / "assets" / "escape.png").symlink_to(outside)
    client = site.test_client()
    for path in ["/media/../secret.png", "/media/%2e%2e/secret.png", "/media/assets/%2e%2e/%2e%2e/secret.png",
                 "/media/%252e%252e/secret.png", f"/media/{outside}", f"/media//{outside}", "/media/assets/escape.png",
                 "/media/assets/..%2f..%2fsecret.png", "/media/assets/photo.jpg%00.png", "/media/_posts/x.png",
                 "/media/.hidden.png"]:
        response = client.get(f"{path}?w=320")
        assert response.status_code in (400, 404), path
        assert response.content_type == "application/problem+json", path
    assert _cache_files(site) == []


@pytest.mark.slow
def test_gunicorn_workers_make_a_variant_once_and_agree_on_it(content_dir: Path, tmp_path: Path) -> None:
    """Several real worker processes asked for one new variant at once: one file made, one answer served."""
    write_image(content_dir / "assets" / "wide.jpg", (2400, 1200), quality=90)
    write_post(content_dir, "2024-01-01-wide.md", "title: Wide\nimage: /assets/wide.jpg", "Words.\n")
    index_dir = tmp_path / "index"
    reindex(content_dir, index_dir)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "INDEX_DIR": str(index_dir),
           "CONTENT_DIR": str(content_dir),
           "WEB_CONCURRENCY": "3", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    web = subprocess.Popen(["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def get(url: str) -> tuple[int, bytes, str]:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers["ETag"]

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                cover = orjson.loads(get(f"{base}/api/posts/wide")[1])["image"]
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        url = next(v["url"] for v in cover["variants"] if v["width"] == 1600)
        assert url == f"{base}/media/assets/wide.jpg?w=1600"
        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(lambda _: get(url), range(24)))
        assert {status for status, _, _ in results} == {200}
        assert len({body for _, body, _ in results}) == 1 and len({etag for _, _, etag in results}) == 1
        with PILImage.open(io.BytesIO(results[0][1])) as image:
            assert image.size == (1600, 800)
        made = [p for p in (index_dir / "media-cache").rglob("*") if p.is_file() and p.suffix == ".jpg"]
        assert len(made) == 1
    finally:
        web.terminate()
        web.wait(timeout=15)
