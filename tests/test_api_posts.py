"""The posts endpoints over a temporary content folder and a real index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_post


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
    assert first["date"] == "2024-02-03T08:00:00+00:00"  # in the site time zone (UTC by default), as Jekyll does
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
    assert body["quotes"][0]["post"] == {"id": "/news/science/2024/02/02/second", "slug": "second",
                                         "title": "The second post",
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


@pytest.fixture
def shelf(content_dir: Path, make_app: Any) -> Any:
    """Five posts over two years, with headings, for filters, sorting, fields and include."""
    posts = [("2023-11-20", "autumn-walk", "Autumn walk", "[Outdoors]", "[walking]"),
             ("2024-01-05", "winter-soup", "Winter soup", "[Kitchen]", "[soup, winter]"),
             ("2024-01-28", "bread-at-home", "Bread at home", "[Kitchen]", "[baking]"),
             ("2024-02-14", "zebra-crossings", "Zebra crossings", "[City]", "[walking, winter]"),
             ("2024-03-01", "apple-trees", "Apple trees", "[Outdoors, Kitchen]", "[]")]
    for day, slug, title, cats, tags in posts:
        write_post(content_dir, f"{day}-{slug}.md", f"title: {title}\ndate: {day} 09:00:00 +0000\n"
                   f"categories: {cats}\ntags: {tags}",
                   f"First words of {slug}.\n\n## Getting started\n\nMore.\n\n### The details\n\n"
                   f"> Said about {slug}.\n\n[a link](https://example.com/{slug})\n")
    return make_app(content_dir).test_client()


def _slugs(client: Any, query: str) -> list[str]:
    response = client.get(f"/api/posts?{query}")
    assert response.status_code == 200, response.get_json()
    return [p["slug"] for p in response.get_json()["items"]]


@pytest.mark.parametrize("query, expected", [
    ("category=kitchen", ["apple-trees", "bread-at-home", "winter-soup"]),
    ("tag=walking", ["zebra-crossings", "autumn-walk"]),
    ("tag=winter&category=kitchen", ["winter-soup"]),
    ("year=2024", ["apple-trees", "zebra-crossings", "bread-at-home", "winter-soup"]),
    ("year=2024&month=1", ["bread-at-home", "winter-soup"]),
    ("year=2023&month=11", ["autumn-walk"]),
    ("date_from=2024-01-28", ["apple-trees", "zebra-crossings", "bread-at-home"]),
    ("date_to=2024-01-05", ["winter-soup", "autumn-walk"]),
    ("date_from=2024-01-01&date_to=2024-02-14", ["zebra-crossings", "bread-at-home", "winter-soup"]),
    ("sort=date", ["autumn-walk", "winter-soup", "bread-at-home", "zebra-crossings", "apple-trees"]),
    ("sort=title", ["apple-trees", "autumn-walk", "bread-at-home", "winter-soup", "zebra-crossings"]),
    ("sort=-title", ["zebra-crossings", "winter-soup", "bread-at-home", "autumn-walk", "apple-trees"]),
    ("category=nothing-here", []),
])
def test_every_filter_and_sort(shelf: Any, query: str, expected: list[str]) -> None:
    assert _slugs(shelf, query) == expected


@pytest.mark.parametrize("query, param", [("date_from=2024-13-01", "date_from"), ("year=0", "year"),
                                          ("date_from=2024-02-01&date_to=2024-01-01", "date_from"),
                                          ("month=13&year=2024", "month"), ("fields=slug,password", "fields"),
                                          ("include=html,secrets", "include"), ("fields=", "fields")])
def test_bad_filters_and_field_names_are_400(shelf: Any, query: str, param: str) -> None:
    response = shelf.get(f"/api/posts?{query}")
    assert response.status_code == 400
    assert param in response.get_json()["errors"]


def test_pagination_headers_and_body(shelf: Any) -> None:
    response = shelf.get("/api/posts?per_page=2&page=2&category=kitchen")
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 3, 2)
    assert response.headers["X-Total-Count"] == "3"
    links = {rel: url for url, rel in
             (part.split("; rel=") for part in response.headers["Link"].split(", "))}
    assert links == {
        '"first"': "<http://api.test/api/posts?per_page=2&page=1&category=kitchen>",
        '"prev"': "<http://api.test/api/posts?per_page=2&page=1&category=kitchen>",
        '"last"': "<http://api.test/api/posts?per_page=2&page=2&category=kitchen>",
    }
    first = shelf.get("/api/posts?per_page=2").headers["Link"]
    assert 'rel="next"' in first and 'rel="prev"' not in first and "page=3>; rel=\"last\"" in first
    beyond = shelf.get("/api/posts?per_page=2&page=9")
    assert beyond.get_json()["items"] == [] and "page=3>; rel=\"prev\"" in beyond.headers["Link"]


def test_lists_are_light_and_include_adds_parts(shelf: Any) -> None:
    light = shelf.get("/api/posts").get_json()["items"][0]
    assert {"slug", "title", "date", "url", "excerpt", "image", "categories", "tags"} <= set(light)
    assert not {"html", "text", "quotes", "images", "links", "toc"} & set(light)
    heavy = shelf.get("/api/posts?include=html,text,quotes,images,links,toc").get_json()["items"][0]
    assert set(heavy) == set(light) | {"html", "text", "quotes", "images", "links", "toc"}
    assert heavy["quotes"][0]["text"] == "Said about apple-trees."
    assert heavy["links"] == [{"url": "https://example.com/apple-trees", "text": "a link", "domain": "example.com"}]
    assert [h["level"] for h in heavy["toc"]] == [2, 3]


def test_fields_trims_lists_detail_and_category_posts(shelf: Any) -> None:
    items = shelf.get("/api/posts?fields=slug,title").get_json()["items"]
    assert all(set(item) == {"slug", "title"} for item in items)
    # naming a heavy part in fields brings it in
    assert set(shelf.get("/api/posts?fields=slug,toc").get_json()["items"][0]) == {"slug", "toc"}
    detail = shelf.get("/api/posts/bread-at-home?fields=title,prev,next").get_json()
    assert set(detail) == {"title", "prev", "next"}
    category = shelf.get("/api/categories/kitchen?fields=slug").get_json()
    assert all(set(item) == {"slug"} for item in category["items"]) and category["category"]["slug"] == "kitchen"
    assert shelf.get("/api/posts/bread-at-home?include=html").status_code == 400


def test_prev_next_and_toc_match_the_html(shelf: Any) -> None:
    oldest = shelf.get("/api/posts/autumn-walk").get_json()
    assert oldest["prev"] is None and oldest["next"]["slug"] == "winter-soup"
    newest = shelf.get("/api/posts/apple-trees").get_json()
    assert newest["next"] is None and newest["prev"]["slug"] == "zebra-crossings"
    middle = shelf.get("/api/posts/bread-at-home").get_json()
    assert (middle["prev"]["slug"], middle["next"]["slug"]) == ("winter-soup", "zebra-crossings")
    assert middle["prev"]["url"].startswith("https://blog.test/")
    assert [(h["level"], h["text"]) for h in middle["toc"]] == [(2, "Getting started"), (3, "The details")]
    for heading in middle["toc"]:
        assert f'id="{heading["anchor"]}"' in middle["html"]


def test_summaries_carry_their_image(blog: Any) -> None:
    image = blog.get("/api/posts").get_json()["items"][0]["image"]
    assert image["url"] == "http://api.test/media/assets/third.png"
    assert "alt" in image
