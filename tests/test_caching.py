"""HTTP conventions over real indexes: ETags and 304s, caching headers, the response cache, compression, CORS."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import brotli
import pytest
from flask.views import MethodView

from service.api.resource import Blueprint
from service.caching import uncached
from service.current import current_index
from service.indexing import reindex
from tests.helpers import write_post


def _post(content_dir: Path, day: int, slug: str) -> None:
    write_post(content_dir, f"2024-03-{day:02d}-{slug}.md", f"title: Post {slug}\ncategories: [News]",
               f"Words about {slug}. " * 80 + "\n")


@pytest.fixture
def site(content_dir: Path, make_app: Any) -> Any:
    for day, slug in enumerate(["alpha", "beta", "gamma"], start=1):
        _post(content_dir, day, slug)
    return make_app(content_dir)


@pytest.fixture
def web(site: Any) -> Any:
    return site.test_client()


def test_get_has_strong_etag_cache_control_last_modified_and_build(web: Any) -> None:
    response = web.get("/api/posts")
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response.headers["Last-Modified"].endswith("GMT")
    build = web.get("/healthz").get_json()["build_id"]
    assert response.headers["X-Content-Build"] == build
    assert web.get("/api/posts").headers["ETag"] == etag
    assert web.get("/api/posts?page=2").headers["ETag"] != etag
    # the same query in another order is the same resource
    reordered = web.get("/api/posts?page=1&per_page=2").headers["ETag"]
    assert web.get("/api/posts?per_page=2&page=1").headers["ETag"] == reordered


def test_if_none_match_gets_304_without_a_body(web: Any) -> None:
    etag = web.get("/api/posts/beta").headers["ETag"]
    again = web.get("/api/posts/beta", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"].startswith("public")
    assert "X-Content-Build" in again.headers
    assert web.get("/api/posts/beta", headers={"If-None-Match": '"other"'}).status_code == 200
    assert web.get("/api/posts/beta", headers={"If-None-Match": f'"x", {etag}'}).status_code == 304


def test_304_before_any_work_on_a_fresh_worker(site: Any) -> None:
    etag = site.test_client().get("/api/posts/gamma").headers["ETag"]
    site.wsgi_app.clear()  # a worker that never answered this request: Flask decides from the ETag alone
    response = site.test_client().get("/api/posts/gamma", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.headers["ETag"] == etag


def test_if_modified_since(web: Any) -> None:
    modified = web.get("/api/categories").headers["Last-Modified"]
    assert web.get("/api/categories", headers={"If-Modified-Since": modified}).status_code == 304
    assert web.get("/api/categories", headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 200


def test_repeated_requests_are_served_from_the_response_cache(site: Any) -> None:
    cache = site.wsgi_app
    web = site.test_client()
    first = web.get("/api/posts?per_page=2")
    misses = cache.misses
    second = web.get("/api/posts?per_page=2")
    assert cache.misses == misses and cache.hits >= 1
    assert second.get_data() == first.get_data()
    assert dict(second.headers) == dict(first.headers)
    head = web.head("/api/posts?per_page=2")
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["ETag"] == first.headers["ETag"]


def test_random_quotes_health_and_errors_are_not_cached(content_dir: Path, make_app: Any) -> None:
    write_post(content_dir, "2024-01-01-quoted.md", "title: Quoted", "> One.\n\n> Two.\n\n> Three.\n")
    web = make_app(content_dir).test_client()
    random = web.get("/api/quotes/random")
    assert random.status_code == 200 and random.headers["Cache-Control"] == "no-store" and "ETag" not in random.headers
    assert web.get("/healthz").headers["Cache-Control"] == "no-store"
    missing = web.get("/api/posts/nope")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert "ETag" not in missing.headers and "X-Content-Build" in missing.headers
    assert web.get("/api/posts?per_page=0").headers["Cache-Control"] == "no-store"
    seen = {web.get("/api/quotes/random").get_json()["id"] for _ in range(30)}
    assert len(seen) > 1, "random quotes must not be served from a cache"


def test_a_new_build_changes_etags_and_empties_the_cache(site: Any, content_dir: Path) -> None:
    web = site.test_client()
    before = web.get("/api/posts")
    _post(content_dir, 4, "delta")
    reindex(content_dir, Path(site.config["INDEX_DIR"]))
    after = web.get("/api/posts")
    assert after.get_json()["total"] == before.get_json()["total"] + 1
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["X-Content-Build"] != before.headers["X-Content-Build"]
    assert web.get("/api/posts", headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


@pytest.mark.parametrize("coding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_compression_has_its_own_etag_and_304(web: Any, coding: str, decompress: Any) -> None:
    plain = web.get("/api/posts?include=text")
    packed = web.get("/api/posts?include=text", headers={"Accept-Encoding": coding})
    assert packed.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert decompress(packed.get_data()) == plain.get_data()
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + f':{coding}"'
    again = web.get("/api/posts?include=text",
                    headers={"Accept-Encoding": coding, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    cached = web.get("/api/posts?include=text", headers={"Accept-Encoding": coding})
    assert cached.get_data() == packed.get_data() and cached.headers["Content-Encoding"] == coding


def test_no_compression_unless_asked(web: Any) -> None:
    assert "Content-Encoding" not in web.get("/api/posts?include=text").headers


def test_cors_default_allows_any_origin_read_only(web: Any) -> None:
    response = web.get("/api/posts", headers={"Origin": "https://front.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Link", "X-Total-Count", "ETag", "X-Content-Build"} <= exposed
    preflight = web.options("/api/posts", headers={"Origin": "https://front.example",
                                                   "Access-Control-Request-Method": "GET",
                                                   "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    methods = set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(","))
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "if-none-match" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    refused = web.options("/api/posts", headers={"Origin": "https://front.example",
                                                 "Access-Control-Request-Method": "DELETE"})
    assert "DELETE" not in refused.headers.get("Access-Control-Allow-Methods", "")


def test_cors_allow_list(content_dir: Path, make_app: Any) -> None:
    _post(content_dir, 1, "alpha")
    web = make_app(content_dir, CORS_ORIGINS="https://a.example, https://b.example").test_client()
    for _ in range(2):  # the second answer comes from the response cache and must still match its origin
        allowed = web.get("/api/posts", headers={"Origin": "https://b.example"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example"
        assert "Origin" in allowed.headers["Vary"]
        other = web.get("/api/posts", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    preflight = web.options("/api/posts", headers={"Origin": "https://a.example",
                                                   "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_cache_control_is_configurable(content_dir: Path, make_app: Any) -> None:
    _post(content_dir, 1, "alpha")
    web = make_app(content_dir, CACHE_MAX_AGE=5, CACHE_STALE_WHILE_REVALIDATE=7).test_client()
    assert web.get("/api/posts").headers["Cache-Control"] == "public, max-age=5, stale-while-revalidate=7"


def test_response_cache_can_be_turned_off(content_dir: Path, make_app: Any) -> None:
    _post(content_dir, 1, "alpha")
    app = make_app(content_dir, RESPONSE_CACHE_MB=0)
    assert not hasattr(app.wsgi_app, "hits")
    assert app.test_client().get("/api/posts").status_code == 200


def test_response_cache_is_bounded(content_dir: Path, make_app: Any) -> None:
    _post(content_dir, 1, "alpha")
    app = make_app(content_dir, RESPONSE_CACHE_SIZE=3)
    web = app.test_client()
    for n in range(1, 8):
        web.get(f"/api/posts?page={n}")
    assert len(app.wsgi_app._entries) == 3


def test_if_none_match_star_only_matches_what_exists(web: Any) -> None:
    assert web.get("/api/posts/alpha", headers={"If-None-Match": "*"}).status_code == 304
    assert web.get("/api/posts/nope", headers={"If-None-Match": "*"}).status_code == 404


def test_etags_change_with_settings_that_shape_bodies(content_dir: Path, make_app: Any, tmp_path: Path) -> None:
    _post(content_dir, 1, "alpha")
    one = make_app(content_dir).test_client().get("/api/posts")
    other = make_app(content_dir, SITE_URL="https://elsewhere.test").test_client().get("/api/posts")
    assert one.headers["X-Content-Build"] == other.headers["X-Content-Build"]
    assert one.headers["ETag"] != other.headers["ETag"]
    same = make_app(content_dir).test_client().get("/api/posts")
    assert same.headers["ETag"] == one.headers["ETag"], "replicas with the same code, settings and content agree"


def _resource(name: str, cached: bool) -> Blueprint:
    """A resource added the way a new module adds one: its own blueprint, nothing named anywhere else."""
    blueprint = Blueprint(name, __name__, url_prefix=f"/api/{name}", cached=cached)

    @blueprint.route("")
    class Build(MethodView):
        def get(self) -> dict[str, Any]:
            return {"build": current_index().build_id}

    @blueprint.route("/random")
    @uncached
    class Random(MethodView):
        def get(self) -> dict[str, Any]:
            return {"build": current_index().build_id}

    return blueprint


def test_a_new_resource_declaring_cached_gets_etags_304s_and_the_response_cache(site: Any) -> None:
    site.register_blueprint(_resource("extra", cached=True))
    site.register_blueprint(_resource("plain", cached=False))
    web = site.test_client()
    first = web.get("/api/extra")
    assert first.status_code == 200 and first.headers["Cache-Control"].startswith("public")
    etag = first.headers["ETag"]
    assert web.get("/api/extra", headers={"If-None-Match": etag}).status_code == 304
    misses = site.wsgi_app.misses
    assert web.get("/api/extra").get_data() == first.get_data() and site.wsgi_app.misses == misses
    for path in ("/api/extra/random", "/api/plain", "/api/plain/random"):
        answer = web.get(path)
        assert answer.status_code == 200 and "ETag" not in answer.headers, path
        assert answer.headers["Cache-Control"] == "no-store", path
