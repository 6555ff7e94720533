"""Broadsheet: a headless JSON content API and search for Jekyll-style Markdown blogs."""

from __future__ import annotations

from typing import Any

from service.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Any:
    """Create the Flask app: defaults, then the environment, then test overrides."""
    from flask import Flask

    from service import api, caching, cli, current, delivery, errors, web
    from service.config import settings

    app = Flask(__name__)
    app.url_map.merge_slashes = False  # "//etc/passwd" must reach the media check, not be redirected
    app.config.from_mapping(
        API_TITLE="Broadsheet",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.config.update(settings(test_config))
    current.init_app(app)
    delivery.init_app(app)
    caching.init_app(app)  # after delivery: see its init_app
    api.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    web.init_app(app)
    return app
