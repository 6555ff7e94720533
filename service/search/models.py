"""The values the search interface passes: filters, requests, pages and results, and what an opened index offers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Protocol


class IndexUnavailable(Exception):
    """No built index to serve yet: run the reindex command."""


@dataclass(frozen=True)
class PostFilter:
    category: str | None = None  # category slug
    tag: str | None = None  # tag slug
    author: str | None = None  # author slug
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

    @classmethod
    def of(cls, items: Sequence[Any], page: int, per_page: int) -> Page:
        """Cut page `page` (from 1) of per_page items out of everything that matched."""
        start = (page - 1) * per_page
        return cls(items=list(items[start : start + per_page]), total=len(items), page=page, per_page=per_page)


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


@dataclass
class Manifest:
    """What a build records beside its documents (build.json): its identity, counts, labels, archive and order.

    Written by the indexer (service.indexing.manifest_for) and read as attributes everywhere else.
    Labels are {name, slug, count}; archive rows {year, month, count}; problems {path, line, severity, message}.
    """

    build_id: str = ""  # empty only for a build written without a manifest
    key: str = ""  # scan key: the program, options and _config.yml the build was parsed with
    version: str = ""
    created_at: str | None = None  # ISO 8601, UTC
    posts: int = 0
    hidden: int = 0
    files: int = 0
    categories: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    authors: list[dict[str, Any]] = field(default_factory=list)  # {name, slug, count} of post authors
    archive: list[dict[str, Any]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # post ids, newest first (a slug may be shared)
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # shared slug -> its posts' ids, newest first
    problems: list[dict[str, Any]] = field(default_factory=list)

    def labels(self, kind: str) -> list[dict[str, Any]]:
        """Return the categories or the tags ("categories" / "tags")."""
        return {"categories": self.categories, "tags": self.tags}[kind]

    def to_json(self) -> dict[str, Any]:
        """Return the fields as a dict for orjson (shallow: asdict's deep copy of 10,000 ids cost an edit 30 ms)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Any) -> Manifest | None:
        """Read a parsed build.json; None when it is not a manifest (torn, or another shape)."""
        if not isinstance(data, dict):
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


class SearchIndex(Protocol):
    """What the API needs from an opened index build."""

    build_id: str
    manifest: Manifest

    def get_post(self, slug: str) -> dict[str, Any] | None: ...
    def site(self) -> Any: ...  # the build's SiteView: pages, documents, data, authors, redirects, settings
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
