"""Reindexing: incremental builds, build ids replicas agree on, the writer lock and old-build cleanup."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import orjson
import pytest

from service.content.cache import ParseCache
from service.content.loader import load_content
from service.indexing import (
    ReindexBusy,
    acquire_lock,
    last_reindex,
    lock_is_free,
    reindex,
    reindex_lock,
    release_lock,
    remove_old_builds,
)
from service.layout import IndexLayout
from service.search import current_build_dir
from service.search.documents import post_record
from tests.helpers import REPO, build_vocabulary, comparable, indexed_app, served_client, write_post

ENDPOINTS = ("/api/posts", "/api/posts?page=2&per_page=3", "/api/categories", "/api/quotes", "/api/images",
             "/api/search?q=river", "/api/search?q=council&facets=category,year", "/api/posts/beta",
             "/api/posts/epsilon/related")


def _three_posts(content: Path) -> None:
    write_post(content, "2024-01-01-alpha.md", "title: Alpha heron\ncategories: [Birds]", "Herons nest here.\n")
    write_post(content, "2024-02-01-beta.md", "title: Beta budget\ncategories: [Council]", "The council budget vote.\n")
    write_post(content, "2024-03-01-gamma.md", "title: Gamma tram\ncategories: [Transport]", "> Trams run late.\n")


def _slugs(index: Path, content: Path) -> list[str]:
    body = served_client(content, index).get("/api/posts?per_page=100").get_json()
    return [item["slug"] for item in body["items"]]


def test_second_run_without_changes_reuses_the_build(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    first = reindex(content_dir, tmp_path / "index")
    second = reindex(content_dir, tmp_path / "index")
    assert first.mode == "full" and first.parsed == 3
    assert second.reused and second.build_id == first.build_id and second.parsed == 0


def test_edit_add_delete_update_only_those_posts(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    _three_posts(content_dir)
    reindex(content_dir, index)
    write_post(content_dir, "2024-02-01-beta.md", "title: Beta budget revised\ncategories: [Council]", "New vote.\n")
    write_post(content_dir, "2024-04-01-delta.md", "title: Delta ferry", "Ferries are back.\n")
    (content_dir / "_posts" / "2024-01-01-alpha.md").unlink()
    summary = reindex(content_dir, index)
    assert summary.mode == "incremental", summary.line()
    assert (summary.updated, summary.added, summary.removed, summary.parsed) == (1, 1, 1, 2)
    assert _slugs(index, content_dir) == ["delta", "gamma", "beta"]
    client = served_client(content_dir, index)
    assert client.get("/api/posts/beta").get_json()["title"] == "Beta budget revised"
    assert client.get("/api/posts/alpha").status_code == 404
    assert client.get("/api/search?q=heron").get_json()["total"] == 0
    assert [h["slug"] for h in client.get("/api/search?q=ferries").get_json()["items"]] == ["delta"]


def test_incremental_and_full_builds_of_the_same_content_are_the_same_build(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    reindex(content_dir, tmp_path / "steps")
    write_post(content_dir, "2024-02-01-beta.md", "title: Beta budget\ncategories: [Council, Money]", "Changed.\n")
    write_post(content_dir, "2024-05-01-epsilon.md", "title: Epsilon", "A river walk.\n> River quote.\n")
    (content_dir / "_posts" / "2024-01-01-alpha.md").unlink()
    stepped = reindex(content_dir, tmp_path / "steps")
    fresh = reindex(content_dir, tmp_path / "fresh", full=True)
    assert stepped.mode == "incremental" and fresh.mode == "full"
    assert stepped.build_id == fresh.build_id
    one, two = (served_client(content_dir, tmp_path / name) for name in ("steps", "fresh"))
    for url in ENDPOINTS:
        a, b = one.get(url), two.get(url)
        assert a.status_code == b.status_code == 200, url
        assert comparable(a.get_json()) == comparable(b.get_json()), url
        assert a.headers.get("ETag") == b.headers.get("ETag"), url
    assert one.get("/healthz").get_json()["build_id"] == two.get("/healthz").get_json()["build_id"]
    steps, fresh = build_vocabulary(tmp_path / "steps"), build_vocabulary(tmp_path / "fresh")
    assert steps == fresh, "completions and corrections differ"


def test_config_change_forces_a_full_build(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    reindex(content_dir, tmp_path / "index")
    (content_dir / "_config.yml").write_text("permalink: /:title/\n")
    summary = reindex(content_dir, tmp_path / "index")
    assert summary.mode == "full" and summary.parsed == 3
    assert served_client(content_dir, tmp_path / "index").get("/api/posts/beta").get_json()["url"].endswith(
        "/beta/")


def test_full_flag_parses_every_file(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    reindex(content_dir, tmp_path / "index")
    write_post(content_dir, "2024-04-01-delta.md", "title: Delta", "Body.\n")
    summary = reindex(content_dir, tmp_path / "index", full=True)
    assert summary.mode == "full" and summary.parsed == 4 and summary.added == 1


def test_a_replaced_image_invalidates_the_cached_parse(content_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    (content_dir / "assets").mkdir()
    Image.new("RGB", (40, 20)).save(content_dir / "assets" / "pic.png")
    write_post(content_dir, "2024-01-01-pic.md", "title: Pic\nimage: /assets/pic.png", "Body.\n")
    reindex(content_dir, tmp_path / "index")
    time.sleep(0.01)
    Image.new("RGB", (60, 30)).save(content_dir / "assets" / "pic.png")
    summary = reindex(content_dir, tmp_path / "index")
    assert summary.parsed == 1 and summary.updated == 1
    image = served_client(content_dir, tmp_path / "index").get("/api/posts/pic").get_json()["image"]
    assert (image["width"], image["height"]) == (60, 30)  # the new file's size: the parse is fresh, not cached


def test_cached_parses_load_exactly_as_fresh_ones(tmp_path: Path) -> None:
    expected = load_content(REPO / "content")
    for refresh in (True, False):
        with ParseCache(tmp_path / "cache", refresh=refresh) as cache:
            loaded = load_content(REPO / "content", cache=cache)
        assert [post_record(p) for p in loaded.posts] == [post_record(p) for p in expected.posts]
        assert [p.slug for p in loaded.hidden] == [p.slug for p in expected.hidden]
        assert loaded.problems == expected.problems and loaded.files == expected.files
    assert loaded.parsed == 0 and expected.files > 0  # the second load came entirely from the cache


def test_a_torn_cache_entry_is_only_a_miss(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    reindex(content_dir, tmp_path / "index")
    cache = tmp_path / "index" / "cache" / "parses.sqlite3"
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE parses SET value = x'00ff'")
    db.close()
    write_post(content_dir, "2024-04-01-delta.md", "title: Delta", "Body.\n")
    summary = reindex(content_dir, tmp_path / "index")
    assert summary.parsed == 4 and summary.posts == 4
    cache.write_bytes(b"this is not a database at all" * 100)
    write_post(content_dir, "2024-05-01-epsilon.md", "title: Epsilon", "Body.\n")
    summary = reindex(content_dir, tmp_path / "index")
    assert summary.parsed == 5 and summary.posts == 5
    assert reindex(content_dir, tmp_path / "index").parsed == 0, "the damaged cache file was rebuilt"


def test_second_writer_is_refused_with_a_clear_message(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    index = tmp_path / "index"
    with reindex_lock(index), pytest.raises(ReindexBusy, match="another reindex is running"):
        reindex(content_dir, index)
    assert reindex(content_dir, index).posts == 3  # the lock was released


def test_lock_handle_can_be_taken_and_released(tmp_path: Path) -> None:
    handle = acquire_lock(tmp_path)
    assert not lock_is_free(tmp_path)
    release_lock(handle)
    assert lock_is_free(tmp_path)


def test_old_builds_go_only_after_the_grace_period(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_post(content_dir, "2024-01-01-one.md", "title: One", "One.\n")
    first = reindex(content_dir, index)
    write_post(content_dir, "2024-01-02-two.md", "title: Two", "Two.\n")
    second = reindex(content_dir, index)
    builds = IndexLayout(index).builds
    assert (builds / first.build_id).is_dir(), "a build just replaced must stay for open searchers"
    (builds / ".staging-x-1").mkdir()
    old = time.time() - 3600
    os.utime(builds / first.build_id, (old, old))
    assert remove_old_builds(index) == [first.build_id]
    assert not (builds / ".staging-x-1").exists()
    assert current_build_dir(index) == builds / second.build_id


def test_last_reindex_is_recorded(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    summary = reindex(content_dir, tmp_path / "index")
    last = last_reindex(tmp_path / "index")
    assert last is not None and last["status"] == "succeeded" and last["build_id"] == summary.build_id


def test_reindex_command_full_and_summary(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    runner = indexed_app(content_dir, tmp_path / "index", skip_reindex=True).test_cli_runner()
    first = runner.invoke(args=["reindex"])
    assert first.exit_code == 0, first.output
    write_post(content_dir, "2024-04-01-delta.md", "title: Delta", "Body.\n")
    second = runner.invoke(args=["reindex"])
    assert "incremental: 0 updated, 1 added, 0 removed; 1 of 4 files parsed" in second.output
    third = runner.invoke(args=["reindex", "--full"])
    assert "reused index" in third.output and "4 of 4 files parsed" in third.output


def test_reindex_command_exits_non_zero_while_another_runs(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    runner = indexed_app(content_dir, tmp_path / "index", skip_reindex=True).test_cli_runner()
    with reindex_lock(tmp_path / "index"):
        result = runner.invoke(args=["reindex"])
    assert result.exit_code == 1 and "another reindex is running" in result.output


def test_copying_an_index_elsewhere_keeps_serving(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    reindex(content_dir, tmp_path / "index")
    shutil.copytree(tmp_path / "index", tmp_path / "copy", symlinks=True)
    assert _slugs(tmp_path / "copy", content_dir) == ["gamma", "beta", "alpha"]


def test_words_of_a_post_taken_down_leave_completions_and_corrections(content_dir: Path, tmp_path: Path) -> None:
    _three_posts(content_dir)
    write_post(content_dir, "2024-04-01-secret.md", "title: Leaked", "The codename is xylophonist.\n")
    index = tmp_path / "index"
    reindex(content_dir, index)
    client = served_client(content_dir, index)
    assert "xylophonist" in client.get("/api/search/suggest?q=xyloph").get_data(as_text=True)
    write_post(content_dir, "2024-04-01-secret.md", "title: Leaked\npublished: false", "Codename xylophonist.\n")
    assert reindex(content_dir, index).mode == "incremental"
    write_post(content_dir, "2024-05-01-other.md", "title: Other", "Nothing to see.\n")
    assert reindex(content_dir, index).mode == "incremental"  # a later build must not bring the word back
    for url in ("/api/search/suggest?q=xyloph", "/api/search?q=xylophonist", "/api/search?q=xylophonst",
                "/api/search?q=xyloph"):
        body = client.get(url).get_json()
        answer = orjson.dumps({"items": body["items"], "suggestion": body.get("suggestion")}).decode()
        assert "xylophon" not in answer, url


def test_wait_queues_behind_a_running_reindex(content_dir: Path, tmp_path: Path) -> None:
    import threading

    _three_posts(content_dir)
    index = tmp_path / "index"
    handle = acquire_lock(index)
    releaser = threading.Timer(0.5, release_lock, args=(handle,))
    releaser.start()
    started = time.monotonic()
    summary = reindex(content_dir, index, wait=True)
    releaser.join()
    assert summary.posts == 3 and time.monotonic() - started >= 0.4
