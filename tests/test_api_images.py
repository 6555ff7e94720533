"""Image objects in API responses: sizes, placeholders and srcset everywhere; /api/images with the posts using each."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from tests.helpers import write_image, write_post

LOCAL_KEYS = {"width", "height", "mime_type", "bytes", "placeholder", "variants", "srcset", "missing"}


@pytest.fixture
def blog(content_dir: Path, make_app: Any) -> Any:
    write_image(content_dir / "assets" / "shared.jpg", (1200, 800))
    write_image(content_dir / "assets" / "chart.png", (500, 250))
    write_post(content_dir, "2024-01-01-old.md", "title: Old\ncategories: [Nature]\nimage: /assets/shared.jpg",
               "Old words.\n\n![A chart](/assets/chart.png)\n")
    write_post(content_dir, "2024-02-01-new.md", "title: New\ncategories: [Town]\nimage: /assets/shared.jpg",
               "New words.\n\n![Remote](https://cdn.example.org/far.jpg)\n\n![Gone](/assets/gone.png)\n")
    write_post(content_dir, "2999-01-01-future.md", "title: Future\ncategories: [Town]\nimage: /assets/shared.jpg",
               "Not yet.\n")
    return make_app(content_dir).test_client()


def test_post_images_carry_size_placeholder_and_srcset(blog: Any) -> None:
    post = blog.get("/api/posts/old").get_json()
    cover, chart = post["image"], post["images"][0]
    assert (cover["width"], cover["height"], cover["mime_type"]) == (1200, 800, "image/jpeg")
    assert cover["placeholder"].startswith("data:image/webp;base64,") and len(cover["placeholder"]) <= 1024
    assert cover["variants"] == [
        {"width": 320, "height": 213, "url": "http://api.test/media/assets/shared.jpg?w=320"},
        {"width": 640, "height": 427, "url": "http://api.test/media/assets/shared.jpg?w=640"},
        {"width": 1024, "height": 683, "url": "http://api.test/media/assets/shared.jpg?w=1024"},
        {"width": 1200, "height": 800, "url": "http://api.test/media/assets/shared.jpg"},
    ]
    assert cover["srcset"] == ("http://api.test/media/assets/shared.jpg?w=320 320w, "
                               "http://api.test/media/assets/shared.jpg?w=640 640w, "
                               "http://api.test/media/assets/shared.jpg?w=1024 1024w, "
                               "http://api.test/media/assets/shared.jpg 1200w")
    assert (chart["width"], chart["height"], chart["mime_type"]) == (500, 250, "image/png")
    assert [v["width"] for v in chart["variants"]] == [320, 500]
    assert "posts" not in cover  # which posts share a file is told by /api/images, not repeated in every post


def test_every_srcset_entry_is_served_at_its_width(blog: Any) -> None:
    cover = blog.get("/api/posts/old").get_json()["image"]
    for variant in cover["variants"]:
        response = blog.get(variant["url"].removeprefix("http://api.test"))
        assert response.status_code == 200
        with PILImage.open(io.BytesIO(response.data)) as image:
            assert image.size == (variant["width"], variant["height"])


def test_remote_and_missing_images(blog: Any) -> None:
    remote, gone = blog.get("/api/posts/new").get_json()["images"]
    assert remote["url"] == "https://cdn.example.org/far.jpg" and remote["local"] is False
    assert (remote["width"], remote["height"], remote["placeholder"], remote["srcset"]) == (None, None, None, None)
    assert remote["variants"] == [] and remote["missing"] is False
    assert gone["local"] is True and gone["missing"] is True and gone["width"] is None and gone["variants"] == []


def test_list_summaries_and_search_hits_carry_image_sizes(blog: Any) -> None:
    for item in blog.get("/api/posts").get_json()["items"]:
        assert set(item["image"]) >= LOCAL_KEYS and item["image"]["width"] == 1200, item["slug"]
    hits = blog.get("/api/search?q=words").get_json()["items"]
    assert hits and all(hit["image"]["height"] == 800 for hit in hits)
    chart = blog.get("/api/search?q=chart&type=image").get_json()["items"]
    assert [(hit["width"], hit["height"]) for hit in chart] == [(500, 250)]
    assert chart[0]["srcset"].endswith("/media/assets/chart.png 500w")


def test_each_image_lists_the_visible_posts_that_use_its_file(blog: Any) -> None:
    body = blog.get("/api/images?per_page=100").get_json()
    shared = [i for i in body["items"] if i["src"] == "/assets/shared.jpg"]
    assert [i["post"]["slug"] for i in shared] == ["new", "old"]  # one entry per use; the future post is hidden
    for image in shared:
        assert [p["slug"] for p in image["posts"]] == ["new", "old"] and image["post_count"] == 2
        assert image["posts"][0]["url"] == "https://blog.test/town/2024/02/01/new.html"
        assert blog.get(f"/api/images/{image['id']}").get_json() == image
    chart = next(i for i in body["items"] if i["src"] == "/assets/chart.png")
    assert [p["slug"] for p in chart["posts"]] == ["old"] and chart["width"] == 500


def test_image_list_filters_and_pages(blog: Any) -> None:
    by_post = blog.get("/api/images?post=old").get_json()
    assert [i["src"] for i in by_post["items"]] == ["/assets/shared.jpg", "/assets/chart.png"]
    by_category = blog.get("/api/images?category=town").get_json()
    assert {i["post"]["slug"] for i in by_category["items"]} == {"new"} and by_category["total"] == 3
    first = blog.get("/api/images?per_page=2").get_json()
    second = blog.get("/api/images?per_page=2&page=2").get_json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (5, 3, 2, 2)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert blog.get("/api/images?post=nobody").get_json()["items"] == []
    assert blog.get("/api/images?per_page=0").status_code == 400
    assert blog.get("/api/images/no-such-image").status_code == 404


def test_sample_content_images_all_carry_dimensions_placeholders_and_srcset(client: Any) -> None:
    seen = 0
    listed = client.get("/api/posts?per_page=100").get_json()["items"]
    for summary in listed:
        post = client.get(f"/api/posts/{summary['slug']}").get_json()
        for image in [summary["image"], post["image"], *post["images"]]:
            if image is None or not image["local"]:
                continue
            seen += 1
            assert image["missing"] is False, image["src"]
            assert image["width"] > 0 and image["height"] > 0 and image["mime_type"].startswith("image/")
            assert image["placeholder"].startswith("data:image/") and len(image["placeholder"]) <= 1024
            assert image["srcset"] and image["variants"][-1]["width"] == image["width"]
            assert all(v["width"] <= image["width"] for v in image["variants"])
    assert seen >= 20
    for image in client.get("/api/images?per_page=100").get_json()["items"]:
        assert image["local"] and image["width"] and image["srcset"] and image["posts"], image["src"]


def test_readme_snippet_is_built_from_the_real_response(client: Any) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Images for frontends", 1)[1].split("<!-- api-docs -->", 1)[0]
    image = client.get("/api/posts/grey-heron-pair-nests-at-millbrook-reservoir").get_json()["images"][0]
    srcset = image["srcset"].replace("http://api.test", "http://127.0.0.1:8000")
    assert f'"placeholder": "{image["placeholder"]}"' in section
    assert f'"srcset": "{srcset}"' in section
    assert f'width="{image["width"]}" height="{image["height"]}"' in section
    assert f"url('{image['placeholder']}')" in section
