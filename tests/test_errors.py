"""One error shape (RFC 9457 problem details) for every HTTP error the service can return."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import default_exceptions

from service import create_app

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.mark.parametrize("code", sorted(default_exceptions))
def test_every_http_error_code_has_the_one_shape(make_app: Callable[..., Any], tmp_path: Path, code: int) -> None:
    app = make_app(tmp_path, tmp_path / "index", skip_reindex=True)

    @app.get("/raise")
    def _raise() -> None:
        from flask import abort

        abort(code)

    assert_problem(app.test_client().get("/raise"), code)


def test_unexpected_exception_is_a_json_500_without_details(tmp_path: Path) -> None:
    app = create_app({"CONTENT_DIR": str(tmp_path), "INDEX_DIR": str(tmp_path / "index")})

    @app.get("/boom")
    def _boom() -> None:
        raise RuntimeError(f"secret path {tmp_path}")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert str(tmp_path) not in response.get_data(as_text=True) and "RuntimeError" not in body["detail"]


def test_no_index_yet_is_503_saying_what_to_run(make_app: Callable[..., Any], tmp_path: Path) -> None:
    app = make_app(tmp_path, tmp_path / "index", skip_reindex=True)
    body = assert_problem(app.test_client().get("/api/posts"), 503)
    assert "reindex" in body["detail"]


def test_unknown_route_and_wrong_method(client: Any) -> None:
    assert_problem(client.get("/api/nothing-here"), 404)
    body = assert_problem(client.post("/api/posts"), 405)
    assert body["title"] == "Method Not Allowed"
