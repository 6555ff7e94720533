"""Jekyll 4's rules for collections: their settings, which files are documents, and each document's URL and id."""

from __future__ import annotations

import functools
import posixpath
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from service.content.entries import EntryFilter, has_front_matter, walk
from service.content.jekyll import permalink, slugify, url_placeholders
from service.content.pages import output_ext, permalink_suffix
from service.content.site import SiteConfig
from service.content.site_models import Collection

# Document::DATE_FILENAME_MATCHER and DATELESS_FILENAME_MATCHER.
DATED = re.compile(r"^(?:.+/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")
DATELESS = re.compile(r"^(?:.+/)*(.*)(\.[^.]+)$")


def site_collections(site: SiteConfig) -> list[Collection]:
    """Every collection `_config.yml` declares except posts (a list of labels or a mapping of settings)."""
    declared = site.values.get("collections")
    if isinstance(declared, list):
        declared = {str(label): {} for label in declared}
    if not isinstance(declared, dict):
        return []
    folder = str(site.values.get("collections_dir") or "").strip("/")
    found = []
    for label, meta in declared.items():
        meta = meta if isinstance(meta, dict) else {}
        if str(label) in ("posts", "drafts"):
            continue
        template = meta.get("permalink")
        if not isinstance(template, str) or not template:
            template = permalink_suffix("/:collection/:path", str(site.values.get("permalink") or "date"))
        order = meta.get("order") if isinstance(meta.get("order"), list) else None
        found.append(Collection(
            label=str(label), output=meta.get("output") is not None and meta.get("output") is not False,
            permalink=template, directory=posixpath.join(folder, f"_{label}") if folder else f"_{label}",
            sort_by=meta.get("sort_by") if isinstance(meta.get("sort_by"), str) else None,
            order=[str(o) for o in order] if order else None,
            meta={k: v for k, v in meta.items() if k not in ("output", "permalink", "sort_by", "order")}))
    return found


def find_documents(content_dir: Path, collection: Collection, keep: EntryFilter) -> list[str]:
    """List a collection's documents (its files with front matter), site-relative."""
    folder = content_dir / collection.directory
    if not folder.is_dir() or folder.is_symlink():
        return []
    inner = _InnerFilter(keep, collection.directory)
    return [rel for rel in walk(content_dir, folder, inner) if has_front_matter(content_dir / rel)]


class _InnerFilter(EntryFilter):
    """Inside a collection, names are filtered relative to the collection folder (Collection#filtered_entries)."""

    def __init__(self, outer: EntryFilter, directory: str) -> None:
        self.include, self.exclude, self._prefix = outer.include, outer.exclude, directory + "/"

    def keeps(self, rel: str, is_dir: bool) -> bool:
        return super().keeps(rel[len(self._prefix):] if rel.startswith(self._prefix) else rel, is_dir)


def document_key(path: str, collection: Collection) -> str:
    """A document's key in the API: its path inside the collection folder, without the extension."""
    inner = path[len(collection.directory) + 1:] if path.startswith(collection.directory + "/") else path
    return posixpath.splitext(inner)[0]


def file_date_and_slug(path: str) -> tuple[str | None, str]:
    """Document#populate_title: the date text and slug a document's file name gives."""
    dated = DATED.match(path)
    if dated:
        return dated.group(1), dated.group(2).rstrip(".")
    plain = DATELESS.match(path)
    return None, (plain.group(1) if plain else posixpath.basename(path)).rstrip(".")


def document_url(path: str, collection: Collection, data: dict[str, Any], when: datetime) -> str:
    """Document#url: the front matter permalink or the collection's template, filled from the UrlDrop."""
    ext = posixpath.splitext(path)[1]
    stem = path[: len(path) - len(ext)]
    basename = posixpath.basename(stem)
    slug_source = data.get("slug")
    placeholders = url_placeholders(when=when, slug=str(slug_source) if slug_source is not None else basename,
                                    categories=[str(c) for c in _list(data.get("categories"))],
                                    output_ext=output_ext(path))
    placeholders |= {
        "collection": collection.label,
        "path": re.sub(r"\.*$", "", stem.replace(collection.directory, "", 1)),
        "name": slugify(basename) or "",
        "slug": slugify(str(slug_source)) if slug_source is not None else slugify(basename) or "",
    }
    template = data.get("permalink") if isinstance(data.get("permalink"), str) and data.get("permalink") else \
        collection.permalink
    return permalink(template, placeholders)


def document_id(url: str, data: dict[str, Any], path: str) -> str:
    """Document#id: the URL's folder joined with the slug (or the file's base name)."""
    ext = posixpath.splitext(path)[1]
    name = data.get("slug") or posixpath.basename(path[: len(path) - len(ext)])
    # Ruby's File.dirname ignores a trailing slash: the id of /about/ is /index, not /about/index.
    return posixpath.join(posixpath.dirname(url.rstrip("/")) or "/", str(name))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return list(value) if isinstance(value, list) else [value]


def sort_documents(docs: list[Any], collection: Collection) -> list[Any]:
    """Collection#sort_docs!: `order` first, else `sort_by`, else date then path (Document#<=>)."""
    natural = sorted(docs, key=functools.cmp_to_key(_compare))
    if collection.order:
        by_path = {d.path: d for d in natural}
        wanted = [posixpath.join(collection.directory, entry) for entry in collection.order]
        first = [by_path[p] for p in dict.fromkeys(wanted) if p in by_path]
        return first + [d for d in natural if d not in first]
    if collection.sort_by:
        key = collection.sort_by

        def by_key(a: Any, b: Any) -> int:
            left, right = a.data.get(key), b.data.get(key)
            if left is None and right is not None:
                return 1
            if left is not None and right is None:
                return -1
            try:
                order = (left > right) - (left < right) if left is not None else 0
            except TypeError:
                order = 0
            return order or _compare(a, b)

        return sorted(natural, key=functools.cmp_to_key(by_key))
    return natural


def _compare(a: Any, b: Any) -> int:
    if a.date is not None and b.date is not None and a.date != b.date:
        return -1 if a.date < b.date else 1
    return (a.path > b.path) - (a.path < b.path)
