"""The front answers stored posts exactly as Flask does: same status, headers and bytes, 304s, HEAD, new builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

from service.indexing import reindex
from service.post_front import PostFront
from tests.helpers import write_post


def _front(app: Any) -> PostFront:
    front = app.wsgi_app
    while not isinstance(front, PostFront):  # under the response cache, when that is on
        front = front.app
    return front


def _ask(wsgi: Any, path: str, **kwargs: Any) -> tuple[str, dict[str, str], bytes]:
    environ = EnvironBuilder(path=path, **kwargs).get_environ()
    body, status, headers = run_wsgi_app(wsgi, environ, buffered=True)
    # the reason phrase is left out: werkzeug writes "NOT MODIFIED", the stored answers "Not Modified"
    return status[:3], dict(sorted((k.lower(), v) for k, v in headers.items())), b"".join(body)


def _same(app: Any, path: str, **kwargs: Any) -> tuple[str, dict[str, str], bytes]:
    front = _front(app)
    answered = _ask(front, path, **kwargs)
    assert answered == _ask(front.app, path, **kwargs), path  # front.app: Flask itself
    return answered


def _slugs(app: Any) -> list[str]:
    index = app.extensions["broadsheet.index"].get()
    every = [index.get_post_by_id(post_id)["slug"] for post_id in index.manifest.order]
    return [slug for slug in every if every.count(slug) == 1]


def test_every_stored_post_is_answered_as_flask_answers_it(sample_app: Any) -> None:
    slugs = _slugs(sample_app)
    _ask(_front(sample_app), f"/api/posts/{slugs[0]}")  # the first answer teaches the front the headers
    served = 0
    for slug in slugs:
        status, headers, body = _same(sample_app, f"/api/posts/{slug}")
        assert status == "200" and headers["content-type"] == "application/json" and body.startswith(b"{")
        etag = headers["etag"]
        assert _same(sample_app, f"/api/posts/{slug}", headers={"If-None-Match": etag})[0] == "304"
        head = _same(sample_app, f"/api/posts/{slug}", method="HEAD")
        assert head[2] == b"" and head[1]["content-length"] == str(len(body))
        served += 1
    assert served >= 10
    assert _front(sample_app).routes == frozenset({"by-id"})


def test_what_the_store_cannot_answer_goes_to_flask(sample_app: Any) -> None:
    slug = _slugs(sample_app)[0]
    for path, kwargs in ((f"/api/posts/{slug}", {"query_string": "fields=title"}),
                         (f"/api/posts/{slug}", {"headers": {"Accept-Encoding": "gzip"}}),
                         ("/api/posts/no-such-post", {}), ("/api/posts/by-id", {}),
                         (f"/api/posts/{slug}/related", {}), (f"/api/posts/{slug}", {"method": "POST"})):
        _same(sample_app, path, **kwargs)
    assert _same(sample_app, "/api/posts/no-such-post")[0] == "404"
    gzipped = _same(sample_app, f"/api/posts/{slug}", headers={"Accept-Encoding": "gzip"})
    assert gzipped[1].get("content-encoding") == "gzip"


def test_cors_headers_follow_each_origin(make_app: Callable[..., Any], content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    write_post(content_dir, "2024-01-02-two.md", "title: Two", "Body two.\n")
    app = make_app(content_dir, CORS_ORIGINS="https://a.example,https://b.example", RESPONSE_CACHE_MB=0)
    for origin in ("https://a.example", "https://evil.example", "", "https://b.example"):
        headers = {"Origin": origin} if origin else {}
        for slug in ("one", "two", "one"):
            _, got, _ = _same(app, f"/api/posts/{slug}", headers=headers)
            if origin:  # (without an Origin, flask-cors names the first allowed one: the front repeats that too)
                allowed = origin in ("https://a.example", "https://b.example")
                assert got.get("access-control-allow-origin") == (origin if allowed else None)


def test_a_new_build_is_answered_from_its_own_store(make_app: Callable[..., Any], content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    write_post(content_dir, "2024-01-02-two.md", "title: Two", "Body two.\n")
    app = make_app(content_dir, RESPONSE_CACHE_MB=0)
    client = app.test_client()
    assert client.get("/api/posts/one").get_json()["title"] == "One"
    first = client.get("/api/posts/two")
    write_post(content_dir, "2024-01-02-two.md", "title: Two again", "Body two, edited.\n")
    reindex(content_dir, Path(app.config["INDEX_DIR"]))
    again = client.get("/api/posts/two")
    assert again.get_json()["title"] == "Two again" and again.headers["ETag"] != first.headers["ETag"]
    assert again.headers["X-Content-Build"] != first.headers["X-Content-Build"]
    _same(app, "/api/posts/two")
    _same(app, "/api/posts/one")


def test_a_post_whose_slug_is_a_route_is_left_to_the_route(make_app: Callable[..., Any],
                                                           content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-by-id.md", "title: By id", "A post named like a route.\n")
    write_post(content_dir, "2024-01-02-other.md", "title: Other", "Body.\n")
    app = make_app(content_dir, RESPONSE_CACHE_MB=0)
    _same(app, "/api/posts/other")
    status, _, body = _same(app, "/api/posts/by-id")
    assert status == "400" and b"id" in body  # the by-id route asks for its id
