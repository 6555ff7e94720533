"""The Blueprint every resource module creates: argument errors are 400s and unknown parameters are refused."""

from __future__ import annotations

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    # A bad parameter is the client's mistake in the request line: 400, not webargs' 422.
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose argument errors are 400s and whose schemas reject unknown parameters."""

    ARGUMENTS_PARSER = _Parser(unknown=None)
