"""Full-text search, as-you-type suggestions."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest.utils import get_appcontext

from service.api.lists import post_filter
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import SearchArgs, SuggestArgs
from service.schemas.compiled import dump_json, has_marks
from service.schemas.responses import SearchResultSchema, SuggestListSchema
from service.search import SearchRequest

blp = Blueprint("search", __name__, url_prefix="/api/search", description="Full-text search.", cached=True)


@blp.route("")
class Search(MethodView):
    @blp.arguments(SearchArgs(), location="query")
    @blp.response(200, SearchResultSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any] | Response:
        """Search posts, quotes or images, with highlights, facet counts and a "did you mean".

        Words match in any form (stemmed English), typos are forgiven, the last word also matches as a prefix,
        and title matches weigh most. An empty q lists what the filters match, newest first.
        """
        body = search_envelope(args)
        if has_marks(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)):  # content holding a marker: marshmallow
            return body
        # the compiled schema: marshmallow's dump was a third of a search; the envelope feeds the Link headers
        get_appcontext()["result_dump"] = {key: value for key, value in body.items() if key != "items"}
        return current_app.response_class(dump_json(SearchResultSchema, body, current_app.config),
                                          mimetype="application/json")


def search_envelope(args: dict[str, Any]) -> dict[str, Any]:
    """Run the search the arguments ask for and return the response envelope, before the schema's dump."""
    request = SearchRequest(
        q=args["q"], type=args["type"], filters=post_filter(args), sort=args["sort"], page=args["page"],
        per_page=args["per_page"], facets=_facets(args["facets"]), typos=args["typos"],
    )
    result = current_index().search(request)
    return {
        "items": result.hits, "page": result.page, "per_page": result.per_page, "total": result.total,
        "pages": result.pages, "query": result.understood, "type": request.type, "took_ms": result.took_ms,
        "suggestion": result.suggestion, "facets": result.facets,
    }


def _facets(raw: str) -> tuple[str, ...]:
    """Return the facets asked for, each once, in the order given."""
    return tuple(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))


@blp.route("/suggest")
class Suggest(MethodView):
    @blp.arguments(SuggestArgs(), location="query")
    @blp.response(200, SuggestListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Complete what is being typed: up to 8 post titles and words, for a suggestion box."""
        return {"items": current_index().suggest(args["q"], args["limit"])}
