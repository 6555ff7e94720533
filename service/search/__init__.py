"""The search interface the rest of the app talks to; only engine.py knows it is Whoosh."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol


class IndexUnavailable(Exception):
    """No built index to serve yet: run the reindex command."""


@dataclass(frozen=True)
class PostFilter:
    category: str | None = None  # category slug
    tag: str | None = None  # tag slug
    year: int | None = None
    month: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    post: str | None = None  # post slug, for quotes and images


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    type: str = "post"
    filters: PostFilter = field(default_factory=PostFilter)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = ()
    typos: bool = True


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    understood: str
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    suggestion: str | None = None
    took_ms: float = 0.0

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1


class SearchIndex(Protocol):
    """What the API needs from an opened index build."""

    build_id: str
    manifest: dict[str, Any]

    def get_post(self, slug: str) -> dict[str, Any] | None: ...
    def neighbours(self, slug: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]: ...
    def list_posts(self, filters: PostFilter, sort: str, page: int, per_page: int) -> Page: ...
    def list_quotes(self, filters: PostFilter, page: int, per_page: int) -> Page: ...
    def get_quote(self, quote_id: str) -> dict[str, Any] | None: ...
    def random_quote(self, filters: PostFilter, seed: int) -> dict[str, Any] | None: ...
    def list_images(self, filters: PostFilter, page: int, per_page: int) -> Page: ...
    def get_image(self, image_id: str) -> dict[str, Any] | None: ...
    def search(self, request: SearchRequest) -> SearchResult: ...
    def suggest(self, prefix: str, limit: int) -> list[dict[str, Any]]: ...
    def related(self, slug: str, limit: int) -> list[dict[str, Any]] | None: ...
    def close(self) -> None: ...


CURRENT = "current"


def current_build_dir(index_dir: Path) -> Path | None:
    """Return the build the `current` link points at, or None when nothing is built yet."""
    link = index_dir / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (index_dir / target) if not os.path.isabs(target) else Path(target)
    return path if path.is_dir() else None


class IndexHolder:
    """Keep one opened index per thread and reopen it when `current` points at a new build."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._local = threading.local()

    def get(self) -> SearchIndex:
        """Return this thread's index, switching to a newer build if one was published."""
        from service.search import engine  # imported late so only this path loads the engine

        build_dir = current_build_dir(self.index_dir)
        if build_dir is None:
            raise IndexUnavailable("no index has been built yet")
        opened: SearchIndex | None = getattr(self._local, "index", None)
        if opened is not None and getattr(self._local, "path", None) == build_dir:
            return opened
        try:
            fresh = engine.open_index(build_dir)
        except Exception as exc:  # a build being removed or half-written must not become a 500
            if opened is not None:
                return opened
            raise IndexUnavailable(f"index build {build_dir.name} cannot be opened: {exc}") from exc
        if opened is not None:
            opened.close()
        self._local.index, self._local.path = fresh, build_dir
        return fresh
