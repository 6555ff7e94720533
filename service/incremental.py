"""Read the content folder as the loader does, parsing again only the files whose bytes changed since last time.

Each parsed file is pickled under index/cache/ by a key made of its path, its bytes and everything else the parse
depends on (program code, _config.yml, options), so an unchanged file costs a hash and an unpickle, not a
Markdown render. The result is the loader's own LoadResult, plus a fingerprint of every record the index stores:
the build id and the incremental diff both come from those fingerprints, so a build made incrementally and one
made from scratch of the same content are the same build.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service import __version__
from service.content.files import SourceFile, find_post_files
from service.content.images import DEFAULT_WIDTHS, link_usage
from service.content.loader import LoadResult, duplicate_slug, load_post
from service.content.models import Post, Problem
from service.content.site import SiteConfig, load_site_config
from service.search import SCHEMA_VERSION
from service.search.documents import image_record, post_record

PACKAGE = Path(__file__).resolve().parent
# The code a parsed post or an index document depends on: any change to it makes every cached parse stale.
CODE = ("content", "search", "schemas/front_matter.py", "incremental.py")
PAUSE_SECONDS = 120  # a test pause never outlives its test


@dataclass
class Scan:
    result: LoadResult
    key: str  # what every cached parse and the index layout depend on besides the files themselves
    fingerprints: dict[str, str] = field(default_factory=dict)  # slug -> hash of its stored record (visible only)
    parsed: int = 0  # files parsed this time; the rest came from the cache
    cache_keys: set[str] = field(default_factory=set)


def pause_point(point: str) -> None:
    """Stop here when BROADSHEET_TEST_PAUSE names this point, so crash tests can kill a reindex at a known step."""
    if os.environ.get("BROADSHEET_TEST_PAUSE") != point:
        return
    print(f"BROADSHEET_TEST_PAUSE: paused at {point}", file=sys.stderr, flush=True)
    time.sleep(PAUSE_SECONDS)


@functools.cache
def code_fingerprint() -> str:
    """Hash the source of the modules that shape parsed posts and documents, once: the code this process runs."""
    digest = hashlib.sha256()
    for name in CODE:
        path = PACKAGE / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def scan_key(content_dir: Path, preview: bool, image_widths: tuple[int, ...]) -> str:
    """Hash what every post's parse depends on besides its own file: code, options, _config.yml, _includes/."""
    digest = hashlib.sha256()
    config = content_dir / "_config.yml"
    try:
        config_bytes = config.read_bytes() if config.is_file() else b""
    except OSError:
        config_bytes = b"unreadable"
    for part in (__version__, SCHEMA_VERSION, code_fingerprint(), str(preview), repr(image_widths)):
        digest.update(part.encode() + b"\0")
    digest.update(config_bytes)
    # A post's body may include any file of _includes/: an edited include re-renders every post.
    includes = content_dir / "_includes"
    for file in sorted(includes.rglob("*")) if includes.is_dir() else []:
        if file.is_file():
            try:
                digest.update(file.relative_to(content_dir).as_posix().encode() + b"\0" + file.read_bytes())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()


def fingerprint(post: Post) -> str:
    """Hash the records the index stores for a post: equal fingerprints mean equal documents."""
    # Image documents also name the other posts that use the same file: a post gaining or losing a neighbour
    # there must change too, or an incremental build keeps stale lists under the fresh build's id.
    images = [image_record(i, usage=True) for i in ([post.image] if post.image else []) + post.images]
    return hashlib.sha256(orjson.dumps([post_record(post), images])).hexdigest()[:32]


def scan_content(
    content_dir: Path,
    cache_dir: Path,
    *,
    preview: bool = False,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    full: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Scan:
    """Load the content folder like load_content, reusing cached parses of unchanged files unless full."""
    site, problems = load_site_config(content_dir)
    key = scan_key(content_dir, preview, image_widths)
    scan = Scan(result=LoadResult(site=site, problems=list(problems)), key=key)
    result = scan.result
    sources = find_post_files(content_dir, drafts=preview or site.show_drafts)
    result.files = len(sources)
    now = now or datetime.now(UTC)
    digests = [_digest(source, key) for source in sources]
    scan.cache_keys = {d for d in digests if d}
    with ParseCache(cache_dir) as cache:
        found = {} if full else cache.get_many(scan.cache_keys)
        fresh: list[tuple[str, bytes]] = []
        by_slug: dict[str, Post] = {}
        for done, (source, digest) in enumerate(zip(sources, digests, strict=True), 1):
            loaded = _unpickle(found.get(digest or ""), content_dir)
            if loaded is None:
                loaded = _parse(source, site, image_widths)
                scan.parsed += 1
                if digest:
                    fresh.append((digest, pickle.dumps((*loaded, _image_stats(loaded[0], content_dir)), protocol=5)))
            post, file_problems = loaded
            if done == 1:
                pause_point("parse")
            result.problems.extend(file_problems)
            if progress:
                progress(done, len(sources))
            if post is None:
                continue
            if post.slug in by_slug:  # the same report as load_content; the index can serve one post per slug
                result.problems.append(duplicate_slug(post, by_slug[post.slug]))
                continue
            by_slug[post.slug] = post
            (result.posts if _visible(post, site, preview, now) else result.hidden).append(post)
        cache.put_many(fresh)
    result.posts.sort(key=lambda p: (p.date, p.slug), reverse=True)
    link_usage(result.posts)
    scan.fingerprints = {post.slug: fingerprint(post) for post in result.posts}
    return scan


def _visible(post: Post, site: SiteConfig, preview: bool, now: datetime) -> bool:
    """Mirror load_content's visibility rule (tests compare the two on real corpora)."""
    return bool(
        preview
        or (post.published and (not post.draft or site.show_drafts) and (post.date <= now or site.future))
        or (not post.published and site.unpublished)
    )


def _digest(source: SourceFile, key: str) -> str | None:
    """Name a file's parse by everything it depends on; None when the file cannot be read (the parse says why)."""
    try:
        raw = source.abs_path.read_bytes()
        stamp = source.abs_path.stat().st_mtime_ns if source.draft else 0  # undated drafts take the file's mtime
    except (OSError, RuntimeError):
        return None
    return hashlib.sha256(f"{key}\0{source.path}\0{stamp}\0".encode() + raw).hexdigest()


def _parse(source: SourceFile, site: SiteConfig, image_widths: tuple[int, ...]) -> tuple[Post | None, list[Problem]]:
    """Parse one file; a failure the loader did not foresee skips that file instead of the whole reindex."""
    try:
        return load_post(source, site, image_widths)
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
            stat = (content_dir / image.local_path).stat()
            stats.append((image.local_path, stat.st_size, stat.st_mtime_ns))
        except (OSError, ValueError):
            stats.append((image.local_path, -1, -1))
    return stats


def _unpickle(blob: bytes | None, content_dir: Path) -> tuple[Post | None, list[Problem]] | None:
    if blob is None:
        return None
    try:
        post, problems, images = pickle.loads(blob)  # noqa: S301 - our own cache, inside the index folder
    except Exception:  # a torn or foreign entry is only a cache miss
        return None
    if images != _image_stats(post, content_dir):
        return None
    return post, problems


class ParseCache:
    """Pickled parses in one SQLite file: a build reads and writes them in one transaction, not a file per post."""

    FILE = "parses.sqlite3"

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / self.FILE
        self.db: sqlite3.Connection | None = None
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.db = self._open()
        except (OSError, sqlite3.Error):
            self.path.unlink(missing_ok=True)  # a damaged cache is rebuilt, never trusted
            try:
                self.db = self._open()
            except (OSError, sqlite3.Error):
                self.db = None  # no cache at all: every file is parsed

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS parses (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM parses").fetchone()  # fails early on a damaged file
        return db

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.db is not None:
            self.db.close()

    def get_many(self, keys: set[str]) -> dict[str, bytes]:
        """Return the cached parses among keys."""
        found: dict[str, bytes] = {}
        if self.db is None:
            return found
        wanted = sorted(keys)
        try:
            for at in range(0, len(wanted), 500):
                chunk = wanted[at : at + 500]
                rows = self.db.execute(f"SELECT key, value FROM parses WHERE key IN ({','.join('?' * len(chunk))})",
                                       chunk)
                found.update(rows.fetchall())
        except sqlite3.Error:
            return {}
        return found

    def put_many(self, items: list[tuple[str, bytes]]) -> None:
        """Store new parses; a cache that cannot be written only costs time next run."""
        if self.db is None or not items:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO parses (key, value) VALUES (?, ?)", items)
        except sqlite3.Error:
            pass

    def prune(self, keep: set[str]) -> int:
        """Delete parses the last build did not use; return how many went."""
        if self.db is None:
            return 0
        try:
            with self.db:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM keep")
                self.db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((k,) for k in keep))
                return self.db.execute("DELETE FROM parses WHERE key NOT IN (SELECT key FROM keep)").rowcount
        except sqlite3.Error:
            return 0


def prune_cache(cache_dir: Path, keep: set[str]) -> int:
    """Delete cached parses that the last build did not use; return how many were removed."""
    with ParseCache(cache_dir) as cache:
        return cache.prune(keep)


def read_json(path: Path) -> Any:
    """Read a JSON sidecar, or None when it is missing or torn."""
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
