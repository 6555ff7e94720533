"""Jekyll's excerpt rule: the body up to the excerpt separator, with the link definitions it needs."""

from __future__ import annotations

import re

# Excerpt::MKDWN_LINK_REF_REGEX: a reference-style link definition on a line of its own.
_LINK_DEFINITION = re.compile(r"^ {0,3}(\[[^\]]+\])(:.+)$", re.MULTILINE)


def excerpt_source(body: str, separator: str, *, crlf: bool = False) -> str | None:
    """Return the Markdown Jekyll renders as a post's excerpt, or None when the separator is empty.

    Jekyll cuts the raw body (before Liquid) at the first separator (a blank line by default). When there is
    no separator the whole body is the excerpt. Reference definitions from the rest of the post that the
    excerpt uses are appended, so its reference links still resolve. Jekyll reads files with their own line
    ends, so in a CR LF file the default separator (two LFs) is never found and the whole post becomes the
    excerpt; `crlf` says the body (normalised to LF here) came from such a file.
    """
    if not separator:
        return None
    if crlf:
        head, found, tail = body.replace("\n", "\r\n").partition(separator)
        head, tail = head.replace("\r\n", "\n"), tail.replace("\r\n", "\n")
    else:
        head, found, tail = body.partition(separator)
    if not found or not tail:
        return head
    definitions = [label + rest for label, rest in _LINK_DEFINITION.findall(tail) if label in head]
    return head + "\n\n" + "\n".join(definitions) if definitions else head
