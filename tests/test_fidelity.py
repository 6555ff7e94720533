"""Bodies agree with what Jekyll rendered: the comparison itself, and the real corpora through the reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.bodycompare import THRESHOLD, compare
from bench.fidelity import site_results, summarise
from tests.helpers import shared_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kramdown"


def test_what_the_sanitiser_removes_is_no_difference() -> None:
    jekyll = '<p onclick="x()">Hello <em>there</em></p><script>alert(1)</script><iframe src="//v"></iframe>'
    assert compare(jekyll, "<p>Hello <em>there</em></p>").agrees


def test_curly_quotes_spaces_and_markup_are_normalised() -> None:
    jekyll = "<p>It’s “fine”\u00a0here,\n   <strong>really</strong>.</p>"
    assert compare(jekyll, '<p>It\'s "fine" here, really.</p>').agrees


def test_a_missing_list_item_or_link_is_a_structure_difference() -> None:
    got = compare("<ul><li>one</li><li>two</li></ul><p><a href='/x'>x</a></p>", "<p>- one - two x</p>")
    assert not got.agrees
    assert got.structure_differs == ["links", "list items"]
    assert "list items 2 vs 0" in got.describe()


def test_text_below_the_threshold_disagrees_and_says_where() -> None:
    words = " ".join(f"w{n}" for n in range(100))
    got = compare(f"<p>{words}</p>", f"<p>{words.replace('w50 w51 w52', 'other')}</p>")
    assert got.similarity < THRESHOLD and not got.agrees
    assert "[w50 w51 w52" in got.diff


@pytest.mark.parametrize("name", ["18f-site", "jekyll-docs"])
def test_every_post_of_the_whole_site_corpora_agrees_with_jekyll(name: str) -> None:
    shared_path("corpora-site", name)
    results = site_results(name, kinds=("post",))
    differing = {r.path: r.comparison.describe() for r in results if not r.comparison.agrees}
    assert len(results) > 100
    assert differing == {}


def test_summary_counts_each_corpus_and_kind(tmp_path: Path) -> None:
    shared_path("corpora-site", "jekyll-docs")
    results = site_results("jekyll-docs", kinds=("post",))
    table = summarise(results, worst=3)
    assert f"| jekyll-docs | post | {len(results)} | {len(results)} | 100.0% |" in table


def test_a_fixture_body_is_served_by_the_api_as_jekyll_rendered_it(make_app: Any) -> None:
    expected = {p["path"]: p["content"] for p in
                json.loads((FIXTURES / "gfm.expected.json").read_text(encoding="utf-8"))["posts"]}
    client = make_app(FIXTURES / "gfm").test_client()
    for slug in ("footnotes", "table-of-contents", "markdown-inside-block-html"):
        body = client.get(f"/api/posts/{slug}").get_json()
        path = next(p for p in expected if p.endswith(f"-{slug}.md"))
        assert compare(expected[path], body["html"]).agrees, slug
        ids = [h["anchor"] for h in body["toc"]]
        for anchor in filter(None, ids):
            assert f'id="{anchor}"' in body["html"]
