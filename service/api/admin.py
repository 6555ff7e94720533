"""Reindex over HTTP for deploy hooks: POST /api/reindex with a bearer token, then poll the job."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import abort
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from service.api.resource import Blueprint
from service.indexing import ReindexBusy
from service.jobs import find_job, start_job
from service.schemas.args import ReindexArgs
from service.schemas.responses import ReindexJobSchema

blp = Blueprint("admin", __name__, url_prefix="/api/reindex",
                description="Reindex for deploy hooks; present only when REINDEX_TOKEN is set.")

RETRY_AFTER = 5  # seconds: a fair guess for an incremental build


def _authorise() -> None:
    """Answer 404 when no token is configured and 401 unless the request carries it, compared in constant time."""
    token = current_app.config.get("REINDEX_TOKEN") or ""
    if not token:
        abort(404, message="The requested URL was not found on the server.")
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("a valid `Authorization: Bearer <REINDEX_TOKEN>` header is required",
                           www_authenticate=WWWAuthenticate("bearer", {"realm": "broadsheet"}))


@blp.route("")
class Reindex(MethodView):
    @blp.arguments(ReindexArgs(), location="query")
    @blp.response(202, ReindexJobSchema)
    @blp.alt_response(401, description="Missing or wrong token.")
    @blp.alt_response(429, description="A reindex is already running; see Retry-After.")
    def post(self, args: dict[str, Any]) -> Any:
        """Start a reindex (incremental unless full=true) and answer with its job."""
        _authorise()
        try:
            job = start_job(current_app._get_current_object(), args["full"])  # type: ignore[attr-defined]
        except ReindexBusy:
            raise TooManyRequests("a reindex is already running; try again later",
                                  retry_after=RETRY_AFTER) from None
        return job, 202, {"Location": f"/api/reindex/{job['id']}"}


@blp.route("/<job_id>")
class ReindexJob(MethodView):
    @blp.response(200, ReindexJobSchema)
    @blp.alt_response(401, description="Missing or wrong token.")
    def get(self, job_id: str) -> dict[str, Any]:
        """Return a reindex job's status, and its build summary once it finished."""
        _authorise()
        job = find_job(Path(current_app.config["INDEX_DIR"]), job_id)
        if job is None:
            abort(404, message="no reindex job with that id")
        return job
