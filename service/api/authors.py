"""Authors named by posts, joined with the site's author records, and each author's posts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.resource import Blueprint
from service.api.site_pages import paginate
from service.current import current_index
from service.schemas.args import PaginationArgs
from service.schemas.site import AuthorDetailSchema, AuthorListSchema

blp = Blueprint("authors", __name__, url_prefix="/api/authors", description="Authors and their posts.",
                cached=True)


def public_author(author: dict[str, Any]) -> dict[str, Any]:
    """An author record as the API serves it: its posts counted, not listed."""
    return {**{k: v for k, v in author.items() if k != "posts"}, "post_count": len(author.get("posts", []))}


@blp.route("")
class Authors(MethodView):
    @blp.arguments(PaginationArgs(), location="query")
    @blp.response(200, AuthorListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List authors by slug, with how many visible posts each has."""
        return paginate([public_author(a) for a in current_index().site().authors], args)


@blp.route("/<slug>")
class AuthorDetail(MethodView):
    @blp.arguments(PaginationArgs(), location="query")
    @blp.response(200, AuthorDetailSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return one author and their posts, newest first, paginated."""
        index = current_index()
        author = index.site().author(slug)
        if author is None:
            abort(404, message=f"no author with slug {slug!r}")
        page = paginate(author.get("posts", []), args)
        page["items"] = [p for p in (index.get_post_by_id(post_id) for post_id in page["items"]) if p is not None]
        return {**public_author(author), "posts": page}
