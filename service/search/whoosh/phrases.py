"""Phrase matching over the documents known to hold every word of the phrase, from their positions.

Whoosh matches a phrase with span matchers walking both posting lists in step (skip_to, span objects, sets):
about 2.7 ms a phrase at 10,000 posts, most of the word-order bonus' cost. The bitsets already say which
documents hold every word; here only those are visited, each word's positions read there, and a document matches
when the words stand at consecutive positions (Whoosh's Phrase with slop 1: ordered, each word one after the last).
Where the bulk writer kept each term's raw positions, they are read in one piece and intersected as arrays;
segments without them are walked with Whoosh's matchers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching.mcore import ReadTooFar

from service.search.whoosh import postarrays

_LOW = np.uint64(0xFFFFFFFF)


def native(q: wq.Phrase, schema: Any) -> bool:
    """Say whether phrase_bits matches q exactly as Whoosh does (slop 1, a field with positions)."""
    if q.slop != 1 or q.fieldname not in schema:
        return False
    field_format = schema[q.fieldname].format
    return bool(field_format and field_format.supports("positions"))


def phrase_bits(q: wq.Phrase, leaves: list[tuple[Any, int]], schema: Any, holding: list[int]) -> int:
    """Return the bitset of the documents among `holding` (ascending, each holding every word) where q matches."""
    field = schema[q.fieldname]
    try:
        btexts = [field.to_bytes(w) for w in q.words]
    except ValueError:
        return 0
    bits = 0
    at = 0
    for sub, offset in leaves:
        end = offset + sub.doc_count_all()
        local = []
        while at < len(holding) and holding[at] < end:
            local.append(holding[at] - offset)
            at += 1
        if not local:
            continue
        found = _matching_raw(sub, q.fieldname, btexts, local)
        if found is None and all(postarrays.frequency(sub, q.fieldname, b) for b in btexts):
            found = _matching(sub, q.fieldname, btexts, local)
        for docnum in found or ():
            bits |= 1 << (docnum + offset)
    return bits


def _matching_raw(sub: Any, fieldname: str, btexts: list[bytes], docnums: list[int]) -> list[int] | None:
    """Match from the raw positions (postarrays.py): word i at position p + i for a start p, as (id << 32 | p)
    keys, so the phrase is a few array intersections; None when the segment keeps no raw positions."""
    starts: np.ndarray | None = None
    for i, btext in enumerate(btexts):
        found = postarrays.read_positions(sub, fieldname, btext)
        if found is None:
            return None
        keys = found[1]
        if i:
            keys = keys[(keys & _LOW) >= i] - np.uint64(i)  # a position before i starts no phrase
        starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
        if not len(starts):
            return []
    if starts is None:
        return []
    docs = np.unique(starts >> np.uint64(32)).astype(np.int64)
    return np.intersect1d(docs, np.asarray(docnums, dtype=np.int64), assume_unique=True).tolist()


def _matching(sub: Any, fieldname: str, btexts: list[bytes], docnums: list[int]) -> list[int]:
    matchers = [sub.postings(fieldname, b) for b in btexts]
    found = []
    for docnum in docnums:
        positions = []
        for m in matchers:
            try:
                m.skip_to(docnum)
            except ReadTooFar:
                return found
            if not m.is_active():
                return found
            if m.id() != docnum:
                break
            positions.append(m.value_as("positions"))
        else:
            if _consecutive(positions):
                found.append(docnum)
    return found


def _consecutive(positions: list[list[int]]) -> bool:
    """Say whether some start p has word i of the phrase at position p + i, for every i."""
    starts = set(positions[0])
    for i, later in enumerate(positions[1:], 1):
        starts.intersection_update(p - i for p in later)
        if not starts:
            return False
    return True
