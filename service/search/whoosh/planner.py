"""Query planning: a reader's parsed query as Whoosh queries, with typo and prefix expansion and did-you-mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime

from whoosh.query import And, AndNot, DateRange, Phrase, Query, Term
from whoosh.query import Or as _WhooshOr
from whoosh.support.charset import accent_map

from service.search.models import PostFilter
from service.search.query import Clause, UserQuery, parse_user_query, respell, typo_budget
from service.search.vocabulary import Vocabulary
from service.search.whoosh.schema import FIELD_WEIGHTS, plain_words, stems

TYPO_WEIGHT = 0.35  # a corrected word counts for this share of the word typed (halved again for two typos)
PREFIX_WEIGHT = 0.6  # a completion of the word being typed
MAX_CORRECTIONS = 4  # spellings tried per mistyped word: keeps the query small on a big vocabulary
# Completions tried for the word being typed, by its length: short prefixes complete to common words whose
# postings cover most of the site, so fewer of them are worth their cost.
COMPLETIONS_BY_LENGTH = {1: 0, 2: 3, 3: 5, 4: 8}
MAX_COMPLETIONS = 12


class Or(_WhooshOr):
    """Or as a tree of union matchers: Whoosh's default for small indexes preallocates arrays per clause (slow)."""

    matcher_type = _WhooshOr.DEFAULT_MATCHER


@dataclass
class Plan:
    """A reader's query turned into Whoosh queries, plus what to mark in the hits."""

    exact: Query  # words as typed (stemmed), phrases, completions of the last word
    full: Query | None  # the same with typo corrections; None when no word had a plausible correction
    corrected_only: Query | None = None  # cheaper stand-in for full in the corrected tier, when there is one
    keys: set[str] = field(default_factory=set)  # stems to mark
    words: set[str] = field(default_factory=set)  # words to mark as typed (stop words)
    unknown: list[str] = field(default_factory=list)  # typed words the index has never seen


def any_field(stem_text: str, weight: float = 1.0) -> Query:
    """Return a query for one stem in any text field, each scaled by its field weight."""
    return Or([Term(f, stem_text, boost=b * weight) for f, b in FIELD_WEIGHTS.items()])


def filter_query(kind: str, filters: PostFilter) -> Query:
    """Return the query for the documents of one kind that the filters allow."""
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


class Planner:
    """Plans queries against one build's vocabulary (the words its typo and prefix expansion draws on)."""

    def __init__(self, words: Vocabulary) -> None:
        self.words = words

    def _word(self, word: str, typos: bool, plan: Plan) -> tuple[Query, list[Query]]:
        """Return the query for one typed word, and its typo-corrected alternatives."""
        word_stems = stems(word)
        if not word_stems:  # a stop word on its own: match it as typed
            plan.words.add(word)
            return Term("words", word), []
        plan.keys.update(word_stems)
        exact = And([any_field(s) for s in word_stems]) if len(word_stems) > 1 else any_field(word_stems[0])
        as_indexed = plain_words(word)
        if any(w not in self.words for w in as_indexed):
            plan.unknown.append(word)
        budget = typo_budget(word) if typos and len(word_stems) == 1 and len(as_indexed) == 1 else 0
        corrected: list[Query] = []
        for other, distance in self.words.corrections(as_indexed[0], budget, MAX_CORRECTIONS) if budget else []:
            for other_stem in stems(other)[:1]:
                if other_stem not in plan.keys:
                    plan.keys.add(other_stem)
                    corrected.append(any_field(other_stem, TYPO_WEIGHT / distance))
        return exact, corrected

    def _clause(self, clause: Clause, typos: bool, plan: Plan) -> tuple[Query | None, list[Query]]:
        if not clause.phrase:
            return self._word(clause.words[0], typos, plan)
        phrase_stems = stems(" ".join(clause.words))
        if not phrase_stems:  # only stop words: the unstemmed field still has them in order
            plan.words.update(clause.words)
            return Phrase("words", list(clause.words)), []
        plan.keys.update(phrase_stems)
        if len(phrase_stems) == 1:
            return any_field(phrase_stems[0]), []
        return Or([Phrase(f, phrase_stems, boost=b) for f, b in FIELD_WEIGHTS.items()]), []

    def _completions(self, prefix: str, plan: Plan) -> list[Query]:
        found = []
        wanted = COMPLETIONS_BY_LENGTH.get(len(prefix), MAX_COMPLETIONS)
        for word in self.words.completions(prefix.translate(accent_map), wanted) if wanted else []:
            for word_stem in stems(word)[:1]:
                if word_stem not in plan.keys:
                    plan.keys.add(word_stem)
                    found.append(any_field(word_stem, PREFIX_WEIGHT))
        if found and prefix in plan.unknown:
            plan.unknown.remove(prefix)  # a word still being typed is not a misspelling
        return found

    def excluded(self, uq: UserQuery) -> Query | None:
        """Return what the reader excluded with -word or -"phrase", as typed (no typos, no prefix)."""
        scratch = Plan(exact=Or([]), full=None)
        parts = [q for q in (self._clause(c, False, scratch)[0] for c in uq.excluded) if q is not None]
        return Or(parts) if parts else None

    def plan(self, uq: UserQuery, typos: bool) -> Plan | None:
        """Return the exact, typo-corrected and corrected-only queries for uq, or None when it searches for nothing."""
        plan = Plan(exact=Or([]), full=None)
        exact_groups: list[Query] = []
        full_groups: list[Query] = []
        corrected_groups: list[Query | None] = []
        any_corrected = False
        for n, group in enumerate(uq.groups):
            exact_options: list[Query] = []
            corrected: list[Query] = []
            for clause in group:
                exact, fixes = self._clause(clause, typos, plan)
                if exact is not None:
                    exact_options.append(exact)
                corrected += fixes
            if uq.prefix and n == len(uq.groups) - 1:
                exact_options += self._completions(uq.prefix, plan)
            if not exact_options:
                continue
            any_corrected = any_corrected or bool(corrected)
            exact_groups.append(Or(exact_options) if len(exact_options) > 1 else exact_options[0])
            full_groups.append(Or(exact_options + corrected) if corrected else exact_groups[-1])
            corrected_groups.append(Or(corrected) if len(corrected) > 1 else corrected[0] if corrected else None)
        if not exact_groups:
            return None
        excluded = self.excluded(uq)

        def combine(groups: list[Query]) -> Query:
            query: Query = And(groups) if len(groups) > 1 else groups[0]
            return AndNot(query, excluded) if excluded is not None else query

        plan.exact = combine(exact_groups)
        plan.full = combine(full_groups) if any_corrected else None
        if any_corrected and len(corrected_groups) == 1 and corrected_groups[0] is not None:
            # one word: what only a correction finds is what the corrections match (the exact matches are masked)
            plan.corrected_only = combine([corrected_groups[0]])
        return plan

    def respelling(self, q: str, unknown: list[str]) -> tuple[str, Query] | None:
        """Return q with its unknown words respelled as words the index knows, and the query that respelling runs.

        None when no word has a correction or the respelling changes nothing; whether it finds more is the caller's.
        """
        fixes = {}
        for word in unknown:
            budget = max(1, min(2, typo_budget(word) or (1 if len(word) >= 3 else 0)))
            best = self.words.best_correction(word, budget) if len(word) >= 3 else None
            if best:
                fixes[word] = best
        if not fixes:
            return None
        respelled = respell(q, fixes)
        better = self.plan(parse_user_query(respelled), typos=False)
        if better is None or respelled.strip().lower() == q.strip().lower():
            return None
        return respelled.strip(), better.exact
