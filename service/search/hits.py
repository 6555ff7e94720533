"""Shape one search hit for the API: the record, its score, which fields matched and highlighted snippets."""

from __future__ import annotations

from typing import Any

from service.search.documents import summary_record
from service.search.highlight import Marker


def shape_hit(record: dict[str, Any], kind: str, score: float, marker: Marker) -> dict[str, Any]:
    """Return a post summary, quote or image record plus score, matched_fields and highlights."""
    if kind == "post":
        texts = {"title": record["title"], "excerpt": record.get("excerpt") or "", "body": record.get("text") or "",
                 "categories": " ".join(c["name"] for c in record.get("categories", [])),
                 "tags": " ".join(t["name"] for t in record.get("tags", [])),
                 "quotes": " ".join(q["text"] for q in record.get("quotes", []))}
        title, body, out = texts["title"], texts["body"], summary_record(record)
    elif kind == "quote":
        texts = {"text": record["text"], "attribution": record.get("attribution") or ""}
        title, body, out = record["post"]["title"], record["text"], record
    else:
        texts = {"alt": record.get("alt") or "", "title": record.get("title") or ""}
        title, body, out = record.get("title") or record["post"]["title"], record.get("alt") or "", record
    return {
        **out,
        "score": round(float(score or 0.0), 4),
        "matched_fields": [name for name, text in texts.items() if text and marker.found_in(text)],
        "highlights": {"title": marker.mark(title) if title else None,
                       "body": marker.snippet(body) if body else None},
    }
