"""Posts: the newest-first list, one post with its neighbours, and related posts."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import abort

from service.api.lists import post_page, trim
from service.api.resource import Blueprint
from service.current import current_index
from service.post_front import MARK
from service.schemas.args import PostByIdArgs, PostFieldsArgs, PostListArgs, RelatedArgs, RelatedByIdArgs
from service.schemas.compiled import finish
from service.schemas.responses import PostListSchema, PostSchema, RelatedListSchema

blp = Blueprint("posts", __name__, url_prefix="/api/posts", description="Blog posts, newest first.", cached=True)


@blp.route("")
class Posts(MethodView):
    @blp.arguments(PostListArgs(), location="query")
    @blp.response(200, PostListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List post summaries, filtered, sorted and paginated.

        Lists are light: add heavy parts with `include=html,toc,...`, or pick keys with `fields=slug,title,...`.
        """
        return post_page(args)


def full_post(record: dict[str, Any], only: list[str] | None) -> dict[str, Any]:
    """Add a post record's neighbours (by date) and keep only the keys `fields=` names."""
    older, newer = current_index().neighbours(record["id"])
    return trim({**record, "prev": older, "next": newer}, only)


@blp.route("/by-id")
class PostById(MethodView):
    @blp.arguments(PostByIdArgs(), location="query")
    @blp.response(200, PostSchema)
    @blp.alt_response(404, description="No served post has this id.")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return one post by its Jekyll id, for posts that share a slug (each is named in the others' `other_ids`).

        A frontend can build the id from a permalink: Jekyll's id is the folder of the post's URL (without
        `baseurl`) joined to its slug, e.g. `/2016/01/01/welcome` for `/2016/01/01/welcome.html`.
        """
        record = current_index().get_post_by_id(args["id"])
        if record is None:
            abort(404, message=f"no post with id {args['id']!r}")
        return full_post(record, args.get("only"))


@blp.route("/by-id/related")
class RelatedPostsById(MethodView):
    @blp.arguments(RelatedByIdArgs(), location="query")
    @blp.response(200, RelatedListSchema)
    @blp.alt_response(404, description="No served post has this id.")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return the posts most similar to the post with this Jekyll id (never itself)."""
        related = current_index().related(args["id"], args["limit"])
        if related is None:
            abort(404, message=f"no post with id {args['id']!r}")
        return {"items": related}


@blp.route("/<slug>")
class PostDetail(MethodView):
    @blp.arguments(PostFieldsArgs(), location="query")
    @blp.response(200, PostSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any] | Response:
        """Return one post in full, with its table of contents and the posts before (prev) and after (next) it."""
        index = current_index()
        body = index.post_page(slug) if not args.get("only") else None
        if body is not None:  # finished at index time: one read, no dump
            request.environ[MARK] = index.build_id  # the front may answer this build's next posts itself
            return current_app.response_class(finish(body, current_app.config), mimetype="application/json")
        record = index.get_post(slug)
        if record is None:
            abort(404, message=f"no post with slug {slug!r}")
        return full_post(record, args.get("only"))


@blp.route("/<slug>/related")
class RelatedPosts(MethodView):
    @blp.arguments(RelatedArgs(), location="query")
    @blp.response(200, RelatedListSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """Return the posts most similar to this one (never itself)."""
        related = current_index().related(slug, args["limit"])
        if related is None:
            abort(404, message=f"no post with slug {slug!r}")
        return {"items": related}
