"""Compare two rendered bodies the way issue 18 defines agreement: same visible text and same structure.

Text: tags stripped, entities decoded, curly quotes made straight, whitespace folded; the word sequences must be at
least 0.98 similar (difflib's ratio). Structure: the counts of headings, links, images, code blocks, list items,
blockquotes and tables must be equal. Both sides go through the product's sanitiser first, so whatever nh3 removes
(scripts, event handlers, iframes) is never counted as a difference.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from service.content.markdown import sanitise

THRESHOLD = 0.98
STRUCTURE = ("headings", "links", "images", "code blocks", "list items", "blockquotes", "tables")
_KIND = {**{f"h{n}": "headings" for n in range(1, 7)}, "a": "links", "img": "images", "pre": "code blocks",
         "li": "list items", "blockquote": "blockquotes", "table": "tables"}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"',
                         "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u00a0": " "})
_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "pre", "blockquote", "table", "tr", "td", "th", "dd", "dt", "dl",
                     "section", "figure", "figcaption", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass
class Shape:
    words: list[str]
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class Comparison:
    similarity: float
    counts_expected: dict[str, int]
    counts_got: dict[str, int]
    diff: str  # the first stretch of words that differs, for reports

    @property
    def structure_differs(self) -> list[str]:
        return [k for k in STRUCTURE if self.counts_expected.get(k, 0) != self.counts_got.get(k, 0)]

    @property
    def agrees(self) -> bool:
        return self.similarity >= THRESHOLD and not self.structure_differs

    def describe(self) -> str:
        parts = [f"{k} {self.counts_expected.get(k, 0)} vs {self.counts_got.get(k, 0)}" for k in self.structure_differs]
        if self.similarity < 1:
            parts.append(f"text {self.similarity:.3f}: {self.diff}")
        return "; ".join(parts) or "same"


def shape(html: str) -> Shape:
    """Read the visible words and the structure counts of an HTML fragment (sanitised first)."""
    cleaned = sanitise(html or "")
    if not cleaned.strip():
        return Shape([])
    try:
        root = lxml_html.fragment_fromstring(cleaned, create_parent="div")
    except (etree.ParserError, ValueError):
        return Shape(cleaned.split())
    counts: Counter[str] = Counter()
    parts: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        kind = _KIND.get(element.tag)
        if kind and (element.tag != "a" or element.get("href")):
            counts[kind] += 1
    _text(root, parts)
    return Shape("".join(parts).translate(_QUOTES).split(), counts)


def _text(element: etree._Element, parts: list[str]) -> None:
    # Block boundaries separate words ("a</p><p>b" is two words), inline ones do not.
    block = element.tag in _BLOCKS
    if block:
        parts.append(" ")
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _text(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append(" ")


def compare(expected_html: str, got_html: str) -> Comparison:
    """Compare Jekyll's rendering with ours."""
    want, got = shape(expected_html), shape(got_html)
    matcher = difflib.SequenceMatcher(None, want.words, got.words, autojunk=False)
    ratio = matcher.ratio() if (want.words or got.words) else 1.0
    diff = ""
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            lead = " ".join(want.words[max(0, a1 - 3):a1])
            diff = (f"…{lead} [{' '.join(want.words[a1:min(a2, a1 + 12)])}] -> "
                    f"[{' '.join(got.words[b1:min(b2, b1 + 12)])}]")
            break
    return Comparison(ratio, dict(want.counts), dict(got.counts), diff)
