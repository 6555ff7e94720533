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

from whoosh.query import AndMaybe, Phrase, Query, Term

from service.search import analysis
from service.search.analysis import Chunk
from service.search.highlight import Marker
from service.search.query import Clause, UserQuery, parse_user_query, respell, typo_budget
from service.search.vocabulary import Vocabulary
from service.search.whoosh.clauses import (
    Or,
    all_of,
    any_field,
    completion,
    one_of,
    phrase_bonus,
    title_bonus,
    title_start,
    typed_title_bonus,
    typed_title_key,
)
from service.search.whoosh.matching import AndNot
from service.search.whoosh.schema import (
    FIELD_WEIGHTS,
    mark_keys,
    part_stems,
    stem_key,
    term_of,
    variant_stems,
)

TYPO_WEIGHT = 0.35  # a corrected word counts for this share of the word typed (halved again for two typos)
FIRST_LETTER_WEIGHT = 0.25  # a correction of the first letter: rarer than other typos, so less likely meant
STEM_ONLY_WEIGHT = 0.35  # a word the site never uses, matched only through its stem (handes -> hand)
MAX_CORRECTIONS = 4  # spellings tried per mistyped word: keeps the query small on a big vocabulary
# The word being typed matches every title word it starts (one term of the titlepre field) and, elsewhere, its
# completions that reach most posts: the title is where a known post's words are, the body needs only the common ones.
COMPLETIONS_BY_LENGTH = {1: 0, 2: 4, 3: 8, 4: 8}
MAX_COMPLETIONS = 12
STEM_PROBES = 64  # words looked at to tell whether a stem is used at all


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
            out.exact.append(all_of([one_of(p.exact) for p in pieces]))
            out.title_exact.append(all_of([one_of(p.title_exact) for p in pieces]))
        elif typos and any(p.exact or p.corrected for p in pieces):
            # corrected part by part; a part nothing matches (4.0.0.pre.beat1) is left out rather than losing all
            usable = [p for p in pieces if p.exact or p.corrected]
            out.corrected.append(all_of([one_of(p.exact + p.corrected) for p in usable]))
            out.title_corrected.append(all_of([one_of(p.title_exact + p.title_corrected) for p in usable]))

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

        together = phrase_bonus(uq)

        def combine(parts: list[Query], titles: list[Query], whole: Query | None = None) -> Query:
            query: Query = all_of(parts)
            bonuses = [b for b in (title_bonus(titles, typed_title_key(uq)), together, whole) if b is not None]
            if bonuses:
                query = AndMaybe(query, one_of(bonuses))
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
            plan.exact = combine([one_of(e) for e, _, _, _ in groups], [one_of(t) for _, _, t, _ in groups if t],
                                 typed_title_bonus(typed_titles, written_titles))
        else:
            plan.exact = Or([])
        if any(c for _, c, _, _ in groups):
            plan.full = combine([one_of(e + c) for e, c, _, _ in groups],
                                [one_of(t + tc) for _, _, t, tc in groups if t or tc])
            if len(groups) == 1:
                # one word: what only a correction finds is what the corrections match (the exact matches are masked)
                _, corrected, _, title_corrected = groups[0]
                plan.corrected_only = combine([one_of(corrected)], [one_of(title_corrected)] if title_corrected else [])
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
