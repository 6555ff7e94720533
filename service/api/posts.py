"""Posts: the newest-first list, one post with its neighbours, and related posts."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from service.api import Blueprint, current_index
from service.schemas.args import POST_PARTS, PostByIdArgs, PostFieldsArgs, PostListArgs, RelatedArgs, RelatedByIdArgs
from service.schemas.pages import finish
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


@blp.route("")
class Posts(MethodView):
    @blp.arguments(PostListArgs, location="query")
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
    @blp.arguments(PostByIdArgs, location="query")
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
    @blp.arguments(RelatedByIdArgs, location="query")
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
    @blp.arguments(PostFieldsArgs, location="query")
    @blp.response(200, PostSchema)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any] | Response:
        """Return one post in full, with its table of contents and the posts before (prev) and after (next) it."""
        index = current_index()
        body = index.post_page(slug) if not args.get("only") else None
        if body is not None:  # finished at index time: one read, no dump
            return current_app.response_class(finish(body, current_app.config), mimetype="application/json")
        record = index.get_post(slug)
        if record is None:
            abort(404, message=f"no post with slug {slug!r}")
        return full_post(record, args.get("only"))


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
