"""Reindex jobs started over HTTP: one file per job under INDEX_DIR, so every worker (and process) answers about it."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from service.indexing import acquire_lock, build_and_publish, last_reindex, lock_is_free, release_lock
from service.layout import IndexLayout, read_json, write_json_atomic

KEEP_JOBS = 50
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _save(folder: Path, job: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / f"{job['id']}.json", job)


def _forget_old_jobs(folder: Path) -> None:
    jobs = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in jobs[:-KEEP_JOBS]:
        old.unlink(missing_ok=True)


def _run(app: Flask, handle: Any, job: dict[str, Any], folder: Path) -> None:
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


def start_job(app: Flask, full: bool) -> dict[str, Any]:
    """Take the writer lock and reindex in a thread; return the new job. Raises ReindexBusy while one runs."""
    layout = IndexLayout(Path(app.config["INDEX_DIR"]))
    handle = acquire_lock(layout.root)
    job = {"id": uuid.uuid4().hex, "status": "running", "full": full, "started_at": _now(),
           "finished_at": None, "summary": None, "error": None}
    try:
        _save(layout.jobs, job)
        _forget_old_jobs(layout.jobs)
        threading.Thread(target=_run, args=(app, handle, job, layout.jobs), name=f"reindex-{job['id'][:8]}",
                         daemon=True).start()
    except BaseException:
        release_lock(handle)
        raise
    return job


def find_job(index_dir: Path, job_id: str) -> dict[str, Any] | None:
    """Return a job by id; one still "running" whose process died (the lock is free) is reported failed."""
    path = IndexLayout(index_dir).jobs / f"{job_id}.json"
    job = read_json(path) if JOB_ID.match(job_id) else None
    if not isinstance(job, dict):
        return None
    if job["status"] == "running" and lock_is_free(index_dir):
        again = read_json(path)  # it may have just finished
        if isinstance(again, dict) and again["status"] == "running":
            last = last_reindex(index_dir) or {}
            again.update(status="failed", finished_at=last.get("finished_at"),
                         error="the process running this reindex stopped before it finished")
        job = again if isinstance(again, dict) else job
    return job
