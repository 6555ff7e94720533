"""The values the search interface passes: filters, requests, pages and results, and what an opened index offers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
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
    def get_post_by_id(self, post_id: str) -> dict[str, Any] | None: ...
    def post_page(self, slug: str) -> bytes | None: ...
    def neighbours(self, post_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]: ...
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
