"""The Whoosh engine: the only module that imports whoosh. Builds, opens and queries an index."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import orjson
from whoosh import highlight, index, sorting
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, AndNot, DateRange, FuzzyTerm, Or, Phrase, Prefix, Query, Term

from service.content.models import Post
from service.search import Page, PostFilter, SearchRequest, SearchResult
from service.search.documents import image_record, post_record, quote_record, slugify, summary_record
from service.search.query import Clause, UserQuery, parse_user_query

SCHEMA_VERSION = "1"
TEXT_FIELDS = {"title": 6.0, "excerpt": 2.0, "labels": 2.0, "quotes": 1.5, "body": 1.0}
SNIPPET_CHARS = 160
_STEM = StemmingAnalyzer()


def _schema() -> Schema:
    stem = StemmingAnalyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(),
        slug=ID(stored=True),
        title=TEXT(analyzer=stem, field_boost=TEXT_FIELDS["title"]),
        excerpt=TEXT(analyzer=stem, field_boost=TEXT_FIELDS["excerpt"]),
        labels=TEXT(analyzer=stem, field_boost=TEXT_FIELDS["labels"]),
        quotes=TEXT(analyzer=stem, field_boost=TEXT_FIELDS["quotes"]),
        body=TEXT(analyzer=stem),
        # Unstemmed words feed typo tolerance, completion and "did you mean" (stems read badly).
        words=TEXT(analyzer=StandardAnalyzer(stoplist=None), spelling=True),
        category=KEYWORD(commas=True),
        tag=KEYWORD(commas=True),
        year=ID(),
        month=ID(),
        date=DATETIME(sortable=True),
        order=NUMERIC(sortable=True),
        title_sort=ID(sortable=True),
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
    return written


def _documents(post: Post) -> list[dict[str, Any]]:
    record = post_record(post)
    common = {
        "slug": post.slug,
        "category": ",".join(slugify(c) for c in post.categories),
        "tag": ",".join(slugify(t) for t in post.tags),
        "year": post.date.strftime("%Y"),
        "month": post.date.strftime("%Y-%m"),
        "date": post.date.astimezone(UTC).replace(tzinfo=None),
    }
    docs = [{
        **common,
        "key": f"post:{post.slug}",
        "kind": "post",
        "title": post.title,
        "excerpt": post.excerpt,
        "labels": " ".join(post.categories + post.tags),
        "quotes": "\n".join(q.text for q in post.quotes),
        "body": post.text,
        "words": f"{post.title}\n{post.text}",
        "order": 0,
        "title_sort": post.title.lower()[:200],
        "record": orjson.dumps(record),
        "summary": orjson.dumps(summary_record(record)),
    }]
    for n, quote in enumerate(post.quotes):
        qrec = quote_record(quote)
        docs.append({**common, "key": f"quote:{quote.id}", "kind": "quote", "title": post.title,
                     "body": quote.text, "quotes": quote.attribution or "", "words": quote.text, "order": n,
                     "record": orjson.dumps(qrec)})
    for n, image in enumerate(([post.image] if post.image else []) + post.images):
        irec = image_record(image)
        docs.append({**common, "key": f"image:{image.id}", "kind": "image", "title": image.title or "",
                     "body": image.alt, "words": f"{image.alt} {image.title or ''}", "order": n,
                     "record": orjson.dumps(irec)})
    return docs


def open_index(build_dir: Path) -> WhooshIndex:
    """Open a finished build for reading."""
    return WhooshIndex(build_dir)


class _Mark(highlight.HtmlFormatter):
    """Wrap each matched word in a bare <mark>; the rest is escaped by the base class."""

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{self._text(highlight.get_text(text, token, replace))}</mark>"


class WhooshIndex:
    """One opened build: a long-lived searcher, not shared between threads."""

    def __init__(self, build_dir: Path) -> None:
        self.path = build_dir
        self.build_id = build_dir.name
        manifest = build_dir / "build.json"
        self.manifest: dict[str, Any] = orjson.loads(manifest.read_bytes()) if manifest.exists() else {}
        self._ix = index.open_dir(str(build_dir))
        self._searcher = self._ix.searcher()

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
        try:
            at = order.index(slug)
        except ValueError:
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

    def _page(self, query: Query, sortedby: Any, page: int, per_page: int, field: str, reverse: bool = False) -> Page:
        results = self._searcher.search(query, limit=page * per_page, sortedby=sortedby, reverse=reverse)
        start = (page - 1) * per_page
        items = [orjson.loads(hit[field]) for hit in results[start : start + per_page]]
        return Page(items=items, total=len(results), page=page, per_page=per_page)

    def list_posts(self, filters: PostFilter, sort: str, page: int, per_page: int) -> Page:
        facet = {"date": "date", "-date": "date", "title": "title_sort", "-title": "title_sort"}[sort]
        return self._page(self._filter("post", filters), facet, page, per_page, "summary", reverse=sort.startswith("-"))

    def _by_post_order(self) -> sorting.MultiFacet:
        return sorting.MultiFacet([sorting.FieldFacet("date", reverse=True), sorting.FieldFacet("order")])

    def list_quotes(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(self._filter("quote", filters), self._by_post_order(), page, per_page, "record")

    def list_images(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return self._page(self._filter("image", filters), self._by_post_order(), page, per_page, "record")

    def random_quote(self, filters: PostFilter, seed: int) -> dict[str, Any] | None:
        docnums = list(self._searcher.docs_for_query(self._filter("quote", filters)))
        if not docnums:
            return None
        return orjson.loads(self._searcher.stored_fields(random.Random(seed).choice(docnums))["record"])

    # -- search ------------------------------------------------------------------------------
    def _clause(self, clause: Clause, typos: bool) -> Query | None:
        if clause.phrase:
            stems = [t.text for t in _STEM(" ".join(clause.words))]
            if not stems:
                return None
            return Or([Phrase(f, stems, boost=b) for f, b in TEXT_FIELDS.items()])
        word = clause.words[0]
        stems = [t.text for t in _STEM(word)]
        options: list[Query] = [Term(f, stems[0]) for f in TEXT_FIELDS] if stems else [Term("words", word)]
        if typos and len(word) > 4:
            options.append(FuzzyTerm("words", word, boost=0.5, maxdist=1 if len(word) <= 8 else 2, prefixlength=1))
        return Or(options)

    def _user_query(self, uq: UserQuery, typos: bool) -> Query | None:
        groups: list[Query] = []
        for n, group in enumerate(uq.groups):
            options = [q for q in (self._clause(c, typos) for c in group) if q is not None]
            if uq.prefix and n == len(uq.groups) - 1 and len(uq.prefix) >= 2:
                options.append(Prefix("words", uq.prefix, boost=0.5))
            if options:
                groups.append(Or(options) if len(options) > 1 else options[0])
        if not groups:
            return None
        query: Query = And(groups) if len(groups) > 1 else groups[0]
        for clause in uq.excluded:
            excluded = self._clause(clause, typos=False)
            if excluded is not None:
                query = AndNot(query, excluded)
        return query

    def search(self, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        uq = parse_user_query(request.q)
        kind_filter = self._filter(request.type, request.filters)
        query = self._user_query(uq, request.typos)
        if query is None:
            page = self.list_posts(request.filters, "-date", request.page, request.per_page) if request.type == "post" \
                else self._page(kind_filter, self._by_post_order(), request.page, request.per_page, "record")
            return SearchResult(hits=page.items, total=page.total, page=request.page, per_page=request.per_page,
                                understood="", took_ms=_ms(started))
        sortedby = None if request.sort == "relevance" else "date"
        results = self._searcher.search(query, filter=kind_filter, limit=request.page * request.per_page,
                                        sortedby=sortedby, reverse=request.sort == "-date", terms=True)
        results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        results.formatter = _Mark()
        start = (request.page - 1) * request.per_page
        hits = [self._hit(hit, request.type) for hit in results[start : start + request.per_page]]
        return SearchResult(hits=hits, total=len(results), page=request.page, per_page=request.per_page,
                            understood=uq.understood(), took_ms=_ms(started))

    def _hit(self, hit: Any, kind: str) -> dict[str, Any]:
        record = orjson.loads(hit["record"])
        matched = sorted({field for field, _ in hit.matched_terms()} & set(TEXT_FIELDS)) if hit.results.has_matched_terms() else []
        body_text = record["text"] if kind == "post" else record.get("text") or record.get("alt") or ""
        title = record.get("title") or (record.get("post") or {}).get("title") or ""
        out = summary_record(record) if kind == "post" else record
        return {
            **out,
            "score": round(float(hit.score or 0.0), 4),
            "matched_fields": matched,
            "highlights": {
                "title": hit.highlights("title", text=title, top=1) or None,
                "body": hit.highlights("body", text=body_text, top=1) or None,
            },
        }

    def suggest(self, prefix: str, limit: int) -> list[dict[str, Any]]:
        word = prefix.strip().lower().split()[-1] if prefix.strip() else ""
        if not word:
            return []
        terms = sorted(self._searcher.reader().expand_prefix("words", word),
                       key=lambda t: -self._searcher.doc_frequency("words", t))
        return [{"text": t.decode() if isinstance(t, bytes) else t, "kind": "term"} for t in terms[:limit]]

    def related(self, slug: str, limit: int) -> list[dict[str, Any]] | None:
        docnum = self._searcher.document_number(key=f"post:{slug}")
        if docnum is None:
            return None
        record = orjson.loads(self._searcher.stored_fields(docnum)["record"])
        results = self._searcher.more_like(docnum, "body", text=record["text"], top=limit + 1, filter=Term("kind", "post"))
        return [orjson.loads(hit["summary"]) for hit in results if hit.docnum != docnum][:limit]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


