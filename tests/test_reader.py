"""The Whoosh reader: threads of one worker search one at a time and get the answers a lone thread gets."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from service.search.whoosh import execute

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
