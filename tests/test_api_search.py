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


def test_response_carries_paging_query_and_timing(client: Any) -> None:
    body = client.get("/api/search?q=millbrook+-heron&per_page=2&page=2").get_json()
    assert body["page"] == 2 and body["per_page"] == 2 and len(body["items"]) == 2
    assert body["pages"] == -(-body["total"] // 2) and body["total"] > 4
    assert body["query"] == "millbrook -heron" and body["type"] == "post"
    assert isinstance(body["took_ms"], float)
    assert all(hit["slug"] != "grey-heron-pair-nests-at-millbrook-reservoir" for hit in body["items"])


def test_misspelling_is_forgiven_and_a_correction_suggested(client: Any) -> None:
    body = client.get("/api/search?q=ligthouse").get_json()
    assert body["items"][0]["slug"] == "restoring-the-gull-point-lighthouse"
    assert "<mark>Lighthouse</mark>" in body["items"][0]["highlights"]["title"]
    assert body["suggestion"] == "lighthouse"
    off = client.get("/api/search?q=ligthouse&typos=false").get_json()
    assert off["total"] == 0 and off["suggestion"] == "lighthouse"


def test_known_words_get_no_suggestion(client: Any) -> None:
    assert client.get("/api/search?q=lighthouse").get_json()["suggestion"] is None


def test_prefix_of_the_word_being_typed(client: Any) -> None:
    typing = client.get("/api/search?q=beekee").get_json()
    assert typing["items"][0]["slug"] == "what-millbrook-beekeepers-learned-in-slovenia"
    finished = client.get("/api/search", query_string={"q": "beekee "}).get_json()
    assert finished["total"] == 0  # a space ends the word: no longer a prefix


def test_hits_name_their_matched_fields_and_marks_are_bare(client: Any) -> None:
    hit = client.get("/api/search?q=varroa").get_json()["items"][0]
    assert hit["matched_fields"] == ["body"]
    assert "<mark>varroa</mark>" in hit["highlights"]["body"]
    assert "class=" not in hit["highlights"]["body"] and "<mark>" not in hit["highlights"]["title"]
    assert hit["url"].startswith("https://blog.test/") and "html" not in hit and "text" not in hit


def test_facets_carry_slug_name_and_count_over_all_matches(client: Any) -> None:
    body = client.get("/api/search?q=millbrook&per_page=1&facets=category,tag,year").get_json()
    categories = {f["slug"]: f for f in body["facets"]["category"]}
    assert categories["city-hall"] == {"value": "city-hall", "slug": "city-hall", "name": "City Hall",
                                       "count": categories["city-hall"]["count"]}
    assert sum(f["count"] for f in body["facets"]["year"]) == body["total"] > 1
    assert set(body["facets"]) == {"category", "tag", "year"}


def test_empty_query_with_filters_lists_newest_first(client: Any) -> None:
    body = client.get("/api/search?category=transport&facets=year").get_json()
    assert [hit["slug"] for hit in body["items"]] == ["new-tram-timetables-cut-late-harbour-line-service",
                                                      "council-approves-protected-bicycle-lanes-on-station-road"]
    assert body["query"] == "" and body["facets"]["year"] == [
        {"value": "2024", "slug": "2024", "name": "2024", "count": 1},
        {"value": "2023", "slug": "2023", "name": "2023", "count": 1}]


def test_filters_and_dates(client: Any) -> None:
    assert client.get("/api/search?q=council&year=2024").get_json()["total"] >= 1
    body = client.get("/api/search?q=council&date_from=2023-04-01&date_to=2023-04-30").get_json()
    assert [hit["slug"] for hit in body["items"]] == ["council-approves-protected-bicycle-lanes-on-station-road"]
    assert client.get("/api/search?q=council&tag=cycling&category=city-hall").get_json()["total"] == 1


def test_image_search_finds_alt_text_with_file_url(client: Any) -> None:
    body = client.get("/api/search?q=lantern&type=image").get_json()
    hit = body["items"][0]
    assert hit["post"]["slug"] == "restoring-the-gull-point-lighthouse"
    assert hit["url"].startswith("http://api.test/media/") and "<mark>lantern</mark>" in hit["highlights"]["body"]


def test_suggest_endpoint(client: Any) -> None:
    items = client.get("/api/search/suggest?q=lightho").get_json()["items"]
    assert items[0] == {"text": "Restoring the Old Lighthouse at Gull Point, One Brass Fitting at a Time",
                        "kind": "title", "slug": "restoring-the-gull-point-lighthouse",
                        "id": "/history/culture/2024/06/11/restoring-the-gull-point-lighthouse"}
    assert {"text": "lighthouse", "kind": "term"} in items and len(items) <= 8
    assert len(client.get("/api/search/suggest?q=m&limit=3").get_json()["items"]) <= 3
    assert client.get("/api/search/suggest?q=m&limit=9").status_code == 400
    assert client.get("/api/search/suggest").status_code == 400


def test_related_posts(client: Any) -> None:
    slug = "council-approves-protected-bicycle-lanes-on-station-road"
    items = client.get(f"/api/posts/{slug}/related?limit=3").get_json()["items"]
    assert len(items) == 3 and slug not in [i["slug"] for i in items]
    assert items[0]["slug"] == "new-tram-timetables-cut-late-harbour-line-service"  # transport, city hall, council
    assert client.get("/api/posts/no-such-post/related").status_code == 404
    assert client.get(f"/api/posts/{slug}/related?limit=0").status_code == 400


def test_only_exclusions_list_everything_else(client: Any) -> None:
    body = client.get("/api/search?q=-heron&facets=category").get_json()
    assert body["total"] == 11 and body["query"] == "-heron"
    assert "grey-heron-pair-nests-at-millbrook-reservoir" not in [hit["slug"] for hit in body["items"]]
    assert {f["slug"]: f["count"] for f in body["facets"]["category"]}["environment"] == 1  # beekeepers only
