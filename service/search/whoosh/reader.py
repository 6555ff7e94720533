"""An opened build: records, lists, search, browse, suggestions and related posts, read through one searcher."""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from whoosh import index, sorting
from whoosh.query import And, Query, Term

from service.search import facets, vocabulary
from service.search.highlight import Marker
from service.search.hits import shape_hit
from service.search.models import Page, PostFilter, SearchRequest, SearchResult
from service.search.query import UserQuery, parse_user_query
from service.search.shared import per_build
from service.search.whoosh import storage
from service.search.whoosh.planner import MAX_COMPLETIONS, Or, Plan, Planner, filter_query
from service.search.whoosh.schema import COMMON_WORDS, FUNCTION_STEMS, plain_words, stem_key
from service.search.whoosh.writer import SIDE_FILE, read_vocabularies

FEW_RESULTS = 3  # below this many hits a "did you mean" is worth offering
RELATED_POOL = 40
RELATED_COMMON_SHARE = 0.05  # a word in more than this share of posts is no sign of relatedness
FILTER_CACHE = 32  # filter combinations remembered per searcher (each a set of document numbers)
# Whoosh's block-max skipping saves little when every match must be counted anyway, and its AndNot matcher
# can fail with IndexError while skipping (seen with -excluded words on page 2): score every match instead.
OPTIMIZE = False
KINDS = {"post": "summary", "quote": "record", "image": "record"}


def open_index(build_dir: Path) -> WhooshIndex:
    """Open a finished build for reading (with Whoosh's compound files read in place from their mapping)."""
    storage.install()
    return WhooshIndex(build_dir)


class WhooshIndex:
    """One opened build: a long-lived searcher, not shared between threads."""

    def __init__(self, build_dir: Path) -> None:
        self.path = build_dir
        self.build_id = build_dir.name
        manifest = build_dir / "build.json"
        self.manifest: dict[str, Any] = orjson.loads(manifest.read_bytes()) if manifest.exists() else {}
        # Built once per opened build: a list scan per post request cost 16% of an uncached post at 10,000 posts.
        self._positions = {slug: at for at, slug in enumerate(self.manifest.get("order") or [])}
        self._ix = index.open_dir(str(build_dir))
        self._searcher = self._ix.searcher()
        self._generation = self._ix.latest_generation()
        self._filters: dict[tuple[str, PostFilter], set[int]] = {}

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    # -- records -----------------------------------------------------------------------------
    def _stored(self, key: str, field: str = "record") -> dict[str, Any] | None:
        docnum = self._searcher.document_number(key=key)
        if docnum is None:
            return None
        return orjson.loads(self._searcher.stored_fields(docnum)[field])

    def get_post(self, slug: str) -> dict[str, Any] | None:
        return self._stored(f"post:{slug}")

    def get_quote(self, quote_id: str) -> dict[str, Any] | None:
        return self._stored(f"quote:{quote_id}")

    def get_image(self, image_id: str) -> dict[str, Any] | None:
        return self._stored(f"image:{image_id}")

    def neighbours(self, slug: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Return the previous (older) and next (newer) post summaries by date."""
        order = self.manifest.get("order") or []
        at = self._positions.get(slug)
        if at is None:
            return None, None
        newer = self._stored(f"post:{order[at - 1]}", "summary") if at > 0 else None
        older = self._stored(f"post:{order[at + 1]}", "summary") if at + 1 < len(order) else None
        return older, newer

    # -- lists -------------------------------------------------------------------------------
    def _filter_docs(self, kind: str, filters: PostFilter) -> set[int]:
        """Return the documents a kind and filters allow, remembered: filters repeat far more than queries."""
        key = (kind, filters)
        found = self._filters.get(key)
        if found is None:
            found = set(self._searcher.docs_for_query(filter_query(kind, filters)))
            if len(self._filters) >= FILTER_CACHE:
                self._filters.pop(next(iter(self._filters)))
            self._filters[key] = found
        return found

    def _page(self, query: Query, sortedby: Any, page: int, per_page: int, field: str, reverse: bool = False) -> Page:
        results = self._searcher.search(query, limit=page * per_page, sortedby=sortedby, reverse=reverse)
        start = (page - 1) * per_page
        items = [orjson.loads(hit[field]) for hit in results[start : start + per_page]]
        return Page(items=items, total=len(results), page=page, per_page=per_page)

    def list_posts(self, filters: PostFilter, sort: str, page: int, per_page: int) -> Page:
        facet = {"date": "date", "-date": "date", "title": "title_sort", "-title": "title_sort"}[sort]
        return self._page(filter_query("post", filters), facet, page, per_page, "summary", reverse=sort.startswith("-"))

    def _by_post_order(self, reverse: bool = True) -> sorting.MultiFacet:
        return sorting.MultiFacet([sorting.FieldFacet("date", reverse=reverse), sorting.FieldFacet("order")])

    def list_quotes(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(filter_query("quote", filters), self._by_post_order(), page, per_page, "record")

    def list_images(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(filter_query("image", filters), self._by_post_order(), page, per_page, "record")

    def random_quote(self, filters: PostFilter, seed: int) -> dict[str, Any] | None:
        docnums = list(self._searcher.docs_for_query(filter_query("quote", filters)))
        if not docnums:
            return None
        return orjson.loads(self._searcher.stored_fields(random.Random(seed).choice(docnums))["record"])

    # -- shared per-build data ---------------------------------------------------------------
    def _vocabularies(self) -> dict[str, vocabulary.Vocabulary]:
        def make() -> dict[str, vocabulary.Vocabulary]:
            # An index updated in place (incremental reindex) may lack the file: read the index itself then.
            return (vocabulary.load(self.path / SIDE_FILE, self._generation)
                    or read_vocabularies(self._searcher.reader()))

        return per_build(self.path, self._generation, "vocabulary", make)

    @property
    def words(self) -> vocabulary.Vocabulary:
        return self._vocabularies()["words"]

    def _planner(self) -> Planner:
        return Planner(self.words)

    def _facet_table(self) -> facets.FacetTable:
        def make() -> facets.FacetTable:
            reader = self._searcher.reader()
            rows = list(reader.column_reader("facets")) if reader.has_column("facets") else []
            return facets.FacetTable(rows, self.manifest)

        return per_build(self.path, self._generation, "facets", make)

    def _date_ranks(self, newest_first: bool) -> list[int]:
        """Return each document's position by date (then by its order in the post), for listing without a query.

        Sorting a few thousand matches with these is much cheaper than Whoosh's sorting collector.
        """
        def make() -> list[int]:
            reader = self._searcher.reader()
            dates = list(reader.column_reader("date"))
            orders = list(reader.column_reader("order"))
            oldest, docnums = datetime.min, range(len(dates))
            if newest_first:  # newest post first, its quotes and images in their order
                ordering = sorted(docnums, key=lambda d: (dates[d] or oldest, -(orders[d] or 0)), reverse=True)
            else:
                ordering = sorted(docnums, key=lambda d: (dates[d] or oldest, orders[d] or 0))
            rank = [0] * len(dates)
            for position, docnum in enumerate(ordering):
                rank[docnum] = position
            return rank

        return per_build(self.path, self._generation, f"ranks-{newest_first}", make)

    # -- search ------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, page, highlight and count the documents of one kind that match what the reader typed."""
        started = time.perf_counter()
        uq = parse_user_query(request.q)
        allowed = self._filter_docs(request.type, request.filters)
        plan = self._planner().plan(uq, request.typos)
        need = request.page * request.per_page
        start = (request.page - 1) * request.per_page
        if not allowed:  # (an empty filter set would mean "no filter" to Whoosh)
            return SearchResult(hits=[], total=0, page=request.page, per_page=request.per_page,
                                understood=uq.understood(), facets={f: [] for f in request.facets},
                                took_ms=_ms(started))
        if plan is None:
            excluded = self._planner().excluded(uq)
            if excluded is not None:  # only -words: everything else
                allowed = allowed - set(self._searcher.docs_for_query(excluded))
            return self._browse(request, allowed, started, uq)
        if plan.full is not None and request.sort == "relevance":
            # Exact matches first, then the ones only a typo correction found (Meilisearch's "typo" rule).
            # limit=None keeps the set of matches (Whoosh's top-N collector would search again for it)
            exact = self._searcher.search(plan.exact, filter=allowed, limit=None, optimize=OPTIMIZE)
            exact_docs = exact.docs()
            corrected = self._searcher.search(plan.corrected_only or plan.full, filter=allowed, mask=exact_docs or None,
                                              optimize=OPTIMIZE,
                                              limit=None if request.facets else max(1, need - len(exact)))
            hits = [*exact[start:need], *corrected[max(0, start - len(exact)) : need - len(exact)]]
            hits = hits[: request.per_page]
            total = len(exact) + len(corrected)
            matched: Callable[[], set[int]] = lambda: set(exact_docs) | set(corrected.docs())  # noqa: E731
        else:
            sortedby = None if request.sort == "relevance" else "date"
            results = self._searcher.search(plan.full or plan.exact, filter=allowed, sortedby=sortedby,
                                            limit=None if request.facets else need,
                                            reverse=request.sort == "-date", optimize=OPTIMIZE)
            hits, total = list(results[start:need]), len(results)
            matched = results.docs
        marker = Marker(plan.keys, stem_key, plan.words)
        result = SearchResult(
            hits=[shape_hit(orjson.loads(hit["record"]), request.type, hit.score, marker) for hit in hits],
            total=total, page=request.page,
            per_page=request.per_page, understood=uq.understood(),
            facets=self._facet_table().count(matched(), request.facets) if request.facets else {},
        )
        if plan.unknown or total < FEW_RESULTS:
            result.suggestion = self._did_you_mean(request.q, uq, plan, allowed, total)
        result.took_ms = _ms(started)
        return result

    def _browse(self, request: SearchRequest, allowed: set[int], started: float, uq: UserQuery) -> SearchResult:
        """With nothing to search for, list what the filters allow, newest first (oldest with sort=date)."""
        rank = self._date_ranks(newest_first=request.sort != "date")
        start = (request.page - 1) * request.per_page
        picked = heapq.nsmallest(request.page * request.per_page, allowed, key=rank.__getitem__)[start:]
        hits = [orjson.loads(self._searcher.stored_fields(docnum)[KINDS[request.type]]) for docnum in picked]
        wanted = request.facets
        if not wanted:
            counted: dict[str, list[dict[str, Any]]] = {}
        elif request.type == "post" and request.filters == PostFilter() and not uq.excluded and self.manifest:
            counted = facets.site_facets(self.manifest, wanted)  # computed at index time
        else:
            counted = self._facet_table().count(allowed, wanted)
        return SearchResult(hits=hits, total=len(allowed), page=request.page, per_page=request.per_page,
                            understood=uq.understood(), facets=counted, took_ms=_ms(started))

    def _did_you_mean(self, q: str, uq: UserQuery, plan: Plan, allowed: set[int], total: int) -> str | None:
        """Return q with its unknown words respelled as words the index knows, if that finds more posts."""
        found = self._planner().respelling(q, plan.unknown)
        if found is None:
            return None
        respelled, better = found
        return respelled if any(docnum in allowed for docnum in self._searcher.docs_for_query(better)) else None

    # -- suggestions and related posts -------------------------------------------------------
    def suggest(self, prefix: str, limit: int) -> list[dict[str, Any]]:
        """Complete what is being typed: titles that match it, then words that start like its last word."""
        typed = plain_words(prefix)
        if not typed:
            return []
        done, last = typed[:-1], typed[-1]
        finished = prefix[-1:].isspace()
        vocab = self._vocabularies()
        out: list[dict[str, Any]] = []
        titles = [last] if finished else vocab["titlew"].completions(last, MAX_COMPLETIONS)
        if titles:
            parts: list[Query] = [Term("titlew", w) for w in done]
            parts.append(Or([Term("titlew", w) for w in titles]))
            found = self._searcher.search(And(parts), filter=self._filter_docs("post", PostFilter()),
                                          limit=max(1, limit // 2 + 1), optimize=OPTIMIZE)
            for hit in found:
                summary = orjson.loads(hit["summary"])
                out.append({"text": summary["title"], "kind": "title", "slug": summary["slug"]})
        if not finished:
            head = " ".join(done)
            for word in vocab["words"].completions(last, limit * 2):
                if len(out) >= limit:
                    break
                if word not in COMMON_WORDS and len(word) > 2 and word != last:
                    out.append({"text": f"{head} {word}".strip(), "kind": "term"})
        return out[:limit]

    def related(self, slug: str, limit: int) -> list[dict[str, Any]] | None:
        """Return the posts most like this one: shared words in the body, blended with shared categories."""
        docnum = self._searcher.document_number(key=f"post:{slug}")
        if docnum is None:
            return None
        record = orjson.loads(self._searcher.stored_fields(docnum)["record"])
        posts = self._filter_docs("post", PostFilter())
        # Words many posts use say little about this one, and their long postings make the query slow.
        common = max(3, int(len(posts) * RELATED_COMMON_SHARE))
        key_terms = [(t, w) for t, w in self._searcher.key_terms_from_text("body", record["text"], numterms=40)
                     if len(t) > 2 and t not in FUNCTION_STEMS and self._searcher.doc_frequency("body", t) <= common]
        text_scores: dict[int, float] = {}
        if key_terms:
            similar = self._searcher.search(Or([Term("body", t, boost=w) for t, w in key_terms[:12]]), filter=posts,
                                            limit=RELATED_POOL + 1, optimize=OPTIMIZE)
            text_scores = {hit.docnum: hit.score for hit in similar}
        # the post is most like itself: its own score says what "very similar" means for this post
        own = text_scores.pop(docnum, 0.0) or max(text_scores.values(), default=0.0) or 1.0
        categories = {c["slug"] for c in record.get("categories", [])}
        tags = {t["slug"] for t in record.get("tags", [])}
        labels = [Term("category", c) for c in categories] + [Term("tag", t) for t in tags]
        if labels and len(text_scores) < RELATED_POOL:  # few posts share words: fill up with the newest sharing labels
            sharing = self._searcher.search(Or(labels), filter=posts, limit=RELATED_POOL, sortedby="date", reverse=True)
            for hit in sharing:
                text_scores.setdefault(hit.docnum, 0.0)
        text_scores.pop(docnum, None)
        ranked = []
        for other, score in text_scores.items():
            summary = orjson.loads(self._searcher.stored_fields(other)["summary"])
            shared_categories = len(categories & {c["slug"] for c in summary.get("categories", [])})
            shared_tags = len(tags & {t["slug"] for t in summary.get("tags", [])})
            blended = (0.6 * min(1.0, score / own) + 0.3 * shared_categories / max(1, len(categories))
                       + 0.1 * shared_tags / max(1, len(tags)))
            ranked.append((blended, summary["date"], summary))
        ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [summary for _, _, summary in ranked[:limit]]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)

