"""kramdown's blockquote: it runs to the next blank line, every line in between is part of it (a lazy line may be
anything, not only a paragraph's continuation), and a bare `>` is a blank line inside it."""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

from service.content.kramdown.html import SPAN_ELEMENTS

_HTML_EDGE = re.compile(r"[ ]{0,3}</?([A-Za-z][\w.:-]*)")


def _ends_quote(line: str) -> bool:
    """kramdown stops a blockquote at a line opening or closing a non-span HTML element, or at `^`."""
    if line.rstrip() == "^":
        return True
    match = _HTML_EDGE.match(line)
    return match is not None and match.group(1).lower() not in SPAN_ELEMENTS and match.group(1).lower() != "script"


def _indent(src: str, start: int, end: int) -> tuple[int, int]:
    """Characters and columns of leading whitespace from `start` (tabs to the next multiple of four)."""
    chars = columns = 0
    while start + chars < end and src[start + chars] in " \t":
        columns = columns + 4 - columns % 4 if src[start + chars] == "\t" else columns + 1
        chars += 1
    return chars, columns


def blockquote(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A blockquote as kramdown reads it."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    if pos >= state.eMarks[start] or state.src[pos] != ">":
        return False
    if silent:
        return True
    last = start + 1
    while last < end and not state.isEmpty(last) and state.sCount[last] >= state.blkIndent:
        if _ends_quote(state.src[state.bMarks[last] + state.tShift[last] : state.eMarks[last]]):
            break
        last += 1
    saved = [(state.bMarks[i], state.tShift[i], state.sCount[i], state.bsCount[i]) for i in range(start, last)]
    outer_indent = state.blkIndent
    for line in range(start, last):
        begin = state.bMarks[line] + state.tShift[line]
        if state.src.startswith(">", begin) and state.sCount[line] - outer_indent < 4:
            begin += 1
            if state.src.startswith(" ", begin):  # kramdown strips "> ?": one space, never a tab
                begin += 1
            chars, columns = _indent(state.src, begin, state.eMarks[line])
            state.bMarks[line], state.tShift[line], state.sCount[line] = begin, chars, columns
        else:
            state.sCount[line] = max(0, state.sCount[line] - outer_indent)
        state.bsCount[line] = 0
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax, state.blkIndent = "blockquote", last, 0
    opened = state.push("blockquote_open", "blockquote", 1)
    opened.markup, opened.map = ">", [start, last]
    state.md.block.tokenize(state, start, last)
    state.push("blockquote_close", "blockquote", -1).markup = ">"
    state.parentType, state.lineMax, state.blkIndent = old_parent, old_max, outer_indent
    for line, (begin, shift, count, bs) in zip(range(start, last), saved, strict=True):
        state.bMarks[line], state.tShift[line], state.sCount[line], state.bsCount[line] = begin, shift, count, bs
    opened.map = [start, last]
    state.line = last
    return True
