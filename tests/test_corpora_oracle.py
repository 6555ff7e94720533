"""Both real blogs, as reindex builds them and the API serves them, agree with what Jekyll 4 itself made of them.

The oracle is ../shared/corpora/*/jekyll-oracle.json. Each corpus is built twice through the real reindex: with
PREVIEW (every post, to compare each with Jekyll's) and with the defaults (to compare which posts are shown).

Excerpts are compared as text with whitespace folded. The oracle's excerpt went through Liquid's `strip_html`,
which removes tags but leaves entities as written (`&rsquo;`, `&#58;`, `&amp;`), so entities are decoded on the
oracle's side before comparing; that is the only normalisation.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from service.indexing import BuildSummary

FIELDS = ("id", "url", "slug", "title", "date", "categories", "tags", "shown_by_default")
# Posts whose front matter is not valid YAML may be skipped: none in either corpus (a tab after a value, which
# PyYAML rejects and Jekyll's libyaml accepts, is read the way Jekyll reads it).
SKIPPED_INVALID_YAML: dict[str, set[str]] = {"jekyll-news": set(), "18f-blog": set()}
# Excerpts allowed to differ, with the reason: none at present.
EXCERPT_EXCEPTIONS: dict[str, dict[str, str]] = {"jekyll-news": {}, "18f-blog": {}}
SITE_URL = "https://blog.test"


@dataclass
class Served:
    summary: BuildSummary  # the PREVIEW build's
    posts: dict[str, dict[str, Any]]  # every post the PREVIEW build serves, by id, as /api/posts lists it
    shown: set[str]  # the ids a default build serves
    client: Any  # serving the PREVIEW build
    oracle: list[dict[str, Any]]


def _all(client: Any) -> list[dict[str, Any]]:
    items, page = [], 1
    while True:
        body = client.get(f"/api/posts?per_page=100&page={page}&fields=id,url,slug,title,date,categories,tags,"
                          "excerpt").get_json()
        items += body["items"]
        if page >= body["pages"]:
            return items
        page += 1


@pytest.fixture(scope="module")
def load(corpus_index: Callable[..., Any], corpus_app: Callable[..., Any]) -> Callable[[str], Served]:
    """Return what a corpus serves (its PREVIEW and default builds, each indexed once a session), read once a module."""
    made: dict[str, Served] = {}

    def served(name: str) -> Served:
        if name not in made:
            preview = corpus_index(name, preview=True)
            oracle = json.loads((preview.folder / "jekyll-oracle.json").read_text(encoding="utf-8"))["posts"]
            client = corpus_app(name, PREVIEW=True, SITE_URL=SITE_URL).test_client()
            shown = {p["id"] for p in _all(corpus_app(name, SITE_URL=SITE_URL).test_client())}
            made[name] = Served(preview.summary, {p["id"]: p for p in _all(client)}, shown, client, oracle)
        return made[name]

    return served


def _fold(text: str) -> str:
    return " ".join(html.unescape(text).split())


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_every_post_agrees_with_jekyll(name: str, load: Callable[[str], Served]) -> None:
    served = load(name)
    missing = {o["path"] for o in served.oracle if o["id"] not in served.posts}
    assert missing == SKIPPED_INVALID_YAML[name], [str(p) for p in served.summary.skipped]
    mismatches = []
    for want in served.oracle:
        if want["path"] in missing:
            continue
        post = served.posts[want["id"]]
        got = {
            "id": post["id"], "url": post["url"].removeprefix(SITE_URL), "slug": post["slug"],
            "title": post["title"], "date": post["date"].split(".")[0] + post["date"][-6:] if "." in post["date"]
            else post["date"], "categories": [c["name"] for c in post["categories"]],
            "tags": [t["name"] for t in post["tags"]], "shown_by_default": post["id"] in served.shown,
        }
        mismatches += [(want["path"], k, want[k], got[k]) for k in FIELDS if want[k] != got[k]]
    assert mismatches == []
    assert len(served.posts) == len(served.oracle) - len(missing)


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_excerpts_agree_with_jekyll(name: str, load: Callable[[str], Served]) -> None:
    served = load(name)
    by_id = {o["id"]: o for o in served.oracle}
    differing = {by_id[i]["path"]: (by_id[i]["excerpt"], p["excerpt"]) for i, p in served.posts.items()
                 if _fold(by_id[i]["excerpt"]) != _fold(p["excerpt"])}
    assert set(differing) == set(EXCERPT_EXCEPTIONS[name]), differing
    assert len(differing) <= 0.05 * len(served.oracle)


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_no_corpus_file_has_an_error(name: str, load: Callable[[str], Served]) -> None:
    assert [str(p) for p in load(name).summary.skipped] == []


def test_corpus_warnings_name_the_file_and_what_was_dropped(load: Callable[[str], Served]) -> None:
    served = load("18f-blog")
    by_file = {(p.path, p.message) for p in served.summary.problems if p.severity == "warning"}
    assert ("_posts/2017-09-05-ficam-partners-with-federalist.md",
            "{% include svg/blog/money_coins.svg %} was dropped: Broadsheet reads posts only, not includes") in by_file
    shared = [(path, message) for path, message in by_file if "duplicate slug" in message]
    assert shared and all("also used by" in message for _, message in shared)


def test_posts_sharing_a_slug_are_all_served(load: Callable[[str], Served]) -> None:
    served = load("18f-blog")
    slugs: dict[str, list[str]] = {}
    for want in served.oracle:
        slugs.setdefault(want["slug"], []).append(want["id"])
    shared = {slug: ids for slug, ids in slugs.items() if len(ids) > 1}
    assert shared, "the 18f blog has posts that share a slug"
    for slug, ids in shared.items():
        newest = served.client.get(f"/api/posts/{slug}").get_json()
        assert sorted([newest["id"], *newest["other_ids"]]) == sorted(ids)
        for post_id in ids:
            body = served.client.get("/api/posts/by-id", query_string={"id": post_id}).get_json()
            assert body["id"] == post_id and body["slug"] == slug


def test_corpus_post_url_resolves_to_the_other_post(load: Callable[[str], Served]) -> None:
    served = load("jekyll-news")
    post_id = next(o["id"] for o in served.oracle if o["path"] == "2014-05-06-jekyll-turns-2-0-0.markdown")
    post = served.client.get("/api/posts/by-id", query_string={"id": post_id}).get_json()
    assert any(link["url"] == "/release/2013/05/06/jekyll-1-0-0-released.html" for link in post["links"])
