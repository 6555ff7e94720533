"""The site resources over the repository's sample content: settings, data, pages, collections, authors, resolve."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from service.indexing import reindex
from tests.helpers import REPO, served_client, write_post

HERON = "grey-heron-pair-nests-at-millbrook-reservoir"


def test_site_settings_and_navigation(client: Any) -> None:
    body = client.get("/api/site").get_json()
    assert body["title"] == "The Riverside Ledger" and body["url"] == "https://ledger.example"
    assert [item["title"] for item in body["navigation"]] == ["News", "Guides", "About"]
    assert body["counts"] == {"posts": 12, "pages": 1, "documents": 2, "data_files": 2, "authors": 2, "redirects": 2}
    assert body["build_id"] == client.get("/api/site").headers["X-Content-Build"]


def test_posts_carry_their_authors_and_filter_by_author(client: Any) -> None:
    heron = client.get(f"/api/posts/{HERON}").get_json()
    assert heron["authors"] == [{"name": "Tomás Okafor", "slug": "tomas"}, {"name": "Mara Lindqvist", "slug": "mara"}]
    mara = client.get("/api/posts?author=mara").get_json()
    assert mara["total"] == 3 and all("mara" in [a["slug"] for a in p["authors"]] for p in mara["items"])
    assert client.get("/api/posts?author=nobody").get_json()["total"] == 0
    assert [p["slug"] for p in client.get("/api/authors/tomas").get_json()["posts"]["items"]] == [HERON]


def test_search_filters_and_facets_by_author(client: Any) -> None:
    body = client.get("/api/search?q=heron&author=tomas&facets=author").get_json()
    assert [hit["slug"] for hit in body["items"]] == [HERON]
    assert {f["slug"]: f["name"] for f in body["facets"]["author"]} == {"tomas": "Tomás Okafor",
                                                                         "mara": "Mara Lindqvist"}
    everything = client.get("/api/search?facets=author").get_json()["facets"]["author"]
    assert [(f["slug"], f["count"]) for f in everything] == [("mara", 3), ("tomas", 1)]
    assert client.get("/api/search?q=x&facets=writer").status_code == 400


def test_pages_documents_and_data(client: Any) -> None:
    about = client.get("/api/pages/about").get_json()
    assert about["title"] == "About the Ledger" and about["toc"][0]["text"] == "Who we are"
    assert client.get("/api/pages/about.md").get_json()["path"] == "about.md"
    guides = client.get("/api/collections/guides/documents").get_json()
    assert [d["slug"] for d in guides["items"]] == ["getting-around", "reporting-a-pothole"]  # sort_by: order
    assert client.get("/api/collections/guides/documents/getting-around").get_json()["layout"] == "guide"
    assert client.get("/api/data/authors/mara/name").get_json() == "Mara Lindqvist"


def test_resolve_and_redirects(client: Any) -> None:
    answer = client.get("/api/resolve?path=/about-us/").get_json()
    assert answer == {"type": "redirect", "url": "https://blog.test/about-us/", "location": "https://ledger.example/about/",
                      "status": 301}
    assert client.get("/api/resolve?path=/about").get_json()["item"]["path"] == "about.md"
    post = client.get(f"/api/posts/{HERON}").get_json()
    url = post["url"].removeprefix("https://blog.test")
    resolved = client.get("/api/resolve", query_string={"path": url}).get_json()
    assert resolved["type"] == "post" and resolved["item"]["slug"] == HERON
    assert client.get("/api/redirects").get_json()["total"] == 2


def test_site_resources_are_cached_paginated_and_fail_as_json(client: Any) -> None:
    first = client.get("/api/pages")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    assert client.get("/api/pages", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    paged = client.get("/api/collections/guides/documents?per_page=1")
    assert paged.headers["X-Total-Count"] == "2" and 'rel="next"' in paged.headers["Link"]
    for url in ("/api/pages?per_page=0", "/api/authors?bogus=1", "/api/resolve"):
        bad = client.get(url)
        assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    for url in ("/api/pages/nope", "/api/collections/nope/documents", "/api/authors/nope", "/api/data/nope"):
        missing = client.get(url)
        assert missing.status_code == 404 and missing.get_json()["status"] == 404


def test_pages_and_documents_are_searchable(client: Any) -> None:
    body = client.get("/api/search?q=pothole&type=page").get_json()
    assert [(h["kind"], h["path"]) for h in body["items"]] == [("document", "_guides/reporting-a-pothole.md")]
    assert body["items"][0]["highlights"]["title"] == "Reporting a <mark>pothole</mark>"
    assert client.get("/api/search?q=pothole").get_json()["total"] == 0  # posts stay posts
    listed = client.get("/api/search?type=page").get_json()
    assert listed["total"] == 3 and "text" not in listed["items"][0]


def test_an_edited_page_is_searched_after_an_incremental_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    index_dir = tmp_path / "index"
    reindex(content, index_dir)
    about = content / "about.md"
    about.write_text(about.read_text(encoding="utf-8").replace("independent newsroom", "cooperative newsroom"),
                     encoding="utf-8")
    summary = reindex(content, index_dir)
    assert (summary.mode, summary.updated) == ("incremental", 1)
    client = served_client(content, index_dir)
    assert client.get("/api/search?q=cooperative&type=page").get_json()["total"] == 1
    assert client.get("/api/search?q=independent&type=page").get_json()["total"] == 0
    assert "cooperative" in client.get("/api/pages/about").get_json()["text"]


def test_an_author_lists_every_post_of_a_shared_slug(tmp_path: Path, make_app: Any) -> None:
    write_post(tmp_path, "2024-01-01-same.md", "title: Old\ncategories: [a]\nauthor: Ann", "One.")
    write_post(tmp_path, "2024-02-01-same.md", "title: New\ncategories: [b]\nauthor: Ann", "Two.")
    client = make_app(tmp_path).test_client()
    ann = client.get("/api/authors/ann").get_json()
    assert ann["post_count"] == 2
    assert [(p["slug"], p["title"]) for p in ann["posts"]["items"]] == [("same", "New"), ("same", "Old")]
    assert len({p["id"] for p in ann["posts"]["items"]}) == 2
