"""Collections from _config.yml and their documents."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.resource import Blueprint
from service.api.site_pages import paginate, summary
from service.current import current_index
from service.schemas.args import PaginationArgs
from service.schemas.site import CollectionListSchema, DocumentListSchema, DocumentSchema

blp = Blueprint("collections", __name__, url_prefix="/api/collections", description="Collections and documents.",
                cached=True)


def _collection(label: str) -> dict[str, Any]:
    found = current_index().site().collection(label)
    if found is None:
        abort(404, message=f"no collection {label!r}")
    return found


@blp.route("")
class Collections(MethodView):
    @blp.response(200, CollectionListSchema)
    def get(self) -> dict[str, Any]:
        """List the site's collections (posts stay under /api/posts) with their settings and document counts."""
        return {"items": current_index().site().collections}


@blp.route("/<label>/documents")
class Documents(MethodView):
    @blp.arguments(PaginationArgs(), location="query")
    @blp.response(200, DocumentListSchema)
    def get(self, args: dict[str, Any], label: str) -> dict[str, Any]:
        """List a collection's documents in the collection's order (`order`, `sort_by`, else date and path)."""
        _collection(label)
        docs = [summary(d) for d in current_index().site().documents if d["collection"] == label]
        return paginate(docs, args)


@blp.route("/<label>/documents/<path:key>")
class DocumentDetail(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, label: str, key: str) -> dict[str, Any]:
        """Return one document in full, by slug, file name without extension, source path or id."""
        _collection(label)
        doc = current_index().site().document(label, key)
        if doc is None:
            abort(404, message=f"no document {key!r} in collection {label!r}")
        return doc
