"""Sets of document numbers as bitsets, made once per build: filters, facet values and what a query matches.

A bitset is a Python int (bit n = document n): union, intersection and difference run in C over a few kilobytes,
and a count is int.bit_count(), so counting every match of a common word or a facet value costs microseconds,
with no scoring. Posting lists are read block by block (Whoosh's generic all_ids() steps one posting at a time).
"""

from __future__ import annotations

import bisect
import threading
from contextlib import suppress
from datetime import datetime
from datetime import time as dtime
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher

from service.search.lru import SizedLRU
from service.search.models import PostFilter
from service.search.whoosh import phrases, postarrays
from service.search.whoosh.bits import Bits, bits_from_ids, bits_of, ids_of

VALUE_FIELDS = ("kind", "category", "tag", "author", "year", "month")
TERM_CACHE_BITS = 64_000_000  # bits of term bitsets kept per build (8 MB): common words repeat in real query logs
# Reading a posting list (Whoosh decompresses and unpickles each block) is the costly part of a search: each term's
# document numbers are kept per build (4 bytes a posting: the body's 3 million at 10,000 posts take 12 MB), a bitset
# is made from them in microseconds, and the weights read with them wait for the scorer (a search matches its
# terms first, then scores them). The caps here and in arrays.py keep a worker within 200 MB resident after the
# bench's load at 10,000 posts (with the response cache at 16 MB): since a term is read in one piece (postarrays.py)
# a miss is cheap, and halving them (16 -> 8 MB here, 24 -> 12 MB there) cost 3-7% CPU for 30 MB less resident.
IDS_CACHE_BYTES = 8 * 1024 * 1024
RECENT_POSTINGS = 256
Postings = tuple[np.ndarray, np.ndarray]  # a term's live document numbers (ascending) and their weights


def _postings(matcher: Any) -> tuple[list[int], list[float]]:
    """Read every id and weight of a fresh posting matcher, a block at a time where the codec allows it."""
    if isinstance(matcher, FilterMatcher):  # a segment with deletions wraps its postings
        deleted, exclude = matcher._ids, matcher._exclude
        ids, weights = _postings(matcher.child)
        kept = [(i, w) for i, w in zip(ids, weights, strict=True) if (i in deleted) != exclude]
        return [i for i, _ in kept], [w for _, w in kept]
    ids_out: list[int] = []
    weights_out: list[float] = []
    if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_read_weights"):
        while matcher.is_active():
            ids_out.append(matcher.id())
            weights_out.append(matcher.weight())
            matcher.next()
        return ids_out, weights_out
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        ids_out.extend(matcher._ids[matcher._i:])
        weights_out.extend(matcher._weights[matcher._i:])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return ids_out, weights_out


def _live_mask(leaf: Any) -> np.ndarray | None:
    """Return a segment's live documents as a boolean array (None when it has no deletions)."""
    if not leaf.has_deletions():
        return None
    count = leaf.doc_count_all()
    return np.fromiter((not leaf.is_deleted(n) for n in range(count)), dtype=bool, count=count)


def _nbytes(ids: np.ndarray) -> int:
    return ids.nbytes


_NO_POSTINGS: Postings = (np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64))


class DocSets:
    """The bitsets of one opened build: live documents, each filter value, and a cache of term bitsets."""

    def __init__(self, reader: Any, searcher: Any) -> None:
        self._reader = reader
        self._searcher = searcher  # for queries answered by walking matchers (phrases, date ranges)
        self._schema = reader.schema
        self._terms: SizedLRU[tuple[str, Any], int] = SizedLRU(TERM_CACHE_BITS, int.bit_length)
        self._recent: SizedLRU[tuple[str, bytes], np.ndarray] = SizedLRU(RECENT_POSTINGS)  # weights, for the scorer
        self._ids: SizedLRU[tuple[str, bytes], np.ndarray] = SizedLRU(IDS_CACHE_BYTES, _nbytes)
        self._lock = threading.Lock()
        self._leaves = [(sub, offset, _live_mask(sub) if postarrays.has_arrays(sub) else False)
                        for sub, offset in reader.leaf_readers()]
        self.values: dict[str, dict[str, int]] = {}
        for name in VALUE_FIELDS:
            found: dict[str, int] = {}
            if name in self._schema:
                for text in reader.field_terms(name):
                    found[text if isinstance(text, str) else text.decode("utf-8")] = self.term(name, text)
            self.values[name] = found
        self._dates: list[tuple[datetime, int]] | None = None

    # -- terms and queries -------------------------------------------------------------------
    def postings(self, field: str, btext: bytes) -> Postings:
        """Return a term's live document numbers and weights over every segment (weights are read once, for the
        scorer, which keeps its own scores: a term matched a moment ago hands them over without a second read)."""
        key = (field, btext)
        with self._lock:
            weights = self._recent.pop(key, None)
            ids = self._ids.get(key)
        if weights is not None and ids is not None:
            return ids, weights
        return self._read(field, btext)

    def ids(self, field: str, btext: bytes) -> np.ndarray:
        """Return a term's live document numbers, ascending (kept per build, 4 bytes a posting)."""
        key = (field, btext)
        with self._lock:
            found = self._ids.get(key)
        if found is not None:
            return found
        ids, weights = self._read(field, btext)
        if len(ids) and self._schema[field].scorable:  # the scorer will likely ask for it next
            with self._lock:
                self._recent[key] = weights
        return ids

    def _btext(self, field: str, text: Any) -> bytes | None:
        """Return a term's bytes as its field indexes them, or None when the schema has no such field."""
        if field not in self._schema:
            return None
        return self._schema[field].to_bytes(text) if isinstance(text, str) else text

    def frequency(self, field: str, text: Any) -> int:
        """Return how many documents hold a term, deleted ones included, as Whoosh's doc_frequency counts them."""
        btext = self._btext(field, text)
        if btext is None:
            return 0
        return sum(postarrays.frequency(sub, field, btext) for sub, _, _ in self._leaves)

    def _read(self, field: str, btext: bytes) -> Postings:
        ids_parts, weight_parts = [], []
        for sub, offset, live in self._leaves:
            if live is not False:  # the term's raw arrays: one read, no block decoding
                found = postarrays.read(sub, field, btext)
                if found is not None:
                    ids, weights = found
                    if live is not None:
                        keep = live[ids]
                        ids, weights = ids[keep], weights[keep]
                    ids_parts.append(ids.astype(np.int32) + np.int32(offset))
                    weight_parts.append(weights.astype(np.float64))
            elif (field, btext) in sub:
                ids, weights = _postings(sub.postings(field, btext))
                ids_parts.append(np.asarray(ids, dtype=np.int32) + np.int32(offset))
                weight_parts.append(np.asarray(weights, dtype=np.float64))
        if not ids_parts:
            return _NO_POSTINGS
        read = np.concatenate(ids_parts), np.concatenate(weight_parts)
        with self._lock, suppress(ValueError):  # one term larger than the whole cache is not kept
            self._ids[(field, btext)] = read[0]
        return read

    def term_ids(self, field: str, text: Any) -> np.ndarray:
        """Return the live document numbers holding one term, ascending (the term's bitset, as an array)."""
        btext = self._btext(field, text)
        return _NO_POSTINGS[0] if btext is None else self.ids(field, btext)

    def term(self, field: str, text: Any) -> int:
        """Return the bitset of the live documents holding one term."""
        key = (field, text)
        with self._lock:
            found = self._terms.get(key)
        if found is not None:
            return found
        btext = self._btext(field, text)
        value = 0 if btext is None else bits_from_ids(self.ids(field, btext))
        with self._lock, suppress(ValueError):
            self._terms[key] = value
        return value

    def matches(self, q: wq.Query) -> int:
        """Return the bitset of the documents a query matches, without scoring any of them."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, wq.AndNot):
            return self.matches(q.a) & ~self.matches(q.b)
        if isinstance(q, wq.AndMaybe):  # the optional side (the planner's title bonus) only scores
            return self.matches(q.a)
        if isinstance(q, wq.ConstantScoreQuery):
            return self.matches(q.child)
        if isinstance(q, wq.And):
            parts = q.subqueries
            if not parts:
                return 0
            value = self.matches(parts[0])
            for part in parts[1:]:
                if not value:
                    break
                value &= self.matches(part)
            return value
        if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0) and not isinstance(q, wq.DisjunctionMax):
            value = 0
            for part in q.subqueries:
                value |= self.matches(part)
            return value
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return 0
        if isinstance(q, wq.Phrase) and q.words:
            # a phrase needs every one of its words: where no document holds them all (two words picked at random,
            # nearly always), there is no position list to walk
            holding = self.term(q.fieldname, q.words[0])
            for word in q.words[1:]:
                if not holding:
                    return 0
                holding &= self.term(q.fieldname, word)
            if not holding:
                return 0
            if phrases.native(q, self._schema):
                leaves = [(sub, offset) for sub, offset, _ in self._leaves]
                return phrases.phrase_bits(q, leaves, self._schema, ids_of(holding).tolist())
        return bits_of(self._searcher.docs_for_query(q))  # phrases and the rest: Whoosh walks them

    # -- filters -----------------------------------------------------------------------------
    def value(self, field: str, text: str) -> int:
        return self.values.get(field, {}).get(text, 0)

    def _date_order(self) -> list[tuple[datetime, int]]:
        if self._dates is None:
            dates = list(self._reader.column_reader("date")) if self._reader.has_column("date") else []
            alive = 0
            for bits in self.values.get("kind", {}).values():
                alive |= bits
            live = Bits(alive)
            self._dates = sorted((d, n) for n, d in enumerate(dates) if d is not None and n in live)
        return self._dates

    def date_range(self, start: datetime | None, end: datetime | None) -> int:
        """Return the bitset of documents dated within [start, end] (naive UTC, as the index stores dates)."""
        order = self._date_order()
        lo = bisect.bisect_left(order, (start, -1)) if start else 0
        hi = bisect.bisect_right(order, (end, 1 << 62)) if end else len(order)
        return bits_of(n for _, n in order[lo:hi])

    def allowed(self, kind: str, filters: PostFilter) -> int:
        """Return the bitset of documents of one kind that the filters allow, by intersecting precomputed sets."""
        value = self.value("kind", kind)
        if filters.category:
            value &= self.value("category", filters.category)
        if filters.tag:
            value &= self.value("tag", filters.tag)
        if filters.author:
            value &= self.value("author", filters.author)
        if filters.year and filters.month:
            value &= self.value("month", f"{filters.year:04d}-{filters.month:02d}")
        elif filters.year:
            value &= self.value("year", f"{filters.year:04d}")
        if filters.post and value:
            value &= self.term("slug", filters.post)
        if (filters.date_from or filters.date_to) and value:
            start = datetime.combine(filters.date_from, dtime.min) if filters.date_from else None
            end = datetime.combine(filters.date_to, dtime.max) if filters.date_to else None
            value &= self.date_range(start, end)
        return value
