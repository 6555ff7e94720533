"""The document pass: attribute lists, header ids and `{:toc}`, worked out on markdown-it's tokens as kramdown does."""

from __future__ import annotations

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from service.content.kramdown import attributes
from service.content.kramdown.headings import IdMaker, header_id
from service.content.kramdown.options import MarkdownOptions, options_of

_COPIED_OUT = frozenset({"link_open", "link_close", "footnote_ref"})  # a toc entry keeps the text, not these


def _opener(tokens: list[Token], close: int) -> int:
    """Index of the token that opens the block ending at `close` (the token itself if it stands alone)."""
    if tokens[close].nesting != -1:
        return close
    depth = 0
    for index in range(close, -1, -1):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return close


def _block_range(tokens: list[Token], opener: int) -> range:
    depth = 0
    for index in range(opener, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return range(opener, index + 1)
    return range(opener, len(tokens))


def _outermost(tokens: list[Token], index: int) -> int | None:
    """The top-level list or blockquote a nested paragraph sits in."""
    if tokens[index].level == 0:
        return None
    for candidate in range(index - 1, -1, -1):
        if tokens[candidate].level == 0 and tokens[candidate].nesting == 1:
            return candidate
    return None


def kramdown_blocks(state: StateCore) -> None:
    """Apply IALs, give headings their ids and build the `{:toc}` list, as kramdown does."""
    tokens, options = state.tokens, options_of(state.env)
    lines: list[str] | None = None
    drop: set[int] = set()
    toc: tuple[range, Token] | None = None
    pending: list[tuple[str, str]] = []
    for index, token in enumerate(tokens):
        if pending and token.nesting >= 0 and token.level == 0 and token.type != "inline" and index not in drop:
            attributes.apply(token, pending)
            pending = []
        if token.type != "inline":
            continue
        opener = tokens[index - 1]
        if opener.type == "heading_open":
            if found := header_id(token):
                opener.attrSet("id", found)
            attributes.span_ials(token)
            continue
        if opener.type != "paragraph_open":
            attributes.span_ials(token)
            continue
        content = token.content.strip()
        if "{:" not in content:  # comments went before parsing (attributes.strip_comments)
            continue
        if attributes.ial_only(content):
            drop.update((index - 1, index, index + 1))
            found, wants_toc = attributes.block_ials(content)
            before = _opener(tokens, index - 2) if index >= 2 else None
            adjacent = before is not None and tokens[before].map and opener.map and \
                tokens[before].map[1] == opener.map[0]
            if before is not None and adjacent:
                attributes.apply(tokens[before], found)
                if wants_toc and tokens[before].type in ("bullet_list_open", "ordered_list_open"):
                    toc = (_block_range(tokens, before), tokens[before])
            else:
                pending = found
            continue
        lead, trail, wants_toc = attributes.split_edge_ials(token)
        attributes.apply(opener, lead)
        if trail or wants_toc:
            target = opener
            if opener.map and (outer := _outermost(tokens, index - 1)) is not None:
                lines = lines if lines is not None else state.src.split("\n")
                last = lines[opener.map[1] - 1] if opener.map[1] - 1 < len(lines) else ""
                if not last.startswith((" ", "\t", ">")):  # a lazy line: it belongs to the whole list or quote
                    target = tokens[outer]
            attributes.apply(target, trail)
            if wants_toc and target.type in ("bullet_list_open", "ordered_list_open"):
                toc = (_block_range(tokens, tokens.index(target)), target)
        attributes.span_ials(token)
        if not token.children and not token.content:
            drop.update((index - 1, index, index + 1))
    _assign_ids(tokens, options)
    if toc is not None:
        span, list_open = toc
        built = _toc_tokens(tokens, list_open)
        tokens[span.start : span.stop] = built
        drop = {i if i < span.start else i - len(span) + len(built) for i in drop if i not in span}
    if drop:
        state.tokens = [token for index, token in enumerate(tokens) if index not in drop]


def _assign_ids(tokens: list[Token], options: MarkdownOptions) -> None:
    ids = IdMaker(options.gfm, options.auto_id_prefix)
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.attrGet("id") is not None or not options.auto_ids:
            continue
        inline = tokens[index + 1]
        made = ids.make(_visible(inline.children) if options.gfm else inline.content)
        if made:
            token.attrSet("id", made)
        else:  # no id attribute, yet kramdown's toc still lists it (linking to "#")
            token.meta["empty_id"] = True


def _visible(children: list[Token] | None) -> str:
    """A heading's text as kramdown-parser-gfm reads it for ids: text and code, not images or markup."""
    parts: list[str] = []
    for child in children or []:
        if child.type in ("text", "code_inline", "text_literal"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def _toc_tokens(tokens: list[Token], list_open: Token) -> list[Token]:
    """kramdown's table of contents: nested lists of links to every heading with an id (class no_toc aside)."""
    kind = "ordered_list" if list_open.type == "ordered_list_open" else "bullet_list"
    tag = "ol" if kind == "ordered_list" else "ul"
    attrs = dict(list_open.attrs)
    attrs.setdefault("id", "markdown-toc")
    entries = [(int(t.tag[1]), str(t.attrGet("id") or ""), tokens[i + 1].children or []) for i, t in enumerate(tokens)
               if t.type == "heading_open" and (t.attrGet("id") or t.meta.get("empty_id"))
               and "no_toc" not in str(t.attrGet("class") or "")]
    out: list[Token] = []
    opened = Token(f"{kind}_open", tag, 1)
    opened.attrs = attrs
    out.append(opened)
    stack: list[int] = []  # levels of the items whose sub-list is open
    for level, anchor, children in entries:
        while stack and stack[-1] >= level:
            stack.pop()
            out += [Token(f"{kind}_close", tag, -1), Token("list_item_close", "li", -1)]
        item = Token("list_item_open", "li", 1)
        link = Token("link_open", "a", 1)
        link.attrs = {"href": f"#{anchor}", "id": f"{attrs['id']}-{anchor}"}
        inline = Token("inline", "", 0)
        inline.children = [link, *(c.copy() for c in children if c.type not in _COPIED_OUT),
                           Token("link_close", "a", -1)]
        out += [item, inline]
        sub = Token(f"{kind}_open", tag, 1)
        out.append(sub)
        stack.append(level)
    while stack:
        stack.pop()
        out += [Token(f"{kind}_close", tag, -1), Token("list_item_close", "li", -1)]
    out.append(Token(f"{kind}_close", tag, -1))
    return _drop_empty_lists(out)


def _drop_empty_lists(tokens: list[Token]) -> list[Token]:
    """Remove sub-lists left without items (kramdown's tree builder drops them)."""
    out: list[Token] = []
    for token in tokens:
        if token.nesting == -1 and token.type.endswith("_list_close") and out and out[-1].type == token.type.replace(
                "_close", "_open") and len(out) > 1:
            out.pop()
            continue
        out.append(token)
    return out
