"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask.views import MethodView

from service.api.resource import Blueprint
from service.current import current_index
from service.indexing import last_reindex
from service.schemas.responses import HealthSchema, ReadySchema
from service.search import IndexUnavailable
from service.webhook import last_delivery

blp = Blueprint("health", __name__, description="Health checks.")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, Any]:
        """Say the process is alive (always 200), with the build it serves when there is one."""
        try:
            index = current_index()
        except IndexUnavailable:
            return {"status": "ok", "build_id": None, "posts": 0, "built_at": None}
        return {"status": "ok", "build_id": index.build_id, "posts": index.manifest.posts,
                "built_at": index.manifest.created_at}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, description="No index is open yet: run the reindex command.")
    def get(self) -> dict[str, Any]:
        """Say whether an index is open and ready to serve, how old it is, and how the last reindex went."""
        index = current_index()  # IndexUnavailable becomes a 503
        manifest = index.manifest
        created = manifest.created_at
        return {"status": "ready", "build_id": index.build_id, "posts": manifest.posts,
                "hidden": manifest.hidden, "built_at": created, "age_seconds": _age(created),
                "problems": manifest.problems,
                "last_reindex": _last(Path(current_app.config["INDEX_DIR"])),
                "webhook": last_delivery(Path(current_app.config["INDEX_DIR"]))}


def _age(created: str | None) -> int | None:
    try:
        made = datetime.fromisoformat(created or "")
    except ValueError:
        return None
    return max(0, int((datetime.now(UTC) - (made if made.tzinfo else made.replace(tzinfo=UTC))).total_seconds()))


def _last(index_dir: Path) -> dict[str, Any] | None:
    """Summarise the latest reindex without its problem list (the served build's problems are given above)."""
    found = last_reindex(index_dir)
    if found is None:
        return None
    keep = ("status", "build_id", "mode", "posts", "skipped", "seconds", "finished_at", "error")
    return {key: found[key] for key in keep if key in found}
