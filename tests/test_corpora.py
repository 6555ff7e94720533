"""The real blogs in ../shared/corpora load and index without a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from service.content.loader import load_content
from service.search import PostFilter, SearchRequest, open_index


@pytest.mark.parametrize("name", ["jekyll-news", "18f-blog"])
def test_corpus_indexes_and_reports_what_it_skips(name: str, corpus_index: Callable[..., Any]) -> None:
    built = corpus_index(name)
    corpus, summary = built.folder, built.summary
    files = len(list((corpus / "_posts").rglob("*.md"))) + len(list((corpus / "_posts").rglob("*.markdown")))
    assert summary.files == files
    skipped = {p.path for p in summary.skipped}
    # Every file is served, hidden or skipped with a reason; posts sharing a slug are all served (as Jekyll does).
    assert summary.posts + summary.hidden + len(skipped) == files
    assert summary.posts >= 0.9 * files
    for problem in summary.skipped:
        assert problem.path.startswith("_posts/") and problem.message
    index = open_index(built.index_dir / "builds" / summary.build_id)
    try:
        newest = index.list_posts(PostFilter(), "-date", 1, 5)
        assert newest.total == summary.posts
        for post in newest.items:  # a post's own title finds it among the first (two posts may share a title)
            hits = index.search(SearchRequest(q=post["title"], per_page=3)).hits
            assert post["id"] in [hit["id"] for hit in hits], post["title"]
    finally:
        index.close()


def test_corpus_loader_keeps_titles(shared: Any) -> None:
    result = load_content(shared("corpora", "jekyll-news"))
    assert all(p.title for p in result.posts)
