"""Read a content folder into Post objects, reporting every file it cannot use."""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from service.content.cache import ParseCache, file_keys, reader_key
from service.content.files import SourceFile, find_post_files
from service.content.header import PostHeader, read_header
from service.content.images import DEFAULT_WIDTHS, link_usage
from service.content.liquid import LinkTable
from service.content.models import BODY_FIELDS, Post, Problem, body_digest
from service.content.pool import ordered_map
from service.content.render import includes_dir, render_post
from service.content.site import SiteConfig, load_site_config
from service.content.visibility import is_visible

__all__ = ["LoadResult", "cached_post", "includes_dir", "load_content", "load_post", "mark_duplicates", "parse_file",
           "render_post"]

@dataclass
class LoadResult:
    site: SiteConfig
    posts: list[Post] = field(default_factory=list)  # visible posts, newest first
    hidden: list[Post] = field(default_factory=list)  # drafts, future, unpublished posts (and, preview on, none)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    parsed: int = 0  # files parsed this time; the rest came from the parse cache
    cache_keys: set[str] = field(default_factory=set)  # the cached parses this load used or wrote
    keys: dict[str, str | None] = field(default_factory=dict)  # every post file's path -> its parse's key, as found
    urls: list[tuple[str, str]] = field(default_factory=list)  # the link table's (path, url) pairs
    links_digest: str = ""  # the link table's hash

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class _Entry:
    """One post file on its way through a load: its cache key, then its header or cached parse, then its post."""

    source: SourceFile
    key: str | None = None
    header: PostHeader | None = None
    post: Post | None = None
    problems: list[Problem] = field(default_factory=list)
    images: list[tuple[str, int, int]] = field(default_factory=list)
    links: str | None = None  # the link table's digest when the body resolves `post_url`/`link`
    cached: bool = False


def load_content(
    content_dir: Path,
    *,
    preview: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    cache: ParseCache | None = None,
) -> LoadResult:
    """Read every post under content_dir as Jekyll does: the one place that decides what is a post and what shows.

    Two passes, as Jekyll reads every post before it renders any: the first reads front matter and works out
    each post's URL, so `{% post_url %}` and `{% link %}` in the second (rendering) pass can point at them. With
    a cache, a file whose bytes (and the reader's code, options and _config.yml) are unchanged is not parsed
    again; visibility is always decided afresh, against `now`, so time passing needs no new parse.
    """
    site, problems = load_site_config(content_dir)
    result = LoadResult(site=site, problems=list(problems))
    sources = find_post_files(content_dir, drafts=preview or site.show_drafts, exclude=site.exclude,
                              include=site.include)
    result.files = len(sources)
    now = now or datetime.now(UTC)
    entries = [_Entry(source) for source in sources]
    found: dict[str, Any] = {}
    if cache is not None:
        keys = file_keys([e.source for e in entries], reader_key(content_dir, image_widths), cache)
        for entry, file_key in zip(entries, keys, strict=True):
            entry.key = file_key
        result.cache_keys = {e.key for e in entries if e.key}
        found = cache.get_many(result.cache_keys)
    _read_headers([e for e in entries if not _use_cached(e, found.get(e.key or ""), content_dir, cache)], site, now)
    result.urls = _urls(entries)
    links = LinkTable(result.urls, site.baseurl)
    digest = result.links_digest = _links_digest(site.baseurl, entries)
    stale = [e for e in entries if e.cached and e.links is not None and e.links != digest]
    for entry in stale:  # a cached body that resolved links against other posts' URLs is stale when they moved
        entry.cached, entry.post = False, None
    _read_headers(stale, site, now)
    fresh: dict[str, Any] = {}
    todo = [entry for entry in entries if not entry.cached]

    def render(n: int) -> tuple[Post | None, list[Problem], list[tuple[str, int, int]], str | None]:
        entry = todo[n]
        _render(entry, site, links, digest, content_dir, image_widths)
        return entry.post, entry.problems, entry.images, entry.links

    rendered = ordered_map(render, len(todo))  # the posts rendered in worker processes when there are many
    for done, entry in enumerate(entries, 1):
        if not entry.cached:
            entry.post, entry.problems, entry.images, entry.links = next(rendered)
            result.parsed += 1
            if entry.key:
                fresh[entry.key] = _cache_entry(entry)
        if progress:
            progress(done, len(entries))
    rendered.close()  # every answer is in: the workers stop
    result.keys = {entry.source.path: entry.key for entry in entries}
    if cache is not None:
        cache.put_many(fresh)
    for entry in entries:
        result.problems.extend(entry.problems)
        if entry.post is not None:
            (result.posts if is_visible(entry.post, site, now, preview=preview) else result.hidden).append(entry.post)
    # Jekyll sorts posts by date, then path; lists are newest first.
    result.posts.sort(key=lambda p: (p.date, p.slug, p.path), reverse=True)
    result.problems.extend(mark_duplicates(result.posts))
    link_usage(result.posts)  # only visible posts: /api/images must not name hidden ones
    return result


def mark_duplicates(posts: list[Post]) -> list[Problem]:
    """Name, on each visible post that shares its slug, the ids of the others; warn once per later post.

    Posts (newest first) whose id (their URL) another already has are dropped from the list, with a warning.

    Jekyll publishes both posts of a shared slug (their URLs differ), so both are served; `/api/posts/<slug>`
    answers the newest and the other ids let a client fetch the rest (`/api/posts/by-id`).
    """
    problems: list[Problem] = []
    by_id: dict[str, Post] = {}
    by_slug: dict[str, list[Post]] = {}
    for post in posts:
        if post.id in by_id:  # one URL, two files: Jekyll writes one page over the other ("Conflict")
            problems.append(Problem(post.path, None, "warning", f"same URL as {by_id[post.id].path} ({post.url}): "
                                    "Jekyll writes one over the other; only the newer is served"))
            continue
        by_id[post.id] = post
        by_slug.setdefault(post.slug, []).append(post)
    posts[:] = by_id.values()
    for group in by_slug.values():
        for number, post in enumerate(group, 1):
            post.other_ids = [p.id for p in group if p is not post]
            if number > 1:
                _renumber(post, f"{post.slug}~{number}")
        problems.extend(duplicate_slug(post, group[0]) for post in group[1:])
    return problems


def _renumber(post: Post, prefix: str) -> None:
    """Give a later post of a shared slug its own quote and image ids (`slug~2-q1`), which are made from the slug."""
    for item in [*post.quotes, *([post.image] if post.image else []), *post.images]:
        if item.id.startswith(post.slug):
            item.id = prefix + item.id[len(post.slug):]


def duplicate_slug(post: Post, first: Post) -> Problem:
    """Report a post whose slug a newer post already has: both are served, the slug finds the newer one."""
    return Problem(post.path, None, "warning", f"duplicate slug {post.slug!r}: also used by {first.path}; Jekyll "
                   f"publishes both (their URLs differ); /api/posts/{post.slug} answers {first.path}, this one is "
                   f"/api/posts/by-id?id={post.id}")


def _cache_entry(entry: _Entry) -> tuple[Any, Any]:
    """Split a fresh parse into the head every load reads and the body only a build that uses it reads."""
    post, body = entry.post, None
    if post is not None:
        body = {name: getattr(post, name) for name in BODY_FIELDS}
        post = copy.copy(post)
        for name in BODY_FIELDS:
            del post.__dict__[name]
    return (post, entry.problems, entry.images, entry.links, body and body_digest(body)), body or {}


def parse_file(source: SourceFile, site: SiteConfig, links: LinkTable, digest: str, content_dir: Path,
               image_widths: tuple[int, ...], now: datetime) -> tuple[Post | None, list[Problem], tuple[Any, Any]]:
    """Parse one post file as a load does (header, then body); return its post, problems and parse-cache entry."""
    entry = _Entry(source)
    entry.header, entry.problems = _guarded(source, lambda: read_header(source, site, now=now))
    _render(entry, site, links, digest, content_dir, image_widths)
    return entry.post, entry.problems, _cache_entry(entry)


def cached_post(cache: ParseCache, key: str) -> tuple[Post | None, list[Problem]] | None:
    """Return a cached parse's post (its body read on first use) and problems; None when it is not cached whole."""
    entry = _Entry(SourceFile("", Path()), key=key)
    value = cache.get_many({key}).get(key)
    if not _use_cached(entry, value, Path(), cache, check_images=False):
        return None
    return entry.post, entry.problems


def _read_headers(entries: list[_Entry], site: SiteConfig, now: datetime) -> None:
    """Read the entries' front matter, in the pool's workers when there are many (serial, it was 3.4 s of a
    10,000-post build on one core)."""
    def header(n: int) -> tuple[Any, list[Problem]]:
        source = entries[n].source
        return _guarded(source, lambda: read_header(source, site, now=now))

    for entry, (found, problems) in zip(entries, ordered_map(header, len(entries)), strict=True):
        entry.header, entry.problems = found, problems


def _use_cached(entry: _Entry, value: Any, content_dir: Path, cache: ParseCache | None, *,
                check_images: bool = True) -> bool:
    """Take a cached parse when it is whole and the local images it read are unchanged (its body comes later)."""
    try:
        post, problems, images, links, digest = value
    except (TypeError, ValueError):
        return False
    if cache is None or (check_images and images != _image_stats(post, content_dir)):
        return False
    if post is not None:
        post.__dict__["_body"] = cache.body_loader(entry.key or "")
        post.__dict__["_body_digest"] = digest
    entry.post, entry.problems, entry.images, entry.links, entry.cached = post, list(problems), images, links, True
    return True


def _urls(entries: list[_Entry]) -> list[tuple[str, str]]:
    """Every post's path and URL, from cached posts and fresh headers alike (the first pass's link table)."""
    pairs = []
    for entry in entries:
        if entry.cached and entry.post is not None:
            pairs.append((entry.post.path, entry.post.url))
        elif entry.header is not None:
            pairs.append((entry.header.source.path, entry.header.url))
    return pairs


def _links_digest(baseurl: str, entries: list[_Entry]) -> str:
    """Hash the link table, so a cached body that resolved links is reused only while every URL is the same."""
    digest = hashlib.sha256(baseurl.encode() + b"\0")
    for path, url in _urls(entries):
        digest.update(f"{path}\0{url}\0".encode())
    return digest.hexdigest()


def _uses_links(body: str) -> bool:
    return "post_url" in body or re.search(r"\{%-?\s*link\s", body) is not None


def _render(entry: _Entry, site: SiteConfig, links: LinkTable, digest: str, content_dir: Path,
            image_widths: tuple[int, ...]) -> None:
    header = entry.header
    if header is None:
        return
    rendered, more = _guarded(entry.source, lambda: render_post(header, site, links, content_dir, image_widths))
    entry.post, entry.problems = rendered, [*entry.problems, *more]
    entry.images = _image_stats(entry.post, content_dir)
    entry.links = digest if _uses_links(header.body) else None


def _guarded(source: SourceFile, parse: Callable[[], tuple[Any, list[Problem]]]) -> tuple[Any, list[Problem]]:
    """Run one file's parse; a failure the reader did not foresee skips that file, never the whole load."""
    try:
        return parse()
    except RecursionError:
        return None, [Problem(source.path, None, "error", "front matter or body is nested too deeply to read")]
    except Exception as exc:  # the message may name server paths, which /readyz must not show
        return None, [Problem(source.path, None, "error",
                              f"the file could not be read ({type(exc).__name__}); check it for unusual content")]


def _image_stats(post: Post | None, content_dir: Path) -> list[tuple[str, int, int]]:
    """Identify the local image files a post's parse read, so replacing one invalidates the parse."""
    stats = []
    for image in ([post.image] if post and post.image else []) + (post.images if post else []):
        if not image.local_path:
            continue
        try:
            stat = os.stat(os.path.join(content_dir, image.local_path))  # a str join: Path's costs show at 10,000
            stats.append((image.local_path, stat.st_size, stat.st_mtime_ns))
        except (OSError, ValueError):
            stats.append((image.local_path, -1, -1))
    return stats


def link_table(sources: list[SourceFile], site: SiteConfig) -> LinkTable:
    """Work out every post's URL from its front matter alone, for `post_url` and `link` (first pass)."""
    headers = (read_header(source, site)[0] for source in sources)
    return LinkTable(((h.source.path, h.url) for h in headers if h is not None), site.baseurl)


_SITE_LINKS: dict[Path, tuple[tuple[Any, ...], LinkTable]] = {}


def site_links(content_dir: Path, site: SiteConfig) -> LinkTable:
    """Return the link table of a whole content folder, remembered until a post file or the config changes.

    For a post loaded on its own (load_post) that uses `post_url` or `link`.
    """
    sources = find_post_files(content_dir, drafts=True, exclude=site.exclude, include=site.include)
    stamps = []
    for source in sources:
        try:
            stat = source.abs_path.stat()
            stamps.append((source.path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((source.path, 0, 0))
    key = (repr(site), *stamps)
    cached = _SITE_LINKS.get(content_dir)
    if cached is None or cached[0] != key:
        _SITE_LINKS[content_dir] = cached = (key, link_table(sources, site))
    return cached[1]


def load_post(
    source: SourceFile,
    site: SiteConfig,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    *,
    links: LinkTable | None = None,
    now: datetime | None = None,
) -> tuple[Post | None, list[Problem]]:
    """Read one post file (post_url/link resolve against its content folder); None and the problems on error."""
    header, problems = read_header(source, site, now=now)
    if header is None:
        return None, problems
    content_dir = source.abs_path.parents[len(PurePosixPath(source.path).parts) - 1]
    if links is None:
        links = site_links(content_dir, site) if _uses_links(header.body) else LinkTable([], site.baseurl)
    post, more = render_post(header, site, links, content_dir, image_widths)
    return post, [*problems, *more]
