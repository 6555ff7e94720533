"""The Whoosh engine: the only module that imports whoosh. Builds, opens and queries an index."""

from __future__ import annotations

import heapq
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from whoosh import index, sorting
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.filters import STOP_WORDS
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb import compound as _compound
from whoosh.filedb import structfile as _structfile
from whoosh.lang.porter import stem
from whoosh.query import And, AndNot, DateRange, Phrase, Query, Term
from whoosh.query import Or as _WhooshOr
from whoosh.support.charset import accent_map
from whoosh.writing import MERGE_SMALL

from service.content.models import Post
from service.search import Page, PostFilter, SearchRequest, SearchResult, facets, vocabulary
from service.search.documents import image_record, post_record, quote_record, slugify, summary_record
from service.search.highlight import Marker
from service.search.hits import shape_hit
from service.search.query import Clause, UserQuery, parse_user_query, respell, typo_budget
from service.search.shared import per_build

SCHEMA_VERSION = "3"
# Query-time weights (BM25F scores each field, these scale them): a title match beats many body matches.
# Quote text is part of the body; a quote document keeps its attribution in labels.
FIELD_WEIGHTS = {"title": 8.0, "labels": 3.0, "excerpt": 2.0, "body": 1.0}
TEXT_FIELDS = FIELD_WEIGHTS  # the name earlier code used
TYPO_WEIGHT = 0.35  # a corrected word counts for this share of the word typed (halved again for two typos)
PREFIX_WEIGHT = 0.6  # a completion of the word being typed
MAX_CORRECTIONS = 4  # spellings tried per mistyped word: keeps the query small on a big vocabulary
# Completions tried for the word being typed, by its length: short prefixes complete to common words whose
# postings cover most of the site, so fewer of them are worth their cost.
COMPLETIONS_BY_LENGTH = {1: 0, 2: 3, 3: 5, 4: 8}
MAX_COMPLETIONS = 12
FEW_RESULTS = 3  # below this many hits a "did you mean" is worth offering
RELATED_POOL = 40
RELATED_COMMON_SHARE = 0.05  # a word in more than this share of posts is no sign of relatedness
FILTER_CACHE = 32  # filter combinations remembered per searcher (each a set of document numbers)
# Whoosh's block-max skipping saves little when every match must be counted anyway, and its AndNot matcher
# can fail with IndexError while skipping (seen with -excluded words on page 2): score every match instead.
OPTIMIZE = False
KINDS = {"post": "summary", "quote": "record", "image": "record"}
SIDE_FILE = vocabulary.FILE
# Words too common to be worth offering as a completion.
_COMMON_WORDS = STOP_WORDS | frozenset((
    "been", "were", "was", "their", "there", "they", "them", "then", "than", "which", "who", "what", "where", "while",
    "would", "could", "should", "said", "about", "after", "also", "more", "most", "some", "other", "over", "into",
    "his", "her", "she", "our", "has", "had", "its", "but", "all", "out", "just", "very", "much", "many",
))
# Stems of common words that Whoosh's short stop list keeps: noise when picking a post's key terms.
_FUNCTION_STEMS = frozenset((
    "hi", "their", "thei", "them", "he", "she", "her", "our", "ha", "wa", "been", "were", "would", "could", "should",
    "said", "sai", "which", "who", "what", "there", "than", "then", "also", "more", "most", "some", "about", "after",
    "over", "into", "other", "onli", "year", "new", "all", "but", "out", "up", "get", "just", "like", "make", "mani",
    "much", "veri", "where", "while", "time", "first", "last", "two", "three", "four", "five",
))


def _stem_analyzer() -> Any:
    return (RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter()
            | StemFilter(stemfn=stem, cachesize=-1))


def _word_analyzer() -> Any:
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


_STEMS = _stem_analyzer()
_WORDS = _word_analyzer()


def stems(text: str) -> list[str]:
    """Return the index terms of text in the stemmed fields (stop words dropped)."""
    return [t.text for t in _STEMS(text)]


def plain_words(text: str) -> list[str]:
    """Return the index terms of text in the unstemmed fields."""
    return [t.text for t in _WORDS(text)]


@lru_cache(maxsize=100_000)
def stem_key(word: str) -> str:
    """Return the stem a lower-case word is indexed under, or '' for a stop word; for highlighting."""
    folded = word.translate(accent_map)
    return "" if folded in STOP_WORDS or len(folded) < 2 else stem(folded)


def _schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(),
        slug=ID(stored=True),
        title=TEXT(analyzer=_stem_analyzer()),
        excerpt=TEXT(analyzer=_stem_analyzer()),
        labels=TEXT(analyzer=_stem_analyzer()),  # category and tag names; a quote's attribution
        body=TEXT(analyzer=_stem_analyzer()),
        # Unstemmed: stop words searched alone, the vocabulary for typos and "did you mean" (stems read badly).
        words=TEXT(analyzer=_word_analyzer()),
        titlew=TEXT(analyzer=_word_analyzer()),  # title completions in the suggestion box
        category=KEYWORD(commas=True),
        tag=KEYWORD(commas=True),
        year=ID(),
        month=ID(),
        date=DATETIME(sortable=True),
        order=NUMERIC(sortable=True),
        title_sort=ID(sortable=True),
        facets=COLUMN(),
        record=STORED(),
        summary=STORED(),
    )


def write_index(build_dir: Path, posts: list[Post]) -> int:
    """Write posts, their quotes and images into a new index in build_dir; return documents written."""
    build_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(build_dir), _schema())
    written = 0
    with ix.writer(limitmb=256) as writer:
        for post in posts:
            for doc in _documents(post):
                writer.add_document(**doc)
                written += 1
    ix.close()
    write_sidecars(build_dir)
    return written


def write_sidecars(build_dir: Path) -> None:
    """Write the vocabulary file beside a finished index, so workers need not walk the index for it."""
    ix = index.open_dir(str(build_dir))
    try:
        with ix.reader() as reader:
            vocabulary.save(build_dir / SIDE_FILE, _vocabularies(reader), ix.latest_generation())
    finally:
        ix.close()


def _vocabularies(reader: Any) -> dict[str, vocabulary.Vocabulary]:
    def terms(name: str) -> Any:
        for text, info in reader.iter_field(name):
            yield (text.decode("utf-8", "replace") if isinstance(text, bytes) else text), info.doc_frequency()

    return {name: vocabulary.Vocabulary(terms(name)) for name in ("words", "titlew")}


def _documents(post: Post) -> list[dict[str, Any]]:
    record = post_record(post)
    categories = [slugify(c) for c in post.categories]
    tags = [slugify(t) for t in post.tags]
    common = {
        "slug": post.slug,
        "category": ",".join(categories),
        "tag": ",".join(tags),
        "year": post.date.strftime("%Y"),
        "month": post.date.strftime("%Y-%m"),
        "date": post.date.astimezone(UTC).replace(tzinfo=None),
        "facets": facets.encode_keys(categories, tags, post.date.strftime("%Y")),
    }
    labels = " ".join(post.categories + post.tags)
    quotes = "\n".join(q.text for q in post.quotes)
    docs = [{
        **common,
        "key": f"post:{post.slug}",
        "kind": "post",
        "title": post.title,
        "titlew": post.title,
        "excerpt": post.excerpt,
        "labels": labels,
        "body": post.text,
        "words": f"{post.title}\n{labels}\n{post.text}\n{quotes}",
        "order": 0,
        "title_sort": post.title.lower()[:200],
        "record": orjson.dumps(record),
        "summary": orjson.dumps(summary_record(record)),
    }]
    for n, quote in enumerate(post.quotes):
        qrec = quote_record(quote)
        docs.append({**common, "key": f"quote:{quote.id}", "kind": "quote", "body": quote.text,
                     "labels": quote.attribution or "", "words": f"{quote.text}\n{quote.attribution or ''}",
                     "order": n, "record": orjson.dumps(qrec)})
    for n, image in enumerate(([post.image] if post.image else []) + post.images):
        irec = image_record(image, usage=True)
        docs.append({**common, "key": f"image:{image.id}", "kind": "image", "title": image.title or "",
                     "body": image.alt, "words": f"{image.alt} {image.title or ''}", "order": n,
                     "record": orjson.dumps(irec)})
    return docs


class _MappedReader:
    """A read-only file over a memoryview: reads copy only what they return, never the whole view."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = end
        return data

    def readline(self, size: int = -1) -> bytes:
        limit = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        end = self._pos
        while end < limit:  # look in small chunks: pickle asks for short lines, the view may be large
            chunk = bytes(self._view[end : min(limit, end + 256)])
            at = chunk.find(b"\n")
            if at >= 0:
                end += at + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else len(self._view) + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")


class _MappedBufferFile(_structfile.BufferFile):
    """Whoosh's BufferFile wraps each mapped sub-file in BytesIO, which copies it into every worker's heap.

    Reading the mapping in place keeps a worker's memory flat as the index grows and lets workers share the pages.
    """

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _MappedReader(memoryview(buf))


_compound.BufferFile = _MappedBufferFile  # the class compound storage builds for each mapped sub-file


def open_index(build_dir: Path) -> WhooshIndex:
    """Open a finished build for reading."""
    return WhooshIndex(build_dir)


class Or(_WhooshOr):
    """Or as a tree of union matchers: Whoosh's default for small indexes preallocates arrays per clause (slow)."""

    matcher_type = _WhooshOr.DEFAULT_MATCHER


@dataclass
class _Plan:
    """A reader's query turned into Whoosh queries, plus what to mark in the hits."""

    exact: Query  # words as typed (stemmed), phrases, completions of the last word
    full: Query | None  # the same with typo corrections; None when no word had a plausible correction
    corrected_only: Query | None = None  # cheaper stand-in for full in the corrected tier, when there is one
    keys: set[str] = field(default_factory=set)  # stems to mark
    words: set[str] = field(default_factory=set)  # words to mark as typed (stop words)
    unknown: list[str] = field(default_factory=list)  # typed words the index has never seen


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
    def _filter(self, kind: str, filters: PostFilter) -> Query:
        parts: list[Query] = [Term("kind", kind)]
        if filters.category:
            parts.append(Term("category", filters.category))
        if filters.tag:
            parts.append(Term("tag", filters.tag))
        if filters.year and filters.month:
            parts.append(Term("month", f"{filters.year:04d}-{filters.month:02d}"))
        elif filters.year:
            parts.append(Term("year", f"{filters.year:04d}"))
        if filters.post:
            parts.append(Term("slug", filters.post))
        if filters.date_from or filters.date_to:
            start = datetime.combine(filters.date_from, dtime.min) if filters.date_from else None
            end = datetime.combine(filters.date_to, dtime.max) if filters.date_to else None
            parts.append(DateRange("date", start, end))
        return And(parts) if len(parts) > 1 else parts[0]

    def _filter_docs(self, kind: str, filters: PostFilter) -> set[int]:
        """Return the documents a kind and filters allow, remembered: filters repeat far more than queries."""
        key = (kind, filters)
        found = self._filters.get(key)
        if found is None:
            found = set(self._searcher.docs_for_query(self._filter(kind, filters)))
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
        return self._page(self._filter("post", filters), facet, page, per_page, "summary", reverse=sort.startswith("-"))

    def _by_post_order(self, reverse: bool = True) -> sorting.MultiFacet:
        return sorting.MultiFacet([sorting.FieldFacet("date", reverse=reverse), sorting.FieldFacet("order")])

    def list_quotes(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(self._filter("quote", filters), self._by_post_order(), page, per_page, "record")

    def list_images(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(self._filter("image", filters), self._by_post_order(), page, per_page, "record")

    def random_quote(self, filters: PostFilter, seed: int) -> dict[str, Any] | None:
        docnums = list(self._searcher.docs_for_query(self._filter("quote", filters)))
        if not docnums:
            return None
        return orjson.loads(self._searcher.stored_fields(random.Random(seed).choice(docnums))["record"])

    # -- shared per-build data ---------------------------------------------------------------
    def _vocabularies(self) -> dict[str, vocabulary.Vocabulary]:
        def make() -> dict[str, vocabulary.Vocabulary]:
            # An index updated in place (incremental reindex) may lack the file: read the index itself then.
            return vocabulary.load(self.path / SIDE_FILE, self._generation) or _vocabularies(self._searcher.reader())

        return per_build(self.path, self._generation, "vocabulary", make)

    @property
    def words(self) -> vocabulary.Vocabulary:
        return self._vocabularies()["words"]

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
    def _any_field(self, stem_text: str, weight: float = 1.0) -> Query:
        return Or([Term(f, stem_text, boost=b * weight) for f, b in FIELD_WEIGHTS.items()])

    def _word(self, word: str, typos: bool, plan: _Plan) -> tuple[Query, list[Query]]:
        """Return the query for one typed word, and its typo-corrected alternatives."""
        word_stems = stems(word)
        if not word_stems:  # a stop word on its own: match it as typed
            plan.words.add(word)
            return Term("words", word), []
        plan.keys.update(word_stems)
        exact = And([self._any_field(s) for s in word_stems]) if len(word_stems) > 1 else self._any_field(word_stems[0])
        as_indexed = plain_words(word)
        if any(w not in self.words for w in as_indexed):
            plan.unknown.append(word)
        budget = typo_budget(word) if typos and len(word_stems) == 1 and len(as_indexed) == 1 else 0
        corrected: list[Query] = []
        for other, distance in self.words.corrections(as_indexed[0], budget, MAX_CORRECTIONS) if budget else []:
            for other_stem in stems(other)[:1]:
                if other_stem not in plan.keys:
                    plan.keys.add(other_stem)
                    corrected.append(self._any_field(other_stem, TYPO_WEIGHT / distance))
        return exact, corrected

    def _clause(self, clause: Clause, typos: bool, plan: _Plan) -> tuple[Query | None, list[Query]]:
        if not clause.phrase:
            return self._word(clause.words[0], typos, plan)
        phrase_stems = stems(" ".join(clause.words))
        if not phrase_stems:  # only stop words: the unstemmed field still has them in order
            plan.words.update(clause.words)
            return Phrase("words", list(clause.words)), []
        plan.keys.update(phrase_stems)
        if len(phrase_stems) == 1:
            return self._any_field(phrase_stems[0]), []
        return Or([Phrase(f, phrase_stems, boost=b) for f, b in FIELD_WEIGHTS.items()]), []

    def _completions(self, prefix: str, plan: _Plan) -> list[Query]:
        found = []
        wanted = COMPLETIONS_BY_LENGTH.get(len(prefix), MAX_COMPLETIONS)
        for word in self.words.completions(prefix.translate(accent_map), wanted) if wanted else []:
            for word_stem in stems(word)[:1]:
                if word_stem not in plan.keys:
                    plan.keys.add(word_stem)
                    found.append(self._any_field(word_stem, PREFIX_WEIGHT))
        if found and prefix in plan.unknown:
            plan.unknown.remove(prefix)  # a word still being typed is not a misspelling
        return found

    def _excluded(self, uq: UserQuery) -> Query | None:
        """Return what the reader excluded with -word or -"phrase", as typed (no typos, no prefix)."""
        scratch = _Plan(exact=Or([]), full=None)
        parts = [q for q in (self._clause(c, False, scratch)[0] for c in uq.excluded) if q is not None]
        return Or(parts) if parts else None

    def _plan(self, uq: UserQuery, typos: bool) -> _Plan | None:
        plan = _Plan(exact=Or([]), full=None)
        exact_groups: list[Query] = []
        full_groups: list[Query] = []
        corrected_groups: list[Query | None] = []
        any_corrected = False
        for n, group in enumerate(uq.groups):
            exact_options: list[Query] = []
            corrected: list[Query] = []
            for clause in group:
                exact, fixes = self._clause(clause, typos, plan)
                if exact is not None:
                    exact_options.append(exact)
                corrected += fixes
            if uq.prefix and n == len(uq.groups) - 1:
                exact_options += self._completions(uq.prefix, plan)
            if not exact_options:
                continue
            any_corrected = any_corrected or bool(corrected)
            exact_groups.append(Or(exact_options) if len(exact_options) > 1 else exact_options[0])
            full_groups.append(Or(exact_options + corrected) if corrected else exact_groups[-1])
            corrected_groups.append(Or(corrected) if len(corrected) > 1 else corrected[0] if corrected else None)
        if not exact_groups:
            return None
        excluded = self._excluded(uq)

        def combine(groups: list[Query]) -> Query:
            query: Query = And(groups) if len(groups) > 1 else groups[0]
            return AndNot(query, excluded) if excluded is not None else query

        plan.exact = combine(exact_groups)
        plan.full = combine(full_groups) if any_corrected else None
        if any_corrected and len(corrected_groups) == 1 and corrected_groups[0] is not None:
            # one word: what only a correction finds is what the corrections match (the exact matches are masked)
            plan.corrected_only = combine([corrected_groups[0]])
        return plan

    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, page, highlight and count the documents of one kind that match what the reader typed."""
        started = time.perf_counter()
        uq = parse_user_query(request.q)
        allowed = self._filter_docs(request.type, request.filters)
        plan = self._plan(uq, request.typos)
        need = request.page * request.per_page
        start = (request.page - 1) * request.per_page
        if not allowed:  # (an empty filter set would mean "no filter" to Whoosh)
            return SearchResult(hits=[], total=0, page=request.page, per_page=request.per_page,
                                understood=uq.understood(), facets={f: [] for f in request.facets},
                                took_ms=_ms(started))
        if plan is None:
            excluded = self._excluded(uq)
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

    def _did_you_mean(self, q: str, uq: UserQuery, plan: _Plan, allowed: set[int], total: int) -> str | None:
        """Return q with its unknown words respelled as words the index knows, if that finds more posts."""
        fixes = {}
        for word in plan.unknown:
            budget = max(1, min(2, typo_budget(word) or (1 if len(word) >= 3 else 0)))
            best = self.words.best_correction(word, budget) if len(word) >= 3 else None
            if best:
                fixes[word] = best
        if not fixes:
            return None
        respelled = respell(q, fixes)
        better = self._plan(parse_user_query(respelled), typos=False)
        if better is None or respelled.strip().lower() == q.strip().lower():
            return None
        found = any(docnum in allowed for docnum in self._searcher.docs_for_query(better.exact))
        return respelled.strip() if found else None

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
                if word not in _COMMON_WORDS and len(word) > 2 and word != last:
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
                     if len(t) > 2 and t not in _FUNCTION_STEMS and self._searcher.doc_frequency("body", t) <= common]
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


TAINTED_FILE = "tainted-terms.json"  # words of deleted documents, until a full build forgets them


def update_index(build_dir: Path, base_dir: Path, remove: list[str], add: list[Post]) -> int:
    """Write build_dir as base_dir's index minus the posts in `remove` (slugs) plus `add`, without rewriting it.

    The base's segment files are hard-linked (Whoosh never changes a written segment; deletions live in the new
    TOC), the new documents go into one small segment, and only small segments are merged, so the cost follows
    the size of the change, not of the site. A deleted document's words stay in Whoosh's term lists until its
    segment is merged, so the vocabulary sidecar is corrected: a word no live document has is dropped (an
    unpublished post's words must not come back as completions) and the counts of the others are exact.
    Returns the number of documents written.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    for source in base_dir.iterdir():
        if not (source.name.startswith(("MAIN_", "_MAIN_")) and source.name != "MAIN_WRITELOCK"):
            continue
        try:
            os.link(source, build_dir / source.name)
        except OSError:  # a filesystem without hard links: a copy is slower but as safe
            shutil.copy2(source, build_dir / source.name)
    ix = index.open_dir(str(build_dir))
    written = 0
    base_vocabulary = vocabulary.load(base_dir / SIDE_FILE, ix.latest_generation())
    delta: dict[str, dict[str, int]] = {}
    try:
        texts = _stored_texts(ix, remove)
        if base_vocabulary:
            delta = _removed_counts(ix, remove, texts, base_vocabulary)
        writer = ix.writer(limitmb=128)
        try:
            for slug in remove:
                writer.delete_by_term("slug", slug)  # the post and its quote and image documents
            for post in add:
                for doc in _documents(post):
                    writer.add_document(**doc)
                    written += 1
                    if base_vocabulary:
                        _count_added(ix.schema, doc, base_vocabulary, delta)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=MERGE_SMALL)
        generation = ix.latest_generation()
    finally:
        ix.close()
    if base_vocabulary:  # exact counts from the base's exact counts: no walk over every word of the site
        vocabulary.save(build_dir / SIDE_FILE, {
            name: vocabulary.Vocabulary((t, n) for t, n in _apply(vocab, delta.get(name, {})).items() if n > 0)
            for name, vocab in base_vocabulary.items()}, generation)
    else:
        write_sidecars(build_dir)
        _correct_vocabulary(build_dir, base_dir, texts)
    return written


def _removed_counts(ix: Any, slugs: list[str], texts: list[str],
                    vocabularies: dict[str, vocabulary.Vocabulary]) -> dict[str, dict[str, int]]:
    """Count, per vocabulary field and word, the documents of these posts that hold it (negative: to subtract)."""
    delta: dict[str, dict[str, int]] = {}
    with ix.searcher() as searcher:
        doomed = sorted(d for slug in slugs for d in searcher.document_numbers(slug=slug))
        if not doomed:
            return delta
        reader = searcher.reader()
        for name, vocab in vocabularies.items():
            analyzer = ix.schema[name].analyzer if name in ix.schema else None
            if analyzer is None:
                continue
            words = {token.text for text in texts for token in analyzer(text, mode="index")} & vocab.frequency.keys()
            counts = delta.setdefault(name, {})
            for word in words:
                matcher = reader.postings(name, word)
                held = 0
                for docnum in doomed:  # ascending, so the matcher only moves forward
                    if not matcher.is_active():
                        break
                    if matcher.id() < docnum:
                        matcher.skip_to(docnum)
                    if matcher.is_active() and matcher.id() == docnum:
                        held += 1
                if held:
                    counts[word] = counts.get(word, 0) - held
    return delta


def _count_added(schema: Any, doc: dict[str, Any], vocabularies: dict[str, vocabulary.Vocabulary],
                 delta: dict[str, dict[str, int]]) -> None:
    for name in vocabularies:
        value = doc.get(name)
        if isinstance(value, str) and name in schema and schema[name].analyzer is not None:
            counts = delta.setdefault(name, {})
            for word in {token.text for token in schema[name].analyzer(value, mode="index")}:
                counts[word] = counts.get(word, 0) + 1


def _apply(vocab: vocabulary.Vocabulary, change: dict[str, int]) -> dict[str, int]:
    counts = dict(vocab.frequency)
    for word, n in change.items():
        counts[word] = counts.get(word, 0) + n
    return counts


def _stored_texts(ix: Any, slugs: list[str]) -> list[str]:
    """Collect every text stored with the documents of these posts: a superset of the words they were indexed by."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    with ix.searcher() as searcher:
        for slug in slugs:
            for docnum in searcher.document_numbers(slug=slug):
                for value in searcher.stored_fields(docnum).values():
                    walk(orjson.loads(value) if isinstance(value, bytes) and value[:1] in (b"{", b"[") else value)
    return texts


def _correct_vocabulary(build_dir: Path, base_dir: Path, texts: list[str]) -> None:
    ix = index.open_dir(str(build_dir))
    try:
        found = vocabulary.load(build_dir / SIDE_FILE, ix.latest_generation())
        try:
            carried = orjson.loads((base_dir / TAINTED_FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            carried = {}
        if not found:
            return
        tainted: dict[str, list[str]] = {}
        with ix.reader() as reader:
            for name, vocab in found.items():
                analyzer = ix.schema[name].analyzer if name in ix.schema else None
                words = set(carried.get(name, ()))
                if analyzer is not None:
                    words.update(token.text for text in texts for token in analyzer(text))
                tainted[name] = sorted(words)
                live = {word: sum(1 for _ in reader.postings(name, word).all_ids()) if word in vocab else 0
                        for word in words}
                found[name] = vocabulary.Vocabulary(
                    (term, live.get(term, vocab.frequency[term])) for term in vocab.terms if live.get(term, 1) > 0)
        vocabulary.save(build_dir / SIDE_FILE, found, ix.latest_generation())
        (build_dir / TAINTED_FILE).write_bytes(orjson.dumps(tainted))
    finally:
        ix.close()
