"""Shape one search hit for the API: the record, its score, which fields matched and highlighted snippets."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from service.search.documents import SUMMARY_FIELDS
from service.search.highlight import Marker

# The texts of a post hit, and the index fields whose match can put a word in each: a text is scanned for
# marks only when one of its index fields matched (or a word matched as typed, which any text may hold).
POST_TEXTS = {"title": ("title",), "excerpt": ("excerpt",), "body": ("body",), "categories": ("labels",),
              "tags": ("labels",), "quotes": ("body",)}
AS_TYPED = "words"  # the unstemmed field: stop words searched on their own
# The index fields whose match decides whether shape_hit scans a post's text (its title and body always are).
MATCH_FIELDS = frozenset({f for name, fields in POST_TEXTS.items() if name not in ("title", "body") for f in fields}
                         | {AS_TYPED})


def hit_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return the light record a post hit is built from: its summary plus the plain texts snippets come from."""
    return {**{key: record[key] for key in SUMMARY_FIELDS}, "text": record.get("text") or "",
            "quote_text": " ".join(q["text"] for q in record.get("quotes", []))}


def shape_hit(record: dict[str, Any], kind: str, score: float, marker: Marker,
              matched: Collection[str] | None = None) -> dict[str, Any]:
    """Return a post summary, quote or image record plus score, matched_fields and highlights.

    record is a post's hit record (hit_record) or a quote's or image's record, the caller's own fresh copy: it is
    completed in place and returned (its plain texts taken out). matched names the index fields the document
    matched (None: unknown, scan every text). Each text is scanned once, for both its marks and whether it matched.
    """
    if kind == "post":
        texts = {"title": record["title"], "excerpt": record.get("excerpt") or "",
                 "body": record.pop("text", "") or "",
                 "categories": " ".join([c["name"] for c in record.get("categories", [])]),
                 "tags": " ".join([t["name"] for t in record.get("tags", [])]),
                 "quotes": record.pop("quote_text", "") or ""}
        title, body = "title", "body"
    elif kind == "page":  # a page or collection document: its summary, title and text
        texts = {"title": record.get("title") or "", "body": record.pop("text", "") or ""}
        title, body = "title", "body"
    elif kind == "quote":
        texts = {"text": record["text"], "attribution": record.get("attribution") or "",
                 "_title": record["post"]["title"]}
        title, body = "_title", "text"
    else:
        texts = {"alt": record.get("alt") or "", "title": record.get("title") or "",
                 "_title": record.get("title") or record["post"]["title"]}
        title, body = "_title", "alt"
    scan_all = matched is None or AS_TYPED in matched or kind != "post"
    spans = {}
    for name, text in texts.items():
        if text and (scan_all or name in (title, body) or any(f in matched for f in POST_TEXTS.get(name, ()))):
            spans[name] = marker.spans(text)
    record["score"] = round(float(score or 0.0), 4)
    record["matched_fields"] = [name for name in texts if not name.startswith("_") and spans.get(name)]
    record["highlights"] = {"title": marker.mark(texts[title], spans[title]) if texts[title] else None,
                            "body": marker.snippet(texts[body], spans=spans[body]) if texts[body] else None}
    return record
