"""Incremental reindex on a real blog: one edit, one new post and one deletion update exactly those posts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service.indexing import reindex
from tests.helpers import build_vocabulary, comparable, listed_posts, served_client, shared_path, write_post


def _all_posts(client: Any) -> dict[str, dict[str, Any]]:
    """Every listed post by id (two posts may share a slug)."""
    return {item["id"]: item for item in listed_posts(client)}


def test_edit_add_delete_on_the_18f_blog(tmp_path: Path) -> None:
    content = tmp_path / "18f"
    shutil.copytree(shared_path("corpora", "18f-blog"), content, symlinks=True)
    index = tmp_path / "index"
    full = reindex(content, index)
    client = served_client(content, index)
    before = _all_posts(client)
    assert len(before) == full.posts > 400

    posts = sorted((content / "_posts").rglob("*.md"))
    edited = next(p for p in posts if p.name.endswith(".md") and _id_of(before, p) is not None)
    edited_id = _id_of(before, edited)
    deleted = next(p for p in reversed(posts) if p != edited and _id_of(before, p) is not None)
    deleted_id = _id_of(before, deleted)
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
    assert set(after) == (set(before) - {deleted_id}) | {"/2020/06/01/a-new-post-about-zebrafinches"}
    changed = {post_id for post_id in after.keys() & before.keys() if after[post_id] != before[post_id]}
    assert changed <= {edited_id}, f"posts that should not have changed: {sorted(changed - {edited_id})}"
    assert [h["id"] for h in client.get("/api/search?q=quokkaberries").get_json()["items"]] == [edited_id]
    assert client.get("/api/posts/by-id", query_string={"id": deleted_id}).status_code == 404
    assert client.get("/api/search?q=zebrafinches").get_json()["items"][0]["slug"] == "a-new-post-about-zebrafinches"

    fresh = reindex(content, tmp_path / "fresh", full=True)
    print(f"18f-blog: full build of the changed content {fresh.seconds:.2f}s")
    keys = [orjson.loads((i / "current" / "build.json").read_bytes())["key"] for i in (index, tmp_path / "fresh")]
    assert keys[0] == keys[1], "the program's code changed between the two builds"
    assert fresh.build_id == step.build_id, "the same content must give the same build id however it was built"
    assert build_vocabulary(index) == build_vocabulary(tmp_path / "fresh"), "completions and corrections differ"
    # made together: same code
    client, other = served_client(content, index), served_client(content, tmp_path / "fresh")
    for url in ("/api/posts?per_page=100", "/api/posts?per_page=100&page=3", "/api/posts?sort=title&per_page=50",
                "/api/categories", "/api/quotes?per_page=100", "/api/images?per_page=100",
                f"/api/posts/by-id?id={edited_id}", "/api/search?q=government+services&per_page=50",
                "/api/search?q=zebrafinches&facets=category,year"):
        a, b = client.get(url), other.get(url)
        assert a.status_code == b.status_code == 200, url
        assert comparable(a.get_json()) == comparable(b.get_json()), url
        assert a.headers.get("ETag") == b.headers.get("ETag"), url


def _id_of(posts: dict[str, dict[str, Any]], path: Path) -> str | None:
    """Find the served id of a post file by its name (18f uses plain date-slug names and date permalinks)."""
    year, month, day, slug = path.stem.split("-", 3)
    found = f"/{year}/{month}/{day}/{slug}"
    return found if found in posts else None


NOW = datetime(2029, 12, 31, 12, tzinfo=UTC)
SMALL_URLS = ("/api/posts?per_page=100", "/api/posts?sort=title&per_page=100", "/api/categories", "/api/tags",
              "/api/archive", "/api/quotes?per_page=100", "/api/images?per_page=100", "/feed.json",
              "/api/search?q=heron&facets=category,tag,year", "/api/search?q=heron&type=quote",
              "/api/search?q=quetzal", "/api/search?q=kestrel", "/api/search/suggest?q=her",
              "/api/search/suggest?q=kes")


def _small_site(root: Path) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text("exclude: [old]\n", encoding="utf-8")
    for n, (slug, category) in enumerate([("alpha", "birds"), ("beta", "birds"), ("gamma", "fish"),
                                          ("delta", "fish"), ("epsilon", "moths")], 1):
        write_post(root, f"2024-0{n}-01-{slug}.md", f"title: {slug.title()} heron\ncategories: [{category}]\n"
                   f"tags: [{slug}]", f"The {slug} heron.\n\n> A heron said {slug}.\n\n![{slug}](/{slug}.png)\n")
    write_post(root, "2030-01-01-soon.md", "title: Soon\ndate: 2030-01-01 00:00:00 +0000", "Quetzal.\n")
    write_post(root, "2023-06-01-kept-out.md", "title: Kept out", "Kestrel.\n", folder="old/_posts")
    return root


def _same_as_a_fresh_build(content: Path, index: Path, tmp_path: Path, now: datetime, step: str) -> Any:
    """Reindex incrementally, build the same content from scratch, and compare what both serve."""
    summary = reindex(content, index, now=now)
    fresh_index = tmp_path / f"fresh-{step}"
    fresh = reindex(content, fresh_index, now=now, full=True)
    assert summary.mode == "incremental", (step, summary.line())
    assert summary.build_id == fresh.build_id and summary.problems == fresh.problems, step
    assert build_vocabulary(index) == build_vocabulary(fresh_index), step
    client, other = served_client(content, index), served_client(content, fresh_index)
    posts = listed_posts(client)
    urls = [*SMALL_URLS, *(f"/api/posts/by-id?id={p['id']}" for p in posts),
            *(f"/api/posts/{p['slug']}" for p in posts), *(f"/api/posts/{p['slug']}/related" for p in posts)]
    for url in urls:
        a, b = client.get(url), other.get(url)
        assert a.status_code == b.status_code == 200, (step, url)
        assert comparable(a.get_json()) == comparable(b.get_json()), (step, url)
    return client


def test_incremental_builds_serve_what_a_full_build_serves(tmp_path: Path) -> None:
    content, index = _small_site(tmp_path / "site"), tmp_path / "index"
    first = reindex(content, index, now=NOW)
    assert (first.posts, first.files) == (5, 6)  # the future post is hidden, the excluded one never read
    posts = content / "_posts"

    (posts / "2024-01-01-alpha.md").write_text("---\ntitle: Alpha heron\n---\nEdited: a kestrel now.\n", "utf-8")
    (posts / "2024-02-01-beta.md").unlink()
    write_post(content, "2024-06-01-zeta.md", "title: Zeta heron", "New heron.\n")
    client = _same_as_a_fresh_build(content, index, tmp_path, NOW, "edit, delete, add")
    assert [h["slug"] for h in client.get("/api/search?q=kestrel").get_json()["items"]] == ["alpha"]

    (posts / "2024-03-01-gamma.md").rename(content / "old" / "_posts" / "2024-03-01-gamma.md")
    (content / "old" / "_posts" / "2023-06-01-kept-out.md").rename(posts / "2023-06-01-kept-out.md")
    client = _same_as_a_fresh_build(content, index, tmp_path, NOW, "into and out of the excluded folder")
    assert client.get("/api/posts/gamma").status_code == 404 and client.get("/api/posts/kept-out").status_code == 200

    (posts / "2024-04-01-delta.md").rename(posts / "2024-04-02-delta-renamed.md")
    write_post(content, "2022-01-01-epsilon.md", "title: Older epsilon", "Shares a slug.\n")
    client = _same_as_a_fresh_build(content, index, tmp_path, NOW, "rename, and a shared slug")
    assert client.get("/api/posts/epsilon").get_json()["other_ids"] == ["/2022/01/01/epsilon"]

    (posts / "2022-01-01-epsilon.md").unlink()
    client = _same_as_a_fresh_build(content, index, tmp_path, datetime(2030, 1, 1, tzinfo=UTC), "time passes")
    assert client.get("/api/posts/epsilon").get_json()["other_ids"] == []
    assert [h["slug"] for h in client.get("/api/search?q=quetzal").get_json()["items"]] == ["soon"]


def test_a_page_reading_the_posts_bodies_follows_an_edit(tmp_path: Path) -> None:
    content, index = _small_site(tmp_path / "site"), tmp_path / "index"
    (content / "_includes").mkdir()
    (content / "_includes" / "latest.html").write_text("{{ site.posts.first.content }}", encoding="utf-8")
    (content / "latest.md").write_text("---\ntitle: Latest\n---\n{% include latest.html %}\n", encoding="utf-8")
    whole = "{% assign s = site %}{% assign k = 'po' | append: 'sts' %}{{ s[k].last.excerpt }}"  # no `posts`
    (content / "whole.md").write_text(f"---\ntitle: Whole\n---\n{whole}\n", encoding="utf-8")
    (content / "about.md").write_text("---\ntitle: About\n---\nNo posts here, only {{ site.title }}.\n", "utf-8")
    reindex(content, index, now=NOW)
    (content / "_posts" / "2024-05-01-epsilon.md").write_text("---\ntitle: Epsilon\n---\nA wren, edited.\n", "utf-8")
    (content / "_posts" / "2024-01-01-alpha.md").write_text("---\ntitle: Alpha\n---\nA robin, edited.\n", "utf-8")
    client = _same_as_a_fresh_build(content, index, tmp_path, NOW, "an edit a page shows")
    other = served_client(content, tmp_path / "fresh-an edit a page shows")
    assert "A wren, edited." in client.get("/api/pages/latest").get_json()["html"]
    assert "A robin, edited." in client.get("/api/pages/whole").get_json()["html"]
    for page in ("latest", "whole", "about"):
        assert client.get(f"/api/pages/{page}").get_json() == other.get(f"/api/pages/{page}").get_json(), page


def test_phrases_find_every_word_pair_of_a_post_an_incremental_build_added(tmp_path: Path) -> None:
    """Whoosh's own writer (incremental builds) encodes the positions a phrase and the word-order bonus walk."""
    content = tmp_path / "content"
    write_post(content, "2024-01-01-first.md", "title: First\ndate: 2024-01-01", "A first post.\n")
    index = tmp_path / "index"
    reindex(content, index)
    client = served_client(content, index)
    words = ["".join("bcdfghjklmnpqrstvwxz"[i // 20 ** k % 20] for k in range(3)) + "ova" for i in range(120)]
    write_post(content, "2024-02-01-made-up-words.md", "title: Made-up words\ndate: 2024-02-01", " ".join(words))
    assert reindex(content, index).mode == "incremental"
    for first, second in zip(words, words[1:], strict=False):
        for q in (f'"{first} {second}"', f"{first} {second}"):
            response = client.get("/api/search", query_string={"q": q})
            assert response.status_code == 200, q
            assert [h["slug"] for h in response.get_json()["items"]] == ["made-up-words"], q
