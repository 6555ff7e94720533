"""kramdown's attribute lists (`{: .class #id key="value"}`), `{::comment}` and `{:ref: ...}` definitions.

A block IAL on the line after a block gives that block its attributes (after a list or blockquote's lazy line, the
list or blockquote); one before a block, the block after it. A span IAL right after an emphasis, link, image or code
span gives that element its attributes. Attribute definitions and comments print nothing.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

IAL = re.compile(r"\{:(?!:)([^{}\n]*)\}")
_BLOCK_IAL_LINE = re.compile(r"^[ ]{0,3}\{:(?!:)(?:[^{}\n]*)\}[ \t]*$")
_ALD = re.compile(r"^\{:[\w-]+:[^{}\n]*\}$")
_PART = re.compile(r"""\.([\w-]+)|#([\w:.-]+)|([\w-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|([\w-]+)""")
_COMMENT = re.compile(r"\{::comment\}.*?\{:/(?:comment)?\}", re.DOTALL)
_OPTIONS = re.compile(r"\{::options\b[^{}]*/\}")
_SPAN_TARGETS = {"em_close": "em_open", "strong_close": "strong_open", "link_close": "link_open",
                 "s_close": "s_open"}


def parse_ial(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Read an attribute list's inside into (name, value) pairs and whether it asks for a table of contents."""
    attrs: list[tuple[str, str]] = []
    toc = False
    for match in _PART.finditer(text):
        css, ident, key, dq, sq, bare, ref = match.groups()
        if css:
            attrs.append(("class", css))
        elif ident:
            attrs.append(("id", ident))
        elif key:
            attrs.append((key, next(v for v in (dq, sq, bare) if v is not None)))
        elif ref == "toc":
            toc = True
    return attrs, toc


def apply(token: Token, attrs: list[tuple[str, str]]) -> None:
    """Give a token the attributes of an IAL (classes add up, the rest replace)."""
    for name, value in attrs:
        if name == "class":
            token.attrJoin("class", value)
        else:
            token.attrSet(name, value)


def strip_comments(text: str) -> str:
    """Drop `{::comment}...{:/comment}` and `{::options /}` from a source text."""
    return _OPTIONS.sub("", _COMMENT.sub("", text)) if "{::" in text else text


def ial_only(content: str) -> bool:
    """A paragraph that is nothing but attribute lists or definitions."""
    lines = [line.strip() for line in content.split("\n") if line.strip()]
    return bool(lines) and all(_BLOCK_IAL_LINE.match(line) or _ALD.match(line) for line in lines)


def block_ials(content: str) -> tuple[list[tuple[str, str]], bool]:
    """The attributes (and whether one asks for a toc) of every IAL in an IAL-only paragraph."""
    attrs: list[tuple[str, str]] = []
    toc = False
    for line in content.split("\n"):
        line = line.strip()
        if _BLOCK_IAL_LINE.match(line) and not _ALD.match(line):
            found, wants = parse_ial(IAL.match(line).group(1))  # type: ignore[union-attr]
            attrs += found
            toc = toc or wants
    return attrs, toc


def split_edge_ials(inline: Token) -> tuple[list[tuple[str, str]], list[tuple[str, str]], bool]:
    """Take IAL lines off the start and end of a paragraph's text: (leading attrs, trailing attrs, toc)."""
    lines = inline.content.split("\n")
    lead: list[tuple[str, str]] = []
    trail: list[tuple[str, str]] = []
    toc = False
    while len(lines) > 1 and _BLOCK_IAL_LINE.match(lines[-1]):
        found, wants = parse_ial(IAL.search(lines.pop()).group(1))  # type: ignore[union-attr]
        trail, toc = found + trail, toc or wants
    while len(lines) > 1 and _BLOCK_IAL_LINE.match(lines[0]):
        found, _ = parse_ial(IAL.search(lines.pop(0)).group(1))  # type: ignore[union-attr]
        lead += found
    if lead or trail or toc:
        _trim_children(inline, leading=bool(lead), trailing=bool(trail or toc))
        inline.content = "\n".join(lines)
    return lead, trail, toc


def _trim_children(inline: Token, *, leading: bool, trailing: bool) -> None:
    """Remove the IAL text (and the line break next to it) from the inline children."""
    children = inline.children or []
    if trailing:
        while children and children[-1].type == "text" and IAL.fullmatch(children[-1].content.strip()):
            children.pop()
            while children and children[-1].type in ("softbreak", "hardbreak"):
                children.pop()
        if children and children[-1].type == "text":
            children[-1].content = children[-1].content.rstrip()
    if leading:
        while children and children[0].type == "text" and IAL.fullmatch(children[0].content.strip()):
            children.pop(0)
            while children and children[0].type in ("softbreak", "hardbreak"):
                children.pop(0)


def span_ials(inline: Token) -> None:
    """Apply IALs that follow an emphasis, link, image or code span; drop any other IAL text in the line."""
    children = inline.children or []
    for index, child in enumerate(children):
        if child.type != "text" or "{:" not in child.content:
            continue
        match = IAL.match(child.content)
        if match and index > 0:
            target = _span_target(children, index - 1)
            if target is not None:
                apply(target, parse_ial(match.group(1))[0])
                child.content = child.content[match.end():]
        child.content = IAL.sub("", strip_comments(child.content))


def _span_target(children: list[Token], index: int) -> Token | None:
    previous = children[index]
    if previous.type in ("image", "code_inline"):
        return previous
    opener = _SPAN_TARGETS.get(previous.type)
    if opener is None:
        return None
    depth = 0
    for candidate in range(index, -1, -1):
        depth += children[candidate].nesting
        if depth == 0 and children[candidate].type == opener:
            return children[candidate]
    return None
