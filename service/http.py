"""HTTP behaviour shared by every response: a fast JSON encoder and safe default headers."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import JSONProvider


class OrjsonProvider(JSONProvider):
    """Serialise JSON with orjson: the API's hottest path is turning records into bytes."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def init_app(app: Flask) -> None:
    """Install the JSON provider and the headers every response carries."""
    app.json = OrjsonProvider(app)
    app.after_request(_security_headers)
