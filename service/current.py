"""The index build this request answers from: one holder per app, one opened build per request (flaskr's get_db)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g

from service.search import IndexHolder, IndexUnavailable, SearchIndex

EXTENSION = "broadsheet.index"


def current_index() -> SearchIndex:
    """Return this worker's opened index, switching to a newer build when one was published."""
    # One build per request: the body, its ETag and X-Content-Build must all describe the same one.
    if "broadsheet_index" not in g:
        g.broadsheet_index = current_app.extensions[EXTENSION].get()
    return g.broadsheet_index


def current_index_or_none() -> SearchIndex | None:
    """Return the request's index, or None while no build can be opened (caching headers then stand aside)."""
    try:
        return current_index()
    except IndexUnavailable:
        return None


def init_app(app: Flask) -> None:
    """Install the holder that opens INDEX_DIR's current build, once per thread and again after each publish."""
    app.extensions[EXTENSION] = IndexHolder(Path(app.config["INDEX_DIR"]))
