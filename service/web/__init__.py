"""The search page at `/`: static HTML, CSS and JavaScript that use only the public JSON API."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"

# The page loads nothing from elsewhere; post images may live on any host, as the posts say.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

bp = Blueprint("web", __name__, static_folder=str(STATIC), static_url_path="/web")


@bp.get("/")
def page() -> Response:
    """Serve the single search page; its JavaScript draws everything from /api."""
    return send_from_directory(STATIC, "index.html")


@bp.after_request
def _protect(response: Response) -> Response:
    # Post HTML is sanitised by the server; the policy is a second line should anything slip through.
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def init_app(app: Flask) -> None:
    """Register the page unless WEB_UI is off (API-only deployments: `/` is then a JSON 404)."""
    if app.config.get("WEB_UI", True):
        app.register_blueprint(bp)
