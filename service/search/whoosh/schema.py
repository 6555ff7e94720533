"""The index's fields, its analyzers and word lists, and the weights a match in each field carries."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.filters import STOP_WORDS
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

SCHEMA_VERSION = "3"
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


def index_schema() -> Schema:
    """Return the fields every build is written with (a change here needs a new SCHEMA_VERSION)."""
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
