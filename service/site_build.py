"""The one place a build reads the site besides posts: after the scan, before the index is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from service.content.site_reader import read_site
from service.incremental import fingerprint
from service.search import site_payload
from service.search.documents import page_key
from service.search.site_store import document_record

if TYPE_CHECKING:
    from service.incremental import Scan

@dataclass
class SiteBuild:
    payload: bytes  # the sidecar
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # index key -> record of each searchable page
    # key -> {kind, key, url, print} of everything served, for the change events (service/changes.py)
    inventory: dict[str, dict[str, Any]] = field(default_factory=dict)
    due: datetime | None = None  # when a hidden future page or document comes due
    reads_bodies: bool = False  # a page or document may show the posts' bodies
    clock: bool = False  # an undated collection document: its URL takes the build's clock


def read_site_for_build(content_dir: Path, scan: Scan, now: datetime | None = None) -> SiteBuild:
    """Read pages, collections, data and authors; give each visible post its authors; return the sidecar bytes.

    Authors come from site-wide records (`_data`, `_config.yml`, an authors collection), so they are joined here,
    after the parse cache: the posts' fingerprints are taken here, after the join, so the diff sees a changed join.
    """
    result = scan.result
    site = read_site(content_dir, result.site, result.posts, now)
    by_slug = {a.slug: a for a in site.authors}
    for post in result.posts:
        post.authors = [{"name": by_slug[s].name, "slug": s} for s in site.post_authors.get(post.path, [])]
        scan.fingerprints[post.id] = fingerprint(post)
    result.problems.extend(site.problems)
    counts = {"posts": len(result.posts), "pages": len(site.pages), "documents": len(site.documents),
              "data_files": len(site.data_files), "authors": len(site.authors), "redirects": len(site.redirects)}
    build = SiteBuild(site_payload(site, result.posts, counts), due=site.due, reads_bodies=site.reads_bodies,
                      clock=site.clock)
    # Pages and the documents of written collections are searchable (kind "page"); their fingerprints sit beside
    # the posts' so an incremental build updates exactly the ones that changed.
    written = {c.label for c in site.collections if c.output}
    for post in result.posts:
        build.inventory[post.id] = {"kind": "post", "key": post.slug, "url": post.url,
                                    "print": scan.fingerprints.get(post.id)}
    for doc in [*site.pages, *site.documents]:
        record = document_record(doc)
        key = page_key(record)
        print_ = hashlib.sha256(orjson.dumps(record)).hexdigest()[:32]
        if doc.kind == "page" or doc.collection in written:
            build.pages[key] = record
            scan.fingerprints[key] = print_
        build.inventory[key] = {"kind": doc.kind, "key": doc.path, "url": doc.url if key in build.pages else None,
                                "print": print_}
    for path in site.data_files:
        try:
            print_ = hashlib.sha256((content_dir / path).read_bytes()).hexdigest()[:32]
        except OSError:
            continue
        build.inventory[f"data:{path}"] = {"kind": "data", "key": path, "url": None, "print": print_}
    return build
