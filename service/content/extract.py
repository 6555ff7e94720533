"""Find the blockquotes in rendered HTML and separate each quote from its attribution.

Recognised, in order: a closing ``<footer>`` or ``<cite>``; a nested blockquote as the last child holding
one short or wholly emphasised paragraph (``> > **_Name_**``); a last line starting with a dash (``— Name``,
``― Name``, ``-- Name``, ``– Name``); a quotation closed by a quote mark then a dash (``"..." — Name``).
The HTML is markdown-it's unsanitised output, so callers sanitise whatever is serialised back out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from lxml import etree
from lxml import html as lxml_html

VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "details", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip
_EMPHASIS = frozenset({"strong", "em", "b", "i"})
# Deeper trees are flattened so recursive walks stay far from Python's recursion limit.
_MAX_DEPTH = 200
# An attribution is a name and perhaps a role or date, never a paragraph of prose.
_MAX_NAME_WORDS = 12
_MAX_INLINE_NAME_WORDS = 15

_DASH_START = re.compile(r"^\s*(?:—|―|–|--(?!-))\s*")
_LEADING_DASHES = re.compile(r"^[\s—―–-]+")
# After a closing quote mark even a lone hyphen reads as an attribution dash.
_INLINE_DASH = re.compile(r"(?:—|―|–|--(?!-)|-(?=\s))\s*")
_OPENING_QUOTES = "\"“«‘'„"
_CLOSING_QUOTES = "\"”»’'“"
_TRIM_TAIL = re.compile(r"(?:\s|—|―|–|--)+$")


@dataclass
class Element:
    tag: str  # "#root" and "#run" are transparent containers of this module's own making
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        """Return the value of attribute ``name``, or None when absent."""
        return next((value for key, value in self.attrs if key == name), None)


Node = Element | str


def _convert(source: Any, target: Element, depth: int) -> None:
    """Copy an lxml element's children into target as Elements and text strings."""
    if source.text:
        _append_text(target, source.text)
    for child in source:
        if isinstance(child.tag, str):
            element = Element(child.tag, [(k, v) for k, v in child.attrib.items()])
            # Deeper trees are flattened so recursive walks stay far from Python's recursion limit.
            holder = element if depth < _MAX_DEPTH else target
            if holder is element:
                target.children.append(element)
            _convert(child, holder, depth + 1)
        if child.tail:  # comments and processing instructions vanish, but the text after them stays
            _append_text(target, child.tail)


def _append_text(target: Element, text: str) -> None:
    if target.children and isinstance(target.children[-1], str):
        target.children[-1] += text
    else:
        target.children.append(text)


def parse_html(html: str) -> Element:
    """Parse an HTML fragment into a tree of Elements and decoded text strings (lxml does the parsing: speed)."""
    root = Element("#root")
    if not html.strip():
        return root
    try:
        wrapper = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return root
    _convert(wrapper, root, 0)
    return root


def to_html(nodes: list[Node]) -> str:
    """Serialise nodes back to HTML."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(escape(node, quote=False))
        elif node.tag.startswith("#"):
            parts.append(to_html(node.children))
        else:
            attrs = "".join(f" {key}" if value is None else f' {key}="{escape(value)}"' for key, value in node.attrs)
            parts.append(f"<{node.tag}{attrs}>")
            if node.tag not in VOID_TAGS:
                parts.append(f"{to_html(node.children)}</{node.tag}>")
    return "".join(parts)


def fold(text: str) -> str:
    """Collapse runs of whitespace to single spaces and trim the ends."""
    return " ".join(text.split())


def inline_text(node: Node) -> str:
    """Return the folded plain text of a node, line breaks read as spaces."""
    return fold(_raw_text(node))


def _raw_text(node: Node) -> str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return " "
    return "".join(_raw_text(child) for child in node.children)


def _blank(node: Node) -> bool:
    return isinstance(node, str) and not node.strip()


def _is_block(node: Node) -> bool:
    return isinstance(node, Element) and node.tag in BLOCK_TAGS


def _name(text: str) -> str:
    return _LEADING_DASHES.sub("", fold(text))


def _rstrip(nodes: list[Node], dashes: bool = False) -> None:
    """Drop trailing blanks and line breaks, and with ``dashes`` a dash left dangling before a removed name."""
    while nodes and (_blank(nodes[-1]) or (isinstance(nodes[-1], Element) and nodes[-1].tag == "br")):
        nodes.pop()
    if nodes and isinstance(nodes[-1], str):
        nodes[-1] = (_TRIM_TAIL.sub("", nodes[-1]) if dashes else nodes[-1]).rstrip()
        if not nodes[-1]:
            nodes.pop()
            _rstrip(nodes, dashes)


def _wrap_trailing_run(body: list[Node]) -> None:
    """Group inline content after the last block into one '#run' element, like a paragraph."""
    start = len(body)
    while start > 0 and not _is_block(body[start - 1]):
        start -= 1
    run = body[start:]
    if any(not _blank(node) for node in run):
        body[start:] = [Element("#run", children=run)]


def _last(body: list[Node]) -> Node | None:
    while body and _blank(body[-1]):
        body.pop()
    return body[-1] if body else None


def _from_footer_or_cite(body: list[Node]) -> str | None:
    for tag in ("footer", "cite"):
        for index in range(len(body) - 1, -1, -1):
            node = body[index]
            if isinstance(node, Element) and node.tag == tag:
                del body[index]
                return _name(inline_text(node))
    last = _last(body)
    if isinstance(last, Element) and last.tag in ("p", "#run"):
        tail = _last(last.children)
        if isinstance(tail, Element) and tail.tag == "cite":
            last.children.pop()
            _rstrip(last.children, dashes=True)
            if not last.children:
                body.pop()
            return _name(inline_text(tail))
    return None


def _from_nested_quote(body: list[Node]) -> str | None:
    last = _last(body)
    if not isinstance(last, Element) or last.tag != "blockquote":
        return None
    inner = [node for node in last.children if not _blank(node)]
    if len(inner) == 1 and isinstance(inner[0], Element) and inner[0].tag == "p":
        content = inner[0].children
    elif not any(_is_block(node) for node in inner):
        content = inner
    else:
        return None
    if any(_has_block(node) for node in content):
        return None
    text = _name("".join(_raw_text(node) for node in content))
    significant = [node for node in content if not _blank(node)]
    emphasised = bool(significant) and all(isinstance(node, Element) and node.tag in _EMPHASIS for node in significant)
    # Bold or italic marks the seed convention's name line, so it may run longer than a plain one.
    if not text or len(text.split()) > _MAX_NAME_WORDS * (2 if emphasised else 1):
        return None
    body.pop()
    return text


def _has_block(node: Node) -> bool:
    return isinstance(node, Element) and (node.tag in BLOCK_TAGS or any(_has_block(c) for c in node.children))


def _split_last_line(nodes: list[Node], newlines: bool) -> tuple[list[Node], list[Node]]:
    """Split inline nodes into everything before the last line break and the last line."""
    _rstrip(nodes)
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if isinstance(node, Element) and node.tag == "br":
            return nodes[:index], nodes[index + 1 :]
        if newlines and isinstance(node, str) and "\n" in node:
            cut = node.rfind("\n")
            return [*nodes[:index], node[:cut]], [node[cut + 1 :], *nodes[index + 1 :]]
    return [], list(nodes)


def _from_dash_line(body: list[Node]) -> str | None:
    last = _last(body)
    if not isinstance(last, Element) or last.tag not in ("p", "#run"):
        return None
    # In a paragraph markdown-it renders soft breaks as newlines; raw HTML wraps lines anywhere.
    head, line = _split_last_line(last.children, newlines=last.tag == "p")
    text = inline_text(Element("#run", children=line))
    if not _DASH_START.match(text) or not _name(text):
        return None
    _rstrip(head)
    if head:
        last.children = head
    else:
        body.pop()
    return _name(text)


def _from_inline_dash(body: list[Node]) -> str | None:
    last = _last(body)
    if not isinstance(last, Element) or last.tag not in ("p", "#run"):
        return None
    nodes = last.children
    # Only a quotation proper ("...") qualifies, so prose using a dash as a pause stays intact.
    if not inline_text(last).startswith(tuple(_OPENING_QUOTES)):
        return None
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if not isinstance(node, str):
            continue
        for match in reversed(list(_INLINE_DASH.finditer(node))):
            before = node[: match.start()].rstrip()
            if not before and index > 0:
                before = _raw_text(nodes[index - 1]).rstrip()
            if not before or before[-1] not in _CLOSING_QUOTES:
                continue
            rest = [node[match.end() :], *nodes[index + 1 :]]
            name = _name(inline_text(Element("#run", children=rest)))
            if not name or len(name.split()) > _MAX_INLINE_NAME_WORDS:
                return None
            last.children = [*nodes[:index], node[: match.start()]]
            _rstrip(last.children)
            return name
    return None


def split_attribution(quote: Element) -> tuple[list[Node], str | None]:
    """Split a blockquote's children into the quote body and its attribution, if any."""
    body = list(quote.children)
    _wrap_trailing_run(body)
    for finder in (_from_footer_or_cite, _from_nested_quote, _from_dash_line, _from_inline_dash):
        attribution = finder(body)
        if attribution is not None:
            return body, attribution or None
    return body, None


def find_quotes(html: str) -> list[tuple[str, str | None]]:
    """Return (body html, attribution) for every top-level blockquote in an HTML fragment."""
    found: list[tuple[str, str | None]] = []

    def walk(node: Element) -> None:
        for child in node.children:
            if not isinstance(child, Element):
                continue
            if child.tag == "blockquote":
                body, attribution = split_attribution(child)
                found.append((to_html(body).strip(), attribution))
            else:
                walk(child)

    walk(parse_html(html))
    return found
