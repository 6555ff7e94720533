"""Search through the index interface (service.search) over a small real index: ranking rules, facets, suggest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service.search import PostFilter, SearchRequest, current_build_dir, open_index, shared, vocabulary
from tests.helpers import write_post


@pytest.fixture
def tiny(content_dir: Path, make_app: Callable[..., Any]) -> Any:
    """Four posts made to test one rule each, indexed for real."""
    write_post(content_dir, "2024-01-01-collage-show.md", "title: Art show opens\ncategories: [Arts]\ntags: [paper]",
               "The show includes one collage made of paper and glue.\n")
    write_post(content_dir, "2024-02-01-college-news.md",
               "title: College college college\ncategories: [Education]\ntags: [college]",
               "The college board met. College fees rise at the college.\n")
    write_post(content_dir, "2023-03-01-cut-grass.md", "title: Cut the grass\ncategories: [Garden]",
               "Cut it short in March.\n\n> Mow before the rain.\n>\n> > **_A gardener_**\n")
    write_post(content_dir, "2022-04-01-lighthouse-keepers.md",
               "title: Lighthouse keepers remember\ncategories: [History, Arts]\ntags: [paper]",
               "Keepers of the old lighthouse kept paper logs.\n")
    return make_app(content_dir)


def _search(app: Any, **kwargs: Any) -> Any:
    index = app.extensions["broadsheet.index"].get()
    return index.search(SearchRequest(**kwargs))


def _slugs(result: Any) -> list[str]:
    return [hit.get("slug") or hit["post"]["slug"] for hit in result.hits]


def test_exact_match_ranks_above_a_typo_corrected_one(tiny: Any) -> None:
    result = _search(tiny, q="collage ")
    assert _slugs(result) == ["collage-show", "college-news"]  # though "college" fills a title
    assert _slugs(_search(tiny, q="collage ", typos=False)) == ["collage-show"]


def test_pages_follow_the_exact_then_corrected_order(tiny: Any) -> None:
    first = _search(tiny, q="collage ", per_page=1, page=1)
    second = _search(tiny, q="collage ", per_page=1, page=2)
    assert (first.total, second.total) == (2, 2)
    assert _slugs(first) + _slugs(second) == ["collage-show", "college-news"]


def test_equal_scores_go_newest_first(content_dir: Path, make_app: Callable[..., Any]) -> None:
    for day in ("2021-05-01", "2022-05-01"):
        write_post(content_dir, f"{day}-tide-table-{day[:4]}.md", "title: Tide table", "Tide table for the bay.\n")
    make_app(content_dir)
    # added by an incremental reindex: the newest post is the last document, yet comes first among equals
    write_post(content_dir, "2023-05-01-tide-table-2023.md", "title: Tide table", "Tide table for the bay.\n")
    app = make_app(content_dir)
    assert _slugs(_search(app, q="tide")) == ["tide-table-2023", "tide-table-2022", "tide-table-2021"]
    assert _slugs(_search(app, q="tide", per_page=1)) == ["tide-table-2023"]


def test_short_words_get_no_typos(tiny: Any) -> None:
    assert _search(tiny, q="cat ").total == 0  # "cut" is one edit away but "cat" has 3 letters


def test_two_typos_allowed_in_long_words(tiny: Any) -> None:
    assert _slugs(_search(tiny, q="lihgthuose ")) == ["lighthouse-keepers"]
    assert _search(tiny, q="lihgthuose ").suggestion == "lighthouse"


def test_facets_count_every_match_not_just_the_page(tiny: Any) -> None:
    result = _search(tiny, q="paper", per_page=1, facets=("category", "tag", "year"))
    assert result.total == 2 and len(result.hits) == 1
    assert {v["value"]: v["count"] for v in result.facets["category"]} == {"arts": 2, "history": 1}
    assert result.facets["tag"][0]["count"] == 2 and result.facets["tag"][0]["name"] == "paper"
    assert [v["value"] for v in result.facets["year"]] == ["2024", "2022"]


def test_empty_query_lists_filtered_posts_newest_first(tiny: Any) -> None:
    assert _slugs(_search(tiny, q="")) == ["college-news", "collage-show", "cut-grass", "lighthouse-keepers"]
    assert _slugs(_search(tiny, q="", sort="date"))[0] == "lighthouse-keepers"
    assert _slugs(_search(tiny, q="", filters=PostFilter(category="arts"))) == ["collage-show", "lighthouse-keepers"]
    facets = _search(tiny, q="", facets=("category",)).facets["category"]
    assert sum(v["count"] for v in facets) == 5  # whole-site counts from the manifest


def test_filters_combine_with_and(tiny: Any) -> None:
    assert _slugs(_search(tiny, q="paper", filters=PostFilter(category="arts", year=2022))) == ["lighthouse-keepers"]
    assert _search(tiny, q="paper", filters=PostFilter(category="garden")).total == 0
    assert _search(tiny, q="paper", filters=PostFilter(category="no-such-category"), facets=("tag",)).facets == {
        "tag": []}


def test_date_sorts(tiny: Any) -> None:
    assert _slugs(_search(tiny, q="paper", sort="date")) == ["lighthouse-keepers", "collage-show"]
    assert _slugs(_search(tiny, q="paper", sort="-date")) == ["collage-show", "lighthouse-keepers"]


def test_quote_hits_carry_their_post(tiny: Any) -> None:
    result = _search(tiny, q="mow rain", type="quote")
    assert result.total == 1
    assert result.hits[0]["post"]["slug"] == "cut-grass" and result.hits[0]["attribution"] == "A gardener"
    assert "<mark>Mow</mark>" in result.hits[0]["highlights"]["body"]


def test_related_never_includes_the_post_and_prefers_shared_words_and_categories(tiny: Any) -> None:
    index = tiny.extensions["broadsheet.index"].get()
    related = [p["slug"] for p in index.related("collage-show", 5)]
    assert "collage-show" not in related
    assert related[0] == "lighthouse-keepers"  # shares "paper", the Arts category and the paper tag
    assert index.related("no-such-post", 5) is None


def test_suggest_completes_titles_and_words(tiny: Any) -> None:
    index = tiny.extensions["broadsheet.index"].get()
    found = index.suggest("lightho", 8)
    assert {"text": "Lighthouse keepers remember", "kind": "title", "slug": "lighthouse-keepers",
         "id": "/history/arts/2022/04/01/lighthouse-keepers"} in found
    assert {"text": "lighthouse", "kind": "term"} in found
    assert index.suggest("keepers rem", 8)[:2] == [
        {"text": "Lighthouse keepers remember", "kind": "title", "slug": "lighthouse-keepers",
         "id": "/history/arts/2022/04/01/lighthouse-keepers"},
        {"text": "keepers remember", "kind": "term"}]
    assert index.suggest("   ", 8) == []


def test_search_works_without_the_vocabulary_file(tiny: Any, tmp_path: Path) -> None:
    # an index updated in place (incremental reindex) may not have it: the engine reads the index instead
    build = current_build_dir(Path(tiny.config["INDEX_DIR"]))
    assert build is not None
    (build / vocabulary.FILE).unlink()
    shared.clear()
    fresh = open_index(build)
    try:
        assert [h["slug"] for h in fresh.search(SearchRequest(q="lihgthuose ")).hits] == ["lighthouse-keepers"]
    finally:
        fresh.close()


def test_highlights_mark_only_matched_words_in_titles(tiny: Any) -> None:
    hit = _search(tiny, q="keepers").hits[0]
    assert hit["highlights"]["title"] == "Lighthouse <mark>keepers</mark> remember"
    assert hit["matched_fields"] == ["title", "excerpt", "body"]
    assert Counter(hit["highlights"]["body"].split("<mark>"))  # a snippet is present
