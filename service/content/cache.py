"""The reader's parse cache: a parsed post is kept under its path, its bytes and everything else its parse reads.

One SQLite file holds pickled parses, read and written in one transaction per load (not a file per post). A key
is made of the reader key (the reader's own code, _config.yml and the parse options), the file's path and its
bytes, so an unchanged file costs a hash and an unpickle instead of a Markdown render. Each parse is kept in two
parts written together: its head (everything but the rendered body) in `parses`, read for every cached file, and
its body in `bodies`, read only when a build uses it (an edit at 10,000 posts reads three bodies, not 10,000).
Anything wrong with the cache is only a miss: a damaged file is rebuilt, a torn entry parsed again.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sqlite3
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from service.content.files import SourceFile
from service.version import __version__

PACKAGE = Path(__file__).resolve().parents[1]
# The code a parse runs: changing any of it makes every cached parse stale.
READER_CODE = ("content", "schemas/front_matter.py")
CACHE_FORMAT = "2"
_IN_CHUNK = 500  # keys per "IN (...)" query: well under SQLite's bound-parameter limit


@functools.cache
def code_fingerprint(parts: tuple[str, ...] = READER_CODE) -> str:
    """Hash the source of the given modules (paths under service/), once per process: the code it runs."""
    digest = hashlib.sha256()
    for name in parts:
        path = PACKAGE / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def config_bytes(content_dir: Path) -> bytes:
    """Return _config.yml as bytes (empty when there is none), the part of the site every parse depends on."""
    config = content_dir / "_config.yml"
    try:
        return config.read_bytes() if config.is_file() else b""
    except OSError:
        return b"unreadable"


def includes_bytes(content_dir: Path) -> bytes:
    """Return every file of _includes/ with its name: a post's body may include any of them."""
    digest = hashlib.sha256()
    includes = content_dir / "_includes"
    for file in sorted(includes.rglob("*")) if includes.is_dir() else []:
        if file.is_file():
            try:
                digest.update(file.relative_to(content_dir).as_posix().encode() + b"\0" + file.read_bytes())
            except OSError:
                digest.update(b"unreadable")
    return digest.digest()


def reader_key(content_dir: Path, image_widths: tuple[int, ...]) -> str:
    """Hash what every post's parse depends on besides its own file: the reader's code, options, _config.yml and
    _includes/ (an edited include re-renders every post)."""
    digest = hashlib.sha256()
    for part in (CACHE_FORMAT, __version__, code_fingerprint(), repr(image_widths)):
        digest.update(part.encode() + b"\0")
    digest.update(config_bytes(content_dir) + b"\0" + includes_bytes(content_dir))
    return digest.hexdigest()


class ParseCache:
    """Pickled parses in one SQLite file under cache_dir; with refresh, nothing is read but fresh parses are kept."""

    FILE = "parses.sqlite3"

    def __init__(self, cache_dir: Path, *, refresh: bool = False) -> None:
        self.path = cache_dir / self.FILE
        self.refresh = refresh
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
        db.execute("CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, stat TEXT NOT NULL, key TEXT NOT NULL)")
        db.execute("SELECT count(*) FROM parses").fetchone()  # fails early on a damaged file
        return db

    @classmethod
    def discard(cls, cache_dir: Path) -> None:
        """Delete the cache file: the next load parses every file and writes it anew."""
        (cache_dir / cls.FILE).unlink(missing_ok=True)

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (the cache is unusable afterwards)."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def get_many(self, keys: set[str]) -> dict[str, Any]:
        """Return the cached heads among keys, unpickled; an entry that cannot be read is left out."""
        found: dict[str, Any] = {}
        if self.db is None or self.refresh:
            return found
        wanted = sorted(keys)
        collecting = gc.isenabled()
        gc.disable()  # thousands of small objects, none of them garbage: the collector's passes cost a third
        try:
            for key, blob in self._rows_in("SELECT key, value FROM parses WHERE key", wanted):
                try:
                    found[key] = pickle.loads(blob)  # noqa: S301 - our own cache, inside the index folder
                except Exception:  # a torn or foreign entry is only a miss
                    continue
        except sqlite3.Error:
            return {}
        finally:
            gc.freeze()  # and kept out of the collector's later passes (a build unfreezes them when it ends)
            if collecting:
                gc.enable()
        return found

    def known_keys(self, paths: Collection[str] | None = None) -> dict[str, tuple[str, str]]:
        """Return each file's last stat line and the key its bytes had then (path -> (stat, key)).

        With paths, only those files' rows are read: an edit of one post need not load a row per site file.
        """
        if self.db is None or self.refresh:
            return {}
        try:
            rows = self.db.execute("SELECT path, stat, key FROM files").fetchall() if paths is None else \
                list(self._rows_in("SELECT path, stat, key FROM files WHERE path", list(paths)))
            return {path: (stat, key) for path, stat, key in rows}
        except sqlite3.Error:
            return {}

    def _rows_in(self, select: str, wanted: list[str]) -> Iterator[tuple[Any, ...]]:
        """Yield the rows of `select ... IN (wanted)`, a chunk at a time (SQLite bounds a statement's parameters;
        one chunk's rows are held at once, not every blob asked for)."""
        assert self.db is not None
        for at in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[at : at + _IN_CHUNK]
            yield from self.db.execute(f"{select} IN ({','.join('?' * len(chunk))})", chunk).fetchall()

    def remember_keys(self, keys: dict[str, tuple[str, str]]) -> None:
        """Keep files' stat lines and keys, so an unchanged file's key is known next time without reading it."""
        if self.db is None or not keys:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO files (path, stat, key) VALUES (?, ?, ?)",
                                    ((path, stat, key) for path, (stat, key) in keys.items()))
        except sqlite3.Error:
            pass

    def body_loader(self, key: str) -> functools.partial[Any]:
        """Return a call that reads the body kept under key (later, after this cache is closed)."""
        return functools.partial(read_body, self.path, key)

    def put_many(self, items: dict[str, tuple[Any, Any]]) -> None:
        """Store new parses, each as its (head, body); a cache that cannot be written only costs time next run."""
        if self.db is None or not items:
            return
        try:
            heads = [(key, pickle.dumps(head, protocol=5)) for key, (head, _) in items.items()]
            bodies = [(key, pickle.dumps(body, protocol=5)) for key, (_, body) in items.items()]
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO parses (key, value) VALUES (?, ?)", heads)
                self.db.executemany("INSERT OR REPLACE INTO bodies (key, value) VALUES (?, ?)", bodies)
        except (sqlite3.Error, pickle.PicklingError):
            pass

    def prune(self, keep: set[str]) -> int:
        """Delete parses the last load did not use; return how many went."""
        if self.db is None:
            return 0
        try:
            with self.db:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM keep")
                self.db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((k,) for k in keep))
                self.db.execute("DELETE FROM bodies WHERE key NOT IN (SELECT key FROM keep)")
                self.db.execute("DELETE FROM files WHERE key NOT IN (SELECT key FROM keep)")
                return self.db.execute("DELETE FROM parses WHERE key NOT IN (SELECT key FROM keep)").rowcount
        except sqlite3.Error:
            return 0


    def forget(self, keys: set[str]) -> None:
        """Delete these parses (a file's previous parse once an edit replaced it): a cheap prune for a few."""
        if self.db is None or not keys:
            return
        try:
            with self.db:
                for table in ("parses", "bodies", "files"):
                    self.db.executemany(f"DELETE FROM {table} WHERE key = ?", ((k,) for k in keys))  # noqa: S608
        except sqlite3.Error:
            pass


class BodyMissing(LookupError):
    """A cached post's body could not be read back: the build stops rather than serve a post without it."""


_READERS = threading.local()  # this thread's connection for read_body: (process id, path, file identity, connection)


def _body_reader(path: Path) -> sqlite3.Connection:
    """Return this thread's open connection to a cache for reading bodies, opening it when none is open to the
    file now at path.

    A full build over a warm cache reads every body, one at a time: opening a connection for each took 595 us
    against 18 for the query (10,000 posts: 6 s). One per thread and process (a connection must not cross a
    fork or be shared by threads), checked against the file's identity, so a cache replaced at the same path
    (a full rebuild in a long-lived process) is not read through a connection to the old one.
    """
    stat = os.stat(path)
    identity = (stat.st_dev, stat.st_ino)
    found = getattr(_READERS, "db", None)
    if found is not None and found[0] == os.getpid() and found[1] == path and found[2] == identity:
        return found[3]
    _forget_body_reader()
    db = sqlite3.connect(path, timeout=30)
    _READERS.db = (os.getpid(), path, identity, db)
    return db


def _forget_body_reader() -> None:
    found = getattr(_READERS, "db", None)
    _READERS.db = None
    if found is not None and found[0] == os.getpid():
        with contextlib.suppress(sqlite3.Error):
            found[3].close()


def _body_row(path: Path, key: str) -> Any:
    # every row fetched, so the statement is done and holds no read lock on the cache between reads
    rows = _body_reader(path).execute("SELECT value FROM bodies WHERE key = ?", (key,)).fetchall()
    return rows[0] if rows else None


def read_body(path: Path, key: str) -> dict[str, Any]:
    """Read one cached body (a post read from the cache asks for it on first use of a body field)."""
    try:
        try:
            row = _body_row(path, key)
        except sqlite3.Error:
            _forget_body_reader()  # a kept connection gone bad: once more with a fresh one
            row = _body_row(path, key)
        if row is None:
            raise BodyMissing(key)
        body = pickle.loads(row[0])  # noqa: S301 - our own cache, inside the index folder
    except (OSError, sqlite3.Error, pickle.UnpicklingError, EOFError) as exc:
        raise BodyMissing(key) from exc
    if not isinstance(body, dict):
        raise BodyMissing(key)
    return body


def file_keys(sources: list[SourceFile], key: str, cache: ParseCache) -> list[str | None]:
    """Name each file's parse; a file whose size, times and inode are as last time keeps its key, unread.

    The stat is taken before the bytes are read, so a write in between leaves a stale stat line: read again next time.
    """
    few = len(sources) <= _IN_CHUNK  # a few files (an edit): their own rows; a scan: every row at once
    known, learnt, found = cache.known_keys([s.path for s in sources] if few else None), {}, []
    for source in sources:
        try:
            st = os.stat(source.abs_path)
            line = f"{key}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0{st.st_dev}"
        except (OSError, ValueError):
            line = None
        was = known.get(source.path)
        if line is not None and was is not None and was[0] == line:
            found.append(was[1])
            continue
        found.append(file_key(source, key))
        if line is not None and found[-1] is not None:
            learnt[source.path] = (line, found[-1])
    cache.remember_keys(learnt)
    return found


def file_key(source: SourceFile, key: str) -> str | None:
    """Name a file's parse by everything it depends on; None when the file cannot be read (the parse says why)."""
    try:
        raw = source.abs_path.read_bytes()
        stamp = source.abs_path.stat().st_mtime_ns if source.draft else 0  # undated drafts take the file's mtime
    except (OSError, RuntimeError):
        return None
    return hashlib.sha256(f"{key}\0{source.path}\0{stamp}\0".encode() + raw).hexdigest()
