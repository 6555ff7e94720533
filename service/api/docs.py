"""The OpenAPI document and its docs page, which works offline (Swagger UI's files are served from the package)."""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, send_from_directory
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin
from flask_smorest.utils import prepare_response

from service.caching import declare_cached
from service.schemas.responses import ErrorSchema, PaginatedSchema

PROBLEM_JSON = "application/problem+json"
ASSETS_URL = "/api/docs/assets/"


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


CACHE_HEADERS = {
    "ETag": _header("Strong validator of this answer for this index build; send it back in If-None-Match."),
    "Cache-Control": _header("public, max-age=CACHE_MAX_AGE, stale-while-revalidate=CACHE_STALE_WHILE_REVALIDATE."),
    "Last-Modified": _header("When the index build was made."),
    "X-Content-Build": _header("The index build that answered."),
}
PAGINATION_HEADERS = {
    "Link": _header('RFC 8288 links to the first, prev, next and last pages: <url>; rel="next", ...'),
    "X-Total-Count": {"description": "How many items match, over all pages.", "schema": {"type": "integer"}},
}
IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                 "description": "ETags of copies the client holds; a match answers 304 Not Modified."}


class ConventionsPlugin(FlaskPlugin):
    """Document what every operation shares: caching headers, 304, pagination headers, 404 and 503 problems."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if method != "get":
                continue
            responses = operation.setdefault("responses", {})
            if path and "{" in path:
                responses.setdefault(404, "NOT_FOUND")
            responses.setdefault(503, "SERVICE_UNAVAILABLE")
            if operation.get("x-cache") == "no-store":
                continue
            ok = responses.get(200)
            if not isinstance(ok, dict):
                continue
            headers = ok.setdefault("headers", {})
            headers.update(CACHE_HEADERS)
            schemas = [c.get("schema") for c in ok.get("content", {}).values()]
            if any(isinstance(s, PaginatedSchema) or (isinstance(s, type) and issubclass(s, PaginatedSchema))
                   for s in schemas):
                headers.update(PAGINATION_HEADERS)
            responses.setdefault(304, {"description": "Not Modified: the copy named in If-None-Match is current.",
                                       "headers": dict(CACHE_HEADERS)})
            operation.setdefault("parameters", []).append(dict(IF_NONE_MATCH))


class BroadsheetApi(Api):
    """flask-smorest's Api, documenting errors as the RFC 9457 problem details service.errors sends."""

    ERROR_SCHEMA = ErrorSchema

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as RFC 9457 problem details.", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


DESCRIPTION = """Posts, categories, tags, quotes, images, an archive, feeds and search from a folder of Jekyll posts.

Lists share one envelope: `{items, page, per_page, total, pages}`, with `Link` (first, prev, next, last) and
`X-Total-Count` headers. Errors are RFC 9457 problem details (`application/problem+json`). Every cacheable GET has
a strong `ETag` (send it back in `If-None-Match` for a 304), `Last-Modified`, `Cache-Control`, and every response
names the index build in `X-Content-Build`."""


def make_api(app: Flask) -> Api:
    """Create the Api with the docs page served from local files and the shared conventions documented."""
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", ASSETS_URL)
    app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", {"deepLinking": True, "displayRequestDuration": True})
    api = BroadsheetApi(app, spec_kwargs={"info": {"description": DESCRIPTION},
                                          "flask_plugin": ConventionsPlugin(),
                                          "marshmallow_plugin": MarshmallowPlugin()})
    declare_cached(app.blueprints["api-docs"])  # flask-smorest's own blueprint: the OpenAPI document and the page
    app.register_blueprint(assets)
    return api


assets = declare_cached(Blueprint("docs", __name__))


@assets.route(f"{ASSETS_URL}<path:name>")
def docs_asset(name: str) -> Response:
    """Serve one of Swagger UI's files from the installed package: the docs page needs no network."""
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, name, max_age=86400)
