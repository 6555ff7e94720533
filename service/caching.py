"""HTTP caching of the resources that declare it: strong ETags, 304s, Cache-Control, Link headers, the response cache.

A blueprint opts in at creation (`declare_cached`, or `cached=True` on service.api.resource.Blueprint); a view
of it opts out with `uncached`. Nothing else names which resources are cached.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.datastructures import MultiDict

from service.config import DEFAULTS, public_url, site_url
from service.current import current_index_or_none
from service.delivery import cors_origins
from service.post_front import PREFIX as POST_PREFIX
from service.post_front import PostFront
from service.response_cache import STORE_KEY, ResponseCache
from service.schemas.compiled import finish

# The attribute a blueprint carries when its GET answers depend only on the index build and the request.
CACHED = "broadsheet_cached"
# Flask-Compress suffixes a strong ETag with the coding it applied: "abc" becomes "abc:br".
CODINGS = ("br", "gzip", "deflate", "zstd")
PAGINATION_KEYS = frozenset({"page", "per_page", "total", "pages"})
# Settings that never change a body (paths differ between replicas; PORT and the URLs count through the two
# absolute bases instead).
NOT_IN_BODIES = frozenset({"CONTENT_DIR", "INDEX_DIR", "PORT", "PUBLIC_URL", "SITE_URL", "CACHE_MAX_AGE",
                           "CACHE_STALE_WHILE_REVALIDATE", "CORS_ORIGINS", "RESPONSE_CACHE_SIZE", "RESPONSE_CACHE_MB"})


B = TypeVar("B", bound=Blueprint)


def declare_cached(blueprint: B) -> B:
    """Declare that a blueprint's GET answers are fixed by the index build and the request: ETags, 304s, caching."""
    setattr(blueprint, CACHED, True)
    return blueprint


def uncached(view: type) -> type:
    """Mark a view class whose answer changes between requests (random picks): no ETag, no caching."""
    view.uncached = True  # type: ignore[attr-defined]
    return view


def cacheable() -> bool:
    """Say whether this request's answer is fixed by the index build and the request alone."""
    if request.method not in ("GET", "HEAD"):
        return False
    if not getattr(current_app.blueprints.get(request.blueprint or ""), CACHED, False):
        return False  # health, the reindex jobs, files and the web page are left alone
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(getattr(view, "view_class", view), "uncached", False)


def etag_for(build_id: str, path: str, args: MultiDict[str, str]) -> str:
    """Derive the strong ETag of a response from what fixes it: the build, the path and the query.

    The code and the settings that shape bodies are folded in too, so a deploy that changes them never
    answers 304 for a body it would now write differently; replicas running the same code agree.
    """
    query = urlencode(sorted(args.items(multi=True), key=lambda item: item[0]))
    return etag_of(current_app.extensions["broadsheet.etag_salt"], build_id, path, query)


def etag_of(salt: str, build_id: str, path: str, query: str) -> str:
    """The ETag of a path and its sorted, encoded query in a build, under a program-and-settings salt."""
    return hashlib.blake2b(f"{salt}\n{build_id}\n{path}\n{query}".encode(), digest_size=12).hexdigest()


def _salt(app: Flask) -> str:
    """Fingerprint the program (every file of the package) and the settings that shape response bodies."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        shipped = path.suffix in (".py", ".html", ".js", ".css", ".json") and "__pycache__" not in path.parts
        if shipped and path.is_file():
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{public_url(app.config)}\0{site_url(app.config)}\0".encode())
    for key in sorted(DEFAULTS):
        if key not in NOT_IN_BODIES and not any(word in key for word in ("TOKEN", "SECRET", "PASSWORD")):
            digest.update(f"{key}={app.config.get(key)!r}\0".encode())
    return digest.hexdigest()


_built_at: dict[str, datetime | None] = {}


def built_at(index: Any) -> datetime | None:
    """Return when the index build was made, for Last-Modified."""
    if index.build_id not in _built_at:
        try:
            made = datetime.fromisoformat(index.manifest.created_at or "")
            _built_at[index.build_id] = made if made.tzinfo else made.replace(tzinfo=UTC)
        except ValueError:
            _built_at[index.build_id] = None
    return _built_at[index.build_id]


def _cache_control() -> str:
    config = current_app.config
    return f"public, max-age={config['CACHE_MAX_AGE']}, stale-while-revalidate={config['CACHE_STALE_WHILE_REVALIDATE']}"


def _not_modified() -> Response | None:
    """Answer a conditional GET with 304 before doing any work, when the client already has this build's answer."""
    if not (request.if_none_match or request.if_modified_since) or request.if_none_match.star_tag or not cacheable():
        return None  # "*" asks whether the resource exists at all: only the view knows
    index = current_index_or_none()
    if index is None:
        return None
    tag = etag_for(index.build_id, request.path, request.args)
    modified = built_at(index)
    if request.if_none_match:
        matched = next((t for t in (tag, *(f"{tag}:{c}" for c in CODINGS)) if request.if_none_match.contains_weak(t)),
                       None)
        if matched is None:
            return None
    elif modified is None or request.if_modified_since < modified.replace(microsecond=0):
        return None
    else:
        matched = tag
    response = Response(status=304)
    response.set_etag(matched)
    response.headers["Cache-Control"] = _cache_control()
    if modified is not None:
        response.last_modified = modified
    return response


def _link_header(dump: dict[str, Any]) -> str:
    """Build the RFC 8288 Link header (first, prev, next, last) for a paginated body."""
    base = public_url(current_app.config) + request.path
    args = request.args.copy()

    def link(page: int, rel: str) -> str:
        args.setlist("page", [str(page)])
        return f'<{base}?{urlencode(list(args.items(multi=True)), safe=",")}>; rel="{rel}"'

    page, pages = dump["page"], dump["pages"]
    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, pages), "prev"))
    if page < pages:
        links.append(link(page + 1, "next"))
    links.append(link(pages, "last"))
    return ", ".join(links)


def _finish(response: Response) -> Response:
    """Add what every response carries, and the caching headers of the cacheable ones."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    index = current_index_or_none() if response.status_code != 503 else None
    if index is not None:
        headers["X-Content-Build"] = index.build_id
    if response.status_code == 304:
        return response
    ok = 200 <= response.status_code < 300
    if ok and index is not None and cacheable() and not response.is_streamed and not response.direct_passthrough \
            and "ETag" not in headers:
        response.set_etag(etag_for(index.build_id, request.path, request.args))
        headers["Cache-Control"] = _cache_control()
        modified = built_at(index)
        if modified is not None:
            response.last_modified = modified
        dump = g.get("_flask_smorest", {}).get("result_dump")
        if isinstance(dump, dict) and dump.keys() >= PAGINATION_KEYS:
            headers["Link"] = _link_header(dump)
            headers["X-Total-Count"] = str(dump["total"])
        if request.if_none_match or request.if_modified_since:
            response.make_conditional(request)  # e.g. "If-None-Match: *", which _not_modified leaves to the view
        if request.method == "GET" and response.status_code == 200:
            request.environ[STORE_KEY] = index.build_id
    elif "Cache-Control" not in headers:
        # Errors and answers that change between requests must not be kept by browsers or CDNs.
        headers["Cache-Control"] = "no-store"
    return response


def _post_routes(app: Flask) -> list[str]:
    """The names under /api/posts/ that are routes of their own (by-id), not post slugs."""
    return [rule.rule[len(POST_PREFIX):] for rule in app.url_map.iter_rules()
            if rule.rule.startswith(POST_PREFIX) and "<" not in rule.rule and "/" not in rule.rule[len(POST_PREFIX):]]


def init_app(app: Flask) -> None:
    """Install conditional requests, caching headers and the response cache (after service.delivery.init_app)."""
    # Flask runs after_request hooks last-registered first: _finish must be registered after Compress, so
    # Compress sees the ETag and makes each coding's own ("abc:br"); the cache stores each coding separately.
    app.extensions["broadsheet.etag_salt"] = _salt(app)
    app.before_request(_not_modified)
    app.after_request(_finish)
    config = app.config
    salt = app.extensions["broadsheet.etag_salt"]
    # Stored post bodies are answered in front of Flask (inside the response cache, which keeps what repeats).
    app.wsgi_app = PostFront(app.wsgi_app, config["INDEX_DIR"],  # type: ignore[method-assign]
                             etag=lambda build, path: etag_of(salt, build, path, ""),
                             finish=lambda body: finish(body, config), routes=lambda: _post_routes(app))
    max_bytes = int(config["RESPONSE_CACHE_MB"]) * 1024 * 1024
    if int(config["RESPONSE_CACHE_SIZE"]) > 0 and max_bytes > 0:
        app.wsgi_app = ResponseCache(app.wsgi_app, config["INDEX_DIR"], int(config["RESPONSE_CACHE_SIZE"]),
                                     max_bytes, vary_origin="*" not in cors_origins(config))  # type: ignore[method-assign]
