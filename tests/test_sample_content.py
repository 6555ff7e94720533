"""Categories, quotes, images, health and media over the repository's sample content."""

from __future__ import annotations

from typing import Any


def test_categories_list_and_detail(client: Any) -> None:
    body = client.get("/api/categories").get_json()
    assert body["total"] == len(body["items"]) >= 4
    total_posts = client.get("/api/posts").get_json()["total"]
    for item in body["items"]:
        assert 1 <= item["count"] <= total_posts
    top = body["items"][0]
    detail = client.get(f"/api/categories/{top['slug']}?per_page=100").get_json()
    assert detail["category"] == top
    assert detail["total"] == top["count"] == len(detail["items"])
    assert all(top["name"] in [c["name"] for c in p["categories"]] for p in detail["items"])
    assert client.get("/api/categories/no-such-category").status_code == 404


def test_quotes_carry_their_post(client: Any) -> None:
    body = client.get("/api/quotes?per_page=100").get_json()
    assert body["total"] >= 4
    attributed = [q for q in body["items"] if q["attribution"]]
    assert attributed, "sample content has attributed quotes"
    quote = attributed[0]
    assert quote["post"]["url"].startswith("https://blog.test/")
    one_post = client.get(f"/api/quotes?post={quote['post']['slug']}").get_json()
    assert one_post["items"] and all(q["post"]["slug"] == quote["post"]["slug"] for q in one_post["items"])
    assert client.get(f"/api/quotes/{quote['id']}").get_json() == quote


def test_images_have_absolute_media_urls_that_are_served(client: Any) -> None:
    body = client.get("/api/images?per_page=100").get_json()
    local = [i for i in body["items"] if i["local"]]
    assert local
    for image in local:
        assert image["url"].startswith("http://api.test/media/")
        path = image["url"].removeprefix("http://api.test")
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype.startswith("image/")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_health_names_the_build(client: Any) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and len(body["build_id"]) == 16 and body["posts"] >= 8


def test_media_refuses_anything_outside_media_files(client: Any) -> None:
    for path in ["/media/_posts/", "/media/_config.yml", "/media/../service/__init__.py",
                 "/media/%2e%2e/service/__init__.py", "/media/assets/../../README.md", "/media/.git/config",
                 "/media//etc/passwd", "/media/assets/images/nope.png"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content_type == "application/problem+json"
