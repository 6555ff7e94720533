"""Plain objects the content reader produces: no Flask, no Whoosh, no marshmallow."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

# A post's rendered body: the bulk of a parse, kept apart in the parse cache and read only when something uses it.
BODY_FIELDS = ("excerpt_html", "excerpt", "html", "text", "links", "toc")
# The responsive widths (srcset) resized by default; here, not in images.py, so the reindex command's defaults do
# not import Pillow (a reindex that finds nothing changed never touches an image).
DEFAULT_WIDTHS: tuple[int, ...] = (320, 640, 1024, 1600)


@dataclass(frozen=True)
class PostRef:
    """Point from a quote or image back to the post that holds it."""

    slug: str
    title: str
    url: str
    id: str = ""  # the post's Jekyll id: unique where slugs may be shared


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    domain: str


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Image:
    id: str
    src: str  # as written in the post
    url: str  # site-relative (/media/...) for local files, unchanged for remote ones
    alt: str
    title: str | None
    local_path: str | None  # path relative to the content folder, None when remote
    post: PostRef
    role: str = "inline"  # "cover" for the front matter image
    meta: dict[str, Any] = field(default_factory=dict)  # width, height, ... when known


@dataclass
class Quote:
    id: str
    text: str
    html: str
    attribution: str | None
    post: PostRef
    categories: list[str] = field(default_factory=list)


@dataclass
class Post:
    path: str  # relative to the content folder
    id: str  # Jekyll's id, e.g. /news/2024/01/02/slug
    slug: str
    title: str
    date: datetime  # timezone-aware
    url: str  # site-relative permalink
    categories: list[str]
    tags: list[str]
    excerpt_html: str
    excerpt: str
    html: str
    text: str
    word_count: int
    reading_time: int  # minutes, at least 1
    image: Image | None
    quotes: list[Quote]
    images: list[Image]
    links: list[Link]
    toc: list[Heading]
    meta: dict[str, Any]
    published: bool = True
    draft: bool = False
    content_hash: str = ""
    # {name, slug, ...} of each author, joined with the site's author records after every file is read
    authors: list[dict[str, Any]] = field(default_factory=list)
    other_ids: list[str] = field(default_factory=list)  # visible posts sharing this slug (set by the loader)

    @property
    def ref(self) -> PostRef:
        return PostRef(slug=self.slug, title=self.title, url=self.url, id=self.id)

    def __getattr__(self, name: str) -> Any:
        """Read the body fields on first use when the post came from the parse cache without them."""
        loader = self.__dict__.get("_body")
        if loader is None or name not in BODY_FIELDS:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.__dict__.update(loader())
        del self.__dict__["_body"]
        return self.__dict__[name]

    def body_digest(self) -> str:
        """Hash the body fields (known without reading them for a cached post), for the build's fingerprints."""
        known = self.__dict__.get("_body_digest")
        return known if known is not None else body_digest({name: getattr(self, name) for name in BODY_FIELDS})


def body_digest(body: dict[str, Any]) -> str:
    """Hash a post's body fields (links and headings are flat dataclasses, which orjson writes as objects)."""
    return hashlib.sha256(orjson.dumps([body[name] for name in BODY_FIELDS])).hexdigest()[:32]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one content file, reported instead of crashing."""

    path: str
    line: int | None
    severity: str  # "error" skips the file, "warning" keeps it
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"
