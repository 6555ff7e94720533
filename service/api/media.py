"""Media files (images and the like) from the content folder, and nothing else."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Response, current_app, send_file
from flask.views import MethodView
from flask_smorest import abort

from service.api import Blueprint

blp = Blueprint("media", __name__, url_prefix="/media", description="Files that posts reference.")

SERVED_TYPES = ("image/", "audio/", "video/", "application/pdf")
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def resolve_media(content_dir: Path, path: str) -> Path | None:
    """Return the file a media path names, or None unless it is a servable file inside content_dir."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if any(part in ("", ".", "..") or part.startswith((".", "_")) for part in parts):
        return None
    root = content_dir.resolve()
    try:
        target = (root / path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    kind = mimetypes.guess_type(target.name)[0] or ""
    return target if kind.startswith(SERVED_TYPES) else None


@blp.route("/<path:path>")
class Media(MethodView):
    @blp.response(200, description="The file's bytes, with its content type.")
    def get(self, path: str) -> Response:
        """Serve a file from the content folder (images, audio, video, PDF)."""
        target = resolve_media(Path(current_app.config["CONTENT_DIR"]), path)
        if target is None:
            abort(404, message="no such media file")
        response = send_file(target, conditional=True, max_age=current_app.config["CACHE_MAX_AGE"])
        response.headers["Content-Security-Policy"] = MEDIA_CSP
        return response
