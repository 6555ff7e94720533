"""A per-worker cache of finished responses, in front of Flask: content is immutable between index builds."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.http import parse_date

from service.layout import IndexLayout

# The Flask side puts the build id here when a GET's answer may be stored (see service.caching).
STORE_KEY = "broadsheet.cache_build"
MAX_ENTRY_BYTES = 2 * 1024 * 1024
# Headers a 304 repeats from the 200 it stands for (RFC 9110 15.4.5), the same ones Flask's own 304 carries.
NOT_MODIFIED_HEADERS = frozenset({"etag", "cache-control", "vary", "x-content-build", "date", "expires",
                                  "content-location", "x-content-type-options", "referrer-policy"})
# CORS headers that depend on the request's Origin (when the allow-list is not "*") are part of the key.

StartResponse = Callable[..., Any]


def not_modified_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers of a 200 that its 304 repeats."""
    return [(n, v) for n, v in headers if n.lower() in NOT_MODIFIED_HEADERS or n.lower().startswith("access-control-")]


@dataclass(frozen=True)
class Entry:
    headers: list[tuple[str, str]]
    not_modified: list[tuple[str, str]]
    body: bytes
    etag: str
    last_modified: datetime | None

    def serve(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer from the stored response: a 304 when the client's copy is current, else the bytes."""
        if self._fresh_for(environ):
            start_response("304 Not Modified", list(self.not_modified))
            return []
        start_response("200 OK", list(self.headers))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [self.body]

    def _fresh_for(self, environ: dict[str, Any]) -> bool:
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return self.etag in tags or "*" in tags
        if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_modified_since and self.last_modified is not None:
            since = parse_date(if_modified_since)
            return since is not None and since >= self.last_modified
        return False


class ResponseCache:
    """Serve repeated GETs of the same build from stored bytes, without entering Flask at all."""

    def __init__(self, app: Callable[..., Any], index_dir: str, entries: int, max_bytes: int,
                 vary_origin: bool = False) -> None:
        self.app = app
        self.link = str(IndexLayout(Path(index_dir)).current)
        self.max_entries = entries
        self.max_bytes = max_bytes
        self.vary_origin = vary_origin
        self._entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._build: str | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _build_id(self) -> str | None:
        try:
            return os.path.basename(os.readlink(self.link))
        except OSError:
            return None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        build = self._build_id() if method in ("GET", "HEAD") else None
        if build is None:
            return self.app(environ, start_response)
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_ENCODING", ""),
               environ.get("HTTP_ORIGIN", "") if self.vary_origin else "")
        with self._lock:
            if build != self._build:  # a new build: everything stored describes the old one
                self._entries.clear()
                self._bytes, self._build = 0, build
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if entry is not None:
            return entry.serve(environ, start_response)
        self.misses += 1
        return self._fill(environ, start_response, key, build)

    def _fill(self, environ: dict[str, Any], start_response: StartResponse, key: tuple[str, ...],
              build: str) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body_iter = self.app(environ, capture)
        if environ["REQUEST_METHOD"] != "GET" or environ.get(STORE_KEY) != build or not captured \
                or not captured[0].startswith("200 "):
            return body_iter
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        self._store(key, build, captured[1], body)
        return [body]

    def _store(self, key: tuple[str, ...], build: str, headers: list[tuple[str, str]], body: bytes) -> None:
        if len(body) > MAX_ENTRY_BYTES:
            return
        found = {name.lower(): value for name, value in headers}
        etag = found.get("etag", "")
        if not etag:
            return
        entry = Entry(headers=list(headers), body=body, etag=etag.removeprefix("W/"),
                      not_modified=not_modified_headers(headers),
                      last_modified=parse_date(found["last-modified"]) if "last-modified" in found else None)
        size = len(body) + 64 * len(headers)
        with self._lock:
            if build != self._build:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + 64 * len(old.headers)
            self._entries[key] = entry
            self._bytes += size
            while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body) + 64 * len(dropped.headers)

    def clear(self) -> None:
        """Forget every stored response."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
