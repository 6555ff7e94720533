"""Recognise an unchanged content folder without reading a file: a stamp of every file's name, size and times.

A reindex with nothing changed (the common case: a deploy, a cron job, a watcher's spurious event) then answers
from the served build's manifest in milliseconds instead of reading and fingerprinting every post. The stamp is
deliberately broad (every file under the folder, not only those the reader would take), so anything that could
change a build takes the full path; the only cost of breadth is an occasional needless scan.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from service.content.models import Post
from service.forked import Forked, can_fork
from service.layout import IndexLayout, read_json, write_json_atomic

# Jekyll's own output and caches, and version control: never content, and often large or busy.
SKIPPED = frozenset({".git", ".hg", ".svn", "_site", ".jekyll-cache", ".sass-cache"})
# Files the last stamp saw from which the next is taken in a forked child (a system call per file: 45 ms at
# 10,000 files here, 0.5 s at 100,000) while the caller reads what a build will need; below, the fork and the copy
# back cost about what they save.
FORK_FROM = 5_000


def stamp(content_dir: Path, key: str, lines: dict[str, str] | None = None) -> str:
    """Hash the build key with every file's path, size, mtime, ctime and inode under content_dir.

    ctime cannot be set back by a copy or an editor that keeps mtimes, so any write shows; symlinked folders are
    followed (a site may link a folder in), each real folder once so a link loop ends. With `lines`, each file's
    own line is kept there by its path (relative, posix), so a later run can tell which files changed.
    """
    digest = hashlib.sha256(key.encode() + b"\0")
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(content_dir, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        rel = os.path.relpath(root, content_dir)
        digest.update(f"d\0{rel}\0{len(files)}\n".encode())
        names = sorted(files)
        found = _stat_lines(root, names)
        digest.update("".join(found).encode())  # one update per folder: the same digest as one per file
        if lines is not None:
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            lines.update(zip([prefix + name for name in names], found, strict=True))
    return digest.hexdigest()


class Stamping:
    """A stamp being taken: in a forked child when the folder is big and forking is safe, else at once.

    The caller does its own reading meanwhile (the other core's work), then asks for the result; a child that
    fails for any reason is replaced by stamping here, so the answer is always the stamp of the folder as it is.
    """

    def __init__(self, content_dir: Path, key: str, files_before: int, fork_from: int | None = None) -> None:
        self._args = (content_dir, key)
        self._child: Forked | None = None
        self._done: tuple[str, dict[str, str]] | None = None
        if files_before >= (FORK_FROM if fork_from is None else fork_from) and can_fork():
            self._child = Forked(_stamp_with_lines)
            self._child.submit(*self._args)
        else:
            self._done = _stamp_with_lines(*self._args)

    @property
    def forked(self) -> bool:
        return self._child is not None

    def result(self) -> tuple[str, dict[str, str]]:
        """The stamp's digest and every file's stat line by path."""
        if self._done is None:
            answer = self._child.result() if self._child is not None else None
            # the child died or answered nonsense: stamp here, as a small folder would
            self._done = answer[0] if answer is not None else _stamp_with_lines(*self._args)
        return self._done


def _stamp_with_lines(content_dir: Path, key: str) -> tuple[str, dict[str, str]]:
    lines: dict[str, str] = {}
    return stamp(content_dir, key, lines), lines


def _stat_lines(root: str, names: list[str]) -> list[str]:
    """Return each file's stat line, stat'ed relative to its opened folder (a 100,000-post site: 100,000 files)."""
    found = []
    try:
        folder = os.open(root, os.O_RDONLY)
    except OSError:
        folder = None
    try:
        for name in names:
            try:
                st = os.stat(name, dir_fd=folder) if folder is not None else os.stat(os.path.join(root, name))
                found.append(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n")
            except OSError:  # a broken link: its presence is the state
                found.append(f"{name}\0missing\n")
    finally:
        if folder is not None:
            os.close(folder)
    return found


@dataclass(frozen=True)
class SourceRecord:
    """Which build the content folder produced when it had this stamp, and until when that holds."""

    stamp: str
    build_id: str
    since: int  # the epoch second the build was made for: visibility was decided against it
    until: int | None = None  # epoch second at which a hidden future post comes due (None: never)
    files: int = 0  # files the stamp covered: the next reindex stamps a big folder beside its own reading

    def holds(self, stamp_now: str, build_id: str, now: datetime) -> bool:
        """Say whether the build is still what this content would produce now (a clock set back rebuilds too)."""
        second = int(now.timestamp())
        in_time = self.since <= second and (self.until is None or second < self.until)
        return self.stamp == stamp_now and self.build_id == build_id and in_time


def next_due(hidden: list[Post], now: datetime) -> int | None:
    """Return the first whole second at which a hidden future post would be shown, or None."""
    second = int(now.timestamp())
    later = [int(p.date.timestamp()) for p in hidden if int(p.date.timestamp()) > second]
    return min(later) if later else None


def read_record(index_dir: Path) -> SourceRecord | None:
    """Return the record of the last successful reindex, or None when there is none or it is unreadable."""
    found: Any = read_json(IndexLayout(index_dir).sources)
    try:
        return SourceRecord(**found) if isinstance(found, dict) else None
    except TypeError:  # written by another version of the program
        return None


def write_record(index_dir: Path, record: SourceRecord) -> None:
    """Keep the record of a published build (atomically, as every sidecar)."""
    write_json_atomic(IndexLayout(index_dir).sources, asdict(record))
