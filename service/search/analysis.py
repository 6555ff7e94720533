"""How text is cut into words, for the index and for what a reader types alike (no engine here).

A *chunk* is what a reader sees as one word: letters and digits joined by `.`, `-`, `'`, `_`, `@` (or `,` between
digits), so `4.4.1`, `cloud.gov`, `jane@example.gov`, `F.U.D.`, `evidence-based`, `o'reilly`, `post_url` and
`1,000` are one chunk each. A chunk is indexed as its *parts* (`evidence`, `based`), one position each, and at the
position of its first part also as *variants*: the parts joined (`evidencebased`, `fud`, `1000`), the whole with
its dots (`4.4.1`, `cloud.gov`) and the dotted runs inside it (`4.4`, `usa.gov`), so each of those, typed, finds
it. English possessives lose their `'s` in the parts (`jekyll's` is `jekyll`), but the chunk keeps it: a chunk's
*written* forms are the word as written (`jekyll's`, `user`, `user-centered`) and, for a possessive, the word
without its `'s` (`jekyll`), so that what a reader typed can be told from a word that only contains it (`user` in
`user-centered`, `gov` in `cloud.gov`) or that lacks its `'s`. Han, kana and emoji have no spaces to split at:
each such character is a word of its own (a typed run of them is matched as a phrase). Text is NFKC-normalised,
lower-cased and stripped of accents first.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
# Characters of scripts written without spaces (Han, Hiragana, Katakana) and pictographs (emoji, symbols).
_SOLO = (r"\u2600-\u27bf\u2b00-\u2bff\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
         r"\uff66-\uff9f\U0001f000-\U0001f3fa\U0001f400-\U0001faff\U00020000-\U0003134f")  # not skin tones
_PART = rf"(?:(?![{_SOLO}])[^\W_])+"
_CHUNK = re.compile(rf"{_PART}(?:(?:[.\-'_@]|(?<=\d),(?=\d)){_PART})*|[{_SOLO}]", re.UNICODE)
# _CHUNK on ASCII text, where a part is letters and digits and nothing is solo: the same matches, 3x faster
_ASCII_CHUNK = re.compile(r"[a-zA-Z0-9]+(?:(?:[.\-'_@]|(?<=[0-9]),(?=[0-9]))[a-zA-Z0-9]+)*")
_SPLIT = re.compile(r"[.\-'_@,]")
_DOTTED = re.compile(r"[.@]")
MAX_RUN_PARTS = 6  # longer dotted chunks (long dotted identifiers) are indexed whole and by part, not every run


@dataclass(frozen=True)
class Chunk:
    """One word as written: its parts, in order, and the other forms it is also indexed under."""

    text: str  # folded, as written, e.g. "analytics.usa.gov", "jekyll's"
    parts: tuple[str, ...]  # ("analytics", "usa", "gov")
    variants: tuple[str, ...]  # ("analyticsusagov", "analytics.usa.gov", "analytics.usa", "usa.gov")
    solo: bool = False  # a Han/kana character or an emoji
    own: int = 0  # how many of the variants are the chunk itself (joined, whole) rather than runs inside it
    possessive: bool = False  # text ends in an English possessive 's, which the parts and variants leave out

    @property
    def compound(self) -> bool:
        return len(self.parts) > 1

    @property
    def forms(self) -> tuple[str, ...]:
        """The variants that stand for the whole chunk (what a reader typing it means): joined and whole."""
        return self.variants[: self.own]

    @property
    def written(self) -> tuple[str, ...]:
        """The chunk as written and, for a possessive, without its 's: what a reader typing it may have seen."""
        return (self.text, self.text[:-2]) if self.possessive else (self.text,)


def fold(text: str) -> str:
    """Normalise text as both sides see it: entities decoded, NFKC, lower case, no accents, one kind of apostrophe."""
    if "&" in text:  # titles are HTML to Jekyll (&#39;s, &ldquo;): read them as shown
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def chunks(text: str) -> list[Chunk]:
    """Cut text into chunks (after folding it)."""
    return [_chunk(word) for word in chunk_words(text)]


def chunk_words(text: str) -> list[str]:
    """Return the folded text of each chunk of text, in order: what chunks() makes its chunks of (no Chunk built)."""
    folded = fold(text)
    return (_ASCII_CHUNK if folded.isascii() else _CHUNK).findall(folded)


def chunk_of(word: str) -> Chunk:
    """Return the chunk of one folded chunk text (an item of chunk_words), remembered."""
    return _chunk(word)


def spans(text: str) -> list[tuple[int, int, Chunk]]:
    """Return (start, end, chunk) for each chunk of text, with offsets into text as given (for highlighting).

    Folding can change a text's length (NFKC), so offsets come from matching the original where they differ.
    """
    folded = fold(text)
    if len(folded) != len(text):
        return [(m.start(), m.end(), _chunk(fold(m.group()))) for m in _CHUNK.finditer(text)]
    pattern = _ASCII_CHUNK if folded.isascii() else _CHUNK
    return [(m.start(), m.end(), _chunk(m.group())) for m in pattern.finditer(folded)]


@lru_cache(maxsize=200_000)
def _chunk(text: str) -> Chunk:
    if len(text) == 1 and not text.isalnum():
        return Chunk(text, (text,), (), solo=True)
    if re.fullmatch(f"[{_SOLO}]", text):
        return Chunk(text, (text,), (), solo=True)
    if text.endswith("'s") and len(text) > 2 and text.count("'") == 1:  # an English possessive: jekyll's
        word = _chunk(text[:-2])
        return Chunk(text, word.parts, word.variants, own=word.own, possessive=True)
    parts = tuple(p for p in _SPLIT.split(text) if p)
    if len(parts) <= 1:
        return Chunk(text, parts or (text,), ())
    numeric = all(p.isdigit() for p in parts)
    dotted = _DOTTED.sub("", text) != text
    whole = _SPLIT.sub(lambda m: m.group() if m.group() in ".@" else "", text)  # dots and @ kept, others dropped
    variants = [] if numeric and "." in text else ["".join(parts)]  # 4.4.1 is no 441; 1,000 is 1000
    if dotted:
        variants.append(whole)
    own = len(dict.fromkeys(v for v in variants if v not in parts))
    if dotted and len(parts) <= MAX_RUN_PARTS and not all(len(p) == 1 and p.isalpha() for p in parts):  # not f.u.d
        pieces = re.split(r"([.@])", whole)
        words, seps = pieces[0::2], pieces[1::2]
        for size in range(len(words) - 1, 1, -1):
            # versions are read from the left (4.4 of 4.4.1), domains from the right (usa.gov of analytics.usa.gov)
            for start in [0] if numeric else range(len(words) - size + 1):
                run = words[start] + "".join(seps[k - 1] + words[k] for k in range(start + 1, start + size))
                variants.append(run)
    unique = tuple(dict.fromkeys(v for v in variants if v and v not in parts))
    return Chunk(text, parts, unique, own=own)
