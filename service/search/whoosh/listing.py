"""Lists without a query: posts by date or title, quotes and images in their posts' order, one page at a time."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from whoosh import sorting
from whoosh.query import Query

from service.search.models import Page, PostFilter
from service.search.whoosh.bits import Bits, ids_of
from service.search.whoosh.clauses import filter_query


class Build(Protocol):
    """What a list needs of an opened build (reader.WhooshIndex is one)."""

    def allowed(self, kind: str, filters: PostFilter) -> int: ...
    def list_order(self, newest_first: bool) -> list[int]: ...
    def list_record(self, docnum: int, kind: str) -> dict[str, Any]: ...


def list_posts(ix: Build, searcher: Any, filters: PostFilter, sort: str, page: int, per_page: int) -> Page:
    """One page of the posts the filters allow, by date (either way) or by title."""
    if sort in ("date", "-date"):  # by date: the build's order walked over the filters' precomputed posts
        allowed = ix.allowed("post", filters)
        picked = first_in_order(ix.list_order(sort == "-date"), allowed, page * per_page)
        items = [ix.list_record(docnum, "post") for docnum in picked[(page - 1) * per_page:]]
        return Page(items=items, total=allowed.bit_count(), page=page, per_page=per_page)
    facet = {"title": "title_sort", "-title": "title_sort"}[sort]
    return _page(ix, searcher, filter_query("post", filters), facet, page, per_page, "post",
                 reverse=sort.startswith("-"))


def by_post_order(ix: Build, searcher: Any, kind: str, filters: PostFilter, page: int, per_page: int) -> Page:
    """One page of quotes or images: newest post first, each post's in their order within it."""
    order = sorting.MultiFacet([sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("order")])
    return _page(ix, searcher, filter_query(kind, filters), order, page, per_page, kind)


def _page(ix: Build, searcher: Any, query: Query, sortedby: Any, page: int, per_page: int, kind: str,
          reverse: bool = False) -> Page:
    results = searcher.search(query, limit=page * per_page, sortedby=sortedby, reverse=reverse)
    found = Page.of(results, page, per_page)
    found.items = [ix.list_record(hit.docnum, kind) for hit in found.items]
    return found


def date_list_order(reader: Any, docsets: Any, newest_first: bool) -> list[int]:
    """Every post's document number in the order a list by date shows them: Whoosh's sort by the date column
    (ties by document number, both reversed for newest first); the caller keeps it per build (sorting a
    category's posts by walking their postings took 400 ms a page at 100,000 posts)."""
    posts = ids_of(docsets.value("kind", "post"))
    if not len(posts) or not reader.has_column("date"):
        return []
    raw = reader.column_reader("date", translate=False)  # the numbers Whoosh's sort compares
    dates = np.fromiter((raw[d] for d in posts.tolist()), dtype=np.int64, count=len(posts))
    ordered = posts[np.lexsort((posts, dates))]  # by date, then document number
    return (ordered[::-1] if newest_first else ordered).tolist()


def first_in_order(order: list[int], allowed: int, limit: int) -> list[int]:
    """Return the first `limit` documents of order that the bitset allows."""
    found: list[int] = []
    if not limit or not allowed:
        return found
    members = Bits(allowed)
    for docnum in order:
        if docnum in members:
            found.append(docnum)
            if len(found) == limit:
                break
    return found
