"""Tags with their post counts, and one tag's posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.lists import find_label, label_page, post_page
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import LabelListArgs, PostListArgs
from service.schemas.responses import TagDetailSchema, TagListSchema

blp = Blueprint("tags", __name__, url_prefix="/api/tags", description="Tags and their posts.", cached=True)


@blp.route("")
class Tags(MethodView):
    @blp.arguments(LabelListArgs(), location="query")
    @blp.response(200, TagListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tags with their post counts, most used first (or by name)."""
        return label_page(current_index().manifest.tags, args)


@blp.route("/<slug>")
class TagDetail(MethodView):
    @blp.arguments(PostListArgs(exclude=("tag",)), location="query")
    @blp.response(200, TagDetailSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return a tag and its posts, filtered, sorted and paginated like /api/posts."""
        return {"tag": find_label("tags", "tag", slug), **post_page(args, tag=slug)}
