"""Sets of document numbers as bitsets, made once per build: filters, facet values and what a query matches.

A bitset is a Python int (bit n = document n): union, intersection and difference run in C over a few kilobytes,
and a count is int.bit_count(), so counting every match of a common word or a facet value costs microseconds,
with no scoring. Posting lists are read block by block (Whoosh's generic all_ids() steps one posting at a time).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime
from datetime import time as dtime
from typing import Any

from whoosh import query as wq
from whoosh.idsets import DocIdSet
from whoosh.matching.wrappers import FilterMatcher

from service.search.models import PostFilter

VALUE_FIELDS = ("kind", "category", "tag", "author", "year", "month")
TERM_CACHE_BITS = 64_000_000  # bits of term bitsets kept per build (8 MB): common words repeat in real query logs


class Bits(DocIdSet):
    """A bitset of document numbers that Whoosh accepts as a filter or mask (membership is O(1))."""

    __slots__ = ("value", "_bytes", "_len")

    def __init__(self, value: int = 0) -> None:
        self.value = value
        self._bytes: bytes | None = None
        self._len: int | None = None

    @classmethod
    def of(cls, docnums: Iterable[int]) -> Bits:
        return cls(bits_of(docnums))

    def __contains__(self, docnum: object) -> bool:
        if self._bytes is None:
            self._bytes = self.value.to_bytes((self.value.bit_length() + 7) // 8, "little")
        n = int(docnum)  # type: ignore[call-overload]
        at = n >> 3
        return at < len(self._bytes) and bool(self._bytes[at] >> (n & 7) & 1)

    def __len__(self) -> int:
        if self._len is None:
            self._len = self.value.bit_count()
        return self._len

    def __bool__(self) -> bool:
        return self.value != 0

    def __iter__(self) -> Iterator[int]:
        """Yield the document numbers in ascending order."""
        value, base = self.value, 0
        raw = value.to_bytes((value.bit_length() + 7) // 8, "little")
        for at, byte in enumerate(raw):
            if byte:
                base = at << 3
                for bit in range(8):
                    if byte >> bit & 1:
                        yield base + bit

    def __and__(self, other: Any) -> Bits:
        return Bits(self.value & other.value)

    def __or__(self, other: Any) -> Bits:
        return Bits(self.value | other.value)

    def __sub__(self, other: Any) -> Bits:
        return Bits(self.value & ~other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bits) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def copy(self) -> Bits:
        return Bits(self.value)


def bits_of(docnums: Iterable[int]) -> int:
    """Return the bitset int with a bit set for each document number."""
    found = sorted(docnums)
    if not found:
        return 0
    raw = bytearray((found[-1] >> 3) + 1)
    for n in found:
        raw[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(raw, "little")


def _leaf_ids(matcher: Any) -> list[int]:
    """Read every id of a fresh posting matcher, a block at a time where the codec allows it."""
    if isinstance(matcher, FilterMatcher):  # a segment with deletions wraps its postings
        ids, exclude = matcher._ids, matcher._exclude
        inner = _leaf_ids(matcher.child)
        return [i for i in inner if (i in ids) != exclude]
    if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_blocklength"):
        return list(matcher.all_ids())
    out: list[int] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        out.extend(matcher._ids[matcher._i:])
        matcher._i = matcher._blocklength - 1
        matcher.next()
    return out


class DocSets:
    """The bitsets of one opened build: live documents, each filter value, and a cache of term bitsets."""

    def __init__(self, reader: Any, searcher: Any) -> None:
        self._reader = reader
        self._searcher = searcher  # for queries answered by walking matchers (phrases, date ranges)
        self._schema = reader.schema
        self._terms: OrderedDict[tuple[str, Any], int] = OrderedDict()
        self._term_bits = 0
        self._lock = threading.Lock()
        self.values: dict[str, dict[str, int]] = {}
        for name in VALUE_FIELDS:
            found: dict[str, int] = {}
            if name in self._schema:
                for text in reader.field_terms(name):
                    found[text if isinstance(text, str) else text.decode("utf-8")] = self.term(name, text)
            self.values[name] = found
        self._dates: list[tuple[datetime, int]] | None = None

    # -- terms and queries -------------------------------------------------------------------
    def term(self, field: str, text: Any) -> int:
        """Return the bitset of the live documents holding one term."""
        key = (field, text)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        value = 0
        if field in self._schema:
            btext = self._schema[field].to_bytes(text) if isinstance(text, str) else text
            ids: list[int] = []
            for sub, offset in self._reader.leaf_readers():
                if (field, btext) not in sub:
                    continue
                found_ids = _leaf_ids(sub.postings(field, btext))
                ids.extend(found_ids if not offset else [i + offset for i in found_ids])
            value = bits_of(ids)
        with self._lock:
            if key not in self._terms:
                self._terms[key] = value
                self._term_bits += value.bit_length()
                while self._term_bits > TERM_CACHE_BITS and len(self._terms) > 1:
                    _, dropped = self._terms.popitem(last=False)
                    self._term_bits -= dropped.bit_length()
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
