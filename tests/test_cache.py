"""The parse cache: heads read for every file, bodies only when used, and file keys known from a stat."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from service.content.cache import BodyMissing, ParseCache, file_key, file_keys, read_body
from service.content.files import SourceFile
from service.content.loader import load_content
from service.content.models import BODY_FIELDS
from service.indexing import reindex
from service.search.documents import post_record
from tests.helpers import served_client, write_post


def _two_posts(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-alpha.md", "title: Alpha", "Alpha *heron* [link](https://a.test).\n\n## Part\n")
    write_post(content_dir, "2024-02-01-beta.md", "title: Beta", "Beta kestrel.\n")


def test_a_cached_post_reads_its_body_only_when_used(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    fresh = load_content(content_dir)
    with ParseCache(tmp_path / "cache") as cache:
        load_content(content_dir, cache=cache)
    with ParseCache(tmp_path / "cache") as cache:
        cached = load_content(content_dir, cache=cache)
    assert cached.parsed == 0
    for post, expected in zip(cached.posts, fresh.posts, strict=True):
        assert not set(BODY_FIELDS) & post.__dict__.keys(), "the body was read with the head"
        assert post.body_digest() == expected.body_digest()  # known without reading the body
        assert post_record(post, body=False) == post_record(expected, body=False)
        assert not set(BODY_FIELDS) & post.__dict__.keys()
        assert post_record(post) == post_record(expected)  # the body comes on first use, after the cache closed
        assert "_body" not in post.__dict__ and post.body_digest() == expected.body_digest()


def test_a_changed_body_changes_the_digest(content_dir: Path) -> None:
    _two_posts(content_dir)
    first = load_content(content_dir).posts[1]
    write_post(content_dir, "2024-01-01-alpha.md", "title: Alpha", "Alpha *heron* [link](https://b.test).\n\n## Part\n")
    assert load_content(content_dir).posts[1].body_digest() != first.body_digest()


def test_an_unchanged_file_keeps_its_key_without_being_read(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    path = content_dir / "_posts" / "2024-01-01-alpha.md"
    sources = [SourceFile("_posts/2024-01-01-alpha.md", path)]
    with ParseCache(tmp_path / "cache") as cache:
        (key,) = file_keys(sources, "reader", cache)
        assert cache.db is not None
        with cache.db:
            cache.db.execute("UPDATE files SET key = 'remembered'")
        assert file_keys(sources, "reader", cache) == ["remembered"], "an unchanged file was read again"
        assert file_keys(sources, "other reader", cache) == [file_key(sources[0], "other reader")]  # read again
        assert file_keys(sources, "reader", cache) == [key]
        with cache.db:
            cache.db.execute("UPDATE files SET key = 'remembered'")
        stat = path.stat()
        path.write_bytes(path.read_bytes().replace(b"Alpha", b"Omega"))  # same size, mtime set back
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        (changed,) = file_keys(sources, "reader", cache)
        assert changed not in (key, "remembered"), "a rewrite with the old size and mtime kept its key"


def test_known_keys_for_a_few_paths_reads_only_their_rows(content_dir: Path, tmp_path: Path) -> None:
    _two_posts(content_dir)
    sources = [SourceFile(f"_posts/{name}", content_dir / "_posts" / name)
               for name in ("2024-01-01-alpha.md", "2024-02-01-beta.md")]
    with ParseCache(tmp_path / "cache") as cache:
        keys = file_keys(sources, "reader", cache)
        everything = cache.known_keys()
        assert set(everything) == {s.path for s in sources}
        asked = cache.known_keys([sources[1].path, "_posts/never-seen.md"])
        assert asked == {sources[1].path: everything[sources[1].path]}
        assert cache.known_keys([]) == {}
        assert [everything[s.path][1] for s in sources] == keys


def _built_then_damaged(content_dir: Path, tmp_path: Path, damage: str) -> Path:
    """Index two posts, then run one SQL statement on the parse cache; return the index folder."""
    _two_posts(content_dir)
    index = tmp_path / "index"
    reindex(content_dir, index)
    with sqlite3.connect(index / "cache" / ParseCache.FILE) as db:
        db.execute(damage)
    db.close()
    return index


def test_a_torn_body_is_parsed_again(content_dir: Path, tmp_path: Path) -> None:
    index = _built_then_damaged(content_dir, tmp_path, "UPDATE bodies SET value = x'00ff'")
    write_post(content_dir, "2024-02-01-beta.md", "title: Beta", "Beta kestrel, edited.\n")
    summary = reindex(content_dir, index)  # alpha's body is needed (beta's neighbour) and cannot be read
    assert summary.posts == 2 and summary.parsed == 2, summary.line()
    client = served_client(content_dir, index)
    assert "<em>heron</em>" in client.get("/api/posts/alpha").get_json()["html"]
    assert "edited" in client.get("/api/posts/beta").get_json()["html"]
    assert reindex(content_dir, index).mode == "unchanged"


def test_a_missing_body_is_only_a_miss(content_dir: Path, tmp_path: Path) -> None:
    index = _built_then_damaged(content_dir, tmp_path,
                                "DELETE FROM bodies WHERE rowid = (SELECT min(rowid) FROM bodies)")
    write_post(content_dir, "2024-03-01-gamma.md", "title: Gamma", "Gamma wren.\n")
    summary = reindex(content_dir, index)  # every body is needed (all are gamma's neighbours or gamma)
    assert summary.posts == 3 and summary.parsed == 3, summary.line()
    fresh = reindex(content_dir, tmp_path / "fresh", full=True)
    assert summary.build_id == fresh.build_id


def test_bodies_are_read_through_one_kept_connection_until_the_cache_is_replaced(tmp_path: Path) -> None:
    from service.content import cache as cache_module

    def write(body: dict[str, str]) -> None:
        with ParseCache(tmp_path / "cache") as cache:
            cache.put_many({"k": ({"head": 1}, body)})

    path = tmp_path / "cache" / ParseCache.FILE
    write({"text": "first"})
    assert read_body(path, "k") == {"text": "first"}
    kept = cache_module._READERS.db[3]
    assert read_body(path, "k") == {"text": "first"} and cache_module._READERS.db[3] is kept
    ParseCache.discard(tmp_path / "cache")  # a new cache file at the same path, as a rebuild writes
    write({"text": "second"})
    assert read_body(path, "k") == {"text": "second"}
    assert cache_module._READERS.db[3] is not kept
    with pytest.raises(BodyMissing):
        read_body(path, "no-such-key")
    ParseCache.discard(tmp_path / "cache")
    with pytest.raises(BodyMissing):  # no cache at all: reported, and no empty database made in its place
        read_body(path, "k")
    assert not path.exists()
