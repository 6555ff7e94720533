"""Compiled schemas dump exactly what marshmallow does: search responses over real content, and the served path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.api.search import search_envelope
from service.schemas.args import SearchArgs
from service.schemas.compiled import MEDIA_MARK, SITE_MARK, compile_schema, dump_json
from service.schemas.responses import SearchResultSchema
from tests.helpers import write_post

# every hit kind, facets, a phrase, an exclusion, a typo and a word nobody wrote (a did-you-mean or none)
SEARCHES = [
    {"q": "the"}, {"q": "government data", "facets": "category,tag,year,author"}, {"q": "\"open source\""},
    {"q": "design -research"}, {"q": "goverment"}, {"q": "zzqxv"}, {"q": "", "facets": "category"},
    {"q": "the", "type": "quote"}, {"q": "the", "type": "image"}, {"q": "", "type": "image"},
    {"q": "about", "type": "page"}, {"q": "the", "page": "2", "per_page": "5"},
]


def _both(app: Any, query: dict[str, str]) -> tuple[Any, Any]:
    with app.test_request_context("/api/search", query_string=query):
        body = search_envelope(SearchArgs().load(query))
        return orjson.loads(dump_json(SearchResultSchema, body, app.config)), SearchResultSchema().dump(body)


def _check(app: Any) -> int:
    hits = 0
    for query in SEARCHES:
        compiled, marshmallow = _both(app, query)
        assert compiled == marshmallow, query
        assert list(compiled) == list(marshmallow)  # the same keys in the same order
        hits += len(compiled["items"])
    return hits


def test_search_responses_equal_marshmallow_on_the_sample(sample_app: Any) -> None:
    assert _check(sample_app) > 20


def test_search_responses_equal_marshmallow_on_a_real_blog(corpus_app: Callable[..., Any]) -> None:
    app = corpus_app("18f-blog", PUBLIC_URL="https://api.example/media", SITE_URL="https://18f.example/blog")
    assert _check(app) > 100
    compiled, _ = _both(app, {"q": "the", "type": "image"})
    urls = [hit["url"] for hit in compiled["items"] if hit.get("local")]
    assert urls and all(u.startswith("https://api.example/media/") for u in urls)  # image hits: the media base
    compiled, _ = _both(app, {"q": "the"})
    assert all(hit["url"].startswith("https://18f.example/blog/") for hit in compiled["items"])


def test_a_schema_with_a_field_it_cannot_compile_says_so() -> None:
    from marshmallow import Schema, fields

    class Odd(Schema):
        when = fields.DateTime()

    with pytest.raises(TypeError, match="DateTime"):
        compile_schema(Odd)


def test_served_search_keeps_headers_and_matches_the_marshmallow_dump(sample_app: Any) -> None:
    client = sample_app.test_client()
    response = client.get("/api/search?q=the&per_page=2")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert response.headers["X-Total-Count"] == str(body["total"]) and 'rel="next"' in response.headers["Link"]
    assert response.headers["ETag"] and SITE_MARK not in response.text and MEDIA_MARK not in response.text
    _, marshmallow = _both(sample_app, {"q": "the", "per_page": "2"})
    body.pop("took_ms"), marshmallow.pop("took_ms")
    assert body == marshmallow


def test_a_title_holding_a_marker_is_served_as_written(make_app: Callable[..., Any], content_dir: Path) -> None:
    # YAML's "\0" makes a NUL: a title spelling a marker must not turn into a URL base
    write_post(content_dir, "2024-01-02-marked.md", 'title: "Marked \\0bs:site\\0 title"', "A word: zebra.\n")
    app = make_app(content_dir, SITE_URL="https://example.org")
    hit = app.test_client().get("/api/search?q=zebra").get_json()["items"][0]
    assert hit["title"] == f"Marked {SITE_MARK.strip(chr(0)).join([chr(0), chr(0)])} title"
    assert "https://example.org" not in hit["title"]
