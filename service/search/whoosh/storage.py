"""Read storage: Whoosh's compound segment files read with pread, neither copied per worker nor mapped.

Whoosh copies each sub-file of a segment into the heap (BytesIO), or, mapped, reads it in place: then every page
a worker ever touched counts in its resident memory (at 10,000 posts a worker reached 750 MB, 580 MB of it file
pages). Reading with pread leaves those pages in the kernel's page cache, shared by every worker and replica on the
machine, and a worker's own memory is what it allocates.
"""

from __future__ import annotations

import os
from typing import Any

from whoosh.codec import base as _codec_base
from whoosh.filedb import compound as _compound
from whoosh.filedb import structfile as _structfile
from whoosh.filedb.filestore import StorageError

CHUNK = 8192  # bytes one pread fetches ahead: Whoosh reads a posting list as hundreds of 1-16 byte pieces


class _PreadView:
    """A slice-able view of one sub-file of an open file, read with pread a chunk at a time.

    Whoosh asks for a posting list's headers and blocks in pieces of a few bytes (about 1,000 reads a search at
    10,000 posts, half of them one byte long). Each pread lets go of the interpreter lock, and with several threads
    a worker spent more on handing the lock over than on searching (4 threads: 18 ms of CPU a search against 7 with
    one). So each read fetches the chunk from its offset on, and reads that fall in the last chunk are sliced from
    it. The segment files never change once written, so a chunk is never stale; the chunk and its offset are one
    tuple, swapped whole, so threads sharing a view never mix two chunks.
    """

    __slots__ = ("_chunk", "_fd", "_length", "_offset")

    def __init__(self, fd: int, offset: int, length: int) -> None:
        self._fd, self._offset, self._length = fd, offset, length
        self._chunk: tuple[int, bytes] = (0, b"")

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: slice) -> bytes:
        start, stop, _ = key.indices(self._length)
        if stop <= start:
            return b""
        at, chunk = self._chunk
        if at <= start and stop <= at + len(chunk):
            return chunk[start - at : stop - at]
        if stop - start >= CHUNK:
            return os.pread(self._fd, stop - start, self._offset + start)
        chunk = os.pread(self._fd, min(CHUNK, self._length - start), self._offset + start)
        self._chunk = (start, chunk)
        return chunk[: stop - start]


    def exact(self, start: int, length: int) -> bytes:
        """Return length bytes from start in one pread of exactly them (no read-ahead, no chunk kept)."""
        stop = min(self._length, start + length)
        return os.pread(self._fd, stop - start, self._offset + start) if stop > start else b""


def read_at(f: Any, position: int, length: int) -> bytes:
    """Read length bytes at position of a segment's sub-file: exactly those with one pread where it is read with
    pread (a term's raw arrays are read whole, once: a read-ahead chunk there is only a larger copy), else as
    Whoosh reads it."""
    view = getattr(f, "_buf", None)
    if isinstance(view, _PreadView):
        return view.exact(position, length)
    return bytes(f.get(position, length))


class _MappedReader:
    """A read-only file over a view (a memoryview or a _PreadView): reads copy only what they return."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = end
        return data

    def readline(self, size: int = -1) -> bytes:
        limit = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        end = self._pos
        while end < limit:  # look in small chunks: pickle asks for short lines, the view may be large
            chunk = bytes(self._view[end : min(limit, end + 256)])
            at = chunk.find(b"\n")
            if at >= 0:
                end += at + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else len(self._view) + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")


class _MappedBufferFile(_structfile.BufferFile):
    """Whoosh's BufferFile wraps each sub-file in BytesIO, which copies it into every worker's heap: read in place."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MappedReader(buf if isinstance(buf, _PreadView) else memoryview(buf))


class _PreadCompoundStorage(_compound.CompoundStorage):
    """A segment's compound file kept open (not mapped), its sub-files read with pread."""

    def __init__(self, dbfile: Any, use_mmap: bool = True, basepos: int = 0) -> None:
        super().__init__(dbfile, use_mmap=False, basepos=basepos)

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.is_closed:
            raise StorageError("Storage was closed")
        offset, length = self.range(name)
        return _MappedBufferFile(_PreadView(self._file.fileno(), offset, length), name=name)


def install() -> None:
    """Make segments open as pread compound storage; called whenever an index is opened (never by a writer)."""
    _compound.BufferFile = _MappedBufferFile  # the class compound storage builds for each mapped sub-file
    _codec_base.CompoundStorage = _PreadCompoundStorage  # what a segment opens its compound file with
