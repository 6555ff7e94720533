"""Render post Markdown to sanitised HTML and pull out its text, headings, quotes, images and links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
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
from service.content.kramdown.attributes import strip_comments
from service.content.kramdown.blockquotes import blockquote as kramdown_blockquote
from service.content.kramdown.document import kramdown_blocks
from service.content.kramdown.footnotes import footnote_shape_plugin
from service.content.kramdown.headings import atx_heading_at_margin, atx_heading_without_space
from service.content.kramdown.html import kramdown_html_plugin
from service.content.kramdown.links import spaced_link
from service.content.kramdown.lists import count_from_one, kramdown_list
from service.content.kramdown.options import MarkdownOptions
from service.content.kramdown.tables import table as kramdown_table
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


def _typographic_symbols(state: Any) -> None:
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for token in block.children:
            if token.type == "text" and any(mark in token.content for mark in ("--", "...", "<<", ">>")):
                token.content = _KRAMDOWN_SYMBOLS.sub(lambda m: _SYMBOLS[m.group(0)], token.content)


# kramdown (Jekyll's Markdown) turns ' and " into curly quotes and ---, --, ..., << and >> into their symbols.
_KRAMDOWN_SYMBOLS = re.compile(r"---|--|\.\.\.|<< | >>|<<|>>")
_SYMBOLS = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "<< ": "\u00ab\u00a0", " >>": "\u00a0\u00bb",
            "<<": "\u00ab", ">>": "\u00bb"}


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


@lru_cache(maxsize=16)
def _parser(options: MarkdownOptions) -> MarkdownIt:
    """markdown-it-py set up to read as kramdown does with these options (one parser per set of options)."""
    single_open, single_close, double_open, double_close = options.smart_quotes
    md = (
        MarkdownIt("commonmark", {"html": True, "typographer": True, "breaks": options.hard_wrap,
                                  "quotes": [double_open, double_close, single_open, single_close]})
        .enable(["table", "strikethrough", "smartquotes"])
        .use(footnote_plugin)
        .use(footnote_shape_plugin)
        .use(deflist_plugin)
        .use(kramdown_html_plugin)
    )
    md.block.ruler.at("table", kramdown_table, {"alt": []})  # a kramdown table never interrupts a paragraph
    md.block.ruler.at("list", kramdown_list, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.push("kramdown_lists", count_from_one)
    md.inline.ruler.after("link", "kramdown_spaced_link", spaced_link)
    md.block.ruler.at("blockquote", kramdown_blockquote, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    if options.gfm:
        md.block.ruler.at("heading", atx_heading_at_margin, {"alt": ["paragraph", "reference", "blockquote"]})
    else:  # kramdown's own syntax reads `#Title` as a heading, but not in the middle of a paragraph
        md.block.ruler.at("heading", atx_heading_without_space, {"alt": ["reference", "blockquote"]})
    md.core.ruler.before("smartquotes", "kramdown_symbols", _typographic_symbols)
    # After the symbols (ids are made from the text as kramdown shows it), before quotes curl IAL values.
    md.core.ruler.before("smartquotes", "kramdown_blocks", kramdown_blocks)
    # Math stays as TeX between the delimiters kramdown writes for MathJax: \(...\) inline, \[...\] on its own.
    md.use(dollarmath_plugin, allow_labels=False, allow_blank_lines=False)
    md.inline.ruler.disable("math_inline")
    md.inline.ruler.before("escape", "kramdown_math", _double_dollar_math)
    md.add_render_rule("math_inline_double", lambda self, tokens, idx, options, env: escapeHtml(
        "\\(" + tokens[idx].content + "\\)"))
    md.add_render_rule("math_block", lambda self, tokens, idx, options, env: "<p>" + escapeHtml(
        "\\[" + tokens[idx].content.strip("\n") + "\\]") + "</p>\n")
    return md


_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp"})
_HEADINGS = {f"h{n}" for n in range(1, 7)}
_ALLOWED_TAGS = _HEADINGS | {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "footer", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
}  # fmt: skip
# Classes and ids survive everywhere (kramdown's IALs, footnotes and toc set them, themes' CSS targets them);
# other attributes only where they carry meaning.
_ALLOWED_ATTRIBUTES = {tag: {"class", "id", "role"} for tag in _ALLOWED_TAGS} | {
    "a": {"href", "title", "id", "class", "role"}, "img": {"src", "alt", "title", "width", "height", "class", "id"},
    "abbr": {"title", "class", "id"}, "time": {"datetime", "class", "id"}, "ol": {"start", "class", "id", "role"},
    "th": {"style", "colspan", "rowspan", "class", "id"}, "td": {"style", "colspan", "rowspan", "class", "id"},
}  # fmt: skip
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea"},
    attributes=_ALLOWED_ATTRIBUTES,
    filter_style_properties={"text-align"},  # markdown-it aligns table columns with inline styles
    url_schemes=set(_URL_SCHEMES),
    link_rel="noopener noreferrer",
)

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_DEFAULT = MarkdownOptions()


def render_markdown(source: str, options: MarkdownOptions = _DEFAULT) -> Rendered:
    """Render Markdown as Jekyll's kramdown would, sanitised, with its plain text, headings, quotes, images, links."""
    md = _parser(options)
    # Footnote definitions travel from parse to render through env, and so do the site's kramdown options.
    env: dict[str, Any] = {"kramdown": options}
    tokens = md.parse(strip_comments(source), env)
    raw = md.renderer.render(tokens, md.options, env)
    html = _CLEANER.clean(raw)
    scan = _Scanner()
    scan.walk(tokens)
    quotes = []
    for body, attribution in find_quotes(raw):
        clean = _CLEANER.clean(body).strip()
        quotes.append(RawQuote(text=html_to_text(clean), html=clean, attribution=attribution))
    links = [RawLink(url=url, text=fold("".join(parts))) for url, parts in scan.links]
    return Rendered(html=html, text=html_to_text(html), toc=_toc(tokens), quotes=quotes, images=scan.images,
                    links=links)


def sanitise(html: str) -> str:
    """Sanitise HTML with the rules every rendered body goes through."""
    return _CLEANER.clean(html)


def html_to_text(html: str) -> str:
    """Return the plain text of an HTML fragment: entities decoded, whitespace folded per block."""
    writer = _TextWriter()
    writer.walk(parse_html(html))
    writer.flush()
    return "".join(writer.out)


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


def _toc(tokens: list[Token]) -> list[Heading]:
    """Every heading in order, its anchor the id kramdown gave it ("" when it has none)."""
    return [Heading(level=int(token.tag[1]), text=_plain(tokens[index + 1].children),
                    anchor=str(token.attrGet("id") or ""))
            for index, token in enumerate(tokens) if token.type == "heading_open"]


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
            elif child.tag in _SKIPPED or "reversefootnote" in (child.get("class") or ""):
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
