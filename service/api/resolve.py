"""What lives at a public URL of the site, and every legacy URL (redirect) pair."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.authors import public_author
from service.api.resource import Blueprint
from service.api.site_pages import paginate
from service.current import current_index
from service.schemas.args import PaginationArgs
from service.schemas.responses import PostSchema
from service.schemas.site import AuthorSchema, DocumentSchema, RedirectListSchema, ResolveArgs, ResolveSchema

blp = Blueprint("resolve", __name__, url_prefix="/api", description="Resolve public paths; legacy redirects.",
                cached=True)


@blp.route("/resolve")
class Resolve(MethodView):
    @blp.arguments(ResolveArgs(), location="query")
    @blp.response(200, ResolveSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Say what lives at a public path: a post, page, document, author, category or tag (with the item), or a
        redirect's target.

        Category and tag pages are those jekyll-archives writes; an `authors` collection document is its author.

        Paths match as Jekyll writes them: `/a/b/`, `/a/b/index.html` and `/a/b`, percent-encoded or not.
        """
        index = current_index()
        view = index.site()
        found = view.at(args["path"], str(view.settings.get("baseurl") or ""))
        if found is None:
            abort(404, message=f"nothing lives at {args['path']!r}")
        kind, item = found
        if kind == "redirect":
            return {"type": "redirect", "url": item["from"], "location": item["to"], "status": 301}
        if kind == "author":
            return {"type": "author", "url": item["url"], "item": AuthorSchema().dump(public_author(item))}
        if kind in ("category", "tag"):
            plural = "categories" if kind == "category" else "tags"
            label = next((lb for lb in index.manifest.labels(plural) if lb["slug"] == item["slug"]), None)
            if label is None:
                abort(404, message=f"nothing lives at {args['path']!r}")
            return {"type": kind, "url": item["url"], "item": label}
        if kind == "post":
            record = index.get_post_by_id(item)
            if record is None:
                abort(404, message=f"nothing lives at {args['path']!r}")
            older, newer = index.neighbours(item)
            return {"type": "post", "url": record["url"], "item": PostSchema().dump({**record, "prev": older,
                                                                                    "next": newer})}
        return {"type": item["kind"], "url": item["url"], "item": DocumentSchema().dump(item)}


@blp.route("/redirects")
class Redirects(MethodView):
    @blp.arguments(PaginationArgs(), location="query")
    @blp.response(200, RedirectListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List every (from, to) pair of jekyll-redirect-from's `redirect_from` and `redirect_to`."""
        return paginate(current_index().site().redirects, args)
