"""kramdown's headings: its automatic header ids (GFM's or kramdown's own rule) and `#Title` without a space."""

from __future__ import annotations

import re
import unicodedata

from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.heading import heading
from markdown_it.token import Token

_ASCII_NON_WORD = re.compile(r"[^\w\- \t]", re.ASCII)
_HEADER_ID = re.compile(r"[\t ]\{#([A-Za-z_:\u00c0-\uffff][\w.:\-\u00b7\u00c0-\uffff]*)\}$")


def _word(char: str) -> bool:
    # Ruby's \p{Word}: letters, marks, numbers and connector punctuation.
    return unicodedata.category(char)[0] in "LMN" or unicodedata.category(char) == "Pc"


def gfm_id(text: str) -> str:
    """kramdown-parser-gfm's id: lowercase, everything but word characters, hyphens and spaces dropped."""
    if text.isascii():
        return _ASCII_NON_WORD.sub("", text.lower()).replace(" ", "-").replace("\t", "-")
    kept = "".join(c for c in text.lower() if c in "- \t" or _word(c))
    return kept.replace(" ", "-").replace("\t", "-")


def kramdown_id(text: str) -> str:
    """kramdown's own id: leading non-letters dropped, then only ASCII letters, digits, spaces and hyphens."""
    text = re.sub(r"^[^a-zA-Z]+", "", text)
    return re.sub(r"[^a-zA-Z0-9 \-]", "", text).replace(" ", "-").lower()


class IdMaker:
    """Hand out ids as kramdown does within one document, numbering repeats."""

    def __init__(self, gfm: bool, prefix: str) -> None:
        self.gfm, self.prefix = gfm, prefix
        self.seen: dict[str, int] = {}

    def make(self, text: str) -> str:
        """The id for a heading's text (GFM: its visible text; kramdown: its source)."""
        if self.gfm:
            base = gfm_id(text)
            count = self.seen[base] = self.seen.get(base, -1) + 1
            return self.prefix + (f"{base}-{count}" if count else base)
        base = kramdown_id(text) or "section"
        if base in self.seen:
            self.seen[base] += 1
            return f"{self.prefix}{base}-{self.seen[base]}"
        self.seen[base] = 0
        return self.prefix + base


def header_id(inline: Token) -> str | None:
    """Take a trailing `{#id}` off a heading's text and return the id."""
    children = inline.children or []
    if not children or children[-1].type != "text":
        return None
    match = _HEADER_ID.search(children[-1].content)
    if match is None:
        return None
    children[-1].content = children[-1].content[: match.start()].rstrip()
    inline.content = _HEADER_ID.sub("", inline.content).rstrip()
    return match.group(1)


def atx_heading_at_margin(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """GFM input: markdown-it's ATX heading, but only at the margin (kramdown reads `  ## x` as a paragraph)."""
    if state.sCount[start] != state.blkIndent:
        return False
    return heading(state, start, end, silent)


def atx_heading_without_space(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """kramdown input: `#Title` is a heading (no space needed); it must follow a blank line or a block's end."""
    if state.sCount[start] != state.blkIndent:  # kramdown's ATX headings start at the margin
        return False
    pos, maximum = state.bMarks[start] + state.tShift[start], state.eMarks[start]
    line = state.src[pos:maximum]
    match = re.match(r"(#{1,6})[\t ]*([^ \t].*)$", line)
    if match is None or silent:
        return False
    text = re.sub(r"(?<!\\)#+$", "", match.group(2)).rstrip()
    if not text:
        return False
    level = len(match.group(1))
    opener = state.push("heading_open", f"h{level}", 1)
    opener.markup, opener.map = match.group(1), [start, start + 1]
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = text, [start, start + 1], []
    state.push("heading_close", f"h{level}", -1).markup = match.group(1)
    state.line = start + 1
    return True
