"""An opened build: records, search and browse through one searcher (lists: listing.py; suggestions, related posts:
discovery.py)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from whoosh import index
from whoosh.query import Query

from service.layout import BuildLayout
from service.search import facets, pages, vocabulary
from service.search.models import Manifest, Page, PostFilter, SearchRequest, SearchResult
from service.search.shared import per_build
from service.search.site_store import SiteView, site_view
from service.search.whoosh import arrays, discovery, execute, listing, scoring, storage
from service.search.whoosh.bits import Bits
from service.search.whoosh.docsets import DocSets
from service.search.whoosh.planner import Planner
from service.search.whoosh.scoring import OPTIMIZE
from service.search.whoosh.writer import SIDE_FILE, read_vocabularies

TIE_SLACK = 10  # extra hits scored past the page, so posts tied with the last one on it can be ordered by date
FILTER_CACHE = 64  # filter combinations remembered per searcher (each a bitset)
# From this many candidates the word-order bonus is left out (its phrase check walks every candidate's positions):
# above every blog of the relevance benchmark (at most about 600 documents), whose rankings keep it.
PHRASE_BONUS_UNTIL = 1000
# ... and when one of its words is in this many documents: the check reads that word's every position block up
# to each candidate (40 ms for a word in 70% of 10,000 posts beside a rare one). Above every blog of the relevance
# benchmark too (in 18f-blog, the largest, at most 1,185 of its 1,827 documents hold any one word).
PHRASE_WORD_UNTIL = 2000


def open_index(build_dir: Path) -> WhooshIndex:
    """Open a finished build for reading (with Whoosh's compound files read in place from their mapping)."""
    storage.install()
    return WhooshIndex(build_dir)


# One search at a time per process. A search is CPU-bound Python that lets go of the interpreter lock hundreds of
# times (preads, numpy): two interleaved searches each paid for every hand-over, and at 10,000 posts a gthread
# worker with 4 threads spent 18 ms of CPU a search against 7 with one thread (bench/workers.py). Waiting here
# costs no CPU, and the worker's other threads still answer lists, posts and cached answers meanwhile.
_ONE_SEARCH = threading.Lock()


def _read_manifest(build_dir: Path) -> tuple[Manifest, dict[str, int]]:
    """Read a build's manifest and each post's place in its order (a list scan per post request cost 16% of an
    uncached post at 10,000 posts)."""
    path = BuildLayout(build_dir).manifest
    # A torn manifest raises: the holder keeps the build it has (or answers 503) rather than serve half of one.
    manifest = Manifest.from_json(orjson.loads(path.read_bytes())) if path.exists() else Manifest()
    if manifest is None:
        raise ValueError(f"{path.name} is not a build manifest")
    return manifest, {post_id: at for at, post_id in enumerate(manifest.order)}


class WhooshIndex:
    """One opened build: a long-lived searcher, not shared between threads."""

    def __init__(self, build_dir: Path) -> None:
        self.path = build_dir
        self.build_id = build_dir.name
        self._ix = index.open_dir(str(build_dir))
        self._generation = self._ix.latest_generation()
        # One copy per process, not per thread (5 MB of manifest and 2 MB of positions at 10,000 posts).
        self.manifest, self._positions = per_build(build_dir, self._generation, "manifest",
                                                   lambda: _read_manifest(build_dir))
        self._shared = self.manifest.duplicates  # slug -> ids, newest first
        self._searcher = self._ix.searcher(weighting=self._weighting(build_dir))
        self._filters: dict[tuple[str, PostFilter], int] = {}
        self._columns: dict[str, Any] = {}
        self._pages = pages.open_pages(build_dir)

    def _weighting(self, build_dir: Path) -> Any:
        """BM25F over live documents when the build carries its length sums (every build written since)."""
        found = scoring.read_lengths(build_dir)
        if found is None:
            return scoring.BM25F()
        docs, lengths = found
        return scoring.LiveBM25F(docs, lengths, lambda field, text: len(self.docsets().term_ids(field, text)))

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    # -- records -----------------------------------------------------------------------------
    def _docnum(self, key: str) -> int | None:
        return self._searcher.document_number(key=key)

    def _stored(self, key: str) -> dict[str, Any] | None:
        docnum = self._docnum(key)
        if docnum is None:
            return None
        return orjson.loads(self._searcher.stored_fields(docnum)["record"])

    def _column(self, name: str) -> Any:
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = self._searcher.reader().column_reader(name)
        return found

    def hit_record(self, docnum: int) -> dict[str, Any]:
        """Return the light record a hit is built from (a post's summary and plain texts; a quote or an image)."""
        return orjson.loads(self._column("hit")[docnum])

    def list_record(self, docnum: int, kind: str) -> dict[str, Any]:
        """Return what lists show of a document: a post's summary, a quote's or an image's record."""
        return orjson.loads(self._column("summary" if kind in ("post", "page") else "hit")[docnum])

    def site(self) -> SiteView:
        """The build's site sidecar (pages, documents, data, authors, redirects, settings)."""
        return site_view(self.path)

    def _post_docnum(self, slug: str) -> int | None:
        """Find the post a slug names (the newest of the posts sharing it), or an id (slugs never start with /)."""
        if slug.startswith("/"):
            return self._docnum(f"post:{slug}")
        shared = self._shared.get(slug)
        if shared:
            return self._docnum(f"post:{shared[0]}")
        return self._searcher.document_number(slug=slug, kind="post")

    def get_post(self, slug: str) -> dict[str, Any] | None:
        docnum = self._post_docnum(slug)
        return None if docnum is None else orjson.loads(self._searcher.stored_fields(docnum)["record"])

    def get_post_by_id(self, post_id: str) -> dict[str, Any] | None:
        return self._stored(f"post:{post_id}")

    def post_page(self, slug: str) -> bytes | None:
        """Return the post's finished response body (prev and next included), written at index time."""
        return self._pages.get(slug)

    def get_quote(self, quote_id: str) -> dict[str, Any] | None:
        return self._stored(f"quote:{quote_id}")

    def get_image(self, image_id: str) -> dict[str, Any] | None:
        return self._stored(f"image:{image_id}")

    def _summary(self, post_id: str) -> dict[str, Any] | None:
        docnum = self._docnum(f"post:{post_id}")
        return None if docnum is None else self.list_record(docnum, "post")

    def neighbours(self, post_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Return the previous (older) and next (newer) post summaries by date, of the post with this id."""
        order = self.manifest.order
        at = self._positions.get(post_id)
        if at is None:
            return None, None
        newer = self._summary(order[at - 1]) if at > 0 else None
        older = self._summary(order[at + 1]) if at + 1 < len(order) else None
        return older, newer

    # -- precomputed sets --------------------------------------------------------------------
    def docsets(self) -> DocSets:
        """Return this build's bitsets (filter values, term cache), made once per process."""
        return per_build(self.path, self._generation, "docsets",
                         lambda: DocSets(self._searcher.reader(), self._searcher))

    def allowed(self, kind: str, filters: PostFilter) -> int:
        """Return the documents a kind and filters allow, remembered: filters repeat far more than queries."""
        key = (kind, filters)
        found = self._filters.get(key)
        if found is None:
            found = self.docsets().allowed(kind, filters)
            if len(self._filters) >= FILTER_CACHE:
                self._filters.pop(next(iter(self._filters)))
            self._filters[key] = found
        return found

    def top(self, q: Query, allowed: int, limit: int) -> list[tuple[int, float]]:
        """Score q over the allowed documents and return the best `limit` (docnum, score), best first.

        The planner's query shapes are scored with arrays (arrays.py); thousands of candidates, or a phrase word
        thousands of documents hold, without the word-order bonus, whose phrase check would then cost more than
        the rest of the search. Other shapes (a
        typed phrase, a dotted word) go through Whoosh's matchers.
        """
        if limit <= 0 or not allowed:
            return []
        lean = arrays.without_phrase_bonus(q) if self._costly(q, allowed.bit_count()) else q
        if arrays.supported(lean):
            found = self.arrays().top(lean, allowed, limit)
        else:
            results = self._searcher.search(q, filter=Bits(allowed), limit=limit + TIE_SLACK, optimize=OPTIMIZE)
            found = [(hit.docnum, hit.score) for hit in results]
        return self._by_score(found, limit)

    def ranked(self, q: Query, allowed: int, limit: int) -> tuple[list[tuple[int, float]], int] | None:
        """Return top(q, allowed, limit) and how many allowed documents q matches, both from one scoring of the
        matches (no bitset of them is made); None for a query shape the arrays do not score."""
        lean = arrays.without_phrase_bonus(q)
        if limit <= 0 or not arrays.supported(lean):
            return None
        scorer = self.arrays()
        ids, scores = scorer.matching(lean, allowed)
        total = len(ids)
        if lean is not q and not self._costly(q, total):  # few candidates: the word-order bonus is worth its check
            ids, scores = scorer.matching(q, allowed)
        return self._by_score(arrays.best(ids, scores, limit), limit), total

    def _costly(self, q: Query, candidates: int) -> bool:
        """Say whether q's word-order bonus would cost more than the rest of the search: thousands of candidates,
        or a phrase word thousands of documents hold."""
        return candidates >= PHRASE_BONUS_UNTIL or any(
            self.docsets().frequency(p.fieldname, w) >= PHRASE_WORD_UNTIL
            for p in arrays.phrase_bonuses(q) for w in p.words)

    def _by_score(self, found: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
        """Order scored documents best first and keep `limit`; equal scores: the newest post first (Whoosh would
        order them by document number, which after an incremental or two-process build says nothing about dates)."""
        rank = self.date_ranks(newest_first=True)
        return sorted(found, key=lambda p: (-round(p[1], 6), rank[p[0]]))[:limit]

    def arrays(self) -> arrays.ArrayScorer:
        """Return this build's term score arrays, made once per process and filled as terms are searched."""
        return per_build(self.path, self._generation, "arrays",
                         lambda: arrays.ArrayScorer(self._searcher.reader(), self._searcher, self.docsets()))

    def facet_counts(self, matched: int, wanted: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Count each wanted facet's values over the matched documents, from the build's value bitsets."""
        sets = self.docsets()
        names = facets.display_names(self.manifest)
        out = {}
        for name in wanted:
            counts = Counter({value: (matched & bits).bit_count() for value, bits in sets.values[name].items()})
            out[name] = facets.shape(counts, names.get(name, {}), by_value=name == "year")
        return out

    # -- lists (listing.py) --------------------------------------------------------------------
    def list_posts(self, filters: PostFilter, sort: str, page: int, per_page: int) -> Page:
        return listing.list_posts(self, self._searcher, filters, sort, page, per_page)

    def list_order(self, newest_first: bool) -> list[int]:
        """Every post's document number in the order a list by date shows them, made once per build."""
        return per_build(self.path, self._generation, f"list-order-{newest_first}",
                         lambda: listing.date_list_order(self._searcher.reader(), self.docsets(), newest_first))

    def list_quotes(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return listing.by_post_order(self, self._searcher, "quote", filters, page, per_page)

    def list_images(self, filters: PostFilter, page: int, per_page: int) -> Page:
        return listing.by_post_order(self, self._searcher, "image", filters, page, per_page)

    def random_quote(self, filters: PostFilter, seed: int) -> dict[str, Any] | None:
        docnums = list(Bits(self.allowed("quote", filters)))
        if not docnums:
            return None
        return self.list_record(random.Random(seed).choice(docnums), "quote")

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

    def planner(self) -> Planner:
        return Planner(self.words)

    def date_ranks(self, newest_first: bool) -> list[int]:
        """Return each document's position by date (then by its order in the post), for listing without a query."""
        def make() -> list[int]:
            rank = [0] * self._searcher.reader().doc_count_all()
            for position, docnum in enumerate(self.date_order(newest_first)):
                rank[docnum] = position
            return rank

        return per_build(self.path, self._generation, f"ranks-{newest_first}", make)

    def date_order(self, newest_first: bool) -> list[int]:
        """Return every document number by date (newest post first, its quotes and images in their order)."""
        def make() -> list[int]:
            reader = self._searcher.reader()
            dates = list(reader.column_reader("date"))
            orders = list(reader.column_reader("order"))
            oldest, docnums = datetime.min, range(len(dates))
            if newest_first:
                return sorted(docnums, key=lambda d: (dates[d] or oldest, -(orders[d] or 0)), reverse=True)
            return sorted(docnums, key=lambda d: (dates[d] or oldest, orders[d] or 0))

        return per_build(self.path, self._generation, f"order-{newest_first}", make)

    # -- search ------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, page, highlight and count the documents of one kind that match what the reader typed."""
        with _ONE_SEARCH:
            return execute.search(self, request)

    # -- suggestions and related posts (discovery.py) ------------------------------------------
    def suggest(self, prefix: str, limit: int) -> list[dict[str, Any]]:
        """Complete what is being typed: titles that match it, then words that start like its last word."""
        return discovery.suggest(self, self._vocabularies(), prefix, limit)

    def related(self, slug: str, limit: int) -> list[dict[str, Any]] | None:
        """Return the posts most like this one (a slug, or an id starting with /): shared words and categories."""
        docnum = self._post_docnum(slug)
        return None if docnum is None else discovery.related(self, self._searcher, docnum, limit)

