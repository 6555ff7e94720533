"""Stored post bodies answered in front of Flask: `GET /api/posts/<slug>` with no query is one read of the page store.

Every post's finished body is written at index time (service/schemas/pages.py). Flask still cost more than the
read: routing, argument parsing and the response hooks were half of an uncached post. The first such answer of
a build (per Origin) goes through Flask, which marks it; its headers, all but the ETag and the length, are those
of every stored post of that build, so later posts are answered from the store with them and their own ETag
(the same function Flask's answers use), without entering Flask. Anything else goes to Flask: a query string,
an Accept-Encoding (Flask compresses), a slug the store does not hold (shared slugs, unknown posts), a route of
its own under /api/posts/ (by-id).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.http import parse_date

from service.layout import IndexLayout
from service.response_cache import Entry, StartResponse, not_modified_headers
from service.search.pages import open_pages

MARK = "broadsheet.post_page"  # the view sets this when it answered with a stored body
PREFIX = "/api/posts/"
TEMPLATES = 16  # Origins remembered per build (CORS headers depend on the Origin); others go through Flask
_PER_POST = frozenset({"etag", "content-length"})


class _Build:
    """One build's page store and the header templates learnt from Flask's answers."""

    def __init__(self, build_id: str, build_dir: Path) -> None:
        self.build_id = build_id
        self.pages = open_pages(build_dir)
        self.templates: dict[str, tuple[list[tuple[str, str]], Any]] = {}


class PostFront:
    """WSGI middleware answering stored post pages itself once Flask has shown which headers they carry."""

    def __init__(self, app: Callable[..., Any], index_dir: str, etag: Callable[[str, str], str],
                 finish: Callable[[bytes], bytes], routes: Callable[[], Iterable[str]] = tuple) -> None:
        self.app = app
        self.link = str(IndexLayout(Path(index_dir)).current)
        self.etag = etag  # (build id, path) -> the strong ETag Flask gives that path
        self.finish = finish  # the configured URL bases put into a stored body
        self._routes = routes  # names under /api/posts/ that are routes, not slugs (read once, at the first request)
        self.routes: frozenset[str] | None = None
        self._build: _Build | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        slug = self._slug(environ)
        build = self._current() if slug is not None else None
        if slug is None or build is None:
            return self.app(environ, start_response)
        origin = environ.get("HTTP_ORIGIN", "")
        template = build.templates.get(origin)
        body = build.pages.get(slug) if template is not None else None
        if template is None or body is None:
            return self._learn(environ, start_response, build, origin)
        body = self.finish(body)
        headers, last_modified = template
        etag = f'"{self.etag(build.build_id, PREFIX + slug)}"'
        full = [*headers, ("ETag", etag), ("Content-Length", str(len(body)))]
        entry = Entry(headers=full, body=body, etag=etag, last_modified=last_modified,
                      not_modified=not_modified_headers(full))
        return entry.serve(environ, start_response)

    def _slug(self, environ: dict[str, Any]) -> str | None:
        """The slug a plain GET or HEAD of one post names, or None when Flask must answer."""
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("QUERY_STRING") \
                or environ.get("HTTP_ACCEPT_ENCODING") or environ.get("SCRIPT_NAME"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return None
        try:  # WSGI hands the path over as latin-1; Flask's routing reads it as UTF-8, as here
            slug = path[len(PREFIX):].encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        if self.routes is None:
            self.routes = frozenset(self._routes())
        return slug if slug and "/" not in slug and slug not in self.routes else None

    def _current(self) -> _Build | None:
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        build_id = os.path.basename(target)
        with self._lock:
            if self._build is None or self._build.build_id != build_id:
                build_dir = Path(target) if os.path.isabs(target) else Path(self.link).parent / target
                self._build = _Build(build_id, build_dir)
            return self._build

    def _learn(self, environ: dict[str, Any], start_response: StartResponse, build: _Build,
               origin: str) -> Iterable[bytes]:
        """Let Flask answer; when it answered from the store, keep its headers as this build's template."""
        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            plain = not any(n.lower() == "content-encoding" for n, _ in headers)
            if status.startswith("200 ") and environ.get(MARK) == build.build_id and plain \
                    and len(build.templates) < TEMPLATES:
                kept = [(n, v) for n, v in headers if n.lower() not in _PER_POST]
                modified = next((parse_date(v) for n, v in headers if n.lower() == "last-modified"), None)
                build.templates[origin] = (kept, modified)
            return start_response(status, headers, exc_info)

        return self.app(environ, capture)
