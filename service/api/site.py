"""Site settings and `_data` files, as the build read them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.site import SiteSchema

blp = Blueprint("site", __name__, url_prefix="/api", description="Site settings and data files.", cached=True)
NAMED = ("title", "description", "url", "baseurl", "author", "lang", "timezone")


@blp.route("/site")
class Site(MethodView):
    @blp.response(200, SiteSchema)
    def get(self) -> dict[str, Any]:
        """Return the site's settings from _config.yml (secret-named keys never), its navigation and counts."""
        index = current_index()
        view = index.site()
        settings = view.settings
        return {**{key: settings.get(key) for key in NAMED}, "navigation": view.data.get("navigation"),
                "counts": view.counts, "build_id": index.build_id,
                "settings": {k: v for k, v in settings.items() if k not in NAMED}}


@blp.route("/data")
class Data(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Return every `_data` file as Jekyll's `site.data` holds it (folders become nested objects)."""
        return current_index().site().data


@blp.route("/data/<path:path>")
class DataFile(MethodView):
    @blp.response(200)
    def get(self, path: str) -> Any:
        """Return one data file or folder: `/api/data/team/members` is `site.data.team.members`."""
        value: Any = current_index().site().data
        for part in path.strip("/").split("/"):
            if not isinstance(value, dict) or part not in value:
                abort(404, message=f"no data file or key {path!r}")
            value = value[part]
        return value
