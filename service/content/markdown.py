"""Render post Markdown to sanitised HTML and pull out its text, headings, quotes, images and links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from service.content.extract import Element, find_quotes, fold, parse_html
from service.content.models import Heading


@dataclass(frozen=True)
class RawQuote:
    text: str
    html: str
    attribution: str | None


@dataclass(frozen=True)
class RawImage:
    src: str
    alt: str
    title: str | None


@dataclass(frozen=True)
class RawLink:
    url: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    toc: list[Heading]
    quotes: list[RawQuote]
    images: list[RawImage]
    links: list[RawLink]


_MD = (
    MarkdownIt("commonmark", {"html": True, "typographer": True})
    .enable(["table", "strikethrough", "smartquotes"])
    .use(footnote_plugin)
    .use(deflist_plugin)
)
# kramdown (Jekyll's Markdown) turns ' and " into curly quotes and ---, --, ..., << and >> into their symbols.
_KRAMDOWN_SYMBOLS = re.compile(r"---|--|\.\.\.|<< | >>|<<|>>")
_SYMBOLS = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "<< ": "\u00ab\u00a0", " >>": "\u00a0\u00bb",
            "<<": "\u00ab", ">>": "\u00bb"}


def _typographic_symbols(state: Any) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for token in block.children:
            if token.type == "text" and any(mark in token.content for mark in ("--", "...", "<<", ">>")):
                token.content = _KRAMDOWN_SYMBOLS.sub(lambda m: _SYMBOLS[m.group(0)], token.content)


_MD.core.ruler.before("smartquotes", "kramdown_symbols", _typographic_symbols)


def _double_dollar_math(state: Any, silent: bool) -> bool:
    """kramdown's inline math: `$$...$$` inside a paragraph (a single `$` is just a dollar sign)."""
    if not state.src.startswith("$$", state.pos):
        return False
    end = state.src.find("$$", state.pos + 2)
    if end <= state.pos + 2:
        return False
    if not silent:
        token = state.push("math_inline_double", "", 0)
        token.content, token.markup = state.src[state.pos + 2 : end], "$$"
    state.pos = end + 2
    return True


# Math stays as TeX between the delimiters kramdown writes for MathJax: \(...\) inline, \[...\] on its own.
_MD.use(dollarmath_plugin, allow_labels=False, allow_blank_lines=False)
_MD.inline.ruler.disable("math_inline")
_MD.inline.ruler.before("escape", "kramdown_math", _double_dollar_math)
_MD.add_render_rule("math_inline_double", lambda self, tokens, idx, options, env: escapeHtml(
    "\\(" + tokens[idx].content + "\\)"))
_MD.add_render_rule("math_block", lambda self, tokens, idx, options, env: "<p>" + escapeHtml(
    "\\[" + tokens[idx].content.strip("\n") + "\\]") + "</p>\n")

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_ALLOWED_TAGS = _HEADINGS | {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "footer", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
}  # fmt: skip
# ids and classes survive only where headings and the footnote plugin's markup need them.
_ALLOWED_ATTRIBUTES = {
    **{tag: {"id"} for tag in _HEADINGS},
    "a": {"href", "title", "id", "class"}, "img": {"src", "alt", "title", "width", "height"},
    "pre": {"class"}, "code": {"class"}, "abbr": {"title"}, "time": {"datetime"}, "ol": {"start", "class"},
    "li": {"id", "class"}, "sup": {"id", "class"}, "section": {"class"}, "hr": {"class"},
    "th": {"style", "colspan", "rowspan"}, "td": {"style", "colspan", "rowspan"},
}  # fmt: skip
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea"},
    attributes=_ALLOWED_ATTRIBUTES,
    filter_style_properties={"text-align"},  # markdown-it aligns table columns with inline styles
    url_schemes=set(_URL_SCHEMES),
    link_rel="noopener noreferrer",
)

# kramdown attribute lists and extensions ("{: .class}", "{:.a}", "{:toc}", "{::comment}") and header ids.
_IAL = re.compile(r"[ \t]*\{:[^{}\n]*\}")
_HEADER_ID = re.compile(r"\s*\{:?\s*#([\w-]+)[^{}\n]*\}\s*$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def render_markdown(source: str) -> Rendered:
    """Render Markdown to sanitised HTML with its plain text, headings, quotes, images and links."""
    env: dict[str, Any] = {}  # footnote definitions travel from parse to render through env
    tokens = _drop_kramdown(_MD.parse(source, env))
    toc = _assign_anchors(tokens)
    raw = _MD.renderer.render(tokens, _MD.options, env)
    html = _CLEANER.clean(raw)
    scan = _Scanner()
    scan.walk(tokens)
    quotes = []
    for body, attribution in find_quotes(raw):
        clean = _CLEANER.clean(body).strip()
        quotes.append(RawQuote(text=html_to_text(clean), html=clean, attribution=attribution))
    links = [RawLink(url=url, text=fold("".join(parts))) for url, parts in scan.links]
    return Rendered(html=html, text=html_to_text(html), toc=toc, quotes=quotes, images=scan.images, links=links)


def html_to_text(html: str) -> str:
    """Return the plain text of an HTML fragment: entities decoded, whitespace folded per block."""
    writer = _TextWriter()
    writer.walk(parse_html(html))
    writer.flush()
    return "".join(writer.out)


def slugify(text: str) -> str:
    """Make a GitHub/kramdown style anchor: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _plain(children: list[Token] | None) -> str:
    parts: list[str] = []
    for child in children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(_plain(child.children))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return fold("".join(parts))


def _strip_ial(inline: Token) -> bool:
    """Remove kramdown attribute lists from an inline token's text; report whether there were any."""
    children = inline.children or []
    found = False
    for child in children:
        if child.type == "text" and "{:" in child.content:
            child.content, count = _IAL.subn("", child.content)
            found = found or count > 0
    if found:  # the list usually sits on a line of its own, leaving a soft break dangling
        while children and (children[-1].type == "softbreak" or _blank(children[-1])):
            children.pop()
        while children and (children[0].type == "softbreak" or _blank(children[0])):
            children.pop(0)
        if children and children[-1].type == "text":
            children[-1].content = children[-1].content.rstrip()
    return found


def _blank(token: Token) -> bool:
    return token.type == "text" and not token.content.strip()


def _drop_kramdown(tokens: list[Token]) -> list[Token]:
    """Strip kramdown-only syntax, dropping paragraphs that held nothing else and '* TOC {:toc}' lists."""
    drop: set[int] = set()
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        opener = tokens[index - 1]
        last = token.children[-1]
        if opener.type == "heading_open" and last.type == "text" and (match := _HEADER_ID.search(last.content)):
            opener.meta["anchor"] = match.group(1)
            last.content = last.content[: match.start()].rstrip()
        if not _strip_ial(token):
            continue
        if "{:toc}" in token.content.replace(" ", ""):
            drop.update(_enclosing_list(tokens, index))
        if not token.children and opener.type == "paragraph_open":
            drop.update((index - 1, index, index + 1))
            # "{: #id}" on the line after a heading names that heading.
            match = _HEADER_ID.match(token.content.strip())
            if match and index >= 4 and tokens[index - 2].type == "heading_close":
                tokens[index - 4].meta["anchor"] = match.group(1)
    return [token for index, token in enumerate(tokens) if index not in drop]


def _enclosing_list(tokens: list[Token], index: int) -> range:
    level = tokens[index].level - 3  # list > item > paragraph > inline
    opens = [i for i, t in enumerate(tokens[:index]) if t.type.endswith("list_open") and t.level == level]
    closes = [i for i, t in enumerate(tokens) if i > index and t.type.endswith("list_close") and t.level == level]
    return range(opens[-1], closes[0] + 1) if opens and closes else range(0)


def _assign_anchors(tokens: list[Token]) -> list[Heading]:
    seen: set[str] = set()
    toc: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = _plain(tokens[index + 1].children)
        base = token.meta.get("anchor") or slugify(text) or "section"
        anchor, n = base, 0
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        token.attrSet("id", anchor)
        toc.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
    return toc


def _safe_url(url: str) -> bool:
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    match = _SCHEME.match(_CONTROL.sub("", url))
    return match is None or match.group(1).lower() in _URL_SCHEMES


class _Scanner(HTMLParser):
    """Collect images and links in document order from Markdown tokens and raw HTML alike.

    Raw HTML goes through the HTMLParser side, so an ``<a>`` opened in raw HTML collects the Markdown text
    up to its ``</a>``.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[RawImage] = []
        self.links: list[tuple[str, list[str]]] = []
        self._open_links: list[tuple[str, list[str]] | None] = []

    def walk(self, tokens: list[Token]) -> None:
        """Scan block tokens and their inline children in order."""
        for token in tokens:
            links_open = len(self._open_links)
            if token.type == "html_block":
                self._feed_fragment(token.content)
            for child in token.children or []:
                self._inline(child)
            # An <a> left unclosed must not swallow the text of the blocks that follow.
            del self._open_links[links_open:]

    def _inline(self, child: Token) -> None:
        if child.type == "link_open":
            self._open_link(str(child.attrGet("href") or ""))
        elif child.type == "link_close":
            self.handle_endtag("a")
        elif child.type == "image":
            title = child.attrGet("title")
            self._image(str(child.attrGet("src") or ""), _plain(child.children), str(title) if title else None)
        elif child.type in ("text", "code_inline"):
            self._text(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            self._text(" ")
        elif child.type == "html_inline":
            self._feed_fragment(child.content)

    def _feed_fragment(self, html: str) -> None:
        self.feed(html)
        self.close()
        self.reset()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "a":
            self._open_link(values.get("href", ""))
        elif tag == "img":
            self._image(values.get("src", ""), fold(values.get("alt", "")), values.get("title") or None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open_links:
            self._open_links.pop()

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _open_link(self, href: str) -> None:
        href = href.strip()
        record = None
        if href and not href.startswith("#") and _safe_url(href):
            record = (href, [])
            self.links.append(record)
        self._open_links.append(record)

    def _text(self, text: str) -> None:
        for record in self._open_links:
            if record is not None:
                record[1].append(text)

    def _image(self, src: str, alt: str, title: str | None) -> None:
        src = src.strip()
        if src and _safe_url(src):
            self.images.append(RawImage(src=src, alt=alt, title=title))
        self._text(alt)  # a linked image's alt text is the link's text


_PARA_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "p", "section", "table",
})  # fmt: skip
_LINE_BLOCKS = frozenset(
    {"caption", "dd", "dt", "figcaption", "li", "ol", "summary", "tbody", "tfoot", "thead", "tr", "ul"}
)
_SKIPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "head", "title", "textarea"})


class _TextWriter:
    """Accumulate plain text: blank lines between paragraphs, newlines between list items and rows."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.buffer: list[str] = []
        self.pending = 0  # separator owed before the next text: 1 newline, 2 blank line

    def flush(self) -> None:
        self.emit(fold("".join(self.buffer)))
        self.buffer.clear()

    def emit(self, text: str) -> None:
        if text:
            if self.out:
                self.out.append("\n\n" if self.pending > 1 else "\n")
            self.out.append(text)
            self.pending = 0

    def brk(self, level: int) -> None:
        self.flush()
        self.pending = max(self.pending, level)

    def walk(self, node: Element) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.buffer.append(child)
            elif child.tag in _SKIPPED or "footnote-backref" in (child.get("class") or ""):
                continue
            elif child.tag == "pre":  # code keeps its line breaks and indentation
                self.brk(2)
                self.emit(_verbatim(child).strip("\n"))
                self.pending = 2
            elif child.tag == "br":
                self.brk(1)
            elif child.tag in _PARA_BLOCKS or child.tag in _LINE_BLOCKS:
                level = 2 if child.tag in _PARA_BLOCKS else 1
                self.brk(level)
                self.walk(child)
                self.brk(level)
            elif child.tag in ("td", "th"):
                self.buffer.append(" ")
                self.walk(child)
                self.buffer.append(" ")
            else:
                self.walk(child)


def _verbatim(node: Element) -> str:
    return "".join(child if isinstance(child, str) else _verbatim(child) for child in node.children)
