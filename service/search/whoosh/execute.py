"""Running one search: count every match unscored (bitsets), score only the page's top N, then build the hits.

Exact matches rank above the ones only a typo correction finds: the corrected tier is searched only when the
exact one leaves the page short, while totals and facets always count both tiers.
"""

from __future__ import annotations

import heapq
import time
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from whoosh import query as wq

from service.search import facets
from service.search.hits import MATCH_FIELDS, shape_hit
from service.search.models import PostFilter, SearchRequest, SearchResult
from service.search.query import UserQuery, parse_user_query
from service.search.whoosh.bits import Bits

if TYPE_CHECKING:
    from service.search.whoosh.planner import Plan


class WhooshIndex(Protocol):
    """What a search needs of an opened build (reader.WhooshIndex is one; named here so neither imports the other)."""

    manifest: Any

    def planner(self) -> Any: ...
    def docsets(self) -> Any: ...
    def allowed(self, kind: str, filters: PostFilter) -> int: ...
    def top(self, q: wq.Query, allowed: int, limit: int) -> list[tuple[int, float]]: ...
    def ranked(self, q: wq.Query, allowed: int, limit: int) -> tuple[list[tuple[int, float]], int] | None: ...
    def hit_record(self, docnum: int) -> dict[str, Any]: ...
    def list_record(self, docnum: int, kind: str) -> dict[str, Any]: ...
    def facet_counts(self, matched: int, wanted: Any) -> dict[str, list[dict[str, Any]]]: ...
    def date_ranks(self, newest_first: bool) -> list[int]: ...
    def date_order(self, newest_first: bool) -> list[int]: ...

FEW_RESULTS = 3  # below this many hits a "did you mean" is worth offering
DATE_WALK = 2000  # matches above this many: walk the date order instead of sorting them


def positive_terms(q: wq.Query) -> set[tuple[str, str]]:
    """Return the (field, text) terms a document can match q by (the excluded side of AndNot left out)."""
    if isinstance(q, wq.Term):
        return {(q.fieldname, q.text)}
    if isinstance(q, wq.AndNot):
        return positive_terms(q.a)
    if isinstance(q, wq.Phrase):
        return {(q.fieldname, w) for w in q.words}
    found: set[tuple[str, str]] = set()
    for child in q.children():
        found |= positive_terms(child)
    return found


def matched_fields(sets: Any, terms: set[tuple[str, str]], docnums: list[int]) -> list[set[str]]:
    """Return, for each document, the index fields of the terms it holds (a sorted lookup a term, not a test a hit)."""
    found: list[set[str]] = [set() for _ in docnums]
    if not docnums:
        return found
    wanted = np.array(docnums, dtype=np.int32)
    for field, text in terms:
        ids = sets.term_ids(field, text)
        if not len(ids):
            continue
        at = np.searchsorted(ids, wanted)
        for n in np.flatnonzero(ids[np.minimum(at, len(ids) - 1)] == wanted).tolist():
            found[n].add(field)
    return found


def search(ix: WhooshIndex, request: SearchRequest) -> SearchResult:
    """Rank, page, highlight and count the documents of one kind that match what the reader typed."""
    started = time.perf_counter()
    uq = parse_user_query(request.q)
    sets = ix.docsets()
    allowed = ix.allowed(request.type, request.filters)
    planner = ix.planner()
    plan = planner.plan(uq, request.typos)
    need = request.page * request.per_page
    start = (request.page - 1) * request.per_page
    if not allowed:
        return SearchResult(hits=[], total=0, page=request.page, per_page=request.per_page,
                            understood=uq.understood(), facets={f: [] for f in request.facets}, took_ms=_ms(started))
    if plan is None:
        excluded = planner.excluded(uq)
        if excluded is not None:  # only -words: everything else
            allowed &= ~sets.matches(excluded)
        return browse(ix, request, allowed, started, uq)
    ranked = ix.ranked(plan.exact, allowed, need) \
        if plan.full is None and request.sort == "relevance" and not request.facets else None
    counted: dict[str, list[dict[str, Any]]] = {}
    if ranked is not None:  # the exact words alone, no facets: the scoring of the matches also counts them
        scored, total = ranked[0][start:need], ranked[1]
    else:
        scored, matched = _ranked_with_bits(ix, sets, request, plan, allowed, need, start)
        total = matched.bit_count()
        counted = ix.facet_counts(matched, request.facets) if request.facets else {}
    marker = plan.marker()
    looked_at = {t for t in positive_terms(plan.full or plan.exact) if t[0] in MATCH_FIELDS} \
        if request.type == "post" else set()  # other kinds' texts are all scanned
    fields = matched_fields(sets, looked_at, [d for d, _ in scored])
    hits = [shape_hit(ix.hit_record(docnum), request.type, score, marker, found)  # a text no term matched is
            for (docnum, score), found in zip(scored, fields, strict=True)]      # not scanned
    result = SearchResult(hits=hits, total=total, page=request.page, per_page=request.per_page,
                          understood=uq.understood(), facets=counted)
    if plan.unknown or total < FEW_RESULTS:
        result.suggestion = did_you_mean(ix, request.q, plan, allowed)
    result.took_ms = _ms(started)
    return result


def _ranked_with_bits(ix: WhooshIndex, sets: Any, request: SearchRequest, plan: Plan, allowed: int, need: int,
                      start: int) -> tuple[list[tuple[int, float]], int]:
    """Return the page's scored documents and the bitset of every match (typo corrections, facets, date order)."""
    exact_bits = sets.matches(plan.exact) & allowed
    matched = exact_bits
    scored: list[tuple[int, float]] = []
    if plan.full is not None and request.sort == "relevance":
        corrected_query = plan.corrected_only or plan.full
        matched = exact_bits | (sets.matches(corrected_query) & allowed)
        exact_count = exact_bits.bit_count()
        scored = ix.top(plan.exact, exact_bits, min(need, exact_count))
        if exact_count < need and matched != exact_bits:  # the page reaches into the corrected tier
            scored += ix.top(corrected_query, matched & ~exact_bits, need - exact_count)
        scored = scored[start:need]
    elif request.sort == "relevance":
        matched = sets.matches(plan.full) & allowed if plan.full is not None else exact_bits
        scored = ix.top(plan.full or plan.exact, matched, need)[start:need]
    else:
        if plan.full is not None:
            matched = sets.matches(plan.full) & allowed
        scored = [(d, 0.0) for d in by_date(ix, matched, need, newest_first=request.sort == "-date")[start:need]]
    return scored, matched


def by_date(ix: WhooshIndex, matched: int, limit: int, newest_first: bool) -> list[int]:
    """Return the first `limit` matched documents by date (newest first unless told otherwise)."""
    if not limit or not matched:
        return []
    if matched.bit_count() <= DATE_WALK:
        rank = ix.date_ranks(newest_first)
        return heapq.nsmallest(limit, Bits(matched), key=rank.__getitem__)
    found, members = [], Bits(matched)
    for docnum in ix.date_order(newest_first):  # most matches are near the front: stop at the page's end
        if docnum in members:
            found.append(docnum)
            if len(found) == limit:
                break
    return found


def browse(ix: WhooshIndex, request: SearchRequest, allowed: int, started: float, uq: UserQuery) -> SearchResult:
    """With nothing to search for, list what the filters allow, newest first (oldest with sort=date)."""
    start = (request.page - 1) * request.per_page
    picked = by_date(ix, allowed, request.page * request.per_page, newest_first=request.sort != "date")[start:]
    hits = [ix.list_record(docnum, request.type) for docnum in picked]
    wanted = request.facets
    if not wanted:
        counted: dict[str, list[dict[str, Any]]] = {}
    elif request.type == "post" and request.filters == PostFilter() and not uq.excluded and ix.manifest.build_id:
        counted = facets.site_facets(ix.manifest, wanted)  # computed at index time
    else:
        counted = ix.facet_counts(allowed, wanted)
    return SearchResult(hits=hits, total=allowed.bit_count(), page=request.page, per_page=request.per_page,
                        understood=uq.understood(), facets=counted, took_ms=_ms(started))


def did_you_mean(ix: WhooshIndex, q: str, plan: Plan, allowed: int) -> str | None:
    """Return q with its unknown words respelled as words the index knows, if that finds more posts."""
    found = ix.planner().respelling(q, plan.unknown)
    if found is None:
        return None
    respelled, better = found
    return respelled if ix.docsets().matches(better) & allowed else None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)

