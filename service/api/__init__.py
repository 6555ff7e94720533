"""The HTTP API: one blueprint per resource, registered with flask-smorest for the OpenAPI document."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from service.search import SearchIndex


class _Parser(FlaskParser):
    # A bad parameter is the client's mistake in the request line: 400, not webargs' 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose argument errors are 400s and whose schemas reject unknown parameters."""

    ARGUMENTS_PARSER = _Parser(unknown=None)


def current_index() -> SearchIndex:
    """Return this worker's opened index, switching to a newer build when one was published."""
    # One build per request: the body, its ETag and X-Content-Build must all describe the same one.
    if "broadsheet_index" not in g:
        g.broadsheet_index = current_app.extensions["broadsheet.index"].get()
    return g.broadsheet_index


def init_app(app: Flask) -> Api:
    """Create the Api and register every resource blueprint."""
    from service.api import (
        admin,
        archive,
        authors,
        categories,
        changes,
        collections,
        docs,
        feeds,
        health,
        images,
        media,
        posts,
        quotes,
        resolve,
        search,
        site,
        site_pages,
        tags,
    )

    api = docs.make_api(app)
    for module in (posts, categories, tags, archive, quotes, images, search, feeds, media, health, admin, site,
                   site_pages, collections, authors, resolve, changes):
        api.register_blueprint(module.blp)
    return api
