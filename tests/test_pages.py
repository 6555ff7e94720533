"""Post bodies stored at index time are byte for byte what the API computes, and incremental builds keep them true."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from service.indexing import reindex
from service.schemas.compiled import MEDIA_MARK, SITE_MARK, compile_schema, finish
from service.schemas.responses import PostSchema
from service.search import current_build_dir
from service.search.pages import open_pages
from tests.helpers import REPO, indexed_app, write_post


def _computed(client: Any, slug: str) -> Any:
    """The body the slow path answers (fields= names every key, so the stored body is not used)."""
    keys = ",".join(PostSchema().dump_fields)
    return client.get(f"/api/posts/{slug}?fields={keys}")


def _check_every_post(app: Any) -> int:
    client = app.test_client()
    index = app.extensions["broadsheet.index"].get()
    every = [index.get_post_by_id(post_id)["slug"] for post_id in index.manifest.order]
    slugs = [slug for slug in every if every.count(slug) == 1]  # a shared slug is served the slow way
    assert len(index._pages) == len(slugs)
    for slug in slugs:
        stored, computed = client.get(f"/api/posts/{slug}"), _computed(client, slug)
        assert stored.status_code == computed.status_code == 200
        assert stored.data == computed.data, slug
        assert stored.headers["Content-Type"] == computed.headers["Content-Type"]
        assert stored.headers["ETag"] and stored.headers["X-Content-Build"] == computed.headers["X-Content-Build"]
    return len(slugs)


def test_stored_bodies_equal_the_computed_answer(sample_app: Any) -> None:
    assert _check_every_post(sample_app) >= 10


def test_stored_bodies_equal_the_computed_answer_on_a_real_blog(corpus_app: Callable[..., Any]) -> None:
    app = corpus_app("18f-blog", PUBLIC_URL="https://api.example", SITE_URL="https://18f.example")
    assert _check_every_post(app) > 400


def test_absolute_urls_follow_the_served_settings_not_the_build(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    reindex(REPO / "content", index_dir)
    bodies = []
    for base in ("https://one.example", "https://two.example/blog"):
        app = indexed_app(REPO / "content", index_dir, skip_reindex=True, PUBLIC_URL=base + "/api", SITE_URL=base)
        slug = app.test_client().get("/api/posts?per_page=1").get_json()["items"][0]["slug"]
        body = app.test_client().get(f"/api/posts/{slug}").get_json()
        assert body["url"].startswith(base + "/") and body["next"] is None or body["url"].startswith(base)
        assert SITE_MARK not in str(body) and MEDIA_MARK not in str(body)
        bodies.append(body)
    assert bodies[0]["url"] != bodies[1]["url"]


def test_compiled_schema_dumps_like_marshmallow() -> None:
    record = {"slug": "a", "title": 3, "date": "2024-01-01", "url": "/a/", "categories": [{"name": "N", "slug": "n"}],
              "tags": [], "excerpt": None, "reading_time": 2.0, "word_count": "7", "extra": "dropped",
              "image": {"id": "i", "src": "x.png", "url": "/media/x.png", "alt": "", "title": None, "local": True,
                        "variants": [{"width": 320, "height": 200, "url": "/media/x.png?w=320"}]},
              "meta": {"x": 1}, "prev": None, "next": {"slug": "b", "title": "B", "url": "https://elsewhere/b"}}
    config = {"SITE_URL": "https://blog.example", "PUBLIC_URL": "https://api.example"}
    app = Flask("compiled")
    app.config.update(config)
    with app.app_context():
        expected = PostSchema().dump(record)
    assert orjson.loads(finish(orjson.dumps(compile_schema(PostSchema)(record)), config)) == expected
    assert expected["image"]["srcset"] == "https://api.example/media/x.png?w=320 320w"


def test_incremental_build_rewrites_the_edited_post_and_its_neighbours(content_dir: Path, tmp_path: Path) -> None:
    for day in range(1, 8):
        write_post(content_dir, f"2024-01-0{day}-day-{day}.md", f"title: Day {day}", f"Body of day {day}.\n")
    index_dir = tmp_path / "index"
    reindex(content_dir, index_dir)
    first = open_pages(current_build_dir(index_dir))
    write_post(content_dir, "2024-01-04-day-4.md", "title: Day four, edited", "An edited body.\n")
    summary = reindex(content_dir, index_dir)
    assert summary.mode == "incremental"
    _check_every_post(indexed_app(content_dir, index_dir, skip_reindex=True))
    second = open_pages(current_build_dir(index_dir))
    changed = {slug for slug in (f"day-{d}" for d in range(1, 8)) if first.get(slug) != second.get(slug)}
    assert changed == {"day-3", "day-4", "day-5"}
    assert orjson.loads(second.get("day-5"))["prev"]["title"] == "Day four, edited"


def test_every_thread_reads_one_store_and_one_manifest(sample_app: Any) -> None:
    holder = sample_app.extensions["broadsheet.index"]
    opened: list[Any] = []
    workers = [threading.Thread(target=lambda: opened.append(holder.get())) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    first, second = opened
    assert first is not second  # each thread has its own searcher ...
    assert first._pages is second._pages and first.manifest is second.manifest  # ... and shares what never changes
    slug = first.get_post_by_id(first.manifest.order[0])["slug"]
    assert first.post_page(slug) == second.post_page(slug) is not None


def test_a_store_skips_entries_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "pages-0.bin").write_bytes(b'{"a":1}{"b":2}')
    slugs = ["a", "b", "negative", "text", "missing-file"]
    index = {"format": 2, "slugs": slugs, "files": [0, 0, 0, "0", 3], "offsets": [0, 7, -1, 0, 0],
             "lengths": [7, 7, 3, 1, 7]}
    (tmp_path / "pages.json").write_bytes(orjson.dumps(index))
    store = open_pages(tmp_path)
    assert (store.get("a"), store.get("b")) == (b'{"a":1}', b'{"b":2}')
    assert [store.get(slug) for slug in ("negative", "text", "missing-file", "absent")] == [None] * 4
    assert len(store) == 3  # the missing file's entry is kept: its read answers None
    torn = tmp_path / "torn"
    torn.mkdir()
    (torn / "pages.json").write_bytes(orjson.dumps({**index, "lengths": [7]}))  # columns of unequal length
    assert len(open_pages(torn)) == 0
