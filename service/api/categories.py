"""Categories with their post counts, and one category's posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.posts import page_body, post_page
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import LabelListArgs, PostListArgs
from service.schemas.responses import CategoryDetailSchema, CategoryListSchema
from service.search import Page

blp = Blueprint("categories", __name__, url_prefix="/api/categories", description="Categories and their posts.",
                cached=True)


def label_page(labels: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """Sort and paginate categories or tags (name, slug, count) into the list envelope."""
    if args["sort"] == "name":
        ordered = sorted(labels, key=lambda label: (label["name"].casefold(), label["slug"]))
    else:
        ordered = sorted(labels, key=lambda label: (-label["count"], label["slug"]))
    start = (args["page"] - 1) * args["per_page"]
    return page_body(Page(items=ordered[start : start + args["per_page"]], total=len(ordered), page=args["page"],
                          per_page=args["per_page"]))


def find_label(kind: str, noun: str, slug: str) -> dict[str, Any]:
    """Return the category or tag with this slug from the build's manifest, or answer 404."""
    found = next((label for label in current_index().manifest.labels(kind) if label["slug"] == slug), None)
    if found is None:
        abort(404, message=f"no {noun} with slug {slug!r}")
    return found


@blp.route("")
class Categories(MethodView):
    @blp.arguments(LabelListArgs, location="query")
    @blp.response(200, CategoryListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List categories with their post counts, most used first (or by name)."""
        return label_page(current_index().manifest.categories, args)


@blp.route("/<slug>")
class CategoryDetail(MethodView):
    @blp.arguments(PostListArgs(exclude=("category",)), location="query")
    @blp.response(200, CategoryDetailSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return a category and its posts, filtered, sorted and paginated like /api/posts."""
        category = find_label("categories", "category", slug)
        return {"category": category, **post_page(args, category=slug)}
