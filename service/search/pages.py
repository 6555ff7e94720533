"""Finished post bodies stored beside a build, keyed by slug: serving one uncached post is one read.

Bodies live in append-only files (`pages-N.bin`) under an index (`pages.json`: the slugs and, in lists beside
them, each body's file, offset and length). An incremental build hard-links the previous build's files and appends
only the bodies that changed, so its cost follows the change; once dead bytes outweigh live ones the files are
written afresh. Reads use pread, not a mapping, so a worker's resident memory does not grow with the posts it
has served (the page cache is shared).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from service.layout import BuildLayout, read_json, write_json_atomic
from service.search.models import Manifest
from service.search.shared import per_build

INDEX = "pages.json"
INDEX_FORMAT = 2  # {"format", "slugs", "files", "offsets", "lengths"}: flat lists, one place per slug
MAX_FILES = 8  # appended files before a build writes every body afresh
Entry = tuple[int, int, int]  # a body's file number, offset and length
_COLUMNS = ("slugs", "files", "offsets", "lengths")
_FILE_BITS, _LENGTH_BITS = 8, 40
_FILE_MASK, _LENGTH_MASK = (1 << _FILE_BITS) - 1, (1 << _LENGTH_BITS) - 1
_LENGTH_SHIFT, _OFFSET_SHIFT = _FILE_BITS, _FILE_BITS + _LENGTH_BITS


def _file(build_dir: Path, number: int) -> Path:
    return build_dir / f"pages-{number}.bin"


@dataclass
class _Index:
    """A build's index as stored: the slugs and, at the same places, each body's file, offset and length."""

    slugs: list[str] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def columns(self) -> tuple[list[Any], ...]:
        return self.slugs, self.files, self.offsets, self.lengths

    def keep(self, places: Iterable[int]) -> _Index:
        taken = list(places)
        return _Index(*([column[at] for at in taken] for column in self.columns()))

    def without(self, slugs: Collection[str]) -> _Index:
        """A copy without these slugs' entries: a few list deletions in C, not a loop over every entry."""
        places = []
        for slug in set(slugs):
            with contextlib.suppress(ValueError):  # not in the index
                places.append(self.slugs.index(slug))
        left = _Index(*(list(column) for column in self.columns()))
        places.sort(reverse=True)
        for at in places:
            for column in left.columns():
                del column[at]
        return left

    def add(self, slug: str, number: int, offset: int, length: int) -> None:
        for column, value in zip(self.columns(), (slug, number, offset, length), strict=True):
            column.append(value)


def write_pages(build_dir: Path, bodies: Mapping[str, bytes], base_dir: Path | None = None,
                keep: Iterable[str] | None = None, drop: Collection[str] = ()) -> int:
    """Write bodies (slug -> bytes) into build_dir, carrying over the base build's bodies of the `keep` slugs
    (None: every one but those in bodies and in drop, from one read of the base's index).

    Returns the number of bodies written (not carried over).
    """
    entries = _Index()
    number = 0
    build_dir.mkdir(parents=True, exist_ok=True)  # (an edit's index may be written into it at the same time)
    base = _read_columns(base_dir) if base_dir is not None else None
    if base is not None:
        if keep is None:
            kept = base.without([*bodies, *drop])
        else:
            where = dict(zip(base.slugs, range(len(base.slugs)), strict=True))
            kept = base.keep(where[slug] for slug in keep if slug in where and slug not in bodies)
        files = set(kept.files)
        sizes = {n: _file(base_dir, n).stat().st_size for n in files if _file(base_dir, n).exists()}  # type: ignore[arg-type]
        if len(sizes) == len(files) and len(files) < MAX_FILES and sum(kept.lengths) * 2 >= sum(sizes.values()):
            for n in files:
                _link(_file(base_dir, n), _file(build_dir, n))  # type: ignore[arg-type]
            entries = kept
            number = max(files, default=-1) + 1
        else:  # too many files or too much dead weight: copy the kept bodies into the new file
            carried = {slug: _read(base_dir, (n, offset, length))  # type: ignore[arg-type]
                       for slug, n, offset, length in zip(*kept.columns(), strict=True)}
            bodies = {**carried, **bodies}
    offset = 0
    with open(_file(build_dir, number), "wb") as out:
        for slug, body in bodies.items():
            out.write(body)
            entries.add(slug, number, offset, len(body))
            offset += len(body)
    # Flat lists, not a list per slug: an edit carries 100,000 entries over without making an object of each.
    columns = dict(zip(_COLUMNS, entries.columns(), strict=True))
    write_json_atomic(build_dir / INDEX, {"format": INDEX_FORMAT, **columns})
    return len(bodies)


def read_order(build_dir: Path) -> list[str] | None:
    """Return the ids of a build's posts, newest first, from its manifest (None when unreadable)."""
    manifest = Manifest.from_json(read_json(BuildLayout(build_dir).manifest))
    return manifest.order if manifest is not None and isinstance(manifest.order, list) else None


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # no hard links here: a copy is slower but as safe
        shutil.copy2(source, target)


def _read_columns(build_dir: Path | None) -> _Index | None:
    """A build's index with every entry valid (a bad one left out); None when it is missing or unreadable."""
    if build_dir is None:
        return None
    try:
        found = orjson.loads((build_dir / INDEX).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(found, dict) or found.get("format") != INDEX_FORMAT:
        return None
    index = _Index(*(found.get(name) for name in _COLUMNS))
    if not all(isinstance(c, list) and len(c) == len(index.slugs) for c in index.columns()):
        return None
    files, offsets, lengths = index.files, index.offsets, index.lengths
    try:  # every entry checked at once (min, max and map run in C); a build with a bad one is checked one by one
        if not files or (min(files) >= 0 and max(files) <= _FILE_MASK and min(offsets) >= 0
                         and min(lengths) >= 0 and max(lengths) <= _LENGTH_MASK
                         and {int} == set(map(type, files)) | set(map(type, offsets)) | set(map(type, lengths))):
            return index
    except TypeError:  # a value that is not a number
        pass
    return index.keep(at for at, entry in enumerate(zip(files, offsets, lengths, strict=True)) if _valid(*entry))


def _read(build_dir: Path, entry: Entry) -> bytes:
    with open(_file(build_dir, entry[0]), "rb") as f:
        return os.pread(f.fileno(), entry[2], entry[1])


class Pages:
    """The stored bodies of one build, read with pread through file descriptors opened once.

    One store per build and process, shared by every thread and the post front: its index of 10,000 slugs took
    9 MB as JSON lists, once per thread. Each entry is packed into one int (offset, length, file number). The
    descriptors are closed when the last user lets go of the store, never under a thread still reading.
    """

    def __init__(self, build_dir: Path, index: _Index) -> None:
        self._dir = build_dir
        self._entries = {slug: _pack(n, offset, length)
                         for slug, n, offset, length in zip(*index.columns(), strict=True)}
        self._fds: dict[int, int] = {}
        self._lock = threading.Lock()

    def get(self, slug: str) -> bytes | None:
        packed = self._entries.get(slug)
        if packed is None:
            return None
        number, offset, length = _unpack(packed)
        fd = self._fds.get(number)
        if fd is None:
            with self._lock:
                fd = self._fds.get(number)
                if fd is None:
                    try:
                        fd = self._fds[number] = os.open(_file(self._dir, number), os.O_RDONLY)
                    except OSError:
                        return None
        return os.pread(fd, length, offset)

    def __len__(self) -> int:
        return len(self._entries)

    def __del__(self, _close: Any = os.close) -> None:  # bound now: at interpreter exit `os` may be gone
        for fd in getattr(self, "_fds", {}).values():
            _close(fd)


def _valid(number: Any, offset: Any, length: Any) -> bool:
    return isinstance(number, int) and isinstance(offset, int) and isinstance(length, int) \
        and 0 <= number <= _FILE_MASK and offset >= 0 and 0 <= length <= _LENGTH_MASK


def _pack(number: int, offset: int, length: int) -> int:
    return offset << _OFFSET_SHIFT | length << _LENGTH_SHIFT | number


def _unpack(packed: int) -> tuple[int, int, int]:
    """A packed entry's file number, offset and length."""
    return packed & _FILE_MASK, packed >> _OFFSET_SHIFT, (packed >> _LENGTH_SHIFT) & _LENGTH_MASK


def open_pages(build_dir: Path) -> Pages:
    """Return this process' store of a build's stored bodies; a build without them answers None for every slug."""
    try:
        stamp = (build_dir / INDEX).stat().st_ino  # a build written again under the same name is another store
    except OSError:
        stamp = 0
    return per_build(build_dir, stamp, "pages", lambda: Pages(build_dir, _read_columns(build_dir) or _Index()))
