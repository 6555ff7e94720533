"""Reindex over HTTP for deploy hooks: POST /api/reindex with a bearer token, then poll the job."""

from __future__ import annotations

import hmac
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import abort
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from service.api.resource import Blueprint
from service.indexing import ReindexBusy, acquire_lock, build_and_publish, last_reindex, lock_is_free, release_lock
from service.layout import IndexLayout, read_json, write_json_atomic
from service.schemas.args import ReindexArgs
from service.schemas.responses import ReindexJobSchema

blp = Blueprint("admin", __name__, url_prefix="/api/reindex",
                description="Reindex for deploy hooks; present only when REINDEX_TOKEN is set.")

KEEP_JOBS = 50
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _jobs_dir() -> Path:
    return IndexLayout(Path(current_app.config["INDEX_DIR"])).jobs


def _save(folder: Path, job: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / f"{job['id']}.json", job)


def _forget_old_jobs(folder: Path) -> None:
    jobs = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in jobs[:-KEEP_JOBS]:
        old.unlink(missing_ok=True)


def _run(app: Any, handle: Any, job: dict[str, Any], folder: Path) -> None:
    config = app.config
    try:
        summary = build_and_publish(Path(config["CONTENT_DIR"]), Path(config["INDEX_DIR"]),
                                    preview=bool(config["PREVIEW"]), full=job["full"],
                                    image_widths=config["IMAGE_WIDTHS"])
        job.update(status="succeeded", summary=summary.as_dict())
    except Exception as exc:  # the served build is untouched; say so without giving server paths away
        app.logger.exception("reindex job %s failed", job["id"], exc_info=exc)
        job.update(status="failed", error=f"the reindex failed ({type(exc).__name__}); the served build is unchanged")
    finally:
        job["finished_at"] = _now()
        try:
            _save(folder, job)  # before the lock goes: a free lock with a running job means its process died
        finally:
            release_lock(handle)


@blp.route("")
class Reindex(MethodView):
    @blp.arguments(ReindexArgs, location="query")
    @blp.response(202, ReindexJobSchema)
    @blp.alt_response(401, description="Missing or wrong token.")
    @blp.alt_response(429, description="A reindex is already running; see Retry-After.")
    def post(self, args: dict[str, Any]) -> Any:
        """Start a reindex (incremental unless full=true) and answer with its job."""
        _authorise()
        index_dir = Path(current_app.config["INDEX_DIR"])
        try:
            handle = acquire_lock(index_dir)
        except ReindexBusy:
            raise TooManyRequests("a reindex is already running; try again later",
                                  retry_after=RETRY_AFTER) from None
        folder = _jobs_dir()
        job = {"id": uuid.uuid4().hex, "status": "running", "full": args["full"], "started_at": _now(),
               "finished_at": None, "summary": None, "error": None}
        try:
            _save(folder, job)
            _forget_old_jobs(folder)
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            threading.Thread(target=_run, args=(app, handle, job, folder), name=f"reindex-{job['id'][:8]}",
                             daemon=True).start()
        except BaseException:
            release_lock(handle)
            raise
        return job, 202, {"Location": f"/api/reindex/{job['id']}"}


@blp.route("/<job_id>")
class ReindexJob(MethodView):
    @blp.response(200, ReindexJobSchema)
    @blp.alt_response(401, description="Missing or wrong token.")
    def get(self, job_id: str) -> dict[str, Any]:
        """Return a reindex job's status, and its build summary once it finished."""
        _authorise()
        job = read_json(_jobs_dir() / f"{job_id}.json") if JOB_ID.match(job_id) else None
        if not isinstance(job, dict):
            abort(404, message="no reindex job with that id")
        if job["status"] == "running" and lock_is_free(Path(current_app.config["INDEX_DIR"])):
            again = read_json(_jobs_dir() / f"{job_id}.json")  # it may have just finished
            if isinstance(again, dict) and again["status"] == "running":
                last = last_reindex(Path(current_app.config["INDEX_DIR"])) or {}
                again.update(status="failed", finished_at=last.get("finished_at"),
                             error="the process running this reindex stopped before it finished")
            job = again if isinstance(again, dict) else job
        return job
