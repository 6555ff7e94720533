"""The search page at `/`: served with its assets, self-contained, and gone when WEB_UI is off."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from service import create_app
from service.web import STATIC
from tests.helpers import REPO


class _References(HTMLParser):
    """Collect every src and href in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_page_is_served_with_its_assets(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<label class="search-label" for="q">' in html and 'role="combobox"' in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    parser = _References()
    parser.feed(html)
    assets = [url for url in parser.urls if url.startswith("web/")]
    assert {"web/app.js", "web/style.css"} <= set(assets)
    for url in assets:
        asset = client.get(f"/{url}")
        assert asset.status_code == 200, url
        assert asset.mimetype == {"js": "text/javascript", "css": "text/css"}[url.rsplit(".", 1)[1]]


def test_page_loads_nothing_from_other_hosts() -> None:
    # Works offline, no CDN: every reference in the page and its scripts and styles is relative.
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert not re.search(r"""(import|from)\s*["'](https?:)?//""", text), path.name
        assert "@import" not in text and "fetch(\"http" not in text, path.name


def test_every_module_the_page_imports_is_shipped() -> None:
    for script in STATIC.glob("*.js"):
        for name in re.findall(r"""from\s+["']\./([\w.-]+)["']""", script.read_text(encoding="utf-8")):
            assert (STATIC / name).is_file(), f"{script.name} imports missing {name}"


def test_page_calls_only_public_api_routes(sample_app: Any) -> None:
    # The page is an example of the public API: every path it calls must be a documented route.
    calls = set(re.findall(r"""["'`](api/[\w/${}().-]+)["'`]""", (STATIC / "api.js").read_text(encoding="utf-8")))
    assert calls, "api.js calls no API path"
    rules = {str(rule) for rule in sample_app.url_map.iter_rules()}
    spec = sample_app.test_client().get("/api/openapi.json").get_json()["paths"]
    for call in calls:
        route = "/" + re.sub(r"\$\{[^}]*\}", "<slug>", call)
        assert route in rules, call
        assert re.sub(r"<(\w+)>", r"{\1}", route) in spec, f"{call} is not in the OpenAPI document"


def test_static_assets_cannot_escape_their_folder(client: Any) -> None:
    for path in ("/web/../__init__.py", "/web/%2e%2e/__init__.py", "/web/..%2f__init__.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"Blueprint" not in response.data


@pytest.mark.parametrize("setting", [False, "env"])
def test_turned_off_the_root_is_a_json_404(setting: Any, sample_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {key: sample_app.config[key] for key in ("CONTENT_DIR", "INDEX_DIR")}
    if setting == "env":
        monkeypatch.setenv("WEB_UI", "0")
        app = create_app({"TESTING": True, **config})
    else:
        app = create_app({"TESTING": True, "WEB_UI": setting, **config})
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
    assert client.get("/web/app.js").status_code == 404
    assert client.get("/api/search?q=heron").status_code == 200  # the API itself stays


def test_readme_shows_the_screenshots() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shots = re.findall(r"!\[[^\]]*\]\((docs/screenshots/[\w.-]+\.png)\)", readme)
    assert "docs/screenshots/results.png" in shots and "docs/screenshots/post.png" in shots
    for shot in shots:
        assert Path(REPO / shot).is_file(), f"{shot} is missing: `make test-slow` writes it"


def test_every_search_kind_and_facet_the_page_offers_is_one_the_api_answers(client: Any) -> None:
    kinds = re.findall(r'name="type" value="(\w+)"', (STATIC / "index.html").read_text(encoding="utf-8"))
    facets = re.findall(r'^\s*\["(\w+)", "\w+"\],$', (STATIC / "results.js").read_text(encoding="utf-8"), re.M)
    assert kinds == ["post", "quote", "page"] and facets == ["category", "author", "year"]
    for kind in kinds:
        assert client.get(f"/api/search?type={kind}&per_page=1").get_json()["total"] > 0, kind
    answer = client.get(f"/api/search?facets={','.join(facets)}").get_json()
    assert [f["name"] for f in answer["facets"]["author"]] == ["Mara Lindqvist", "Tomás Okafor"]
