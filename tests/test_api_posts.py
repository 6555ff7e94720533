"""The posts endpoints over a temporary content folder and a real index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_post


@pytest.fixture
def blog(content_dir: Path, make_app: Any) -> Any:
    for day, slug, cats, tags in [(1, "first", "[News]", "[alpha]"), (2, "second", "[News, Science]", "[beta]"),
                                  (3, "third", "[Science]", "[alpha, beta]")]:
        write_post(content_dir, f"2024-02-0{day}-{slug}.md",
                   f"title: The {slug} post\ndate: 2024-02-0{day} 10:00:00 +0200\ncategories: {cats}\ntags: {tags}\n"
                   f"image: /assets/{slug}.png",
                   f"Opening paragraph of {slug}.\n\n> A quote in {slug}.\n>\n> > **_Person {slug}_**\n\n"
                   f"See [the docs](https://www.example.org/{slug}).\n")
    return make_app(content_dir).test_client()


def test_list_is_newest_first_with_summaries(blog: Any) -> None:
    body = blog.get("/api/posts").get_json()
    assert [p["slug"] for p in body["items"]] == ["third", "second", "first"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 3, 1)
    first = body["items"][0]
    assert first["date"] == "2024-02-03T10:00:00+02:00"
    assert first["url"] == "https://blog.test/science/2024/02/03/third.html"
    assert first["excerpt"] == "Opening paragraph of third."
    assert first["image"]["url"] == "http://api.test/media/assets/third.png"
    assert first["categories"] == [{"name": "Science", "slug": "science"}]
    assert first["reading_time"] == 1
    assert "html" not in first


def test_pagination_and_category_filter(blog: Any) -> None:
    body = blog.get("/api/posts?per_page=2&page=2").get_json()
    assert [p["slug"] for p in body["items"]] == ["first"]
    assert (body["total"], body["pages"]) == (3, 2)
    news = blog.get("/api/posts?category=news").get_json()
    assert [p["slug"] for p in news["items"]] == ["second", "first"]


def test_detail_is_complete(blog: Any) -> None:
    body = blog.get("/api/posts/second").get_json()
    assert body["title"] == "The second post"
    assert "<blockquote>" in body["html"] and "Opening paragraph of second." in body["text"]
    assert body["quotes"][0]["text"] == "A quote in second."
    assert body["quotes"][0]["attribution"] == "Person second"
    assert body["quotes"][0]["post"] == {"slug": "second", "title": "The second post",
                                         "url": "https://blog.test/news/science/2024/02/02/second.html"}
    assert body["links"] == [{"url": "https://www.example.org/second", "text": "the docs", "domain": "example.org"}]
    assert body["prev"]["slug"] == "first" and body["next"]["slug"] == "third"


def test_unknown_slug_is_json_404(blog: Any) -> None:
    response = blog.get("/api/posts/nope")
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 404
    assert "nope" in response.get_json()["detail"]


@pytest.mark.parametrize("query, param", [("per_page=0", "per_page"), ("per_page=1000", "per_page"),
                                          ("page=abc", "page"), ("sort=sideways", "sort"), ("colour=red", "colour"),
                                          ("month=3", "month")])
def test_bad_parameters_are_json_400_naming_the_parameter(blog: Any, query: str, param: str) -> None:
    response = blog.get(f"/api/posts?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and param in body["errors"]
    assert param in body["detail"]
