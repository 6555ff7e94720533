"""The Blueprint every resource module creates: it declares its own caching; bad or unknown parameters are 400s."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from service.caching import declare_cached


class _Parser(FlaskParser):
    # A bad parameter is the client's mistake in the request line: 400, not webargs' 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose argument errors are 400s and whose schemas reject unknown parameters.

    `cached=True` says its GET answers depend only on the index build and the request: they get ETags, 304s,
    Cache-Control and the response cache (a view opts out with service.caching.uncached).
    """

    ARGUMENTS_PARSER = _Parser(unknown=None)

    def __init__(self, *args: Any, cached: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cached:
            declare_cached(self)
