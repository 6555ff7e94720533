"""kramdown's list rules where they differ from CommonMark's.

Any numbered item (`2.` as well as `1.`) ends a paragraph and starts a list, `1)` is not a list marker, and a
numbered list always counts from one (kramdown writes no `start`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.list import list_block
from markdown_it.rules_core import StateCore

_NUMBERED = re.compile(r"[ ]{0,3}\d+\.[\t ]+\S")
_PAREN = re.compile(r"[ ]{0,3}\d+\)")

Rule = Callable[[StateBlock, int, int, bool], bool]


def kramdown_list(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's list rule within kramdown's limits."""
    first = state.bMarks[start] + state.tShift[start]
    if first < state.eMarks[start] and state.src[first].isdigit():  # only numbered items differ
        line = state.src[state.bMarks[start] : state.eMarks[start]]
        if _PAREN.match(line):
            return False
        if silent and state.parentType == "paragraph" and _NUMBERED.match(line) and \
                state.sCount[start] - state.blkIndent < 4:
            return True
    return list_block(state, start, end, silent)


def count_from_one(state: StateCore) -> None:
    """Drop the `start` of numbered lists (kramdown numbers every list from one)."""
    for token in state.tokens:
        if token.type == "ordered_list_open" and token.attrs:
            token.attrs.pop("start", None)
