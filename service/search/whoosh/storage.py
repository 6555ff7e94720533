"""Mapped-read storage: Whoosh's compound files read in place from the mapping instead of copied per worker."""

from __future__ import annotations

from typing import Any

from whoosh.filedb import compound as _compound
from whoosh.filedb import structfile as _structfile


class _MappedReader:
    """A read-only file over a memoryview: reads copy only what they return, never the whole view."""

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
    """Whoosh's BufferFile wraps each mapped sub-file in BytesIO, which copies it into every worker's heap.

    Reading the mapping in place keeps a worker's memory flat as the index grows and lets workers share the pages.
    """

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MappedReader(memoryview(buf))


def install() -> None:
    """Make compound storage build mapped sub-files that read in place; called whenever an index is opened."""
    _compound.BufferFile = _MappedBufferFile  # the class compound storage builds for each mapped sub-file
