"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api import Blueprint, current_index
from service.schemas.responses import HealthSchema
from service.search import IndexUnavailable

blp = Blueprint("health", __name__, description="Health checks.")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, Any]:
        """Say the process is alive, with the build it serves when there is one."""
        try:
            index = current_index()
        except IndexUnavailable:
            return {"status": "ok", "build_id": None, "posts": 0, "built_at": None}
        return {"status": "ok", "build_id": index.build_id, "posts": index.manifest.get("posts", 0),
                "built_at": index.manifest.get("created_at")}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, Any]:
        """Say whether an index is open and ready to serve, with the last build's problems."""
        index = current_index()  # IndexUnavailable becomes a 503
        manifest = index.manifest
        return {"status": "ready", "build_id": index.build_id, "posts": manifest.get("posts", 0),
                "built_at": manifest.get("created_at"), "problems": manifest.get("problems", [])}
