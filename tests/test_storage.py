"""Whoosh storage: the memory-mapped reader behaves like a file without copying the whole view."""

from __future__ import annotations

import io
import pickle

from service.search.whoosh.storage import _MappedReader


def test_mapped_reader_reads_like_a_file_without_copying_the_whole_view() -> None:
    data = b"first line\nsecond\n" + pickle.dumps({"terms": [1, 2, 3]}, protocol=0) + b"tail"
    mapped, plain = _MappedReader(memoryview(data)), io.BytesIO(data)
    assert mapped.readline() == plain.readline() == b"first line\n"
    assert mapped.readline(3) == plain.readline(3) == b"sec"
    assert mapped.readline() == plain.readline()
    assert pickle.load(mapped) == pickle.load(plain) == {"terms": [1, 2, 3]}
    assert mapped.read() == plain.read() == b"tail"
    assert mapped.seek(-4, 2) == plain.seek(-4, 2) and mapped.read(2) == plain.read(2) == b"ta"
    assert mapped.seek(1, 1) == plain.seek(1, 1) and mapped.tell() == plain.tell()
