"""Incremental reindex on a real blog: one edit, one new post and one deletion update exactly those posts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from service import create_app
from service.indexing import reindex
from tests.helpers import shared_path, write_post
from tests.test_indexing import _vocabulary, comparable


def _client(content: Path, index: Path) -> Any:
    return create_app({"TESTING": True, "CONTENT_DIR": str(content), "INDEX_DIR": str(index),
                       "PUBLIC_URL": "http://api.test", "SITE_URL": "https://blog.test"}).test_client()


def _all_posts(client: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        body = client.get(f"/api/posts?per_page=100&page={page}").get_json()
        found.update({item["slug"]: item for item in body["items"]})
        if page >= body["pages"]:
            return found
        page += 1


def test_edit_add_delete_on_the_18f_blog(tmp_path: Path) -> None:
    content = tmp_path / "18f"
    shutil.copytree(shared_path("corpora", "18f-blog"), content, symlinks=True)
    index = tmp_path / "index"
    full = reindex(content, index)
    client = _client(content, index)
    before = _all_posts(client)
    assert len(before) == full.posts > 400

    posts = sorted((content / "_posts").rglob("*.md"))
    edited = next(p for p in posts if p.name.endswith(".md") and _slug_of(client, before, p) is not None)
    edited_slug = _slug_of(client, before, edited)
    deleted = next(p for p in reversed(posts) if p != edited and _slug_of(client, before, p) is not None)
    deleted_slug = _slug_of(client, before, deleted)
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nA closing note about quokkaberries.\n",
                      encoding="utf-8")
    deleted.unlink()
    write_post(content, "2030-01-01-a-new-post-about-zebrafinches.md", "title: Zebrafinches\ndate: 2020-06-01",
               "Zebrafinches sing at dawn.\n")

    step = reindex(content, index)
    print(f"\n18f-blog: full build {full.seconds:.2f}s ({full.posts} posts); "
          f"incremental after one edit, one add, one delete {step.seconds:.2f}s ({step.parsed} files parsed)")
    assert step.mode == "incremental", step.line()
    assert (step.updated, step.added, step.removed, step.parsed) == (1, 1, 1, 2), step.line()

    after = _all_posts(client)
    assert set(after) == (set(before) - {deleted_slug}) | {"a-new-post-about-zebrafinches"}
    changed = {slug for slug in after.keys() & before.keys() if after[slug] != before[slug]}
    assert changed <= {edited_slug}, f"posts that should not have changed: {sorted(changed - {edited_slug})}"
    assert [h["slug"] for h in client.get("/api/search?q=quokkaberries").get_json()["items"]] == [edited_slug]
    assert client.get(f"/api/posts/{deleted_slug}").status_code == 404
    assert client.get("/api/search?q=zebrafinches").get_json()["items"][0]["slug"] == "a-new-post-about-zebrafinches"

    fresh = reindex(content, tmp_path / "fresh", full=True)
    print(f"18f-blog: full build of the changed content {fresh.seconds:.2f}s")
    keys = [orjson.loads((i / "current" / "build.json").read_bytes())["key"] for i in (index, tmp_path / "fresh")]
    assert keys[0] == keys[1], "the program's code changed between the two builds"
    assert fresh.build_id == step.build_id, "the same content must give the same build id however it was built"
    assert _vocabulary(index) == _vocabulary(tmp_path / "fresh"), "completions and corrections differ"
    client, other = _client(content, index), _client(content, tmp_path / "fresh")  # made together: same code
    for url in ("/api/posts?per_page=100", "/api/posts?per_page=100&page=3", "/api/posts?sort=title&per_page=50",
                "/api/categories", "/api/quotes?per_page=100", "/api/images?per_page=100",
                f"/api/posts/{edited_slug}", "/api/search?q=government+services&per_page=50",
                "/api/search?q=zebrafinches&facets=category,year"):
        a, b = client.get(url), other.get(url)
        assert a.status_code == b.status_code == 200, url
        assert comparable(a.get_json()) == comparable(b.get_json()), url
        assert a.headers.get("ETag") == b.headers.get("ETag"), url


def _slug_of(client: Any, posts: dict[str, dict[str, Any]], path: Path) -> str | None:
    """Find the served slug of a post file by its name (18f uses plain date-slug names)."""
    stem = path.stem.split("-", 3)[-1]
    return stem if stem in posts else None
