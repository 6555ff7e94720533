"""The index's fields, its analyzers and word lists, and the weights a match in each field carries."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh import columns
from whoosh.analysis import Token, Tokenizer
from whoosh.analysis.filters import STOP_WORDS
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter import stem

from service.search import analysis

# Query-time weights (BM25F scores each field, these scale them): a title match beats many body matches.
# Quote text is part of the body; a quote document keeps its attribution in labels.
FIELD_WEIGHTS = {"title": 8.0, "labels": 3.0, "excerpt": 2.0, "body": 1.0}
# Words too common to be worth offering as a completion.
COMMON_WORDS = STOP_WORDS | frozenset((
    "been", "were", "was", "their", "there", "they", "them", "then", "than", "which", "who", "what", "where", "while",
    "would", "could", "should", "said", "about", "after", "also", "more", "most", "some", "other", "over", "into",
    "his", "her", "she", "our", "has", "had", "its", "but", "all", "out", "just", "very", "much", "many",
))
# Stems of common words that Whoosh's short stop list keeps: noise when picking a post's key terms.
FUNCTION_STEMS = frozenset((
    "hi", "their", "thei", "them", "he", "she", "her", "our", "ha", "wa", "been", "were", "would", "could", "should",
    "said", "sai", "which", "who", "what", "there", "than", "then", "also", "more", "most", "some", "about", "after",
    "over", "into", "other", "onli", "year", "new", "all", "but", "out", "up", "get", "just", "like", "make", "mani",
    "much", "veri", "where", "while", "time", "first", "last", "two", "three", "four", "five",
))


class ShapeTokenizer(Tokenizer):
    """Whoosh's side of service.search.analysis: a chunk's parts one position each, its variants beside the first.

    stemmed=True (the ranked fields): stop words and single letters dropped, plain words Porter-stemmed, dotted
    forms kept as written. stemmed=False (the word lists behind typos and completions): every part and variant as is.
    """

    def __init__(self, stemmed: bool) -> None:
        self.stemmed = stemmed

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stemmed == self.stemmed  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.stemmed))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for chunk in analysis.chunks(value) if tokenize else [analysis.Chunk(value, (value,), ())]:
            for terms in chunk_terms(chunk, self.stemmed):
                for term in terms:
                    token.text, token.boost, token.stopped = term, 1.0, False
                    if keeporiginal:
                        token.original = term
                    if positions:
                        token.pos = pos
                    yield token
                pos += 1

    def positions(self, value: str) -> dict[str, list[int]]:
        """Return each term of value with its positions: what __call__ yields, gathered (the bulk writer's path)."""
        table = _GROUPS[self.stemmed]
        if len(table) > _GROUPS_MAX:
            table.clear()
        found: dict[str, list[int]] = {}
        pos = 0
        for word in analysis.chunk_words(value):
            groups = table.get(word)
            if groups is None:
                groups = table[word] = chunk_terms(analysis.chunk_of(word), self.stemmed)
            for group in groups:
                for term in group:
                    at = found.get(term)
                    if at is None:
                        found[term] = [pos]
                    else:
                        at.append(pos)
                pos += 1
        return found


# A chunk's text -> its terms, position by position (chunk_terms by the text: no Chunk hashed), per stemmed flag.
_GROUPS: dict[bool, dict[str, tuple[tuple[str, ...], ...]]] = {True: {}, False: {}}
_GROUPS_MAX = 500_000


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return stem(word) if word.isalpha() else word


def _kept(part: str) -> bool:
    return part not in STOP_WORDS and (len(part) > 1 or part.isdigit() or not part.isascii())


@lru_cache(maxsize=200_000)
def chunk_terms(chunk: analysis.Chunk, stemmed: bool) -> tuple[tuple[str, ...], ...]:
    """Return the index terms of one chunk, position by position: each part, the variants beside the first."""
    parts = part_stems(chunk) if stemmed else list(chunk.parts)
    variants = variant_stems(chunk) if stemmed else list(chunk.variants)
    if not parts:  # every part a stop word or a letter (u.s): the variants stand alone
        parts, variants = variants[:1], variants[1:]
    out = [(parts[0], *(v for v in dict.fromkeys(variants) if v != parts[0]))] if parts else []
    out += [(p,) for p in parts[1:]]
    return tuple(out)


class _Settingless(Tokenizer):
    """A tokenizer with no settings: any two of one class are equal (Whoosh compares a build's schema fields)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class PrefixTokenizer(_Settingless):
    """Every start (2 to 24 characters) of every word of a text and of its whole forms: `cloud.g`, `evidenceba`.

    For titles only: a word still being typed then matches every title word it starts, in one term, however many
    words of the site start that way (a body's words are reached through the most used completions instead).
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        seen: set[str] = set()
        for chunk in analysis.chunks(value) if tokenize else [analysis.Chunk(value, (value,), ())]:
            for word in (*chunk.parts, *chunk.forms):
                for end in range(min(MIN_PREFIX, len(word)), min(MAX_PREFIX, len(word)) + 1):
                    start = word[:end]
                    if start not in seen:
                        seen.add(start)
                        token.text, token.boost, token.stopped = start, 1.0, False
                        if positions:
                            token.pos = start_pos
                        yield token


MIN_PREFIX, MAX_PREFIX = 2, 24


class WrittenTokenizer(_Settingless):
    """Each word of a text as written, whole (analysis.Chunk.written): `user`, `user-centered`, `jekyll's` and `jekyll`.

    For titles only: tells a title that says what the reader typed from one that holds it only as a part of a longer
    word (`gov` of `cloud.gov`) or without its possessive `'s` (a title saying `18F` for `18f's`).
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for chunk in analysis.chunks(value) if tokenize else [analysis.Chunk(value, (value,), ())]:
            for word in chunk.written:
                token.text, token.boost, token.stopped = word, 1.0, False
                if positions:
                    token.pos = start_pos
                yield token


def _stem_analyzer() -> Any:
    return ShapeTokenizer(stemmed=True)


def _word_analyzer() -> Any:
    return ShapeTokenizer(stemmed=False)


_STEMS = _stem_analyzer()
_WORDS = _word_analyzer()


def stems(text: str) -> list[str]:
    """Return the index terms of text in the stemmed fields (stop words dropped), variants included."""
    return [t.text for t in _STEMS(text)]


def typed_words(text: str) -> list[str]:
    """Return each word of text as one unstemmed term: a plain word as is, a compound whole (cloud.gov, fud)."""
    return [c.forms[-1] if c.compound and c.forms else c.parts[0] for c in analysis.chunks(text)]


def plain_words(text: str) -> list[str]:
    """Return the index terms of text in the unstemmed fields, variants included."""
    return [t.text for t in _WORDS(text)]


def term_of(form: str) -> str:
    """Return the stemmed-field term of one folded form (a part or a variant), or '' when it is not indexed."""
    return _stem(form) if _kept(form) else ""


def part_stems(chunk: analysis.Chunk) -> list[str]:
    """Return the stemmed-field terms of a chunk's parts alone, in order (no variants)."""
    return [_stem(p) for p in chunk.parts if _kept(p)]


def variant_stems(chunk: analysis.Chunk) -> list[str]:
    """Return the stemmed-field terms of a chunk's variants (joined, whole, dotted runs)."""
    return [_stem(v) if v.isalpha() else v for v in chunk.variants if _kept(v)]


@lru_cache(maxsize=100_000)
def mark_keys(word: str) -> frozenset[str]:
    """Return every stemmed-field term a written word is indexed under (4.4.1: 4, 1, 4.4.1, 4.4); for marks."""
    return frozenset(term for chunk in analysis.chunks(word) for terms in chunk_terms(chunk, True) for term in terms)


def title_key(text: str) -> str:
    """Return what a title is, ignoring order, case, stop words and word forms: equal keys, equal titles."""
    keys = set()
    for chunk in analysis.chunks(text):
        key = (variant_stems(chunk)[:1] or [""])[0] if chunk.compound else (part_stems(chunk)[:1] or [""])[0]
        if key:
            keys.add(key)
    return " ".join(sorted(keys))


@lru_cache(maxsize=100_000)
def stem_key(word: str) -> str:
    """Return the term a chunk (lower-case) is indexed under in the stemmed fields, or '' if it is not; for marks.

    A plain word gives its stem; a compound its joined form, stemmed as the index stems it.
    """
    found = analysis.chunks(word)
    if len(found) != 1:
        return ""
    chunk = found[0]
    if chunk.compound:
        return variant_stems(chunk)[0] if variant_stems(chunk) else ""
    part = chunk.parts[0]
    return _stem(part) if _kept(part) else ""


# Fields Whoosh looks up itself (unique keys, post ids, dates and orders for ranges and sorting): a term or more a
# document, never read as raw arrays by a search, so the term table (postarrays.py) leaves them out.
TABLE_SKIPS = frozenset({"key", "post", "date", "order", "title_sort"})


def index_schema() -> Schema:
    """Return the fields every build is written with (a change here needs a new SCHEMA_VERSION)."""
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(),
        slug=ID(stored=True),
        post=ID(),  # the Jekyll id of the post a document belongs to: unique where slugs may be shared
        title=TEXT(analyzer=_stem_analyzer()),
        excerpt=TEXT(analyzer=_stem_analyzer()),
        labels=TEXT(analyzer=_stem_analyzer()),  # category and tag names; a quote's attribution
        body=TEXT(analyzer=_stem_analyzer()),
        # Unstemmed: stop words searched alone, the vocabulary for typos and "did you mean" (stems read badly).
        words=TEXT(analyzer=_word_analyzer()),
        titlew=TEXT(analyzer=_word_analyzer()),  # title completions in the suggestion box
        titlekey=ID(),  # title_key(title): a query that is exactly the title ranks first
        titlepre=TEXT(analyzer=PrefixTokenizer(), phrase=False),  # starts of title words, for the word being typed
        titleas=TEXT(analyzer=WrittenTokenizer(), phrase=False),  # title words as written: a typed word's own
        category=KEYWORD(commas=True),
        tag=KEYWORD(commas=True),
        author=KEYWORD(commas=True),  # author slugs, joined with the site's author records at build time
        year=ID(),
        month=ID(),
        date=DATETIME(sortable=True),
        order=NUMERIC(sortable=True),
        title_sort=ID(sortable=True),
        facets=COLUMN(),
        record=STORED(),  # the full record: compressed, read for one document at a time
        # Read for every listed document or hit, so kept apart from the full record (which holds the HTML).
        summary=COLUMN(columns.VarBytesColumn()),
        # summary + plain texts for snippets (hits.hit_record); not compressed: inflating each hit's texts was a
        # quarter of a search of a 10,000-post blog, read for 20 hits (about 45 us each)
        hit=COLUMN(columns.VarBytesColumn()),
    )
