"""Build an index from the content folder and publish it atomically."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service import __version__
from service.content.loader import LoadResult, load_content
from service.content.models import Post, Problem
from service.search import CURRENT, current_build_dir
from service.search.documents import slugify
from service.search.engine import SCHEMA_VERSION, write_index

BUILDS = "builds"
LOCK = ".reindex.lock"
GRACE_SECONDS = 600  # old builds stay this long so searchers still open on them can finish


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

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def line(self) -> str:
        """Describe the build in one line, for the command's last output."""
        state = "reused" if self.reused else "built"
        return (f"{state} index {self.build_id}: {self.posts} posts indexed, {self.hidden} hidden, "
                f"{len(self.skipped)} files skipped, {len(self.problems) - len(self.skipped)} warnings "
                f"in {self.seconds:.2f}s")


@contextmanager
def reindex_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the one-writer lock; the kernel drops it if the holder dies, so it never goes stale."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ReindexBusy("another reindex is running on this index; try again when it finishes") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def compute_build_id(result: LoadResult, preview: bool) -> str:
    """Derive the build id from the program, the settings and the content, so replicas agree."""
    digest = hashlib.sha256()
    for part in (__version__, SCHEMA_VERSION, str(preview), repr(sorted(result.site.values.items(), key=str))):
        digest.update(part.encode() + b"\0")
    for post in sorted(result.posts, key=lambda p: p.path):
        digest.update(f"{post.path}\0{post.content_hash}\0".encode())
    for problem in sorted(result.problems, key=str):
        digest.update(str(problem).encode() + b"\0")
    return digest.hexdigest()[:16]


def manifest_for(build_id: str, result: LoadResult) -> dict[str, Any]:
    """Precompute what list endpoints need beyond the documents: counts, order and problems."""
    categories: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    months: Counter[tuple[int, int]] = Counter()
    names: dict[tuple[str, str], str] = {}
    for post in result.posts:
        for name in post.categories:
            categories[slugify(name)] += 1
            names.setdefault(("category", slugify(name)), name)
        for name in post.tags:
            tags[slugify(name)] += 1
            names.setdefault(("tag", slugify(name)), name)
        months[(post.date.year, post.date.month)] += 1
    return {
        "build_id": build_id,
        "version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "posts": len(result.posts),
        "hidden": len(result.hidden),
        "files": result.files,
        "categories": [{"name": names[("category", s)], "slug": s, "count": n} for s, n in sorted(categories.items())],
        "tags": [{"name": names[("tag", s)], "slug": s, "count": n} for s, n in sorted(tags.items())],
        "archive": [{"year": y, "month": m, "count": n} for (y, m), n in sorted(months.items(), reverse=True)],
        "order": [p.slug for p in result.posts],
        "problems": [{"path": p.path, "line": p.line, "severity": p.severity, "message": p.message}
                     for p in result.problems],
    }


def reindex(
    content_dir: Path,
    index_dir: Path,
    *,
    preview: bool = False,
    progress: Callable[[int, int], None] | None = None,
    wait: bool = False,
) -> BuildSummary:
    """Read content, write a new build beside the served one, then switch `current` to it."""
    started = time.perf_counter()
    with reindex_lock(index_dir, wait=wait):
        result = load_content(content_dir, preview=preview, progress=progress)
        build_id = compute_build_id(result, preview)
        builds = index_dir / BUILDS
        target = builds / build_id
        reused = target.is_dir()
        if not reused:
            _write_build(target, build_id, result.posts, manifest_for(build_id, result))
        publish(index_dir, target)
        remove_old_builds(index_dir)
    return BuildSummary(build_id, len(result.posts), len(result.hidden), result.files, result.problems,
                        time.perf_counter() - started, reused)


def _write_build(target: Path, build_id: str, posts: list[Post], manifest: dict[str, Any]) -> None:
    staging = target.parent / f".staging-{build_id}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_index(staging, posts)
        (staging / "build.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(index_dir: Path, build_dir: Path) -> None:
    """Point `current` at build_dir with one atomic rename."""
    link = index_dir / f"{CURRENT}.tmp-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(build_dir, index_dir), link)
    os.replace(link, index_dir / CURRENT)
    os.utime(build_dir)  # mark when it was last published, for the grace period


def remove_old_builds(index_dir: Path, grace_seconds: float = GRACE_SECONDS) -> list[str]:
    """Delete builds that are not current and were last published longer ago than the grace period."""
    current = current_build_dir(index_dir)
    removed = []
    now = time.time()
    for build in (index_dir / BUILDS).iterdir() if (index_dir / BUILDS).is_dir() else []:
        if build == current or build.name.startswith("."):
            continue
        if now - build.stat().st_mtime > grace_seconds:
            shutil.rmtree(build, ignore_errors=True)
            removed.append(build.name)
    return removed
