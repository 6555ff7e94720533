"""Shared list helpers: one Page.of cuts every page, and every filter the index knows reaches it."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from service.api.lists import page_body, post_filter
from service.schemas.args import PostFilterArgs, QuoteListArgs
from service.search import Page, PostFilter


def test_page_of_cuts_pages_and_counts_them() -> None:
    items = list(range(45))
    assert page_body(Page.of(items, 1, 20)) == {"items": items[:20], "page": 1, "per_page": 20, "total": 45, "pages": 3}
    assert Page.of(items, 3, 20).items == items[40:]
    assert Page.of(items, 4, 20).items == [] and Page.of([], 1, 20).pages == 1


def test_every_filter_argument_reaches_the_index_filter() -> None:
    given = {"category": "a", "tag": "b", "author": "d", "year": 2024, "month": 5, "date_from": date(2024, 5, 1),
             "date_to": date(2024, 5, 31), "post": "c"}
    assert set(given) == {f.name for f in fields(PostFilter)}
    assert post_filter({**given, "page": 2}) == PostFilter(**given)
    offered = set(PostFilterArgs().fields) | set(QuoteListArgs().fields)
    assert {f.name for f in fields(PostFilter)} <= offered
