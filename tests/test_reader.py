"""The Whoosh reader: threads of one worker search one at a time and get the answers a lone thread gets."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from service.search import PostFilter
from service.search.whoosh import execute
from service.search.whoosh.planner import filter_query
from tests.helpers import indexed_app, write_post

QUERIES = ("the", "design", "data government", "goverment", "open source", "web", "team", "plain words")


def test_threads_of_a_worker_search_one_at_a_time_with_unchanged_answers(sample_app: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    client = sample_app.test_client()
    alone = {q: client.get(f"/api/search?q={q}&per_page=50").get_json() for q in QUERIES}
    running, most, guard = [0], [0], threading.Lock()
    real = execute.search

    def observed(index: Any, request: Any) -> Any:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(index, request)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(execute, "search", observed)
    answers: list[tuple[str, Any]] = []
    # fresh queries each time (a page number the first pass did not ask for), so no response cache answers them
    def ask(offset: int) -> None:
        own = sample_app.test_client()
        for n in range(12):
            q = QUERIES[(offset + n) % len(QUERIES)]
            answers.append((q, own.get(f"/api/search?q={q}&per_page=50&page=1&facets=category").get_json()))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 48 and most[0] == 1  # CPU-bound searches never interleave: no lock hand-over churn
    for q, body in answers:
        assert [h["slug"] for h in body["items"]] == [h["slug"] for h in alone[q]["items"]], q
        assert body["total"] == alone[q]["total"]


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
                    whoosh = ix._page(filter_query("post", filters), "date", page, per_page, "post",
                                      reverse=sort == "-date")
                    assert (ours.items, ours.total) == (whoosh.items, whoosh.total), (filters, sort, page)
                    compared += bool(ours.items)
        assert compared > 20  # the empty ones too: a category nobody uses, a page past the end
