"""One JSON error shape (RFC 9457 problem details) for every error the service returns."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from service.search import IndexUnavailable

PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, *, title: str | None = None, errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """Build the one error response every handler returns."""
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body: dict[str, Any] = {"type": "about:blank", "title": title or phrase, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _parameter_errors(error: HTTPException) -> dict[str, list[str]]:
    """Flatten webargs' {location: {param: [messages]}} into {param: [messages]}."""
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    flat: dict[str, list[str]] = {}
    for by_param in messages.values():
        if not isinstance(by_param, dict):
            continue
        for param, found in by_param.items():
            if isinstance(found, dict):  # a nested field: name each part
                found = [f"{k}: {v}" for k, v in found.items()]
            flat[str(param)] = [str(m) for m in (found if isinstance(found, list) else [found])]
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    """Render any HTTP error (abort, unknown route, bad arguments) as problem details."""
    status = error.code or 500
    errors = _parameter_errors(error)
    if errors:
        detail = "; ".join(f"{param}: {' '.join(msgs)}" for param, msgs in sorted(errors.items()))
        detail = f"invalid request parameters: {detail}"
    else:
        detail = (getattr(error, "data", None) or {}).get("message") or error.description or ""
    headers = dict(error.get_response().headers) if status in (405, 429, 401) else {}
    headers.pop("Content-Type", None)
    headers.pop("Content-Length", None)
    return problem(status, detail, errors=errors or None, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    """Log an unexpected failure and answer a JSON 500 that gives nothing of the server away."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    return handle_http_exception(InternalServerError("the server failed to answer this request"))


def handle_index_unavailable(error: IndexUnavailable) -> Response:
    return handle_http_exception(ServiceUnavailable(f"{error}; run `flask --app service reindex`"))


def init_app(app: Flask) -> None:
    """Register the handlers; called after flask-smorest so these replace its own."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(IndexUnavailable, handle_index_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
