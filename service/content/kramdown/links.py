"""kramdown's inline links whose URL has spaces in it (`[text](https://host/a b)`), which CommonMark refuses."""

from __future__ import annotations

from markdown_it.rules_inline import StateInline


def spaced_link(state: StateInline, silent: bool) -> bool:
    """A link markdown-it's own rule gave up on because its destination holds whitespace (no title)."""
    src, start, maximum = state.src, state.pos, state.posMax
    if not src.startswith("[", start) or state.linkLevel > 0:
        return False
    label_end = state.md.helpers.parseLinkLabel(state, start, True)
    if label_end < 0 or not src.startswith("(", label_end + 1):
        return False
    depth, index = 0, label_end + 1
    while index < maximum:
        char = src[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        elif char in " \t\n" and index + 1 < maximum and src[index + 1] in "\"'":
            return False  # a title follows: leave it to the standard rule
        index += 1
    if depth != 0 or index >= maximum:
        return False
    url = src[label_end + 2 : index].strip()
    if not any(c.isspace() for c in url):
        return False
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.push("link_open", "a", 1).attrs = {"href": href}
        state.linkLevel += 1
        old_max, state.pos, state.posMax = state.posMax, start + 1, label_end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.linkLevel -= 1
        state.push("link_close", "a", -1)
    state.pos = index + 1
    return True
