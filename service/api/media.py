"""Media files (images and the like) from the content folder, and nothing else; resized image variants."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from flask import Response, current_app, send_file
from flask.views import MethodView
from flask_smorest import abort

from service.api.resource import Blueprint
from service.content.images import SVG_MIME, ImageRefused, probe
from service.content.variants import make_variant
from service.layout import IndexLayout
from service.schemas.args import MediaArgs

blp = Blueprint("media", __name__, url_prefix="/media", description="Files that posts reference.")

SERVED_TYPES = ("image/", "audio/", "video/", "application/pdf")
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# Some systems' MIME tables lack these; without them the files would be refused as unknown types.
for _type, _ext in (("image/webp", ".webp"), ("image/avif", ".avif"), ("image/svg+xml", ".svg")):
    mimetypes.add_type(_type, _ext)

_ETAGS: dict[str, str] = {}


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


def _variant_etag(variant: Path) -> str:
    """Hash the variant's bytes once: replicas that make the same variant then agree on its ETag."""
    key = str(variant)
    if key not in _ETAGS:
        if len(_ETAGS) > 10_000:
            _ETAGS.clear()
        _ETAGS[key] = hashlib.blake2b(variant.read_bytes(), digest_size=12).hexdigest()
    return _ETAGS[key]


def _resized(target: Path, width: int) -> Response | None:
    """Serve target at width, or return None when the original is the answer (SVG, animated, narrower)."""
    try:
        found = probe(target, placeholder=False)
        if not found.resizable or width >= (found.width or 0):
            return None
        variant = make_variant(target, width, IndexLayout(Path(current_app.config["INDEX_DIR"])).media_cache)
    except ImageRefused as exc:
        abort(422, message=f"this image cannot be resized: it {exc}")
    except OSError:
        current_app.logger.exception("cannot write an image variant")
        abort(503, message="the resized image cannot be made right now; the original is served without w")
    return send_file(variant, mimetype=found.mime_type, conditional=True, etag=_variant_etag(variant),
                     max_age=current_app.config["IMAGE_CACHE_MAX_AGE"])


@blp.route("/<path:path>")
class Media(MethodView):
    @blp.arguments(MediaArgs(), location="query")
    @blp.response(200, description="The file's bytes, with its content type; with w, a resized copy.")
    @blp.alt_response(422, description="With w: the image cannot be decoded, or is over Pillow's size limits.")
    def get(self, args: dict[str, Any], path: str) -> Response:
        """Serve a file from the content folder (images, audio, video, PDF), or an image resized to width w."""
        target = resolve_media(Path(current_app.config["CONTENT_DIR"]), path)
        if target is None:
            abort(404, message="no such media file")
        kind = mimetypes.guess_type(target.name)[0] or ""
        response = None
        if "w" in args:
            if not kind.startswith("image/"):
                abort(400, message="w: only images can be resized", messages={"query": {"w": [
                    "only images can be resized"]}})
            if kind != SVG_MIME:  # SVG is never rasterised: it scales by itself
                response = _resized(target, args["w"])
        if response is None:
            response = send_file(target, conditional=True, max_age=current_app.config["CACHE_MAX_AGE"])
        if "w" in args:
            response.cache_control.public = True
            response.cache_control.max_age = current_app.config["IMAGE_CACHE_MAX_AGE"]
        response.headers["Content-Security-Policy"] = MEDIA_CSP
        return response
