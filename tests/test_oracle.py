"""Both real blogs agree with what Jekyll 4 itself made of them (../shared/corpora/*/jekyll-oracle.json).

Excerpts are compared as text with whitespace folded. The oracle's excerpt went through Liquid's `strip_html`,
which removes tags but leaves entities as written (`&rsquo;`, `&#58;`, `&amp;`), so entities are decoded on the
oracle's side before comparing; that is the only normalisation.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from service.content.loader import LoadResult, load_content
from service.content.visibility import is_visible
from tests.helpers import shared_path

FIELDS = ("id", "url", "slug", "title", "date", "categories", "tags", "shown_by_default")
# Posts whose front matter is not valid YAML may be skipped: none in either corpus (a tab after a value, which
# PyYAML rejects and Jekyll's libyaml accepts, is read the way Jekyll reads it).
SKIPPED_INVALID_YAML: dict[str, set[str]] = {"jekyll-news": set(), "18f-blog": set()}
# Excerpts allowed to differ, with the reason: none at present.
EXCERPT_EXCEPTIONS: dict[str, dict[str, str]] = {"jekyll-news": {}, "18f-blog": {}}

_loaded: dict[str, tuple[LoadResult, list[dict[str, Any]]]] = {}


def _load(name: str) -> tuple[LoadResult, list[dict[str, Any]]]:
    if name not in _loaded:
        corpus = shared_path("corpora", name)
        oracle = json.loads((corpus / "jekyll-oracle.json").read_text(encoding="utf-8"))["posts"]
        _loaded[name] = (load_content(corpus, preview=True), oracle)
    return _loaded[name]


def _fold(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _by_oracle_path(result: LoadResult) -> dict[str, Any]:
    # the oracle names posts by their path inside _posts
    return {p.path.split("_posts/", 1)[-1]: p for p in result.posts + result.hidden}


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_every_post_agrees_with_jekyll(name: str) -> None:
    result, oracle = _load(name)
    posts = _by_oracle_path(result)
    now = datetime.now(UTC)
    missing = {o["path"] for o in oracle if o["path"] not in posts}
    assert missing == SKIPPED_INVALID_YAML[name], [str(p) for p in result.errors]
    mismatches = []
    for want in oracle:
        if want["path"] in missing:
            continue
        post = posts[want["path"]]
        got = {
            "id": post.id, "url": post.url, "slug": post.slug, "title": post.title,
            "date": post.date.replace(microsecond=0).isoformat(), "categories": post.categories, "tags": post.tags,
            "shown_by_default": is_visible(post, result.site, now),
        }
        mismatches += [(want["path"], k, want[k], got[k]) for k in FIELDS if want[k] != got[k]]
    assert mismatches == []
    assert len(posts) == len(oracle) - len(missing)


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_excerpts_agree_with_jekyll(name: str) -> None:
    result, oracle = _load(name)
    posts = _by_oracle_path(result)
    differing = {o["path"]: (o["excerpt"], posts[o["path"]].excerpt) for o in oracle
                 if o["path"] in posts and _fold(o["excerpt"]) != _fold(posts[o["path"]].excerpt)}
    assert set(differing) == set(EXCERPT_EXCEPTIONS[name]), differing
    assert len(differing) <= 0.05 * len(oracle)


def test_no_corpus_file_has_an_error() -> None:
    for name in ("jekyll-news", "18f-blog"):
        result, _ = _load(name)
        assert [str(p) for p in result.errors] == []


def test_corpus_warnings_name_the_file_and_what_was_dropped() -> None:
    result, _ = _load("18f-blog")
    by_file = {(p.path, p.message) for p in result.problems if p.severity == "warning"}
    assert ("_posts/2017-09-05-ficam-partners-with-federalist.md",
            "{% include svg/blog/money_coins.svg %} was dropped: Broadsheet reads posts only, not includes") in by_file
    assert any(path == "_posts/2024-01-12-andrew-hyder-award.md" and "also used by" in message
               for path, message in by_file)


def test_corpus_post_url_resolves_to_the_other_post() -> None:
    result, _ = _load("jekyll-news")
    post = _by_oracle_path(result)["2014-05-06-jekyll-turns-2-0-0.markdown"]
    assert any(link.url == "/release/2013/05/06/jekyll-1-0-0-released.html" for link in post.links)

