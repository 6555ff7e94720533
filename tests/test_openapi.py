"""The OpenAPI document: valid, complete, and honoured by every response (checked by schemathesis)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode, checks
from werkzeug.serving import make_server

from service import create_app
from service.schemas.args import POST_FIELDS
from service.schemas.responses import PostSchema

EXAMPLES = 10  # per operation and mode: enough to find a crash or a shape mismatch, small enough for `make test`
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance]


@pytest.fixture(scope="module")
def spec(sample_app: Any) -> dict[str, Any]:
    return sample_app.test_client().get("/api/openapi.json").get_json()


def test_document_validates(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_route_is_documented(sample_app: Any, spec: dict[str, Any]) -> None:
    undocumented = {"/api/openapi.json", "/api/docs", "/api/docs/assets/<name>"}
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    for rule in sample_app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule.rule)  # drop converters: <path:p> is {p}
        if path in undocumented or not path.startswith(("/api", "/feed", "/healthz", "/readyz", "/media")):
            continue
        assert path in documented, path


def test_errors_are_documented_as_problem_details(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"type", "title", "status", "detail"}
    for name, response in spec["components"]["responses"].items():
        assert list(response["content"]) == ["application/problem+json"], name
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        responses = item["get"]["responses"]
        assert "default" in responses and "503" in responses, path
        if "{" in path:
            assert "404" in responses, path


def test_cache_and_pagination_headers_are_documented(spec: dict[str, Any]) -> None:
    posts = spec["paths"]["/api/posts"]["get"]
    assert {"ETag", "Cache-Control", "Last-Modified", "X-Content-Build", "Link", "X-Total-Count"} \
        <= set(posts["responses"]["200"]["headers"])
    assert "304" in posts["responses"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in posts["parameters"])
    fields = next(p for p in posts["parameters"] if p["name"] == "fields")
    assert fields["style"] == "form" and fields["explode"] is False
    assert "Link" not in spec["paths"]["/api/posts/{slug}"]["get"]["responses"]["200"]["headers"]


def test_post_fields_list_matches_the_post_schema() -> None:
    assert set(POST_FIELDS) == set(PostSchema().fields)


def test_docs_page_works_offline(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "//cdn" not in html and "https://" not in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/api/docs/assets/{asset}" in html
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.get_data()) > 1000, asset
    assert client.get("/api/docs/assets/../../../etc/passwd").status_code == 404


def _operations() -> list[tuple[str, str]]:
    """List every documented operation; the document needs no index, so an app over an empty folder will do."""
    spec = create_app({"TESTING": True, "INDEX_DIR": "/nonexistent"}).test_client().get("/api/openapi.json").get_json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method != "parameters"]


@pytest.fixture(scope="module")
def api_schema(sample_app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", sample_app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("method, path", _operations())
def test_responses_match_the_document(api_schema: Any, method: str, path: str, mode: GenerationMode) -> None:
    """Generate requests from the document (valid ones and broken ones) and check every answer against it."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        # the WSGI client does not decompress, so ask for plain bodies (compression has its own tests)
        case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip(f"{method} {path} has no parameter that can be made invalid")


@pytest.mark.slow
def test_docs_page_renders_in_a_browser_without_any_network(sample_app: Any) -> None:
    """Open /api/docs in headless Chromium with every request off loopback refused: every operation still shows."""
    chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        pytest.skip(f"{chromium} is missing: `make browser` installs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    server = make_server("127.0.0.1", 0, sample_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    outside: list[str] = []
    errors: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), timeout=60_000,
                                                 args=["--headless", "--no-sandbox", "--disable-gpu",
                                                       "--disable-background-networking", "--no-first-run"])
            page = browser.new_page()

            def only_loopback(route: Any) -> None:
                if route.request.url.startswith(base):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_loopback)
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(base + "api/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            shown = page.locator(".opblock").count()
            browser.close()
    finally:
        server.shutdown()
    spec = sample_app.test_client().get("/api/openapi.json").get_json()
    assert shown == sum(len([m for m in item if m != "parameters"]) for item in spec["paths"].values())
    assert outside == [] and errors == []
