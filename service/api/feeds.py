"""Feeds of the newest posts: JSON Feed 1.1 at /feed.json and Atom at /feed.xml, optionally of one category or tag."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, current_app
from flask.views import MethodView

from service.api.lists import find_label, post_filter
from service.api.resource import Blueprint
from service.config import public_url, site_url
from service.current import current_index
from service.schemas.args import FeedArgs
from service.schemas.responses import JsonFeedSchema

blp = Blueprint("feeds", __name__, description="Feeds of the newest posts for feed readers.", cached=True)

FEED_SIZE = 20
JSON_FEED = "application/feed+json"
ATOM = "application/atom+xml"


def _absolute(url: str | None, base: str) -> str | None:
    return base + url if url and url.startswith("/") and not url.startswith("//") else url


def feed_data(args: dict[str, Any], path: str) -> dict[str, Any]:
    """Gather what both feeds say: title, links and the newest posts in full, with absolute URLs."""
    config = current_app.config
    index = current_index()
    title = config.get("SITE_TITLE") or "Broadsheet"
    if args.get("category"):
        title = f"{title}: {find_label('categories', 'category', args['category'])['name']}"
    if args.get("tag"):
        title = f"{title}: #{find_label('tags', 'tag', args['tag'])['name']}"
    api, site = public_url(config), site_url(config)
    query = urlencode(sorted((k, v) for k, v in args.items() if k in ("category", "tag")))
    page = index.list_posts(post_filter(args), "-date", 1, FEED_SIZE)
    posts = []
    for summary in page.items:
        record = index.get_post_by_id(summary["id"]) or summary
        image = record.get("image") or {}
        author = (record.get("meta") or {}).get("author")
        posts.append({
            "url": _absolute(record["url"], site), "title": record["title"], "html": record.get("html") or "",
            "summary": record.get("excerpt") or "", "date": datetime.fromisoformat(record["date"]),
            "image": _absolute(image.get("url"), api), "author": author if isinstance(author, str) else None,
            "labels": [c["name"] for c in record.get("categories", [])] + [t["name"] for t in record.get("tags", [])],
            "categories": record.get("categories", []),
        })
    return {"title": title, "home": site + "/", "self": f"{api}{path}" + (f"?{query}" if query else ""),
            "posts": posts, "updated": posts[0]["date"] if posts else None}


def json_feed(data: dict[str, Any]) -> dict[str, Any]:
    """Shape the feed as JSON Feed 1.1."""
    items = []
    for post in data["posts"]:
        item = {"id": post["url"], "url": post["url"], "title": post["title"], "content_html": post["html"],
                "summary": post["summary"], "date_published": post["date"].isoformat(), "tags": post["labels"]}
        if post["image"]:
            item["image"] = post["image"]
        if post["author"]:
            item["authors"] = [{"name": post["author"]}]
        items.append(item)
    return {"version": "https://jsonfeed.org/version/1.1", "title": data["title"], "home_page_url": data["home"],
            "feed_url": data["self"], "items": items}


def atom_feed(data: dict[str, Any]) -> bytes:
    """Render the feed as Atom with feedgen."""
    from feedgen.feed import FeedGenerator  # imported here: feedgen and lxml cost a worker's start 40 ms

    feed = FeedGenerator()
    feed.id(data["self"])
    feed.title(data["title"])
    feed.author({"name": data["title"]})
    feed.link(href=data["self"], rel="self", type=ATOM)
    feed.link(href=data["home"], rel="alternate", type="text/html")
    feed.updated(data["updated"] or datetime.fromisoformat("1970-01-01T00:00:00+00:00"))
    feed.generator("Broadsheet")
    for post in data["posts"]:
        entry = feed.add_entry(order="append")
        entry.id(post["url"])
        entry.title(post["title"])
        entry.link(href=post["url"], rel="alternate", type="text/html")
        entry.published(post["date"])
        entry.updated(post["date"])
        if post["summary"]:
            entry.summary(post["summary"])
        entry.content(post["html"], type="html")
        if post["author"]:
            entry.author({"name": post["author"]})
        for category in post["categories"]:
            entry.category(term=category["slug"], label=category["name"])
    return feed.atom_str(pretty=False)


@blp.route("/feed.json")
class JsonFeed(MethodView):
    @blp.arguments(FeedArgs(), location="query")
    @blp.response(200, JsonFeedSchema, content_type=JSON_FEED)
    def get(self, args: dict[str, Any]) -> Response:
        """The newest posts as a JSON Feed 1.1, optionally of one category or tag."""
        body = JsonFeedSchema().dump(json_feed(feed_data(args, "/feed.json")))
        return Response(orjson.dumps(body), mimetype=JSON_FEED)


@blp.route("/feed.xml")
class AtomFeed(MethodView):
    @blp.arguments(FeedArgs(), location="query")
    @blp.response(200, {"type": "string", "description": "An Atom 1.0 document."}, content_type=ATOM)
    def get(self, args: dict[str, Any]) -> Response:
        """The newest posts as an Atom feed, optionally of one category or tag."""
        return Response(atom_feed(feed_data(args, "/feed.xml")), mimetype=ATOM)
