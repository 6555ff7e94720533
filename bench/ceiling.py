"""The ceiling: the smallest useful Flask app, served with the same gunicorn settings as the service.

Every endpoint's throughput is reported as a share of this app's, since absolute figures depend on the machine.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

PAYLOAD = {"status": "ok", "service": "ceiling", "items": [1, 2, 3]}


def create_app() -> Flask:
    """Return a Flask app whose one route answers a constant small JSON object."""
    app = Flask(__name__)

    @app.get("/")
    def constant() -> dict[str, Any]:
        return PAYLOAD

    return app
