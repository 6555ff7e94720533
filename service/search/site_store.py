"""The per-build sidecar holding the site besides posts (pages, documents, data, authors, redirects, settings).

Written beside the index as site.json, read once per opened build; the API reaches it through `site_view`.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson

from service.content.models import Post
from service.content.site_models import Author, Document, SiteContent
from service.search.documents import label_slug

SITE_FILE = "site.json"
SUMMARY_KEYS = ("kind", "path", "url", "slug", "title", "collection", "id", "date", "layout")


def document_record(doc: Document) -> dict[str, Any]:
    """The full record of a page or document, as its detail endpoint serves it."""
    return {
        "kind": doc.kind, "path": doc.path, "url": doc.url, "slug": doc.slug, "title": doc.title,
        "collection": doc.collection, "id": doc.id, "date": doc.date.isoformat() if doc.date else None,
        "layout": doc.layout, "html": doc.html, "text": doc.text, "toc": [asdict(h) for h in doc.toc],
        "images": doc.images, "links": [asdict(link) for link in doc.links], "front_matter": doc.front_matter,
        "redirect_from": doc.redirect_from, "redirect_to": doc.redirect_to,
    }


def author_record(author: Author) -> dict[str, Any]:
    return {"slug": author.slug, "name": author.name, "handle": author.handle, "bio": author.bio,
            "avatar": author.avatar, "url": author.url, "links": author.links, "meta": author.meta,
            "posts": author.posts}


def site_payload(site: SiteContent, posts: list[Post], counts: dict[str, int]) -> bytes:
    """Serialise what the build serves of the site besides posts; its bytes also go into the build id."""
    return orjson.dumps({
        "settings": site.settings,
        "counts": counts,
        "pages": [document_record(p) for p in site.pages],
        "collections": [{"label": c.label, "output": c.output, "permalink": c.permalink, "directory": c.directory,
                         "sort_by": c.sort_by, "order": c.order, "meta": c.meta,
                         "count": sum(1 for d in site.documents if d.collection == c.label)}
                        for c in site.collections],
        "documents": [document_record(d) for d in site.documents],
        "data": site.data,
        "data_files": site.data_files,
        "authors": [author_record(a) for a in site.authors],
        "redirects": [{"from": r.source, "to": r.target, "kind": r.kind, "source": r.declared_in}
                      for r in site.redirects],
        "posts": {p.url: p.id for p in posts},
        "archives": [{"type": a.kind, "name": a.name, "slug": label_slug(a.name), "url": a.url}
                     for a in site.archives],
    }, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def write_site(build_dir: Path, payload: bytes) -> None:
    """Store the sidecar in a build folder being written."""
    (build_dir / SITE_FILE).write_bytes(payload)


def path_forms(url: str) -> list[str]:
    """The public paths a URL answers at, decoded: `/a/b/`, `/a/b/index.html` and `/a/b`; `/a.html` and `/a`."""
    url = unquote(url)
    forms = [url]
    if url.endswith("/"):
        forms += [url + "index.html", url.rstrip("/") or "/"]
    elif url.endswith("/index.html"):
        forms += [url[: -len("index.html")], url[: -len("/index.html")] or "/"]
    elif url.endswith(".html"):
        forms.append(url[: -len(".html")])
    return forms


class SiteView:
    """Lookups over one build's sidecar: pages, documents and authors by key, and what lives at a path."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.settings: dict[str, Any] = raw.get("settings", {})
        self.counts: dict[str, int] = raw.get("counts", {})
        self.pages: list[dict[str, Any]] = raw.get("pages", [])
        self.collections: list[dict[str, Any]] = raw.get("collections", [])
        self.documents: list[dict[str, Any]] = raw.get("documents", [])
        self.data: dict[str, Any] = raw.get("data", {})
        self.authors: list[dict[str, Any]] = raw.get("authors", [])
        self.redirects: list[dict[str, Any]] = raw.get("redirects", [])
        self._authors = {a["slug"]: a for a in self.authors}
        self._pages: dict[str, dict[str, Any]] = {}
        for page in self.pages:
            for key in (page["path"], page["slug"], page["url"].strip("/")):
                self._pages.setdefault(key, page)
        self._docs = {(d["collection"], key): d for d in self.documents for key in (d["slug"], d["path"],
                                                                                   d["id"].strip("/"))}
        self._docs |= {(d["collection"], d["path"].split("/", 1)[-1].rsplit(".", 1)[0]): d for d in self.documents
                       if (d["collection"], d["path"].split("/", 1)[-1].rsplit(".", 1)[0]) not in self._docs}
        self._paths = self._path_table(raw.get("posts", {}), raw)

    def _path_table(self, posts: dict[str, str], raw: dict[str, Any]) -> dict[str, tuple[str, Any]]:
        # posts: url -> Jekyll id
        table: dict[str, tuple[str, Any]] = {}
        # Redirect pages win: Jekyll writes them last (a redirect_to document's own page is its redirect).
        for redirect in self.redirects:
            for form in path_forms(redirect["from"]):
                table[form] = ("redirect", redirect)
        entries = [*(("post", post_id, url) for url, post_id in posts.items()),
                   *(("page", p, p["url"]) for p in self.pages),
                   # an authors collection document is its author's page
                   *(("author", a, a["url"]) for a in self.authors if a.get("url")),
                   *(("document", d, d["url"]) for d in self.documents if self._written(d))]
        for kind, item, url in entries:
            for form in path_forms(url):
                table.setdefault(form, (kind, item))
        archives: dict[str, tuple[str, Any]] = {}  # the plugin writes its pages in order: a later one wins a URL
        for archive in raw.get("archives", []):
            archives.update((form, (archive["type"], archive)) for form in path_forms(archive["url"]))
        for form, found in archives.items():
            table.setdefault(form, found)
        return table

    def _written(self, doc: dict[str, Any]) -> bool:
        return next((c["output"] for c in self.collections if c["label"] == doc["collection"]), False)

    def page(self, key: str) -> dict[str, Any] | None:
        return self._pages.get(key.strip("/")) or self._pages.get(key)

    def collection(self, label: str) -> dict[str, Any] | None:
        return next((c for c in self.collections if c["label"] == label), None)

    def document(self, label: str, key: str) -> dict[str, Any] | None:
        return self._docs.get((label, key.strip("/")))

    def author(self, slug: str) -> dict[str, Any] | None:
        return self._authors.get(slug)

    def at(self, path: str, baseurl: str = "") -> tuple[str, Any] | None:
        """What lives at a public path: ("post", id), ("page"|"document"|"author", record), ("category"|"tag",
        archive page) or ("redirect", pair)."""
        path = unquote(path)
        if not path.startswith("/"):
            path = "/" + path
        found = self._paths.get(path)
        if found is None and baseurl and path.startswith(baseurl.rstrip("/") + "/"):
            found = self._paths.get(path[len(baseurl.rstrip("/")):])
        return found


@functools.lru_cache(maxsize=8)
def _open(build_dir: Path, stamp: float) -> SiteView:
    try:
        raw = orjson.loads((build_dir / SITE_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        raw = {}
    return SiteView(raw if isinstance(raw, dict) else {})


def site_view(build_dir: Path) -> SiteView:
    """Open (once per build) the sidecar of a build; a build written before sidecars existed has an empty one."""
    try:
        stamp = (build_dir / SITE_FILE).stat().st_mtime
    except OSError:
        stamp = 0.0
    return _open(build_dir, stamp)
