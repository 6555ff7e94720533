"""Tags, the archive, and quotes by id and at random, over a temporary content folder and a real index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_post


@pytest.fixture
def garden(content_dir: Path, make_app: Any) -> Any:
    posts = [("2023-06-02", "peas", "[Veg]", "[summer, seeds]"), ("2023-06-20", "beans", "[Veg]", "[summer]"),
             ("2023-09-11", "apples", "[Fruit]", "[autumn]"), ("2024-04-03", "tulips", "[Flowers]", "[spring, Bulbs]")]
    for day, slug, cats, tags in posts:
        write_post(content_dir, f"{day}-{slug}.md", f"title: All about {slug}\ncategories: {cats}\ntags: {tags}",
                   f"Notes on {slug}.\n\n> Grow {slug} in good soil.\n>\n> > **_A gardener_**\n")
    return make_app(content_dir).test_client()


def test_tags_list_counts_and_sorts(garden: Any) -> None:
    response = garden.get("/api/tags")
    body = response.get_json()
    assert body["items"][0] == {"name": "summer", "slug": "summer", "count": 2}
    assert (body["total"], body["page"], body["pages"]) == (5, 1, 1)
    assert response.headers["X-Total-Count"] == "5"
    by_name = [t["slug"] for t in garden.get("/api/tags?sort=name").get_json()["items"]]
    assert by_name == ["autumn", "bulbs", "seeds", "spring", "summer"]
    second = garden.get("/api/tags?sort=name&per_page=2&page=2").get_json()
    assert [t["slug"] for t in second["items"]] == ["seeds", "spring"] and second["pages"] == 3
    assert garden.get("/api/tags?sort=sideways").status_code == 400


def test_tag_detail_lists_its_posts(garden: Any) -> None:
    body = garden.get("/api/tags/summer").get_json()
    assert body["tag"] == {"name": "summer", "slug": "summer", "count": 2}
    assert [p["slug"] for p in body["items"]] == ["beans", "peas"] and body["total"] == 2
    assert [p["slug"] for p in garden.get("/api/tags/summer?sort=title").get_json()["items"]] == ["beans", "peas"]
    assert garden.get("/api/tags/bulbs").get_json()["tag"]["name"] == "Bulbs"
    missing = garden.get("/api/tags/winter")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert garden.get("/api/tags/summer?tag=seeds").status_code == 400


def test_categories_are_paginated_like_every_list(garden: Any) -> None:
    response = garden.get("/api/categories?per_page=2")
    body = response.get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (3, 2, 2)
    assert body["items"][0] == {"name": "Veg", "slug": "veg", "count": 2}
    assert 'rel="next"' in response.headers["Link"]


def test_archive_counts_by_year_and_month(garden: Any) -> None:
    body = garden.get("/api/archive").get_json()
    assert body["posts"] == 4 and body["total"] == 2
    assert [(y["year"], y["count"]) for y in body["items"]] == [(2024, 1), (2023, 3)]
    assert [(m["month"], m["count"]) for m in body["items"][1]["months"]] == [(9, 1), (6, 2)]
    june = body["items"][1]["months"][1]["posts"]
    assert june == "http://api.test/api/posts?year=2023&month=6"
    assert garden.get(june.removeprefix("http://api.test")).get_json()["total"] == 2


def test_quotes_by_id_and_at_random(garden: Any) -> None:
    quotes = garden.get("/api/quotes").get_json()["items"]
    assert len(quotes) == 4
    one = garden.get(f"/api/quotes/{quotes[0]['id']}").get_json()
    assert one == quotes[0] and one["attribution"] == "A gardener"
    assert garden.get("/api/quotes/no-such-quote").status_code == 404
    for _ in range(5):
        fruit = garden.get("/api/quotes/random?category=fruit").get_json()
        assert fruit["post"]["slug"] == "apples"
    assert garden.get("/api/quotes/random?category=nothing").status_code == 404
    assert garden.get("/api/quotes/random?colour=red").status_code == 400


def test_image_by_id(garden: Any, content_dir: Path, make_app: Any) -> None:
    write_post(content_dir, "2024-05-01-pictured.md", "title: Pictured\nimage: /assets/shed.png", "Body.\n")
    web = make_app(content_dir).test_client()
    image = web.get("/api/posts/pictured").get_json()["image"]
    detail = web.get(f"/api/images/{image['id']}").get_json()
    assert detail["url"] == image["url"] == "http://api.test/media/assets/shed.png"
    assert web.get("/api/images/no-such-image").status_code == 404
