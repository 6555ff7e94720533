"""Quotes pulled from posts' blockquotes, with their attribution and post."""

from __future__ import annotations

import secrets
from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.lists import page_body, post_filter
from service.api.resource import Blueprint
from service.caching import uncached
from service.current import current_index
from service.schemas.args import QuoteListArgs, RandomQuoteArgs
from service.schemas.responses import QuoteListSchema, QuoteSchema

blp = Blueprint("quotes", __name__, url_prefix="/api/quotes", description="Quotes from posts.", cached=True)


@blp.route("")
class Quotes(MethodView):
    @blp.arguments(QuoteListArgs(), location="query")
    @blp.response(200, QuoteListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List quotes, newest post first, optionally of one post or category."""
        return page_body(current_index().list_quotes(post_filter(args), args["page"], args["per_page"]))


@blp.route("/random")
@uncached
class RandomQuote(MethodView):
    @blp.doc(**{"x-cache": "no-store"})
    @blp.arguments(RandomQuoteArgs(), location="query")
    @blp.response(200, QuoteSchema, headers={"Cache-Control": {"description": "no-store: each request picks anew.",
                                                              "schema": {"type": "string"}}})
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return one quote at random, optionally from one category; never cached."""
        quote = current_index().random_quote(post_filter(args), secrets.randbits(32))
        if quote is None:
            abort(404, message="no quotes match")
        return quote


@blp.route("/<quote_id>")
class QuoteDetail(MethodView):
    @blp.response(200, QuoteSchema)
    def get(self, quote_id: str) -> dict[str, Any]:
        """Return one quote, with the post it comes from."""
        quote = current_index().get_quote(quote_id)
        if quote is None:
            abort(404, message=f"no quote with id {quote_id!r}")
        return quote
