"""Plain objects for the rest of a Jekyll site besides posts: pages, collection documents, authors, redirects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service.content.models import Heading, Link, Problem


@dataclass
class Document:
    """A page (a source file with front matter outside `_` folders) or a document of a collection."""

    kind: str  # "page" or "document"
    path: str  # relative to the content folder
    url: str  # site-relative, as Jekyll writes it
    slug: str  # the URL without slashes or .html ("index" for the home page): the API's short name
    title: str | None
    collection: str | None = None  # the collection's label, for documents
    id: str | None = None  # Jekyll's document id (documents only)
    date: datetime | None = None  # from the file name or front matter, documents only
    layout: str | None = None
    published: bool = True
    output: bool = True  # False for documents of an `output: false` collection (read, never written)
    html: str = ""
    text: str = ""
    toc: list[Heading] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    front_matter: dict[str, Any] = field(default_factory=dict)  # as written, JSON-friendly
    data: dict[str, Any] = field(default_factory=dict)  # after `_config.yml` defaults, JSON-friendly
    redirect_from: list[str] = field(default_factory=list)
    redirect_to: str | None = None


@dataclass
class Collection:
    label: str
    output: bool
    permalink: str  # the URL template its documents use
    directory: str  # relative to the content folder, e.g. _docs
    sort_by: str | None = None
    order: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # the other keys `collections:` gives it


@dataclass
class Author:
    slug: str
    name: str
    handle: str | None = None  # the key posts use for it, when a record gives one
    bio: str | None = None
    avatar: str | None = None
    url: str | None = None  # its page on the site (an authors collection document), if any
    links: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # the record's other keys
    posts: list[str] = field(default_factory=list)  # Jekyll ids of visible posts, newest first


@dataclass(frozen=True)
class Redirect:
    source: str  # the old path, with a leading slash, as jekyll-redirect-from writes it
    target: str  # absolute (site url + baseurl) unless written as an http(s) URL
    kind: str  # redirect_from or redirect_to
    declared_in: str  # the file that declares it


@dataclass(frozen=True)
class ArchivePage:
    """A category or tag page of jekyll-archives."""

    kind: str  # category or tag
    name: str  # the name as posts write it
    url: str  # as Jekyll writes it (percent-encoded)


@dataclass
class SiteContent:
    """Everything of a site the API serves besides posts."""

    settings: dict[str, Any]
    pages: list[Document] = field(default_factory=list)  # shown pages, by path
    collections: list[Collection] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # shown documents, per collection in its order
    data: dict[str, Any] = field(default_factory=dict)  # site.data
    data_files: list[str] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    post_authors: dict[str, list[str]] = field(default_factory=dict)  # post path -> author slugs
    redirects: list[Redirect] = field(default_factory=list)
    archives: list[ArchivePage] = field(default_factory=list)  # jekyll-archives' category and tag pages
    problems: list[Problem] = field(default_factory=list)
    due: datetime | None = None  # the first future date of a page or document: it is shown from then on
    reads_bodies: bool = False  # a page, document or include may read the posts' bodies (site.posts content)
    clock: bool = False  # an undated collection document's URL takes the build's clock (date parts in its permalink)
