"""Categories with their post counts, and one category's posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.lists import find_label, label_page, post_page
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import LabelListArgs, PostListArgs
from service.schemas.responses import CategoryDetailSchema, CategoryListSchema

blp = Blueprint("categories", __name__, url_prefix="/api/categories", description="Categories and their posts.",
                cached=True)


@blp.route("")
class Categories(MethodView):
    @blp.arguments(LabelListArgs(), location="query")
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
