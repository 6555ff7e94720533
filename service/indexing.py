"""Build an index from the content folder and publish it atomically, incrementally when it can."""

from __future__ import annotations

import fcntl
import gc
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from service import changes
from service.content.cache import BodyMissing, ParseCache
from service.content.models import DEFAULT_WIDTHS, Problem
from service.incremental import Scan, pause_point, scan_key
from service.layout import STAGING_PREFIX, BuildLayout, IndexLayout, read_json, write_json_atomic
from service.search import Manifest, current_build_dir, update_index, write_index
from service.search.documents import label_slug
from service.sources import SourceRecord, Stamping, next_due, read_record, write_record
from service.version import __version__

if TYPE_CHECKING:  # the reader itself is imported when a build runs: a web worker that never builds skips its cost
    from service.content.loader import LoadResult
    from service.edit_state import EditState
    from service.patch import BaseFiles
    from service.site_build import SiteBuild

GRACE_SECONDS = 600  # old builds stay this long so searchers still open on them can finish
INCREMENTAL_SHARE = 0.3  # beyond this share of changed posts a fresh index is cheaper than deletions
INCREMENTAL_MIN = 50  # ...but so few posts are cheap to add to any index
# Files from which the reader is imported while a child stamps the folder (0.25 s of imports against a 0.5 s stamp
# at 100,000 files): below, the stamp ends first and a reindex with nothing changed would wait for the imports.
IMPORT_AHEAD_FROM = 20_000


class ReindexBusy(Exception):
    """Another reindex holds the lock."""


@dataclass
class BuildSummary:
    build_id: str
    posts: int
    hidden: int
    files: int
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    reused: bool = False
    mode: str = "full"  # full, incremental, reused (same build made again) or unchanged (no file read at all)
    parsed: int = 0  # files parsed this run (the rest came from the parse cache)
    added: int = 0
    updated: int = 0
    removed: int = 0
    patched: bool = False  # the served build was patched for a few edited posts (service/patch.py), no scan

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def line(self) -> str:
        """Describe the build in one line, for the command's last output."""
        state = "reused" if self.reused else "built"
        mode = f"{self.mode}, patched" if self.patched else self.mode
        detail = f" ({mode}: {self.updated} updated, {self.added} added, {self.removed} removed; " \
                 f"{self.parsed} of {self.files} files parsed)"
        return (f"{state} index {self.build_id}{detail}: {self.posts} posts indexed, {self.hidden} hidden, "
                f"{len(self.skipped)} files skipped, {len(self.problems) - len(self.skipped)} warnings "
                f"in {self.seconds:.2f}s")

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-able values, for the HTTP job status and last-reindex.json."""
        return {"build_id": self.build_id, "mode": self.mode, "posts": self.posts, "hidden": self.hidden,
                "files": self.files, "parsed": self.parsed, "added": self.added, "updated": self.updated,
                "removed": self.removed, "skipped": len(self.skipped), "seconds": round(self.seconds, 3),
                "problems": [_problem_dict(p) for p in self.problems]}


def acquire_lock(index_dir: Path, wait: bool = False) -> IO[str]:
    """Take the one-writer lock and return its handle; the kernel drops it when the holder dies: never stale."""
    index_dir.mkdir(parents=True, exist_ok=True)
    handle = open(IndexLayout(index_dir).lock, "a+")  # noqa: SIM115 - held across threads, released by release_lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        raise ReindexBusy("another reindex is running on this index; wait for it (or pass --wait)") from None
    return handle


def release_lock(handle: IO[str]) -> None:
    """Give the writer lock back."""
    try:
        fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


@contextmanager
def reindex_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the one-writer lock for a block."""
    handle = acquire_lock(index_dir, wait)
    try:
        yield
    finally:
        release_lock(handle)


def lock_is_free(index_dir: Path) -> bool:
    """Say whether no reindex holds the lock right now (nothing is taken)."""
    try:
        release_lock(acquire_lock(index_dir))
    except ReindexBusy:
        return False
    return True


def scan_content(content_dir: Path, cache_dir: Path, *, preview: bool = False,
                 image_widths: tuple[int, ...] = DEFAULT_WIDTHS, full: bool = False, now: datetime | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Scan:
    """Load the content through the one reader (with its parse cache; full parses every file again)."""
    from service.content.loader import load_content

    def step(done: int, total: int) -> None:
        if done == 1:
            pause_point("parse")  # crash tests kill a reindex here, with the parse under way
        if progress:
            progress(done, total)

    with ParseCache(cache_dir, refresh=full) as cache:
        result = load_content(content_dir, preview=preview, now=now, progress=step, image_widths=image_widths,
                              cache=cache)
    return Scan(result, scan_key(content_dir, preview, image_widths))  # fingerprints: after the site's joins


def compute_build_id(scan: Scan, site: bytes = b"") -> str:
    """Derive the build id from the program, the settings and what is served, so replicas agree."""
    from service.patch import build_id_for

    return build_id_for(scan.key, site, scan.fingerprints, scan.result.problems)


def manifest_for(build_id: str, result: LoadResult, key: str = "") -> Manifest:
    """Precompute what list endpoints need beyond the documents: counts, order and problems."""
    categories: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    months: Counter[tuple[int, int]] = Counter()
    names: dict[tuple[str, str], str] = {}
    for post in result.posts:
        for name in post.categories:
            categories[label_slug(name)] += 1
            names.setdefault(("category", label_slug(name)), name)
        for name in post.tags:
            tags[label_slug(name)] += 1
            names.setdefault(("tag", label_slug(name)), name)
        for author in post.authors:
            authors[author["slug"]] += 1
            names.setdefault(("author", author["slug"]), author["name"])
        months[(post.date.year, post.date.month)] += 1
    return Manifest(
        build_id=build_id,
        key=key,
        version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        posts=len(result.posts),
        hidden=len(result.hidden),
        files=result.files,
        categories=[{"name": names[("category", s)], "slug": s, "count": n} for s, n in sorted(categories.items())],
        tags=[{"name": names[("tag", s)], "slug": s, "count": n} for s, n in sorted(tags.items())],
        authors=[{"name": names[("author", s)], "slug": s, "count": n} for s, n in sorted(authors.items())],
        archive=[{"year": y, "month": m, "count": n} for (y, m), n in sorted(months.items(), reverse=True)],
        order=[p.id for p in result.posts],  # ids: a slug may be shared
        duplicates=_duplicates(result),
        problems=[_problem_dict(p) for p in result.problems],
    )


def _duplicates(result: LoadResult) -> dict[str, list[str]]:
    """Map each shared slug to its posts' ids, newest first: the first is what /api/posts/<slug> answers."""
    found: dict[str, list[str]] = {}
    for post in result.posts:
        if post.other_ids:
            found.setdefault(post.slug, []).append(post.id)
    return found


def reindex(
    content_dir: Path,
    index_dir: Path,
    *,
    preview: bool = False,
    progress: Callable[[int, int], None] | None = None,
    wait: bool = False,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    full: bool = False,
    now: datetime | None = None,
) -> BuildSummary:
    """Read content, write a new build beside the served one, then switch `current` to it (now: the clock)."""
    with reindex_lock(index_dir, wait=wait):
        return build_and_publish(content_dir, index_dir, preview=preview, progress=progress,
                                 image_widths=image_widths, full=full, now=now)


def build_and_publish(
    content_dir: Path,
    index_dir: Path,
    *,
    preview: bool = False,
    progress: Callable[[int, int], None] | None = None,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    full: bool = False,
    now: datetime | None = None,
) -> BuildSummary:
    """Do the reindex itself; the caller holds the writer lock."""
    started = time.perf_counter()
    gc.freeze()  # what is loaded already (the program) stays; only the build's own objects are collected
    try:
        try:
            summary = _build(content_dir, index_dir, preview, progress, image_widths, full, started, now)
        except BodyMissing:  # a cached body could not be read back: drop the cache, read every file again
            ParseCache.discard(IndexLayout(index_dir).parse_cache)
            summary = _build(content_dir, index_dir, preview, progress, image_widths, full, started, now)
    except Exception as exc:
        _record_last(index_dir, {"status": "failed", "error": type(exc).__name__})  # no server paths: /readyz shows it
        raise
    finally:
        gc.unfreeze()  # the build's objects may be collected again once it is over
    _record_last(index_dir, {"status": "succeeded", **summary.as_dict()})
    return summary


def _build(content_dir: Path, index_dir: Path, preview: bool, progress: Callable[[int, int], None] | None,
           image_widths: tuple[int, ...], full: bool, started: float, now: datetime | None) -> BuildSummary:
    cache_dir = IndexLayout(index_dir).parse_cache
    now = now or datetime.now(UTC)  # one clock for the whole build: what is shown is decided against it
    # Stamped before anything is read: a file edited during the scan differs from the stamp, so the next run sees it.
    key = scan_key(content_dir, preview, image_widths)
    record = read_record(index_dir)
    files = record.files if record is not None else 0
    stamping = Stamping(content_dir, key, files)
    # While a child stamps a big folder, this process reads what patching an edit reads (the edit state, the
    # manifest, fingerprints and inventory; and imports the reader where the stamp outlasts it).
    preloaded = _preload(index_dir, files >= IMPORT_AHEAD_FROM) if stamping.forked and not full else None
    stamp_now, lines = stamping.result()
    if not full and (unchanged := _unchanged(index_dir, record, stamp_now, now)) is not None:
        publish(index_dir, IndexLayout(index_dir).build(unchanged.build_id).root)  # marks it in use, as a reuse does
        remove_old_builds(index_dir)
        unchanged.seconds = time.perf_counter() - started
        return unchanged
    if not full and (patched := _patched(content_dir, index_dir, key, lines, stamp_now, now, preview,
                                         image_widths, preloaded, record)) is not None:
        patched.seconds = time.perf_counter() - started
        return patched
    scan = scan_content(content_dir, cache_dir, preview=preview, image_widths=image_widths, full=full,
                        progress=progress, now=now)
    gc.freeze()  # the posts live until the build ends: the collector's later passes need not walk them again
    from service.site_build import read_site_for_build

    result = scan.result
    site = read_site_for_build(content_dir, scan, now)  # pages, collections, data, authors: the site sidecar
    build_id = compute_build_id(scan, site.payload)
    target = IndexLayout(index_dir).build(build_id).root
    summary = BuildSummary(build_id, len(result.posts), len(result.hidden), result.files, result.problems,
                           parsed=scan.parsed)
    base = current_build_dir(index_dir)
    previous = _previous_fingerprints(base, scan.key) if base is not None else None
    if previous is not None:
        summary.added = len(scan.fingerprints.keys() - previous.keys())
        summary.removed = len(previous.keys() - scan.fingerprints.keys())
        summary.updated = sum(1 for s, f in scan.fingerprints.items() if s in previous and previous[s] != f)
    else:
        summary.added = len(scan.fingerprints)
    from service.edit_state import make_state, save_state

    state = make_state(scan.key, lines, result, blocked=site.reads_bodies or site.clock)
    if target.is_dir():
        summary.reused, summary.mode = True, "reused"
        save_state(target, state)  # the files' stat lines as they are now
    else:
        summary.mode = _write_build(target, scan, manifest_for(build_id, result, scan.key), base,
                                    None if full else previous, site, state)
    due = [d for d in (next_due(result.hidden, now), site.due and int(site.due.timestamp())) if d]
    _publish_build(index_dir, target, base, build_id, site.inventory,
                   SourceRecord(stamp_now, build_id, int(now.timestamp()), min(due, default=None),
                                len(lines)))
    with ParseCache(cache_dir) as cache:
        cache.prune(scan.result.cache_keys)
    summary.seconds = time.perf_counter() - started
    return summary


def _publish_build(index_dir: Path, target: Path, base: Path | None, build_id: str,
                   inventory: dict[str, dict[str, Any]], record: SourceRecord,
                   before: dict[str, dict[str, Any]] | None = None, changed: set[str] | None = None) -> None:
    """Switch `current` to a written build, record its change event and its sources, and clear out old builds."""
    pause_point("switch")
    publish(index_dir, target)
    from service import webhook  # imported when a build is published: a reindex that finds nothing skips it

    webhook.notify(index_dir, changes.record(index_dir, base, build_id, inventory, before, changed))  # never waits
    write_record(index_dir, record)
    remove_old_builds(index_dir)


def _preload(index_dir: Path, imports: bool) -> BaseFiles | None:
    """Read what patching the served build needs before the stamp says whether it will be patched."""
    from service.patch import preload

    return preload(current_build_dir(index_dir), imports)


def _patched(content_dir: Path, index_dir: Path, key: str, lines: dict[str, str], stamp_now: str, now: datetime,
             preview: bool, image_widths: tuple[int, ...], preloaded: BaseFiles | None,
             record: SourceRecord | None) -> BuildSummary | None:
    """Patch the served build for a few edited posts (service/patch.py); None when the edit needs a scan."""
    from service.patch import try_patch

    base = current_build_dir(index_dir)
    found = try_patch(content_dir, index_dir, base, key, lines, stamp_now, now, preview=preview,
                      image_widths=image_widths, preloaded=preloaded, record=record)
    if found is None:
        return None
    m = found.manifest
    summary = BuildSummary(found.build_id, m.posts, m.hidden, m.files, found.problems, reused=found.reused,
                           mode="reused" if found.reused else "incremental", parsed=found.parsed,
                           updated=found.updated, patched=True)
    _publish_build(index_dir, found.target, base, found.build_id, found.inventory,
                   SourceRecord(stamp_now, found.build_id, int(now.timestamp()), found.until, len(lines)),
                   found.before,
                   found.changed)
    with ParseCache(IndexLayout(index_dir).parse_cache) as cache:
        cache.forget(found.forget)
    return summary


def _unchanged(index_dir: Path, record: SourceRecord | None, stamp_now: str, now: datetime) -> BuildSummary | None:
    """Return the served build's summary when the folder is as it was when that build was made, else None."""
    base = current_build_dir(index_dir)
    if base is None or record is None or not record.holds(stamp_now, base.name, now):
        return None
    manifest = Manifest.from_json(read_json(BuildLayout(base).manifest))
    if manifest is None:
        return None
    problems = [Problem(p["path"], p["line"], p["severity"], p["message"]) for p in manifest.problems]
    return BuildSummary(base.name, manifest.posts, manifest.hidden, manifest.files, problems, reused=True,
                        mode="unchanged")


def _previous_fingerprints(base: Path, key: str) -> dict[str, str] | None:
    """Return the served build's fingerprints when an incremental update on top of it is valid."""
    manifest = Manifest.from_json(read_json(BuildLayout(base).manifest))
    prints = read_json(BuildLayout(base).fingerprints)
    if manifest is None or manifest.key != key or not isinstance(prints, dict):
        return None  # other code, options or _config.yml: every document may differ
    return prints


def _write_build(target: Path, scan: Scan, manifest: Manifest, base: Path | None,
                 previous: dict[str, str] | None, site: SiteBuild | None = None,
                 state: EditState | None = None) -> str:
    """Write the build into a staging folder and rename it into place; return full or incremental."""
    from service.patch import finish_build
    from service.schemas.pages import write_post_pages  # the response schemas (and Flask): only a build needs them

    staging = IndexLayout(target.parent.parent).staging(target.name, os.getpid())
    shutil.rmtree(staging, ignore_errors=True)
    prints = scan.fingerprints
    try:
        changed = None if previous is None else sorted(s for s in prints.keys() | previous.keys()
                                                       if prints.get(s) != previous.get(s))
        small = changed is not None and len(changed) <= max(INCREMENTAL_MIN, INCREMENTAL_SHARE * len(prints))
        if base is not None and changed is not None and small:
            wanted = set(changed)
            posts = [p for p in scan.result.posts if p.id in wanted]
            update_index(staging, base, [s for s in changed if s in previous], posts,
                         [site.pages[k] for k in changed if site is not None and k in site.pages])
            write_post_pages(staging, scan.result.posts, base, set(changed))
            mode = "incremental"
        else:
            write_index(staging, scan.result.posts, pages=list(site.pages.values()) if site is not None else (),
                        meanwhile=lambda: write_post_pages(staging, scan.result.posts))  # beside the sub-writers
            mode = "full"
        finish_build(staging, target, site.payload if site is not None else b"",
                     site.inventory if site is not None else {}, prints, manifest, state)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return mode


def publish(index_dir: Path, build_dir: Path) -> None:
    """Point `current` at build_dir with one atomic rename."""
    layout = IndexLayout(index_dir)
    link = layout.current_temp(os.getpid())
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(build_dir, index_dir), link)
    os.replace(link, layout.current)
    os.utime(build_dir)  # mark when it was last published, for the grace period


def remove_old_builds(index_dir: Path, grace_seconds: float = GRACE_SECONDS) -> list[str]:
    """Delete builds (and staging left by killed runs) not current and untouched for longer than the grace period."""
    layout = IndexLayout(index_dir)
    current = current_build_dir(index_dir)
    removed = []
    now = time.time()
    for build in layout.builds.iterdir() if layout.builds.is_dir() else []:
        if build == current:
            continue
        if build.name.startswith(STAGING_PREFIX):  # left by a killed run; we hold the lock, so nobody writes it
            shutil.rmtree(build, ignore_errors=True)
            continue
        try:
            age = now - build.stat().st_mtime
        except OSError:
            continue
        if age > grace_seconds:
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build.name)
    for stray in layout.current_temps():  # a link a killed run made but never renamed
        if stray.is_symlink() and now - stray.lstat().st_mtime > grace_seconds:
            stray.unlink(missing_ok=True)
    return removed


def last_reindex(index_dir: Path) -> dict[str, Any] | None:
    """Return the recorded outcome of the latest reindex, if any."""
    found = read_json(IndexLayout(index_dir).last_reindex)
    return found if isinstance(found, dict) else None


def _record_last(index_dir: Path, outcome: dict[str, Any]) -> None:
    with suppress(OSError):  # a full or read-only disk must not turn a finished build into a failure
        write_json_atomic(IndexLayout(index_dir).last_reindex,
                          {**outcome, "finished_at": datetime.now(UTC).isoformat(timespec="seconds")})


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path, "line": problem.line, "severity": problem.severity, "message": problem.message}
