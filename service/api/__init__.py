"""The HTTP API: one blueprint per resource, registered with flask-smorest for the OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


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
