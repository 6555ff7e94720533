"""The two real Jekyll sites in ../shared/corpora-site, served as Jekyll made them (their jekyll-site-oracle.json).

Every page and collection document Jekyll shows by default is listed with its URL and title and resolves to
itself; every redirect pair of a published file resolves to its target; /api/data is site.data; /api/site
agrees on title, description, url and baseurl; every post carries the authors its front matter names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service import create_app
from service.indexing import reindex
from tests.helpers import shared_path, site_oracle_differences

SITES = ("jekyll-docs", "18f-site")


@pytest.fixture(scope="module", params=SITES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    folder = shared_path("corpora-site", request.param)
    index_dir = tmp_path_factory.mktemp(f"site-{request.param}")
    reindex(folder, index_dir)
    app = create_app({"TESTING": True, "CONTENT_DIR": str(folder), "INDEX_DIR": str(index_dir),
                      "PUBLIC_URL": "http://api.test", "SITE_URL": "https://site.test"})
    return app.test_client(), json.loads(Path(folder, "jekyll-site-oracle.json").read_text(encoding="utf-8"))


def test_site_is_served_as_jekyll_made_it(site: tuple[Any, dict[str, Any]]) -> None:
    client, oracle = site
    assert site_oracle_differences(client, oracle, "https://site.test") == []


def test_every_redirect_is_listed(site: tuple[Any, dict[str, Any]]) -> None:
    client, oracle = site
    body = client.get("/api/redirects?per_page=100").get_json()
    shown = {p["path"] for p in oracle["pages"] if p["shown_by_default"]}
    shown |= {d["path"] for c in oracle["collections"] if c["output"] for d in c["docs"] if d["shown_by_default"]}
    shown |= {"_posts/" + p["path"] for p in oracle["posts"] if p["shown_by_default"]}
    assert body["total"] == sum(1 for r in oracle["redirects"] if r["source"] in shown) > 0


def test_collections_are_listed_with_their_settings(site: tuple[Any, dict[str, Any]]) -> None:
    client, oracle = site
    served = {c["label"]: c for c in client.get("/api/collections").get_json()["items"]}
    assert {label: (c["output"], c["permalink"]) for label, c in served.items()} == \
        {c["label"]: (c["output"], c["permalink"]) for c in oracle["collections"]}
