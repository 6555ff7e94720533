"""What the list endpoints share: the post filter, the list envelope, post lists shaped by include=/fields=, labels."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask_smorest import abort

from service.current import current_index
from service.search import Page, PostFilter
from service.search.documents import POST_PARTS

FILTERS = tuple(f.name for f in fields(PostFilter))  # every filter the index knows, so none is dropped on the way


def post_filter(args: dict[str, Any]) -> PostFilter:
    """Build the index filter from parsed query arguments."""
    return PostFilter(**{name: args.get(name) for name in FILTERS})


def page_body(page: Page) -> dict[str, Any]:
    """Shape a Page into the list envelope every list endpoint returns."""
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}


def trim(post: dict[str, Any], only: list[str] | None) -> dict[str, Any]:
    """Keep only the keys `fields=` names, in the post's own order."""
    return {key: value for key, value in post.items() if key in only} if only else post


def shape_items(items: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Add the heavy parts `include=` (or `fields=`) asks for to list summaries, then trim them to `fields=`."""
    only = args.get("only")
    wanted = [part for part in POST_PARTS if part in (args.get("include") or ()) or part in (only or ())]
    if wanted:
        index = current_index()
        for n, item in enumerate(items):
            record = index.get_post_by_id(item["id"]) or {}
            items[n] = {**item, **{part: record.get(part) for part in wanted}}
    return [trim(item, only) for item in items]


def post_page(args: dict[str, Any], **fixed: str) -> dict[str, Any]:
    """List posts for a list endpoint: filtered (args plus fixed filters), sorted, paginated and shaped."""
    page = current_index().list_posts(post_filter({**args, **fixed}), args["sort"], args["page"], args["per_page"])
    return {**page_body(page), "items": shape_items(page.items, args)}


def label_page(labels: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """Sort and paginate categories or tags (name, slug, count) into the list envelope."""
    if args["sort"] == "name":
        ordered = sorted(labels, key=lambda label: (label["name"].casefold(), label["slug"]))
    else:
        ordered = sorted(labels, key=lambda label: (-label["count"], label["slug"]))
    return page_body(Page.of(ordered, args["page"], args["per_page"]))


def find_label(kind: str, noun: str, slug: str) -> dict[str, Any]:
    """Return the category or tag with this slug from the build's manifest, or answer 404."""
    found = next((label for label in current_index().manifest.labels(kind) if label["slug"] == slug), None)
    if found is None:
        abort(404, message=f"no {noun} with slug {slug!r}")
    return found
