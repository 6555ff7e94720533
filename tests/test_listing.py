"""Lists without a query: the by-date walk of the build's order agrees with Whoosh's own date sort."""

from __future__ import annotations

from pathlib import Path

from service.search import PostFilter
from service.search.whoosh import listing
from service.search.whoosh.clauses import filter_query
from tests.helpers import indexed_app, write_post


def test_lists_by_date_walk_the_build_order_as_whoosh_sorts_them(tmp_path: Path) -> None:
    """Posts listed by date (any filter, page, direction) come as Whoosh's date sort gave them, ties included."""
    content = tmp_path / "content"
    for n in range(30):  # three posts a day share their date and time: ties, broken by document number
        day = 1 + n // 3
        write_post(content, f"2024-03-{day:02d}-post-{n}.md",
                   f"title: Post {n}\ndate: 2024-03-{day:02d} 10:00:00 +0000\n"
                   f"categories: [{'odd' if n % 2 else 'even'}]\ntags: [t{n % 4}]", f"Text of post {n}.\n")
    app = indexed_app(content, tmp_path / "index")
    with app.app_context():
        ix = app.extensions["broadsheet.index"].get()
        compared = 0
        for filters in (PostFilter(), PostFilter(category="odd"), PostFilter(tag="t3"), PostFilter(year=2024),
                        PostFilter(category="even", tag="t2"), PostFilter(category="none")):
            for sort in ("-date", "date"):
                for page, per_page in ((1, 4), (2, 4), (3, 7), (9, 5)):
                    ours = ix.list_posts(filters, sort, page, per_page)
                    whoosh = listing._page(ix, ix._searcher, filter_query("post", filters), "date", page, per_page,
                                          "post", reverse=sort == "-date")
                    assert (ours.items, ours.total) == (whoosh.items, whoosh.total), (filters, sort, page)
                    compared += bool(ours.items)
        assert compared > 20  # the empty ones too: a category nobody uses, a page past the end
