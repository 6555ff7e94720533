"""Query planning: a reader's parsed query as Whoosh queries, with typo and prefix expansion and did-you-mean.

Each typed word is analysed by the index's own analyzer (service.search.analysis through schema.py), so a word is
looked up the way the index stored it: `4.4.1` and `cloud.gov` whole, `evidence-based` by its parts or joined.
Two tiers: the *exact* one (the words as typed, any form of each, and completions of the word still being typed)
ranks above what only a typo correction finds. Inside a tier, a post whose title is exactly the query comes
first, then posts with every word in the title (as typed before by its stem, as written before as typed), then
BM25F; ties go to the newest post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime

from whoosh.query import And, AndMaybe, ConstantScoreQuery, DateRange, Phrase, Query, Term
from whoosh.query import Or as _WhooshOr

from service.search import analysis
from service.search.analysis import Chunk
from service.search.highlight import Marker
from service.search.models import PostFilter
from service.search.query import Clause, UserQuery, parse_user_query, respell, typo_budget
from service.search.vocabulary import Vocabulary
from service.search.whoosh.matching import AndNot
from service.search.whoosh.schema import (
    FIELD_WEIGHTS,
    mark_keys,
    part_stems,
    stem_key,
    term_of,
    title_key,
    variant_stems,
)

TYPO_WEIGHT = 0.35  # a corrected word counts for this share of the word typed (halved again for two typos)
FIRST_LETTER_WEIGHT = 0.25  # a correction of the first letter: rarer than other typos, so less likely meant
STEM_ONLY_WEIGHT = 0.35  # a word the site never uses, matched only through its stem (handes -> hand)
PREFIX_WEIGHT = 0.6  # a completion of the word being typed
MAX_CORRECTIONS = 4  # spellings tried per mistyped word: keeps the query small on a big vocabulary
# The word being typed matches every title word it starts (one term of the titlepre field) and, elsewhere, its
# completions that reach most posts: the title is where a known post's words are, the body needs only the common ones.
COMPLETIONS_BY_LENGTH = {1: 0, 2: 4, 3: 8, 4: 8}
MAX_COMPLETIONS = 12
STEM_PROBES = 64  # words looked at to tell whether a stem is used at all
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


@dataclass
class Plan:
    """A reader's query turned into Whoosh queries, plus what to mark in the hits."""

    exact: Query  # words as typed (any form), phrases, completions of the last word
    full: Query | None  # the same with typo corrections; None when no word had a plausible correction
    corrected_only: Query | None = None  # cheaper stand-in for full in the corrected tier, when there is one
    keys: set[str] = field(default_factory=set)  # stemmed-field terms to mark
    words: set[str] = field(default_factory=set)  # words to mark as typed (stop words)
    unknown: list[str] = field(default_factory=list)  # typed words the index has never seen
    prefixes: set[str] = field(default_factory=set)  # words being typed: title words they start are marked

    def marker(self) -> Marker:
        """Return what marks this query's matches in a hit's title and snippet."""
        return Marker(self.keys, mark_keys, self.words, self.prefixes)


@dataclass
class _Word:
    """One typed word planned: what matches it as typed, what only a correction matches, and its title terms."""

    exact: list[Query] = field(default_factory=list)
    corrected: list[Query] = field(default_factory=list)
    title_exact: list[Query] = field(default_factory=list)
    title_corrected: list[Query] = field(default_factory=list)
    title_typed: list[Query] = field(default_factory=list)  # the word as typed, unstemmed, in the title
    title_written: list[Query] = field(default_factory=list)  # the word as written, whole, in the title


def any_field(stem_text: str, weight: float = 1.0) -> Query:
    """Return a query for one stem in any text field, each scaled by its field weight."""
    return Or([Term(f, stem_text, boost=b * weight) for f, b in FIELD_WEIGHTS.items()])


def completion(word: str, weight: float = PREFIX_WEIGHT) -> Query:
    """Return a query for a completed word anywhere in the post (its unstemmed form; title starts go by prefix)."""
    return Term("words", word, boost=FIELD_WEIGHTS["body"] * weight)


def title_start(prefix: str, weight: float = PREFIX_WEIGHT) -> Query:
    """Return a query for title words that start with what is being typed."""
    return Term("titlepre", prefix, boost=FIELD_WEIGHTS["title"] * weight)


def _one(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Or(queries)


def _all(queries: list[Query]) -> Query:
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


class Planner:
    """Plans queries against one build's vocabulary (the words its typo and prefix expansion draws on)."""

    def __init__(self, words: Vocabulary) -> None:
        self.words = words

    # -- one typed word ----------------------------------------------------------------------
    def _corrections(self, word: str) -> list[tuple[str, float]]:
        """Return (word the site uses, weight) for a mistyped word: same first letter, then first-letter typos."""
        budget = typo_budget(word)
        if not budget:
            return []
        found = [(other, TYPO_WEIGHT / distance) for other, distance in
                 self.words.corrections(word, budget, MAX_CORRECTIONS)]
        if len(found) < MAX_CORRECTIONS:
            found += [(other, FIRST_LETTER_WEIGHT) for other in self.words.first_letter_corrections(word)
                      if other not in dict(found)][: MAX_CORRECTIONS - len(found)]
        return found

    def _plain(self, chunk: Chunk, typos: bool, plan: Plan, out: _Word, prefix: bool) -> None:
        """Plan a word of one part: the word (or its stem), completions while typing, corrections otherwise."""
        word = chunk.parts[0]
        key = stem_key(word)
        if not key:  # a stop word on its own: match it as typed
            plan.words.add(word)
            out.exact.append(Term("words", word))
            out.title_exact.append(Term("titlew", word))
            return
        known = word in self.words
        if known:
            out.title_typed.append(Term("titlew", word))
        completions = self._completions(word) if prefix else []
        if known or chunk.solo:
            plan.keys.add(key)
            out.exact.append(any_field(key))
            out.title_exact.append(Term("title", key))
        if completions:
            self._complete(word, completions, plan, out)
        if chunk.solo:
            return
        if not known and not completions:
            plan.unknown.append(word)
            # Typed as no post writes it: its stem may still be a real one (handes -> hand), but that is no
            # better a guess than a correction (handles), so it goes to the corrected tier with them.
            if self._stem_is_used(key):
                plan.keys.add(key)
                out.corrected.append(any_field(key, STEM_ONLY_WEIGHT))
                out.title_corrected.append(Term("title", key))
        if not typos:
            return
        seen = {key}
        for other, weight in self._corrections(word):
            other_key = stem_key(other)
            if other_key and other_key not in seen:
                seen.add(other_key)
                plan.keys.add(other_key)
                out.corrected.append(any_field(other_key, weight))
                out.title_corrected.append(Term("title", other_key))

    def _compound(self, chunk: Chunk, typos: bool, plan: Plan, out: _Word, prefix: bool) -> None:
        """Plan a word of several parts (4.4.1, cloud.gov, evidence-based): whole or joined, else part by part."""
        known = False
        for form in chunk.forms:
            key = term_of(form)
            if key and form in self.words:
                known = True
                plan.keys.add(key)
                out.exact.append(any_field(key))
                out.title_exact.append(Term("title", key))
        completions: list[str] = []
        if prefix:
            # as far as the reader has typed it: a dotted word by its whole (u.s is no start of "user"), others joined
            for form in chunk.forms[-1:]:
                completions += [c for c in self._completions(form) if c not in completions]
            if completions:
                self._complete(chunk.forms[-1], completions, plan, out)
        if known or completions:
            return
        # Written apart somewhere (cloud gov), or only its parts are known: part by part, in order; corrected
        # part by part when a part is mistyped (eviednce-based), the last part completed while typing.
        stems = part_stems(chunk)
        pieces = [_Word() for _ in chunk.parts]
        for n, (part, piece) in enumerate(zip(chunk.parts, pieces, strict=True)):
            self._plain(Chunk(part, (part,), ()), typos, plan, piece, prefix and n == len(chunk.parts) - 1)
        if all(p.exact for p in pieces) and len(stems) > 1 and not prefix:
            out.exact.append(Or([Phrase(f, stems, boost=b) for f, b in FIELD_WEIGHTS.items()]))
            out.title_exact.append(Phrase("title", stems))
        elif all(p.exact for p in pieces):
            out.exact.append(_all([_one(p.exact) for p in pieces]))
            out.title_exact.append(_all([_one(p.title_exact) for p in pieces]))
        elif typos and any(p.exact or p.corrected for p in pieces):
            # corrected part by part; a part nothing matches (4.0.0.pre.beat1) is left out rather than losing all
            usable = [p for p in pieces if p.exact or p.corrected]
            out.corrected.append(_all([_one(p.exact + p.corrected) for p in usable]))
            out.title_corrected.append(_all([_one(p.title_exact + p.title_corrected) for p in usable]))

    def _complete(self, typed: str, completions: list[str], plan: Plan, out: _Word) -> None:
        """Add what completes a word being typed: title words it starts, and its most used completions."""
        plan.prefixes.add(typed)
        out.exact.append(title_start(typed))
        out.title_exact.append(Term("titlepre", typed))
        for other in completions:
            plan.keys.add(stem_key(other) or other)
            out.exact.append(completion(other))

    def _word(self, text: str, typos: bool, plan: Plan, prefix: bool) -> _Word:
        out = _Word()
        found = analysis.chunks(text)
        if len(found) != 1:  # query.py hands over one chunk per word; anything else is a phrase
            return self._phrase(tuple(c.text for c in found), plan, out)
        chunk = found[0]
        out.title_written.append(Term("titleas", chunk.text))
        if chunk.compound:
            self._compound(chunk, typos, plan, out, prefix)
        else:
            self._plain(chunk, typos, plan, out, prefix)
        return out

    def _phrase(self, words: tuple[str, ...], plan: Plan, out: _Word) -> _Word:
        """Plan a phrase: its words' parts in order (what every field indexes at consecutive positions)."""
        chunks = [c for w in words for c in analysis.chunks(w)]
        phrase_stems = [s for c in chunks for s in part_stems(c)]
        if not phrase_stems:  # only stop words: the unstemmed field still has them in order
            plain = [p for c in chunks for p in c.parts]
            if plain:
                plan.words.update(plain)
                out.exact.append(Phrase("words", plain))
            return out
        plan.keys.update(phrase_stems)
        plan.keys.update(k for c in chunks for k in variant_stems(c))
        if len(phrase_stems) == 1:
            out.exact.append(any_field(phrase_stems[0]))
            out.title_exact.append(Term("title", phrase_stems[0]))
        else:
            out.exact.append(Or([Phrase(f, phrase_stems, boost=b) for f, b in FIELD_WEIGHTS.items()]))
            out.title_exact.append(Phrase("title", phrase_stems))
        return out

    def _clause(self, clause: Clause, typos: bool, plan: Plan, prefix: bool) -> _Word:
        if clause.phrase:
            return self._phrase(clause.words, plan, _Word())
        return self._word(clause.words[0], typos, plan, prefix)

    def _stem_is_used(self, key: str) -> bool:
        """True when some word the site uses has this stem (a Porter stem starts like its words, y -> i aside)."""
        head = key[:-1] if len(key) > 3 else key
        return any(stem_key(w) == key for w in self.words.completions(head, STEM_PROBES))

    def _completions(self, prefix: str) -> list[str]:
        """Return the site's words that start with prefix, those in most posts first (prefix itself excluded)."""
        wanted = COMPLETIONS_BY_LENGTH.get(len(prefix), MAX_COMPLETIONS)
        return [w for w in self.words.completions(prefix, wanted + 1) if w != prefix][:wanted] if wanted else []

    # -- the whole query ---------------------------------------------------------------------
    def excluded(self, uq: UserQuery) -> Query | None:
        """Return what the reader excluded with -word or -"phrase", as typed (no typos, no prefix)."""
        scratch = Plan(exact=Or([]), full=None)
        parts = []
        for clause in uq.excluded:
            planned = self._clause(clause, False, scratch, prefix=False)
            parts += planned.exact + planned.corrected  # a word the site never writes still excludes its stem
        return Or(parts) if parts else None

    def plan(self, uq: UserQuery, typos: bool) -> Plan | None:
        """Return the exact, typo-corrected and corrected-only queries for uq, or None when it searches for nothing."""
        plan = Plan(exact=Or([]), full=None)
        groups: list[tuple[list[Query], list[Query], list[Query], list[Query]]] = []
        typed_titles: list[list[Query]] = []
        written_titles: list[list[Query]] = []
        for n, group in enumerate(uq.groups):
            prefix_group = bool(uq.prefix) and n == len(uq.groups) - 1
            exact, corrected, title_exact, title_corrected = [], [], [], []
            typed: list[Query] = []
            written: list[Query] = []
            for m, clause in enumerate(group):
                planned = self._clause(clause, typos, plan, prefix_group and m == len(group) - 1)
                exact += planned.exact
                corrected += planned.corrected
                title_exact += planned.title_exact
                title_corrected += planned.title_corrected
                typed += planned.title_typed
                written += planned.title_written
            typed_titles.append(typed)
            written_titles.append(written)
            # (a word nothing matches, even corrected, stays: every word must match, so nothing does)
            groups.append((exact, corrected, title_exact, title_corrected))
        if not groups:
            return None
        excluded = self.excluded(uq)

        together = _phrase_bonus(uq)

        def combine(parts: list[Query], titles: list[Query], whole: Query | None = None) -> Query:
            query: Query = _all(parts)
            bonuses = [b for b in (_title_bonus(titles, _typed_title_key(uq)), together, whole) if b is not None]
            if bonuses:
                query = AndMaybe(query, _one(bonuses))
            return AndNot(query, excluded) if excluded is not None else query

        matched = [g for g in groups if g[0] or g[1]]
        if not matched:
            plan.exact = Or([])  # nothing matches any word
            return plan
        if len(matched) < len(groups):
            if not typos:
                plan.exact = Or([])  # every word must match, and one matches nothing
                return plan
            # A word nothing matches, even corrected (a typo in a short word): leaving it out beats finding
            # nothing, but what is found is then no exact match.
            groups = [([], e + c, [], t + tc) for e, c, t, tc in matched]
        if all(e for e, _, _, _ in groups):
            plan.exact = combine([_one(e) for e, _, _, _ in groups], [_one(t) for _, _, t, _ in groups if t],
                                 _typed_title_bonus(typed_titles, written_titles))
        else:
            plan.exact = Or([])
        if any(c for _, c, _, _ in groups):
            plan.full = combine([_one(e + c) for e, c, _, _ in groups],
                                [_one(t + tc) for _, _, t, tc in groups if t or tc])
            if len(groups) == 1:
                # one word: what only a correction finds is what the corrections match (the exact matches are masked)
                _, corrected, _, title_corrected = groups[0]
                plan.corrected_only = combine([_one(corrected)], [_one(title_corrected)] if title_corrected else [])
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


def _typed_title_key(uq: UserQuery) -> str | None:
    """Return the title key of what was typed, when it is plain words (no OR, no phrase) that could be a title."""
    if any(len(group) > 1 or group[0].phrase for group in uq.groups):
        return None
    return title_key(" ".join(group[0].words[0] for group in uq.groups)) or None


def _typed_title_bonus(typed: list[list[Query]], written: list[list[Query]]) -> Query | None:
    """Return the bonus for posts with every word in the title as typed (each group's unstemmed title term), and
    more for those with every word in it as written (each group's whole word: no part of a longer one)."""
    bonuses = []
    if typed and all(typed):
        bonuses.append(ConstantScoreQuery(_all([_one(t) for t in typed]), WHOLE_TITLE_BONUS))
    if written and all(written):
        bonuses.append(ConstantScoreQuery(_all([_one(w) for w in written]), WRITTEN_TITLE_BONUS))
    return _one(bonuses) if bonuses else None


def _phrase_bonus(uq: UserQuery) -> Query | None:
    """Return the bonus for posts whose body has the typed words side by side, in order (plain words only)."""
    if len(uq.groups) < 2 or any(len(group) > 1 or group[0].phrase for group in uq.groups):
        return None
    chunks = [c for group in uq.groups for c in analysis.chunks(group[0].words[0])]
    if any(c.compound for c in chunks):
        return None
    terms = [s for c in chunks for s in part_stems(c)]
    return ConstantScoreQuery(Phrase("body", terms), PHRASE_BONUS) if len(terms) > 1 else None


def _title_bonus(titles: list[Query], key: str | None) -> Query | None:
    """Return the bonus for posts with every word in the title, and more when the title is exactly the query."""
    if not titles:
        return None
    bonus: Query = ConstantScoreQuery(_all(titles), ALL_IN_TITLE_BONUS)
    if key:
        bonus = Or([bonus, ConstantScoreQuery(Term("titlekey", key), EXACT_TITLE_BONUS - ALL_IN_TITLE_BONUS)])
    return bonus
