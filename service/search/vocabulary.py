"""The words an index knows, with how many documents use each: for typo corrections and completions.

Kept in memory per worker (loaded from a file written beside the index), because walking the index's own
word graph for every two-typo lookup costs ~15 ms per word at 100,000 terms, and rapidfuzz over one
first-letter bucket costs well under one.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from service.layout import write_json_atomic

FILE = "vocabulary.json"
_CACHED_PREFIX_CHARS = 2  # completions of 1-2 letter prefixes scan big ranges: remember them
_CORRECTIONS_KEPT = 10_000  # words whose corrections are remembered (~3 MB): readers repeat words, queries less


class Vocabulary:
    """A sorted list of terms with document frequencies."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        ordered = sorted(pairs)
        self.terms: list[str] = [term for term, _ in ordered]
        self.frequency: dict[str, int] = dict(ordered)
        # by first letter and length: a term within k edits of a word is within k letters of its length
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for term in self.terms:
            self._buckets.setdefault((term[:1], len(term)), []).append(term)
        self._completions: dict[tuple[str, int], list[str]] = {}
        self._tails: dict[str, list[str]] | None = None  # word minus its first letter -> words, made when first asked
        self._corrected: dict[tuple[str, int, int], list[tuple[str, int]]] = {}

    def __contains__(self, term: str) -> bool:
        return term in self.frequency

    def __len__(self) -> int:
        return len(self.terms)

    def completions(self, prefix: str, limit: int) -> list[str]:
        """Return up to limit terms starting with prefix, the most used first."""
        key = (prefix, limit)
        cached = self._completions.get(key)
        if cached is not None:
            return cached
        start = bisect.bisect_left(self.terms, prefix)
        end = bisect.bisect_left(self.terms, prefix + "\U0010ffff", lo=start)
        found = heapq.nlargest(limit, self.terms[start:end], key=lambda t: (self.frequency[t], -len(t)))
        if len(prefix) <= _CACHED_PREFIX_CHARS:
            self._completions[key] = found
        return found

    def corrections(self, word: str, max_typos: int, limit: int) -> list[tuple[str, int]]:
        """Return up to limit (term, typos) within max_typos edits of word, closest and most used first.

        The first letter must match (as Whoosh's prefixlength=1): typos there are rare and the check
        would otherwise scan the whole vocabulary.
        """
        if max_typos < 1 or not word:
            return []
        key = (word, max_typos, limit)
        found = self._corrected.get(key)  # the same word in another query: the scan (~0.2 ms) is not repeated
        if found is not None:
            return found
        bucket: list[str] = []
        for size in range(max(1, len(word) - max_typos), len(word) + max_typos + 1):
            bucket += self._buckets.get((word[:1], size), ())
        if not bucket:
            return []
        # Imported on the first correction: a reindex writes vocabularies and never corrects a word.
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        near = process.extract(word, bucket, scorer=OSA.distance, score_cutoff=max_typos, limit=None)
        found = sorted(((term, int(dist)) for term, dist, _ in near if term != word),
                       key=lambda pair: (pair[1], -self.frequency[pair[0]], pair[0]))[:limit]
        if len(self._corrected) >= _CORRECTIONS_KEPT:
            self._corrected.clear()
        self._corrected[key] = found
        return found

    def first_letter_corrections(self, word: str) -> list[str]:
        """Return the terms one typo away from word where the typo is in the first letter, most used first.

        corrections() never looks there (it scans the first letter's bucket); each such typo is a dictionary
        lookup: a swap of the first two letters, an extra first letter, a missing or wrong first letter.
        """
        if len(word) < 2:
            return []
        if self._tails is None:
            tails: dict[str, list[str]] = {}
            for term in self.terms:
                if len(term) > 2:
                    tails.setdefault(term[1:], []).append(term)
            self._tails = tails
        found = {word[1] + word[0] + word[2:], word[1:]} | set(self._tails.get(word, ()))
        found |= {t for t in self._tails.get(word[1:], ()) if t[0] != word[0]}
        found = {t for t in found if t in self.frequency and t != word and t[:1] != word[:1]}
        return sorted(found, key=lambda t: (-self.frequency[t], t))

    def best_correction(self, word: str, max_typos: int) -> str | None:
        """Return the most likely word meant by an unknown word, or None."""
        found = self.corrections(word, max_typos, 1)
        return found[0][0] if found else None


def save(path: Path, vocabularies: dict[str, Vocabulary], generation: int) -> None:
    """Write vocabularies to one file, tagged with the index generation they describe."""
    _write(path, generation, {name: [[t, v.frequency[t]] for t in v.terms] for name, v in vocabularies.items()})


def _fields(path: Path, generation: int) -> dict[str, list[list[Any]]] | None:
    """Read the (term, count) pairs of each field written for this generation; None if absent or stale."""
    try:
        body = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if body.get("generation") != generation:
        return None
    return body.get("fields", {})


def load(path: Path, generation: int) -> dict[str, Vocabulary] | None:
    """Read vocabularies written for this generation of the index; None if absent or stale."""
    found = _fields(path, generation)
    return None if found is None else {name: Vocabulary((t, n) for t, n in pairs) for name, pairs in found.items()}


class Counts:
    """A vocabulary file's (word, count) pairs as written, sorted by word, for a build that changes a few counts:
    no dict of every word is made and nothing is sorted again (an edit at 100,000 posts: 0.15 s before)."""

    def __init__(self, fields: dict[str, list[list[Any]]]) -> None:
        self.fields = fields

    def __bool__(self) -> bool:
        return bool(self.fields)

    def has(self, name: str, word: str) -> bool:
        pairs = self.fields.get(name, [])
        at = bisect.bisect_left(pairs, word, key=_word)
        return at < len(pairs) and pairs[at][0] == word

    def apply(self, delta: dict[str, dict[str, int]]) -> None:
        """Add each field's changes to its counts; a word whose count falls to zero is left out."""
        for name, changes in delta.items():
            pairs = self.fields.setdefault(name, [])
            for word, change in changes.items():
                at = bisect.bisect_left(pairs, word, key=_word)
                if at < len(pairs) and pairs[at][0] == word:
                    pairs[at][1] += change
                    if pairs[at][1] <= 0:
                        del pairs[at]
                elif change > 0:
                    pairs.insert(at, [word, change])

    def save(self, path: Path, generation: int) -> None:
        _write(path, generation, self.fields)


def _word(pair: list[Any]) -> str:
    return pair[0]  # type: ignore[no-any-return]


def load_counts(path: Path, generation: int) -> Counts | None:
    """Read the vocabularies as plain word counts (no lookup structures): for a build that only adjusts them."""
    found = _fields(path, generation)
    return None if found is None else Counts(found)


def _write(path: Path, generation: int, fields: dict[str, list[list[Any]]]) -> None:
    write_json_atomic(path, {"generation": generation, "fields": fields})
