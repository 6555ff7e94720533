"""Categories with their post counts, and one category's posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api import Blueprint, current_index
from service.api.posts import page_body, post_filter
from service.schemas.args import PostListArgs
from service.schemas.responses import CategoryDetailSchema, CategoryListSchema

blp = Blueprint("categories", __name__, url_prefix="/api/categories", description="Categories and their posts.")


@blp.route("")
class Categories(MethodView):
    @blp.response(200, CategoryListSchema)
    def get(self) -> dict[str, Any]:
        """List every category with its post count, most used first."""
        items = sorted(current_index().manifest.get("categories", []), key=lambda c: (-c["count"], c["slug"]))
        return {"items": items, "total": len(items)}


@blp.route("/<slug>")
class CategoryDetail(MethodView):
    @blp.arguments(PostListArgs, location="query")
    @blp.response(200, CategoryDetailSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return a category and its posts, paginated."""
        index = current_index()
        category = next((c for c in index.manifest.get("categories", []) if c["slug"] == slug), None)
        if category is None:
            abort(404, message=f"no category with slug {slug!r}")
        page = index.list_posts(post_filter({**args, "category": slug}), args["sort"], args["page"], args["per_page"])
        return {"category": category, **page_body(page)}
