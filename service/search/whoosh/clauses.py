"""The pieces query plans are made of: a stem in any field, completions, the filters, and the rank bonuses."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dtime

from whoosh.query import And, ConstantScoreQuery, DateRange, Phrase, Query, Term
from whoosh.query import Or as _WhooshOr

from service.search import analysis
from service.search.models import PostFilter
from service.search.query import UserQuery
from service.search.whoosh.schema import FIELD_WEIGHTS, part_stems, title_key

PREFIX_WEIGHT = 0.6  # a completion of the word being typed
# Rank bonuses, far above any BM25F score: the title is exactly the query; every word is in the title.
EXACT_TITLE_BONUS = 2000.0
ALL_IN_TITLE_BONUS = 1000.0
# Below the title bonuses, above most BM25F gaps: the typed words stand together, in order, in the body (a
# reader quoting a passage they remember).
PHRASE_BONUS = 60.0
# Every word in the title as typed, not only by its stem or as the start of a longer word (serving, not services
# or servings): a word typed alone is most often one the reader saw in the title.
WHOLE_TITLE_BONUS = 300.0
# Every word in the title as written, whole: the typed word itself rather than a part of a longer word (gov, not
# cloud.gov; user, not user-centered) or the word without the possessive typed (18F's, not 18F). A title that says
# 18F's also says 18F: this only orders the posts the bonuses above already put together.
WRITTEN_TITLE_BONUS = 150.0


class Or(_WhooshOr):
    """Or as a tree of union matchers: Whoosh's default for small indexes preallocates arrays per clause (slow)."""

    matcher_type = _WhooshOr.DEFAULT_MATCHER


def any_field(stem_text: str, weight: float = 1.0) -> Query:
    """Return a query for one stem in any text field, each scaled by its field weight."""
    return Or([Term(f, stem_text, boost=b * weight) for f, b in FIELD_WEIGHTS.items()])


def completion(word: str, weight: float = PREFIX_WEIGHT) -> Query:
    """Return a query for a completed word anywhere in the post (its unstemmed form; title starts go by prefix)."""
    return Term("words", word, boost=FIELD_WEIGHTS["body"] * weight)


def title_start(prefix: str, weight: float = PREFIX_WEIGHT) -> Query:
    """Return a query for title words that start with what is being typed."""
    return Term("titlepre", prefix, boost=FIELD_WEIGHTS["title"] * weight)


def one_of(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Or(queries)


def all_of(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else And(queries)


def filter_query(kind: str, filters: PostFilter) -> Query:
    """Return the query for the documents of one kind that the filters allow."""
    parts: list[Query] = [Term("kind", kind)]
    if filters.category:
        parts.append(Term("category", filters.category))
    if filters.tag:
        parts.append(Term("tag", filters.tag))
    if filters.author:
        parts.append(Term("author", filters.author))
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


def typed_title_key(uq: UserQuery) -> str | None:
    """Return the title key of what was typed, when it is plain words (no OR, no phrase) that could be a title."""
    if any(len(group) > 1 or group[0].phrase for group in uq.groups):
        return None
    return title_key(" ".join(group[0].words[0] for group in uq.groups)) or None


def typed_title_bonus(typed: list[list[Query]], written: list[list[Query]]) -> Query | None:
    """Return the bonus for posts with every word in the title as typed (each group's unstemmed title term), and
    more for those with every word in it as written (each group's whole word: no part of a longer one)."""
    bonuses = []
    if typed and all(typed):
        bonuses.append(ConstantScoreQuery(all_of([one_of(t) for t in typed]), WHOLE_TITLE_BONUS))
    if written and all(written):
        bonuses.append(ConstantScoreQuery(all_of([one_of(w) for w in written]), WRITTEN_TITLE_BONUS))
    return one_of(bonuses) if bonuses else None


def phrase_bonus(uq: UserQuery) -> Query | None:
    """Return the bonus for posts whose body has the typed words side by side, in order (plain words only)."""
    if len(uq.groups) < 2 or any(len(group) > 1 or group[0].phrase for group in uq.groups):
        return None
    chunks = [c for group in uq.groups for c in analysis.chunks(group[0].words[0])]
    if any(c.compound for c in chunks):
        return None
    terms = [s for c in chunks for s in part_stems(c)]
    return ConstantScoreQuery(Phrase("body", terms), PHRASE_BONUS) if len(terms) > 1 else None


def title_bonus(titles: list[Query], key: str | None) -> Query | None:
    """Return the bonus for posts with every word in the title, and more when the title is exactly the query."""
    if not titles:
        return None
    bonus: Query = ConstantScoreQuery(all_of(titles), ALL_IN_TITLE_BONUS)
    if key:
        bonus = Or([bonus, ConstantScoreQuery(Term("titlekey", key), EXACT_TITLE_BONUS - ALL_IN_TITLE_BONUS)])
    return bonus
