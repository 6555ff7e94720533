"""kramdown's footnote markup, which themes' CSS targets: `sup#fnref:x > a.footnote` and `div.footnotes`."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token


def _name(token: Token) -> str:
    label = token.meta.get("label")
    return escapeHtml(str(label if label is not None else token.meta["id"] + 1))


def _ref(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    name, sub = _name(token), token.meta.get("subId", -1)
    ref_id = f"fnref:{name}" + (f":{sub}" if sub > 0 else "")
    return (f'<sup id="{ref_id}" role="doc-noteref"><a href="#fn:{name}" class="footnote" rel="footnote">'
            f"{token.meta['id'] + 1}</a></sup>")


def _anchor(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    name, sub = _name(token), token.meta.get("subId", 0)
    ref_id = f"fnref:{name}" + (f":{sub}" if sub > 0 else "")
    mark = "&#8617;" + (f"<sup>{sub + 1}</sup>" if sub > 0 else "")
    lead = "\u00a0" if sub == 0 else " "
    return f'{lead}<a href="#{ref_id}" class="reversefootnote" role="doc-backlink">{mark}</a>'


def _open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return f'<li id="fn:{_name(tokens[idx])}" role="doc-endnote">\n'


def footnote_shape_plugin(md: MarkdownIt) -> None:
    """Render mdit-py-plugins' footnote tokens in kramdown's shape (numbers by first reference, names kept)."""
    md.add_render_rule("footnote_ref", _ref)
    md.add_render_rule("footnote_anchor", _anchor)
    md.add_render_rule("footnote_open", _open)
    md.add_render_rule("footnote_close", lambda *_: "</li>\n")
    md.add_render_rule("footnote_block_open", lambda *_: '<div class="footnotes" role="doc-endnotes">\n<ol>\n')
    md.add_render_rule("footnote_block_close", lambda *_: "</ol>\n</div>\n")
    md.inline.ruler.disable("footnote_inline")  # `^[...]` inline notes are not kramdown syntax
