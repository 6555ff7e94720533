"""First pass over a post file: front matter, date, slug, title, categories, tags and URL, as Jekyll reads them.

Nothing here renders the body, so every post's URL is known before any body is rendered (for `post_url`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from marshmallow import ValidationError

from service.content import jekyll
from service.content.files import FrontMatterError, SourceFile, load_front_matter, read_source, split_front_matter
from service.content.front_matter import FRONT_MATTER
from service.content.models import Problem
from service.content.site import SiteConfig, deep_merge, front_matter_defaults

_OPENING = re.compile(r"\A---\s*\n")  # Jekyll's has_yaml_header?: such a file is a post even if never closed


@dataclass
class PostHeader:
    """What Jekyll knows about a post before rendering it."""

    source: SourceFile
    matter: dict[str, Any]  # validated front matter (defaults merged in), as FRONT_MATTER loads it
    body: str  # the Markdown after the front matter, Liquid not yet applied
    body_line: int  # the file line the body starts on
    slug: str  # Jekyll's `slug`: front matter `slug`, else the file name's
    title: str
    date: datetime
    url: str  # with the site's baseurl in front
    id: str
    categories: list[str]
    tags: list[str]
    published: bool
    content_hash: str
    crlf: bool = False  # the file's lines end in CR LF (Jekyll's excerpt separator then never matches)


def read_header(source: SourceFile, site: SiteConfig, *, now: datetime | None = None) -> tuple[PostHeader | None,
                                                                                               list[Problem]]:
    """Read a post's file and front matter; on an error return None and the problems that explain it."""
    text, raw, problems = read_source(source)
    if text is None:
        return None, problems
    split = split_front_matter(text, raw)
    if split.front_matter is None and _OPENING.match(text):
        problems.append(Problem(source.path, 1, "warning", "front matter opened by `---` on line 1 is never closed "
                                "(no second `---` line): Jekyll publishes the whole file, dashes and all, as the "
                                "post's body; close it or remove the first line"))
    matter_text = split.front_matter or ""
    name = PurePosixPath(source.path).name
    parts = jekyll.parse_post_filename(name)
    if parts is None and not source.draft:
        return None, [*problems, Problem(source.path, None, "warning",
                                         "file name does not start with a date (YYYY-MM-DD-title.md), "
                                         "so Jekyll does not read it as a post; skipped")]
    try:
        own = load_front_matter(split.front_matter)
    except FrontMatterError as exc:
        return None, [*problems, Problem(source.path, exc.line, "error", str(exc))]
    if own is not None and not isinstance(own, dict):
        return None, [*problems, Problem(source.path, 2, "error", "front matter must be a mapping of keys to "
                                         f"values (key: value lines), not a {type(own).__name__}")]
    own = {str(k): v for k, v in (own or {}).items()}
    defaults = front_matter_defaults(site, source.path)
    try:
        matter = FRONT_MATTER.load(deep_merge(defaults, own))  # categories merge differently, below
    except ValidationError as exc:
        return None, [*problems, *_schema_problems(source.path, exc, matter_text)]

    stem = PurePosixPath(name).stem.rstrip(".")
    date_text, file_slug = (parts[0], parts[1]) if parts else ("", stem)
    slug = matter["slug"] if matter["slug"] is not None else file_slug
    try:
        when = _post_date(source, matter["date"], date_text, site, now)
    except ValueError as exc:
        line = _key_line(matter_text, "date")
        where = "front matter `date`" if matter["date"] is not None else "the date in the file name"
        return None, [*problems, Problem(source.path, line, "error", f"{where}: {exc}; Jekyll stops the build "
                                         "on a date it cannot read")]
    layers = [defaults, own]
    categories = jekyll.merge_categories(layers, _folder_categories(source.path))
    tags = jekyll.merge_tags(layers)
    title = matter["title"] if matter["title"] is not None else jekyll.title_from_slug(file_slug)
    placeholders = jekyll.url_placeholders(when=when, slug=slug, categories=categories,
                                           output_ext=_output_ext(name), path=source.path)
    try:
        url = jekyll.permalink(matter["permalink"] or jekyll.permalink_template(site.permalink), placeholders)
    except jekyll.PermalinkError as exc:
        line = _key_line(matter_text, "permalink") if matter["permalink"] else None
        return None, [*problems, Problem(source.path, line, "error", str(exc))]
    post_id = jekyll.post_id(url, slug)
    merged = deep_merge(defaults, own)
    # Publisher#can_be_published?: `data.fetch("published", true)`, so null hides a post as false does.
    published = merged.get("published", True) is not None and merged.get("published", True) is not False
    if isinstance(merged.get("published"), str):
        problems.append(Problem(source.path, _key_line(matter_text, "published"), "warning",
                                f"`published: {merged['published']}` is text, not true/false; Jekyll publishes "
                                "the post (write published: false without quotes to hide it)"))
    return PostHeader(
        source=source, matter=matter, body=split.body, body_line=split.body_line, slug=slug, title=title, date=when,
        url=site.baseurl + url if site.baseurl else url, id=post_id, categories=categories, tags=tags,
        published=published, content_hash=split.raw_hash, crlf=b"\r\n" in raw,
    ), problems


def _post_date(source: SourceFile, value: Any, date_text: str, site: SiteConfig, now: datetime | None) -> datetime:
    """Front matter date over the file name's; a draft with neither takes the file's modification time."""
    if value is not None:
        return jekyll.parse_date(value, site.tz, now)
    if date_text:
        return jekyll.parse_date(date_text, site.tz, now)
    return datetime.fromtimestamp(source.abs_path.stat().st_mtime, site.tz)


def _output_ext(name: str) -> str:
    """Posts in Markdown and HTML become .html pages; other files keep their extension."""
    ext = PurePosixPath(name).suffix.lower()
    return ".html" if ext in {".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown", ".mdwn", ".html",
                              ".htm", ".textile"} else ext


def _folder_categories(path: str) -> list[str]:
    """Folders above `_posts` (or `_drafts`) are categories; folders inside it are not (categories_from_path)."""
    folder = posixpath.dirname(path)
    cut = re.search(r"(^|/)_(posts|drafts)(/|$)", folder)
    above = folder[: cut.start()] if cut else folder
    return [part for part in above.split("/") if part]


def _schema_problems(path: str, exc: ValidationError, matter: str) -> list[Problem]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    problems = []
    for key, errors in messages.items():
        text = "; ".join(str(e) for e in (errors if isinstance(errors, list) else [errors]))
        label = "front matter" if key == "_schema" else f"front matter `{key}`"
        problems.append(Problem(path, _key_line(matter, key), "error", f"{label} {text}"))
    return problems


def _key_line(matter: str, key: str) -> int | None:
    """Return the file line where a top-level front matter key is set (the `---` line is line 1)."""
    for number, line in enumerate(matter.splitlines(), 2):
        if line.startswith(f"{key}:"):
            return number
    return None
