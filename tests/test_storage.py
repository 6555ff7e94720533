"""Whoosh storage: segments read with pread (never mapped), the readers behave like files without copying."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from whoosh.filedb.structfile import BufferFile

from service.search.whoosh.storage import _MappedBufferFile, _MappedReader, read_at


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


def test_pread_view_slices_like_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from service.search.whoosh.storage import _PreadView

    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 4
    path.write_bytes(b"HEAD" + data + b"TAIL")
    fd = os.open(path, os.O_RDONLY)
    try:
        view = _PreadView(fd, 4, len(data))
        assert len(view) == len(data)
        for start, stop in ((0, 10), (250, 300), (1000, 5000), (-6, None), (None, 3), (7, 7), (9, 2)):
            assert view[start:stop] == data[start:stop], (start, stop)
        reader = _MappedReader(view)
        assert reader.read(4) == data[:4] and reader.seek(-2, 2) == len(data) - 2 and reader.read() == data[-2:]
        for start, length in ((0, 10), (250, 50), (1020, 10), (1024, 4), (3, 0)):  # exact reads stop at the end
            assert view.exact(start, length) == data[start:start + length], (start, length)
            assert read_at(_MappedBufferFile(view), start, length) == data[start:start + length]
        assert read_at(BufferFile(data), 250, 50) == data[250:300]  # a file Whoosh opened itself
    finally:
        os.close(fd)


def test_a_searched_index_maps_none_of_its_segments(sample_app) -> None:  # type: ignore[no-untyped-def]
    client = sample_app.test_client()
    for q in ("the", "design", "data government", "goverment"):
        assert client.get(f"/api/search?q={q}").status_code == 200
    assert client.get("/api/posts?per_page=5").status_code == 200
    index = sample_app.extensions["broadsheet.index"].get()
    maps = Path("/proc/self/maps").read_text()
    segments = [p.name for p in index.path.iterdir() if p.suffix == ".seg"]
    assert segments and not any(name in maps for name in segments)  # read with pread: not in resident memory


def test_chunked_pread_view_answers_every_slice_like_bytes_even_shared_by_threads(tmp_path: Path) -> None:
    import os
    import random
    import threading

    from service.search.whoosh.storage import CHUNK, _PreadView

    rng = random.Random(5)
    data = rng.randbytes(3 * CHUNK + 123)
    path = tmp_path / "segment.bin"
    path.write_bytes(b"x" * 17 + data + b"y" * 9)
    fd = os.open(path, os.O_RDONLY)
    wrong: list[tuple[int, int]] = []
    view = _PreadView(fd, 17, len(data))

    def read(seed: int) -> None:
        pick = random.Random(seed)
        for _ in range(3000):
            start = pick.randrange(len(data))
            # tiny sequential pieces (Whoosh's own pattern), pieces across a chunk's end, and reads over a chunk
            stop = start + pick.choice((1, 2, 4, 9, CHUNK - 1, CHUNK, CHUNK + 5, len(data)))
            if view[start:stop] != data[start:stop]:
                wrong.append((start, stop))

    try:
        readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        assert view[len(data) - 3 :] == data[-3:] and view[5:5] == b""
    finally:
        os.close(fd)
    assert wrong == []
