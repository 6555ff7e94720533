"""Pages: every Markdown or HTML page of the site, listed and fetched by path or slug."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.lists import page_body
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import PaginationArgs
from service.schemas.site import DocumentListSchema, DocumentSchema
from service.search import Page
from service.search.site_store import SUMMARY_KEYS

blp = Blueprint("pages", __name__, url_prefix="/api/pages", description="Pages (sources outside `_` folders).",
                cached=True)


def paginate(items: list[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Cut a list into the paginated envelope every list endpoint returns."""
    return page_body(Page.of(items, args["page"], args["per_page"]))


def summary(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in SUMMARY_KEYS}


@blp.route("")
class Pages(MethodView):
    @blp.arguments(PaginationArgs(), location="query")
    @blp.response(200, DocumentListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List pages by source path."""
        return paginate([summary(p) for p in current_index().site().pages], args)


@blp.route("/<path:key>")
class PageDetail(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, key: str) -> dict[str, Any]:
        """Return one page in full, by source path (`about.md`), slug (`about`) or URL (`/about/`)."""
        page = current_index().site().page(key)
        if page is None:
            abort(404, message=f"no page {key!r}")
        return page
