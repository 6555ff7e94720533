"""Jekyll 4's rules for pages: which files are pages and the URL each one gets."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from service.content.entries import EntryFilter, has_front_matter, walk
from service.content.jekyll import escape_path, sanitize_url

MARKDOWN = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown", ".mdwn"})
HTML = frozenset({".html", ".htm", ".xhtml"})  # Page::HTML_EXTENSIONS
# Built-in permalink styles Utils.add_permalink_suffix knows by name.
_PRETTY, _WITH_EXT = {"pretty"}, {"date", "ordinal", "none"}


def find_pages(content_dir: Path, keep: EntryFilter) -> list[str]:
    """List the Markdown and HTML pages of a site: files with front matter outside `_` folders, by path."""
    return [rel for rel in walk(content_dir, content_dir, keep)
            if posixpath.splitext(rel)[1].lower() in MARKDOWN | HTML and has_front_matter(content_dir / rel)]


def output_ext(path: str) -> str:
    """The extension a file is written with: Markdown becomes .html, HTML keeps its own."""
    ext = posixpath.splitext(path)[1]
    return ".html" if ext.lower() in MARKDOWN else ext


def permalink_suffix(template: str, style: str) -> str:
    """Utils.add_permalink_suffix: what the site's `permalink` style adds to a page or collection template."""
    if style in _PRETTY:
        return template + "/"
    if style in _WITH_EXT:
        return template + ":output_ext"
    return template + ("/" if style.endswith("/") else "") + (":output_ext" if style.endswith(":output_ext") else "")


def page_url(path: str, permalink: Any, style: str) -> str:
    """Page#url: the front matter permalink or the page template, filled with path, basename and output_ext."""
    folder, name = posixpath.split(path)
    ext = posixpath.splitext(name)[1]
    basename = name[: len(name) - len(ext)].rstrip(".")
    out = output_ext(path)
    if out not in HTML:
        template = "/:path/:basename:output_ext"
    elif basename == "index":
        template = "/:path/"
    else:
        template = permalink_suffix("/:path/:basename", style)
    if isinstance(permalink, str) and permalink:
        template = permalink
    url = template
    # URL#generate_url_from_hash: each placeholder in turn, every occurrence.
    for key, value in (("path", folder), ("basename", basename), ("output_ext", out)):
        if ":" not in url:
            break
        url = url.replace(f":{key}", escape_path(value))
    return sanitize_url(url)


def url_slug(url: str) -> str:
    """A short name for a page or document: its URL without slashes or a trailing .html ("index" for /)."""
    slug = url.strip("/")
    if slug.endswith("/index.html") or slug == "index.html":
        slug = slug[: -len("index.html")].rstrip("/")
    elif slug.endswith(".html"):
        slug = slug[: -len(".html")]
    return slug or "index"
