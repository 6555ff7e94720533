"""kramdown's HTML rules: a block HTML element runs to its matching end tag, not to the next blank line.

CommonMark ends an HTML block at a blank line and then reads indented HTML as code; kramdown reads the element as
a whole (nested tags counted, an element never closed runs to the end of the document), so Markdown resumes right
after the end tag. The content is raw unless the element asks for Markdown (`markdown="1"`, `"block"`, `"span"`)
or the site sets `parse_block_html`. Inside a paragraph a block-level tag is literal text, as kramdown prints it.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.html_inline import html_inline

from service.content.kramdown.options import options_of

# kramdown's element lists (kramdown/parser/html.rb), as facts about how it treats each tag.
SPAN_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "b", "big", "bdo", "br", "button", "cite", "code", "del", "dfn", "em", "i", "img",
    "input", "ins", "kbd", "label", "mark", "option", "q", "rb", "rbc", "rp", "rt", "rtc", "ruby", "samp", "select",
    "small", "span", "strong", "sub", "sup", "tt", "u", "var"
})  # fmt: skip
BLOCK_ELEMENTS = frozenset({
    "address", "article", "aside", "applet", "body", "blockquote", "caption", "col", "colgroup", "dd", "div", "dl",
    "dt", "fieldset", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
    "html", "head", "iframe", "legend", "menu", "li", "main", "map", "nav", "ol", "optgroup", "p", "pre", "section",
    "summary", "table", "tbody", "td", "th", "thead", "tfoot", "tr", "ul"
})  # fmt: skip
VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "command", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr"
})  # fmt: skip
_BLOCK_MODEL = frozenset({
    "address", "applet", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl", "fieldset",
    "figure", "figcaption", "footer", "form", "header", "hgroup", "iframe", "li", "main", "map", "menu", "nav",
    "noscript", "object", "section", "summary", "td"
})  # fmt: skip
_SPAN_MODEL = frozenset({
    "a", "abbr", "acronym", "b", "bdo", "big", "button", "cite", "caption", "del", "dfn", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "i", "ins", "label", "legend", "optgroup", "p", "q", "rb", "rbc", "rp", "rt", "rtc",
    "ruby", "select", "small", "span", "strong", "sub", "sup", "th", "tt"
})  # fmt: skip
_KNOWN = SPAN_ELEMENTS | BLOCK_ELEMENTS | VOID_ELEMENTS | _BLOCK_MODEL | _SPAN_MODEL | frozenset({
    "script", "style", "math", "option", "textarea", "pre", "code", "kbd", "samp", "var"
})
_MARKDOWN_ATTR = {"0": "raw", "1": "default", "span": "span", "block": "block"}

class _Lazy:
    """A pattern compiled on first use: these Unicode-range ones take 45 ms, which a run rendering no HTML skips."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __getattr__(self, name: str) -> Any:
        value = getattr(re.compile(self.pattern), name)
        setattr(self, name, value)  # later uses find the compiled pattern's method directly
        return value


_NAME = r"(?:[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*:)?[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*"
_ATTRS = rf"((?:\s+{_NAME}(?:\s*=\s*(?:\w+|\"[^\"]*\"|'[^']*'))?)*)"
TAG: Any = _Lazy(rf"<({_NAME})\s*{_ATTRS}\s*(/)?>")
CLOSE: Any = _Lazy(rf"</({_NAME})\s*>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INSTRUCTION = re.compile(r"<\?.*?\?>", re.DOTALL)
_RAW_START: Any = _Lazy(rf"<(?:{_NAME}|/|!--|\?)")
_MARKDOWN_ATTRIBUTE = re.compile(r"""\s+markdown\s*=\s*(?:"([^"]*)"|'([^']*)'|(\w+))""")
_EDGE: Any = _Lazy(rf"</?({_NAME})")


def _name(raw: str) -> str:
    return raw.lower() if raw.lower() in _KNOWN else raw


def _raw_end(text: str, pos: int, name: str) -> int | None:
    """Find where the raw element `name` opened before `pos` ends, as kramdown's raw HTML parser does.

    Nested elements must close in turn; a stray end tag is text; None when it never closes (kramdown then
    closes it at the end of the document).
    """
    stack = [name]
    while True:
        start = _RAW_START.search(text, pos)
        if start is None:
            return None
        pos = start.start()
        if text.startswith("<!--", pos) and (comment := _COMMENT.match(text, pos)):
            pos = comment.end()
        elif text.startswith("<?", pos) and (instruction := _INSTRUCTION.match(text, pos)):
            pos = instruction.end()
        elif tag := TAG.match(text, pos):
            pos = tag.end()
            inner = _name(tag.group(1))
            if inner in ("script", "style"):
                close = re.compile(rf"</{inner}\s*>", re.IGNORECASE).search(text, pos)
                if close is None:
                    return None
                pos = close.end()
            elif not tag.group(3) and inner not in VOID_ELEMENTS:
                stack.append(inner)
        elif close := CLOSE.match(text, pos):
            pos = close.end()
            if _name(close.group(1)) == stack[-1]:
                stack.pop()
                if not stack:
                    return pos
        else:
            pos += 1


def _extent(state: StateBlock, start: int, end: int) -> int:
    """The last line (exclusive) the current container (list item, blockquote) lets a block reach."""
    if state.blkIndent == 0:
        return end
    line = start + 1
    while line < end and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
        line += 1
    return line


def _source(state: StateBlock, start: int, end: int) -> str:
    """Lines start..end as one text, the first from where its content starts (its indent dropped)."""
    if state.blkIndent == 0 and state.parentType != "blockquote":  # lines as they are in the source: slice
        return state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[end - 1]] + "\n"
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    rest = state.getLines(start + 1, end, state.blkIndent, True) if end > start + 1 else ""
    return f"{first}\n{rest}"


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _push_html(state: StateBlock, content: str, start: int, end: int) -> None:
    token = state.push("html_block", "", 0)
    token.map = [start, end]
    token.content = content


def _model(name: str, attrs: str, parse_block_html: bool) -> str:
    model = ("block" if name in _BLOCK_MODEL else "span" if name in _SPAN_MODEL else "raw") \
        if parse_block_html else "raw"
    if match := _MARKDOWN_ATTRIBUTE.search(attrs):
        value = _MARKDOWN_ATTR.get(next(g for g in match.groups() if g is not None))
        if value == "default":
            model = "block" if name in _BLOCK_MODEL else "span" if name in _SPAN_MODEL else "raw"
        elif value is not None:
            model = value
    return model


def html_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block HTML as kramdown reads it (a comment, or an element that is not a span element)."""
    if state.sCount[start] - state.blkIndent >= 4 or not state.md.options.get("html"):
        return False
    pos = state.bMarks[start] + state.tShift[start]
    if not state.src.startswith("<", pos):
        return False
    if silent:  # kramdown ends a paragraph at any line opening or closing a non-span element
        tag = _EDGE.match(state.src, pos, state.eMarks[start])
        return state.src.startswith("<!--", pos) or (tag is not None and tag.group(1).lower() not in SPAN_ELEMENTS)
    last = _extent(state, start, end)
    text = _source(state, start, last)
    if text.startswith("<!--"):
        comment = _COMMENT.match(text)
        if comment is None:
            return False
        close_line = start + _line_at(text, comment.end())
        _push_html(state, _source(state, start, close_line + 1), start, close_line + 1)
        state.line = close_line + 1
        return True
    tag = TAG.match(text)
    if tag is None or tag.group(1).lower() in SPAN_ELEMENTS:
        return False  # a stray end tag too: kramdown prints it as text in a paragraph
    name, attrs = _name(tag.group(1)), tag.group(2)
    closed = bool(tag.group(3)) or name in VOID_ELEMENTS
    model = "raw" if closed else _model(name, attrs, options_of(state.env).parse_block_html)
    marker = _MARKDOWN_ATTRIBUTE.search(attrs)
    opening = tag.group(0).replace(marker.group(0), "") if marker else tag.group(0)
    if model == "block" and _block(state, text, tag, name, opening, start, last):
        return True
    if model == "span" and _span(state, text, tag, name, opening, start):
        return True
    if closed:
        close_at: int | None = tag.end()
    elif name in ("script", "style"):
        found = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(text, tag.end())
        close_at = found.end() if found else None
    else:
        close_at = _raw_end(text, tag.end(), name)
    close_line = last - 1 if close_at is None else start + _line_at(text, close_at)
    content = _source(state, start, close_line + 1)[tag.end():]
    if "markdown" in content:
        content = _nested_markdown(state, content)
    _push_html(state, opening + content, start, close_line + 1)
    state.line = close_line + 1
    return True


def _nested_markdown(state: StateBlock, html: str) -> str:
    """Render the content of elements inside raw HTML that ask for Markdown (kramdown honours them there too)."""
    out: list[str] = []
    pos = 0
    for tag in TAG.finditer(html):
        if tag.start() < pos or not (marker := _MARKDOWN_ATTRIBUTE.search(tag.group(2))):
            continue
        name = _name(tag.group(1))
        model = _model(name, tag.group(2), False)
        end = None if tag.group(3) or name in VOID_ELEMENTS else _raw_end(html, tag.end(), name)
        if end is None:
            continue
        close = html.rfind("</", tag.end(), end)
        inner = html[tag.end() : close]
        if model == "block":
            inner = "\n" + state.md.render(textwrap.dedent(inner).strip("\n") + "\n", state.env)
        elif model == "span":
            inner = state.md.renderInline(inner.strip(), state.env)
        out += [html[pos : tag.start()], tag.group(0).replace(marker.group(0), ""), inner]
        pos = close
    return "".join(out) + html[pos:]


def _block(state: StateBlock, text: str, tag: re.Match[str], name: str, opening: str, start: int,
           last: int) -> bool:
    """An element whose content is Markdown blocks: its end tag must start a line of its own."""
    if text[tag.end():].split("\n", 1)[0].strip():
        return False
    depth, line = 1, start + 1
    same_open = re.compile(rf"<{re.escape(name)}[\s/>]", re.IGNORECASE)
    same_close = re.compile(rf"</{re.escape(name)}\s*>", re.IGNORECASE)
    while line < last:
        content = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        if content.lower().startswith(f"</{name.lower()}") and depth == 1:
            break
        depth += len(same_open.findall(content)) - len(same_close.findall(content))
        line += 1
    if line >= last:
        return False
    _push_html(state, opening + "\n", start, start + 1)
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "kramdown_html", line  # type: ignore[assignment]
    state.md.block.tokenize(state, start + 1, line)
    state.parentType, state.lineMax = old_parent, old_max
    _push_html(state, state.getLines(line, line + 1, state.blkIndent, True).lstrip(), line, line + 1)
    state.line = line + 1
    return True


def _span(state: StateBlock, text: str, tag: re.Match[str], name: str, opening: str, start: int) -> bool:
    """An element whose content is Markdown text (kramdown's span model: `<p markdown="1">`)."""
    close = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(text, tag.end())
    if close is None:
        return False
    close_line = start + _line_at(text, close.end())
    _push_html(state, opening, start, start + 1)
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = text[tag.end() : close.start()].strip(), [start, close_line + 1], []
    _push_html(state, close.group(0) + "\n", close_line, close_line + 1)
    state.line = close_line + 1
    return True


def span_html(state: StateInline, silent: bool) -> bool:
    """Inline HTML, except that a block-level tag inside text is printed as text, as kramdown does."""
    before = len(state.tokens)
    if not html_inline(state, silent):
        return False
    if not silent and len(state.tokens) > before:
        token = state.tokens[-1]
        tag = re.match(rf"</?({_NAME})", token.content)
        if tag is not None and tag.group(1).lower() in BLOCK_ELEMENTS:
            token.type = "text_literal"
    return True


def _literal(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    return escapeHtml(tokens[idx].content)


def kramdown_html_plugin(md: MarkdownIt) -> None:
    """Replace markdown-it's HTML block and inline rules with kramdown's."""
    md.block.ruler.at("html_block", html_block, {"alt": ["paragraph", "reference", "blockquote"]})
    md.inline.ruler.at("html_inline", span_html)
    md.add_render_rule("text_literal", _literal)
