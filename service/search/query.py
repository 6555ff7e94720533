"""Read what a reader typed into a small query tree, treating any stray syntax as text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.search import analysis

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
# Algolia's default typo budget: none for words of up to 3 letters, where one edit makes another word, more for
# long ones (Meilisearch's starts a letter later; known-item queries showed 4-letter typos are common: "Dakr").
# A correction only ever ranks below what the words as typed find.
ONE_TYPO_FROM = 4
TWO_TYPOS_FROM = 8
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Clause:
    """One thing the reader asked for: a word, or a phrase of several words."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass
class UserQuery:
    """A reader's query: groups are ANDed, clauses inside a group are ORed."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    prefix: str | None = None  # the last word as typed, to match as a prefix
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return not self.groups

    def understood(self) -> str:
        """Describe the query as it was read, for the response."""
        def show(c: Clause) -> str:
            return f'"{" ".join(c.words)}"' if c.phrase else c.words[0]

        parts = [show(group[0]) if len(group) == 1 else "(" + " OR ".join(show(c) for c in group) + ")"
                 for group in self.groups]
        parts += [f"-{show(c)}" for c in self.excluded]
        return " ".join(parts)


def typo_budget(word: str) -> int:
    """Return how many typos a word may carry: 0 up to 3 characters, 1 up to 7, 2 beyond; none for numbers."""
    if not word.isalnum() or word.isdigit() or not any(ch.isalpha() for ch in word):
        return 0
    return 2 if len(word) >= TWO_TYPOS_FROM else 1 if len(word) >= ONE_TYPO_FROM else 0


def _words(text: str) -> tuple[str, ...]:
    """Return the words of text as the index cuts them (service.search.analysis): `cloud.gov` stays one word."""
    return tuple(chunk.text for chunk in analysis.chunks(text))


def parse_user_query(text: str) -> UserQuery:
    """Parse words, "phrases", -exclusions and OR; every other character is just text."""
    query = UserQuery()
    if len(text) > MAX_QUERY_CHARS:
        text, query.truncated = text[:MAX_QUERY_CHARS], True
    pending_or = False
    count = 0
    last_plain: str | None = None
    for match in _TOKEN.finditer(text):
        if count >= MAX_TERMS:
            query.truncated = True
            break
        negate, phrase, bare = match.group(1), match.group(2), match.group(3)
        if phrase is not None:
            words = _words(phrase)
            clause = Clause(words, phrase=len(words) > 1) if words else None
            last_plain = None
        else:
            if bare == "OR":  # joins the clauses around it; with nothing before it, there is nothing to join
                pending_or = bool(query.groups)
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            words = _words(bare)
            if not words:
                continue
            clause = Clause(words, phrase=len(words) > 1)
            last_plain = words[-1] if not negate else None
        if clause is None:
            continue
        count += 1
        if negate:
            query.excluded.append(clause)
        elif pending_or:
            query.groups[-1].append(clause)
        else:
            query.groups.append([clause])
        pending_or = False
    # Only a word still being typed (no trailing space) is completed as a prefix.
    if last_plain and text and not text[-1].isspace() and query.groups:
        query.prefix = last_plain
    return query


def respell(q: str, fixes: dict[str, str]) -> str:
    """Replace whole words of q (case-insensitively) by their corrections, leaving the rest as typed."""
    if not fixes:
        return q
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    return pattern.sub(lambda m: fixes.get(m.group(0).lower(), m.group(0)), q)
