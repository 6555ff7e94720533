"""JSON Feed 1.1 and Atom feeds of the newest posts, whole-site and per category."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.helpers import write_post


@pytest.fixture
def press(content_dir: Path, make_app: Any) -> Any:
    for n in range(1, 24):
        category = "Sport" if n % 3 == 0 else "Politics"
        write_post(content_dir, f"2024-05-{n:02d}-story-{n}.md",
                   f"title: Story number {n}\ncategories: [{category}]\ntags: [t{n % 2}]\nimage: /assets/s{n}.png\n"
                   f"author: Reporter {n}",
                   f"Lead paragraph of story {n}.\n\nSecond paragraph with <em>markup</em> & more.\n")
    return make_app(content_dir).test_client()


def test_json_feed_has_the_required_fields(press: Any) -> None:
    response = press.get("/feed.json")
    assert response.status_code == 200
    assert response.mimetype == "application/feed+json"
    feed = response.get_json(force=True)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["home_page_url"] == "https://blog.test/"
    assert feed["feed_url"] == "http://api.test/feed.json"
    assert len(feed["items"]) == 20
    newest = feed["items"][0]
    assert newest["id"] == newest["url"] == "https://blog.test/politics/2024/05/23/story-23.html"
    assert newest["title"] == "Story number 23"
    assert "<p>Lead paragraph of story 23.</p>" in newest["content_html"]
    assert newest["date_published"].startswith("2024-05-23T")
    assert newest["image"] == "http://api.test/media/assets/s23.png"
    assert newest["authors"] == [{"name": "Reporter 23"}]
    assert "Politics" in newest["tags"]
    for item in feed["items"]:
        assert item["id"] and ("content_html" in item or "content_text" in item)
    assert response.headers["ETag"] and response.headers["Cache-Control"].startswith("public")


def test_json_feed_per_category(press: Any) -> None:
    feed = press.get("/feed.json?category=sport").get_json(force=True)
    assert [item["title"] for item in feed["items"]][:2] == ["Story number 21", "Story number 18"]
    assert len(feed["items"]) == 7 and feed["title"].endswith("Sport")
    assert feed["feed_url"] == "http://api.test/feed.json?category=sport"
    assert press.get("/feed.json?category=gardening").status_code == 404
    assert press.get("/feed.json?format=rss").status_code == 400


def test_atom_feed_parses(press: Any) -> None:
    response = press.get("/feed.xml")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Broadsheet"
    assert any(link.rel == "self" and link.href == "http://api.test/feed.xml" for link in parsed.feed.links)
    assert len(parsed.entries) == 20
    entry = parsed.entries[0]
    assert entry.title == "Story number 23" and entry.link == "https://blog.test/politics/2024/05/23/story-23.html"
    assert entry.id == entry.link
    assert "Lead paragraph of story 23." in entry.content[0].value
    assert entry.published_parsed[:3] == (2024, 5, 23)
    assert entry.tags[0].term == "politics"
    sport = feedparser.parse(press.get("/feed.xml?category=sport").get_data())
    assert len(sport.entries) == 7 and not sport.bozo


def test_feed_title_is_configurable(content_dir: Path, make_app: Any) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body.\n")
    web = make_app(content_dir, SITE_TITLE="The Riverside Ledger").test_client()
    assert web.get("/feed.json").get_json(force=True)["title"] == "The Riverside Ledger"
    assert feedparser.parse(web.get("/feed.xml").get_data()).feed.title == "The Riverside Ledger"


def test_empty_site_gives_valid_empty_feeds(content_dir: Path, make_app: Any) -> None:
    web = make_app(content_dir).test_client()
    assert web.get("/feed.json").get_json(force=True)["items"] == []
    parsed = feedparser.parse(web.get("/feed.xml").get_data())
    assert not parsed.bozo and parsed.entries == []
