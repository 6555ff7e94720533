"""Search over the sample content: ranking, highlights and hostile input."""

from __future__ import annotations

from typing import Any

import pytest


def test_search_finds_title_word_first_with_marks(client: Any) -> None:
    body = client.get("/api/search?q=heron").get_json()
    assert body["total"] >= 1
    top = body["items"][0]
    assert "heron" in top["title"].lower()
    assert "<mark>" in (top["highlights"]["title"] or "") + (top["highlights"]["body"] or "")
    assert body["query"] == "heron"


def test_title_outranks_body(client: Any) -> None:
    body = client.get("/api/search?q=marathon").get_json()
    assert "marathon" in body["items"][0]["title"].lower()


def test_quote_search_carries_the_post(client: Any) -> None:
    quotes = client.get("/api/quotes?per_page=1").get_json()["items"]
    words = " ".join(quotes[0]["text"].split()[:4])
    body = client.get("/api/search", query_string={"q": f'"{words}"', "type": "quote"}).get_json()
    assert body["total"] >= 1
    assert body["items"][0]["id"] == quotes[0]["id"]
    assert body["items"][0]["post"]["slug"] == quotes[0]["post"]["slug"]


def test_nothing_found_is_an_empty_page(client: Any) -> None:
    body = client.get("/api/search?q=zzyzzyxq").get_json()
    assert body["total"] == 0 and body["items"] == []


@pytest.mark.parametrize("q", ['title:(', '*', '~', '"unbalanced', '((((', 'AND OR NOT', '-', '"', "a" * 5000,
                               "\x00\x01\x1f", "heron^3", "[to TO]", "{}", "x" * 100 + " " + "y z " * 500])
def test_syntax_is_text_never_an_error(client: Any, q: str) -> None:
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code in (200, 400)
    assert response.is_json
