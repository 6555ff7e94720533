"""The HTTP API: one blueprint per resource, registered with flask-smorest for the OpenAPI document."""

from __future__ import annotations

from flask import Flask, current_app
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
    return current_app.extensions["broadsheet.index"].get()


def init_app(app: Flask) -> Api:
    """Create the Api and register every resource blueprint."""
    from service.api import categories, health, images, media, posts, quotes, search

    api = Api(app, spec_kwargs={"info": {"description": "Posts, categories, quotes, images and search "
                                                        "from a folder of Jekyll posts."}})
    for module in (posts, categories, quotes, images, search, media, health):
        api.register_blueprint(module.blp)
    return api
