"""Scoring a query over thousands of candidates with arrays instead of Whoosh's matcher tree.

Whoosh scores a document by walking a tree of pure-Python matchers, a few microseconds per node: a common word
in a 10,000-post blog means thousands of candidates and tens of milliseconds. Here each term's BM25F contributions
are read once per build (ids and weights a posting block at a time, the same scorer's idf, average length and
parameters, the same quantized lengths) and kept in a bounded cache; a query is then a few array unions and
intersections. The per-term scores are the very floating-point operations Whoosh's scorer does, so a document
scores the same (sums may differ in the last bit: sums run in another order). Only the query shapes the planner
makes are taken (terms, Or, And, AndMaybe, AndNot, constant-score bonuses); anything else goes to Whoosh.
"""

from __future__ import annotations

import functools
import threading
from contextlib import suppress
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from service.search.lru import SizedLRU
from service.search.whoosh.bits import ids_of
from service.search.whoosh.scoring import LiveBM25F

# per opened build: the terms of real query logs repeat (8 bytes a posting; the document numbers are the very
# arrays DocSets keeps, so they are counted twice and held once)
CACHE_BYTES = 12 * 1024 * 1024
# per opened build: a word in every field (the planner's Or of one stem's terms) scored and joined, for the words
# real query logs repeat most; a word in thousands of posts took more to join than to score
UNION_CACHE_BYTES = 4 * 1024 * 1024
_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)  # Whoosh's quantized lengths

Scored = tuple[np.ndarray, np.ndarray]  # sorted unique document numbers, and their scores
_EMPTY: Scored = (np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64))
# What is kept of a term: its document numbers, weights, and the BM25F constants its scores are computed with
# per search (a few microseconds a thousand postings; kept as scores they took twice the memory).
Kept = tuple[np.ndarray, np.ndarray, tuple[float, float, float, float] | None]
_NOTHING: Kept = (_EMPTY[0], _EMPTY[1], None)


class Unsupported(Exception):
    """A query shape the arrays do not score (a phrase, a range): Whoosh scores it instead."""


def supported(q: Any) -> bool:
    """Say whether every node of q is a shape the arrays score exactly as Whoosh does."""
    if isinstance(q, wq.Term):
        return True
    if isinstance(q, wq.ConstantScoreQuery):
        return _matchable(q.child)
    if isinstance(q, wq.AndNot):
        return supported(q.a) and _matchable(q.b)
    if isinstance(q, wq.AndMaybe):
        return supported(q.a) and supported(q.b)
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0) and getattr(q, "scale", None) is None \
            and not isinstance(q, wq.DisjunctionMax):
        return all(supported(s) for s in q.subqueries)
    if isinstance(q, wq.And):
        return all(supported(s) for s in q.subqueries)
    return False


def phrase_bonuses(q: Any) -> list[Any]:
    """Return the phrases of q's word-order bonus (constant scores on the optional side of AndMaybe)."""
    if isinstance(q, wq.AndNot):
        return phrase_bonuses(q.a)
    if not isinstance(q, wq.AndMaybe):
        return []
    bonuses = q.b.subqueries if isinstance(q.b, wq.Or) else [q.b]
    return [b.child for b in bonuses if isinstance(b, wq.ConstantScoreQuery) and isinstance(b.child, wq.Phrase)]


def without_phrase_bonus(q: Any) -> Any:
    """Return q without its word-order bonus (a constant score for a phrase, on the optional side of AndMaybe)."""
    if isinstance(q, wq.AndNot):
        return wq.AndNot(without_phrase_bonus(q.a), q.b)
    if not isinstance(q, wq.AndMaybe):
        return q
    bonuses = q.b.subqueries if isinstance(q.b, wq.Or) else [q.b]
    kept = [b for b in bonuses if not (isinstance(b, wq.ConstantScoreQuery) and isinstance(b.child, wq.Phrase))]
    if len(kept) == len(bonuses):
        return q
    if not kept:
        return q.a
    return wq.AndMaybe(q.a, kept[0] if len(kept) == 1 else type(q.b)(kept))


def _matchable(q: Any) -> bool:
    """Constant-score and excluded parts are matched, not scored: any shape the bitsets answer (phrases by walking
    Whoosh's matchers, which the caller affords only over few candidates)."""
    return not hasattr(q, "subqueries") or all(_matchable(s) for s in q.subqueries)


class ArrayScorer:
    """The per-build cache of term score arrays, and the evaluation of a query tree over them."""

    def __init__(self, reader: Any, searcher: Any, docsets: Any) -> None:
        self._reader = reader
        self._searcher = searcher
        self._docsets = docsets
        self._lengths: dict[str, np.ndarray] = {}
        self._terms: SizedLRU[tuple[str, Any], Kept] = SizedLRU(CACHE_BYTES, _nbytes)
        self._unions: SizedLRU[tuple[Any, ...], Scored] = SizedLRU(UNION_CACHE_BYTES, _nbytes)
        self._lock = threading.Lock()

    def top(self, q: Any, allowed: int, limit: int) -> list[tuple[int, float]]:
        """Return the (docnum, score) of every allowed match whose score could be among the best `limit`."""
        if limit <= 0:
            return []
        return best(*self.matching(q, allowed), limit)

    def matching(self, q: Any, allowed: int) -> Scored:
        """Return every allowed document q matches (ascending) and its score."""
        ids, scores = self._eval(q)
        if not len(ids):
            return ids, scores
        keep = _members(ids, allowed)
        return ids[keep], scores[keep]

    # -- terms ----------------------------------------------------------------------------------------------
    def _term(self, field: str, text: Any) -> Scored:
        key = (field, text)
        with self._lock:
            found = self._terms.get(key)
        if found is None:
            found = self._read_term(field, text)
            with self._lock, suppress(ValueError):  # one term larger than the whole cache is not kept
                self._terms[key] = found
        ids, tf, bm25 = found
        if bm25 is None:
            return ids, tf.astype(np.float64)  # Whoosh's WeightScorer: the weight itself
        idf, k1, b, avgfl = bm25
        tf = tf.astype(np.float64)
        fl = self._field_lengths(field)[ids]
        # whoosh.scoring.bm25, operation for operation, so each term's score is Whoosh's to the last bit
        return ids, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    def _read_term(self, field: str, text: Any) -> Kept:
        schema = self._reader.schema
        if field not in schema:
            return _NOTHING
        btext = schema[field].to_bytes(text) if isinstance(text, str) else text
        ids, tf = self._docsets.postings(field, btext)  # none for a term no segment holds
        if not len(ids):
            return _NOTHING
        narrow = tf.astype(np.float32)  # term frequencies are whole numbers: 4 bytes hold them exactly
        kept = narrow if np.array_equal(narrow, tf) else tf
        if not schema[field].scorable:
            return ids, kept, None
        weighting = self._searcher.weighting
        if isinstance(weighting, LiveBM25F):
            return ids, kept, weighting.constants(self._searcher, field, btext)
        scorer = weighting.scorer(self._searcher, field, btext)
        return ids, kept, (scorer.idf, scorer.K1, scorer.B, scorer.avgfl)

    def _field_lengths(self, field: str) -> np.ndarray:
        found = self._lengths.get(field)
        if found is None:
            parts = []
            for sub, _offset in self._reader.leaf_readers():
                count = sub.doc_count_all()
                perdoc = getattr(sub, "_perdoc", None)
                column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN) if perdoc is not None else None
                if column is None:  # no length column: ask the reader (slower, same numbers)
                    raw = np.array([sub.doc_field_length(n, field, 1) or 1 for n in range(count)], dtype=np.float64)
                    parts.append(raw)
                    continue
                codes = np.fromiter((column[n] for n in range(count)), dtype=np.uint8, count=count)
                parts.append(np.where(codes == 0, 1.0, _LENGTH[codes]))  # a missing length counts as 1, as dfl does
            found = np.concatenate(parts) if parts else np.empty(0)
            self._lengths[field] = found
        return found

    # -- the tree -------------------------------------------------------------------------------------------
    def _eval(self, q: Any) -> Scored:
        if isinstance(q, wq.Term):
            ids, scores = self._term(q.fieldname, q.text)
            return (ids, scores * q.boost) if q.boost != 1.0 else (ids, scores)
        if isinstance(q, wq.ConstantScoreQuery):
            ids = self._ids(q.child)  # the title bonuses: kept term ids, without a round trip through bitsets
            return ids, np.full(len(ids), float(q.score))
        if isinstance(q, wq.AndNot):
            ids, scores = self._eval(q.a)
            keep = ~_members(ids, self._docsets.matches(q.b))
            return ids[keep], scores[keep]
        if isinstance(q, wq.AndMaybe):
            ids, scores = self._eval(q.a)
            extra_ids, extra = self._eval(q.b)
            _, at, other = np.intersect1d(ids, extra_ids, assume_unique=True, return_indices=True)
            scores = scores.copy()
            scores[at] += extra[other]
            return ids, scores
        if isinstance(q, wq.And):
            parts = [self._eval(s) for s in q.subqueries]
            if not parts:
                return _EMPTY
            ids, scores = parts[0]
            for other_ids, other in parts[1:]:
                ids, at, at_other = np.intersect1d(ids, other_ids, assume_unique=True, return_indices=True)
                scores = scores[at] + other[at_other]
            return ids, scores * q.boost if q.boost != 1.0 else scores
        if isinstance(q, wq.Or):
            key = _terms_key(q)
            if key is not None:
                with self._lock:
                    found = self._unions.get(key)
                if found is not None:
                    return found
            parts = [p for p in (self._eval(s) for s in q.subqueries) if len(p[0])]
            if not parts:
                return _EMPTY
            ids, scores = parts[0] if len(parts) == 1 else _union(parts)
            found = ids, scores * q.boost if q.boost != 1.0 else scores
            if key is not None:
                with self._lock, suppress(ValueError):
                    self._unions[key] = found
            return found
        raise Unsupported(type(q).__name__)

    def _ids(self, q: Any) -> np.ndarray:
        """Return the documents q matches, ascending: terms and their unions and intersections from the kept term
        ids, anything else from its bitset."""
        if type(q) is wq.Term:
            return self._docsets.term_ids(q.fieldname, q.text)
        joined = isinstance(q, wq.And) or (isinstance(q, wq.Or) and not getattr(q, "minmatch", 0)
                                           and not isinstance(q, wq.DisjunctionMax))
        if joined and q.subqueries and all(type(s) is wq.Term for s in q.subqueries):
            parts = [self._docsets.term_ids(s.fieldname, s.text) for s in q.subqueries]
            if isinstance(q, wq.And):
                return functools.reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), parts)
            return np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]
        return ids_of(self._docsets.matches(q))


def best(ids: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """Return the (docnum, score) of the matches whose score could be among the best `limit`."""
    if len(ids) > limit:
        cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]  # the limit-th best
        chosen = scores >= cut - 2e-6  # and everything tied with it once rounded: the caller orders ties by date
        ids, scores = ids[chosen], scores[chosen]
    return list(zip(ids.tolist(), scores.tolist(), strict=True))


def _terms_key(q: Any) -> tuple[Any, ...] | None:
    """Return what an Or of terms scores by (each term and boost, and its own), or None for any other Or."""
    key = []
    for sub in q.subqueries:
        if type(sub) is not wq.Term:
            return None
        key.append((sub.fieldname, sub.text, sub.boost))
    return (*key, q.boost)


def _union(parts: list[Scored]) -> Scored:
    """Return the ids of all parts (each sorted, unique) with their scores summed, in part order per id.

    A stable sort of the joined ids finds the parts' sorted runs and merges them (numpy's timsort for this dtype),
    about twice as fast as np.unique's quicksort with an inverse and a bincount.
    """
    ids = np.concatenate([p[0] for p in parts])
    scores = np.concatenate([p[1] for p in parts])
    order = np.argsort(ids, kind="stable")
    ids, scores = ids[order], scores[order]
    first = np.empty(len(ids), dtype=bool)
    first[0] = True
    np.not_equal(ids[1:], ids[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return ids[starts], np.add.reduceat(scores, starts)


def _nbytes(found: Kept) -> int:
    return found[0].nbytes + found[1].nbytes


def _members(ids: np.ndarray, bits: int) -> np.ndarray:
    """Return a mask of which ids are in the bitset."""
    if not bits or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    raw = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    flags = np.unpackbits(raw, bitorder="little").astype(bool)
    inside = ids < len(flags)
    out = np.zeros(len(ids), dtype=bool)
    out[inside] = flags[ids[inside]]
    return out
