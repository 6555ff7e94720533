"""Mark the words of a text that a query matched, and cut snippets around them (no Whoosh here).

Whoosh's highlighter re-analyses the whole stored text of every hit; scanning only for words that start
like a query stem and stemming just those is several times faster and gives the same marks.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator

from service.search.analysis import fold

SNIPPET_CHARS = 160
LEAD_CHARS = 50  # context kept before the first match of a snippet
_SPACE = re.compile(r"\s{2,}|[^\S ]")  # any run of white space but a single space (those are kept as they are)
_HEAD = 3  # a Porter stem keeps at least the first three letters of its word (or the whole short word)
# A word goes on through inner dots, hyphens, apostrophes and @ (4.4.1, cloud.gov, evidence-based): marked whole;
# a possessive's 's stays outside the mark.
_REST = r"(?:\w|[.\-@,](?=\w)|['’](?!s\b)(?=\w))*"
_WORD = re.compile(rf"\b\w{_REST}", re.IGNORECASE)  # a word from a head on (see Marker.__init__)
_WORDLIKE = re.compile(r"\w+", re.ASCII)


class Marker:
    """Know which words of any text match a query: their stem (key) is one the query looked for.

    key(word) gives the index term of a word, or of a compound word all the terms it is indexed under
    (4.4.1 -> 4, 4.4.1, 4.4, 1). Characters of scripts without spaces (Han, kana) and emoji are keys alone.
    """

    def __init__(self, keys: Iterable[str], key: Callable[[str], str | Collection[str]],
                 words: Iterable[str] = (), prefixes: Iterable[str] = ()) -> None:
        self.keys = frozenset(keys)
        self.words = frozenset(words)  # matched as typed: stop words searched on their own
        self.prefixes = tuple(prefixes)  # a word still being typed: every word it starts is a match
        self.key = key
        solo = sorted(k for k in self.keys if len(k) == 1 and not k.isascii() and not _starts_word(k))
        heads = sorted({k[:_HEAD] for k in self.keys if k not in solo} | {w[:_HEAD] for w in self.words}
                       | {p[:_HEAD] for p in self.prefixes}, key=len, reverse=True)
        alternatives = [rf"\b(?:{'|'.join(re.escape(h) for h in heads if h)}){_REST}"] if any(heads) else []
        alternatives += [re.escape(k) for k in solo]
        self._alternatives = "|".join(alternatives)
        self._pattern: re.Pattern[str] | None = None
        self._seen: dict[str, str] = {}  # each candidate word's key ("" for none): words recur in a query's hits
        # In ASCII text a match can only start where a head occurs: str.find finds those at C speed, and the
        # pattern is tried only there (the regex engine otherwise tries every position of a long body).
        self._heads = [h.lower() for h in heads if h] if not solo and all(h.isascii() for h in heads) else None
        # Where every head is word characters, the match found at a head is the word from there on, whichever
        # head it was: one pattern made once serves every query (compiling a query's own took 3% of a search).
        self._at_heads = _WORD if self._heads is not None and all(_WORDLIKE.fullmatch(h) for h in heads if h) \
            else None

    @property
    def _candidates(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._alternatives:
            self._pattern = re.compile(self._alternatives, re.IGNORECASE)
        return self._pattern

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Return (start, end, key) of every matching word in text, in order."""
        if not self._alternatives or not text:
            return []
        found = []
        if self._heads is None or not text.isascii():
            matches = self._candidates.finditer(text)  # type: ignore[union-attr]
        else:
            matches = _matches_at_heads(self._at_heads or self._candidates, self._heads, text)  # type: ignore[arg-type]
        seen = self._seen
        for match in matches:
            low = match.group().lower()
            key = seen.get(low)
            if key is None:
                key = seen[low] = self._key_of(low)
            if key:
                found.append((match.start(), match.end(), key))
        return found

    def _key_of(self, low: str) -> str:
        """Return what a candidate word (lower-case) is marked as, or "" when it does not match."""
        if low in self.words or low in self.keys or (self.prefixes and _folded(low).startswith(self.prefixes)):
            return low  # a word as typed, a solo character, a word as indexed, a start
        keys = self.key(low)
        if isinstance(keys, str):
            return keys if keys in self.keys else ""
        return next((k for k in keys if k in self.keys), "")

    def found_in(self, text: str) -> bool:
        return bool(self.spans(text))

    def mark(self, text: str, spans: list[tuple[int, int, str]] | None = None) -> str:
        """Return all of text, HTML-escaped, with <mark> around each matching word (spans: already found)."""
        return _render(text, self.spans(text) if spans is None else spans, 0, len(text))

    def snippet(self, text: str, chars: int = SNIPPET_CHARS, spans: list[tuple[int, int, str]] | None = None) -> str:
        """Return about `chars` characters of text around its densest run of matches, escaped and marked."""
        spans = self.spans(text) if spans is None else spans
        if not spans:
            end = _cut_end(text, 0, chars)
            return _render(text, [], 0, end)
        first = _best_window(spans, chars - LEAD_CHARS)
        start = _cut_start(text, spans[first][0])
        end = _cut_end(text, start, chars)
        end = max(end, spans[first][1])  # the chosen match is always shown whole
        return _render(text, [s for s in spans if s[0] >= start and s[1] <= end], start, end)


def _matches_at_heads(pattern: re.Pattern[str], heads: list[str], text: str) -> Iterator[re.Match[str]]:
    """Yield what pattern.finditer would over ASCII text, trying the pattern only where a head starts."""
    lowered = text.lower()  # same length and offsets: the text is ASCII
    starts: set[int] = set()
    for head in heads:
        at = lowered.find(head)
        while at >= 0:
            starts.add(at)
            at = lowered.find(head, at + 1)
    end = 0
    for at in sorted(starts):
        if at < end:
            continue  # inside the previous match: finditer goes on from its end
        match = pattern.match(text, at)  # \b still sees the character before `at`
        if match is not None:
            end = match.end()
            yield match


def _folded(word: str) -> str:
    return fold(word) if not word.isascii() else word


def _starts_word(ch: str) -> bool:
    """True when a regex word boundary can come before ch (letters and digits of spaced scripts)."""
    return bool(re.match(r"\w", ch)) and not ("\u3040" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def _best_window(spans: list[tuple[int, int, str]], width: int) -> int:
    """Return the index of the span that starts the window holding the most distinct matched words."""
    counts: Counter[str] = Counter()
    best, best_score, j = 0, 0, 0
    for i, (start, _, key) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and (j == i or spans[j][1] - start <= width):
            counts[spans[j][2]] += 1
            j += 1
        if len(counts) > best_score:
            best, best_score = i, len(counts)
        counts[key] -= 1
        if not counts[key]:
            del counts[key]
    return best


def _cut_start(text: str, first_match: int) -> int:
    """Start a little before the first match, at a word boundary."""
    if first_match <= LEAD_CHARS:
        return 0
    start = first_match - LEAD_CHARS
    space = text.find(" ", start, first_match)
    return space + 1 if space >= 0 else first_match


def _cut_end(text: str, start: int, chars: int) -> int:
    """End about chars after start, at a word boundary."""
    end = start + chars
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", start + chars // 2, end)
    return space if space > 0 else end


def _render(text: str, spans: list[tuple[int, int, str]], start: int, end: int) -> str:
    parts = ["…"] if start > 0 else []
    at = start
    for s, e, _ in spans:
        parts.append(html.escape(text[at:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        at = e
    parts.append(html.escape(text[at:end]))
    if end < len(text):
        parts.append("…")
    return _SPACE.sub(" ", "".join(parts)).strip()
