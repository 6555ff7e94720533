"""What every response gets on its way out: JSON written by orjson, compression, CORS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import JSONProvider
from flask_compress import Compress
from flask_cors import CORS

EXPOSED_HEADERS = ["Link", "X-Total-Count", "ETag", "X-Content-Build"]


class OrjsonProvider(JSONProvider):
    """Serialise JSON with orjson: the API's hottest path is turning records into bytes."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Build a JSON response straight from orjson's bytes, without a detour through str."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS), mimetype="application/json")


def cors_origins(config: Mapping[str, Any]) -> list[str]:
    """Return the origins CORS_ORIGINS allows ("*" when it names none)."""
    return [o.strip() for o in str(config["CORS_ORIGINS"]).split(",") if o.strip()] or ["*"]


def init_app(app: Flask) -> None:
    """Install the JSON provider, compression and CORS."""
    app.json = OrjsonProvider(app)
    config = app.config
    config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    config.setdefault("COMPRESS_MIMETYPES", ["application/json", "application/problem+json", "application/feed+json",
                                             "application/atom+xml", "text/html", "text/css", "text/javascript",
                                             "application/javascript", "image/svg+xml"])
    Compress(app)
    origins = cors_origins(config)
    any_origin = "*" in origins
    CORS(app, origins="*" if any_origin else origins, send_wildcard=any_origin, methods=["GET", "HEAD", "OPTIONS"],
         expose_headers=EXPOSED_HEADERS, max_age=86400, supports_credentials=False)
