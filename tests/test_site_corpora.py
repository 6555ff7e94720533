"""The two real Jekyll sites in ../shared/corpora-site, served as Jekyll made them (their jekyll-site-oracle.json).

Every page and collection document Jekyll shows by default is listed with its URL and title and resolves to
itself; every redirect pair of a published file resolves to its target; /api/data is site.data; /api/site
agrees on title, description, url and baseurl; every post carries the authors its front matter names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import site_oracle_differences

SITES = ("jekyll-docs", "18f-site")


@pytest.fixture(scope="module", params=SITES)
def site(request: pytest.FixtureRequest, corpus_app: Callable[..., Any]) -> tuple[Any, dict[str, Any]]:
    app = corpus_app(f"corpora-site/{request.param}", SITE_URL="https://site.test")
    oracle = Path(app.config["CONTENT_DIR"], "jekyll-site-oracle.json").read_text(encoding="utf-8")
    return app.test_client(), json.loads(oracle)


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
