"""What changed between builds, for static frontends and CDNs that rebuild or purge only what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from service.api.resource import Blueprint
from service.changes import HistoryTooShort, changes_since
from service.current import current_index
from service.schemas.site import ChangesArgs, ChangesSchema

blp = Blueprint("changes", __name__, url_prefix="/api/changes", description="Change events between builds.",
                cached=True)


def net(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold a run of events into one change per item: added then removed is nothing, removed then added updated."""
    folded: dict[str, dict[str, Any]] = {}
    for event in events:
        for change in event["changes"]:
            key = f"{change['kind']}\0{change['key']}"
            before = folded.get(key)
            if before is None:
                folded[key] = change
            elif before["change"] == "added":
                if change["change"] == "removed":
                    del folded[key]
                else:
                    folded[key] = {**change, "change": "added"}
            else:
                kept = "removed" if change["change"] == "removed" else "updated"
                folded[key] = {**change, "change": kept}
    return sorted(folded.values(), key=lambda c: (c["kind"] or "", c["key"] or ""))


@blp.route("")
class Changes(MethodView):
    @blp.arguments(ChangesArgs(), location="query")
    @blp.response(200, ChangesSchema)
    @blp.alt_response(410, description="The history does not reach back to that build: fetch everything again.")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return what each build since `since` added, updated and removed (posts, pages, documents, data files)."""
        index = current_index()
        try:
            events = changes_since(Path(current_app.config["INDEX_DIR"]), args["since"], index.build_id)
        except HistoryTooShort:
            abort(410, message=f"the change history does not reach back to build {args['since']!r}")
        return {"build_id": index.build_id, "since": args["since"], "changes": net(events), "events": events}
