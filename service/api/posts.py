"""Posts: the newest-first list, one post with its neighbours, and related posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api import Blueprint, current_index
from service.schemas.args import PostListArgs, RelatedArgs
from service.schemas.responses import PostListSchema, PostSchema, RelatedListSchema
from service.search import PostFilter

blp = Blueprint("posts", __name__, url_prefix="/api/posts", description="Blog posts, newest first.")


def post_filter(args: dict[str, Any]) -> PostFilter:
    """Build the index filter from parsed query arguments."""
    names = ("category", "tag", "year", "month", "date_from", "date_to", "post")
    return PostFilter(**{name: args.get(name) for name in names})


def page_body(page: Any) -> dict[str, Any]:
    """Shape a Page into the list envelope every list endpoint returns."""
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}


@blp.route("")
class Posts(MethodView):
    @blp.arguments(PostListArgs, location="query")
    @blp.response(200, PostListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List post summaries, filtered and paginated."""
        page = current_index().list_posts(post_filter(args), args["sort"], args["page"], args["per_page"])
        return page_body(page)


@blp.route("/<slug>")
class PostDetail(MethodView):
    @blp.response(200, PostSchema)
    def get(self, slug: str) -> dict[str, Any]:
        """Return one post in full, with the posts before and after it."""
        index = current_index()
        record = index.get_post(slug)
        if record is None:
            abort(404, message=f"no post with slug {slug!r}")
        older, newer = index.neighbours(slug)
        return {**record, "prev": older, "next": newer}


@blp.route("/<slug>/related")
class RelatedPosts(MethodView):
    @blp.arguments(RelatedArgs, location="query")
    @blp.response(200, RelatedListSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return the posts most similar to this one (never itself)."""
        related = current_index().related(slug, args["limit"])
        if related is None:
            abort(404, message=f"no post with slug {slug!r}")
        return {"items": related}
