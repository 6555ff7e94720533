"""Turn Post objects into the plain records an index stores and the API returns."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from service.content.models import Image, Post, PostRef, Quote

# A post object's keys, declared once: the response schemas, `fields=` and `include=` follow these (tests/test_documents
# holds them together, so a new key cannot drop silently out of a response or out of `fields=`).
SUMMARY_FIELDS = ("id", "slug", "title", "date", "url", "categories", "tags", "excerpt", "image",
                  "reading_time", "word_count", "other_ids", "authors")  # what lists serve
POST_PARTS = ("excerpt_html", "html", "text", "quotes", "images", "links", "toc", "meta")  # lists add them on include=
DETAIL_FIELDS = ("prev", "next")  # the neighbours, which only the detail endpoint adds
POST_FIELDS = SUMMARY_FIELDS + POST_PARTS + DETAIL_FIELDS  # every key a served post object can have
STORED_ONLY = ("path", "published", "draft")  # kept in the record for the index, never served


@functools.lru_cache(maxsize=65536)  # a site has a few hundred labels, asked for once per post and build
def label_slug(name: str) -> str:
    """Make the URL-safe key of a category or tag name: the API's label slug, not Jekyll's Utils.slugify."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "-"


def post_record(post: Post, *, body: bool = True) -> dict[str, Any]:
    """Return the full record of a post, as the detail endpoint serves it (body=False: without the body fields,
    which a fingerprint stands for by their digest, so an unchanged cached post's body is never read)."""
    record: dict[str, Any] = {
        "id": post.id,
        "slug": post.slug,
        "path": post.path,
        "title": post.title,
        "date": post.date.isoformat(),
        "url": post.url,
        "categories": [{"name": c, "slug": label_slug(c)} for c in post.categories],
        "tags": [{"name": t, "slug": label_slug(t)} for t in post.tags],
    }
    if body:
        record.update(excerpt=post.excerpt, excerpt_html=post.excerpt_html, html=post.html, text=post.text)
    record.update(word_count=post.word_count, reading_time=post.reading_time,
                  image=image_record(post.image) if post.image else None,
                  quotes=[quote_record(q) for q in post.quotes], images=[image_record(i) for i in post.images])
    if body:  # flat frozen dataclasses: asdict's deep copy is 30x slower
        record.update(links=[dict(vars(link)) for link in post.links], toc=[dict(vars(h)) for h in post.toc])
    record.update(meta=post.meta, published=post.published, draft=post.draft, authors=post.authors,
                  other_ids=list(post.other_ids))
    return record


def summary_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return the light part of a full post record, as lists serve it."""
    return {key: record[key] for key in SUMMARY_FIELDS}


def ref_record(ref: PostRef) -> dict[str, str]:
    return {"id": ref.id, "slug": ref.slug, "title": ref.title, "url": ref.url}


def quote_record(quote: Quote) -> dict[str, Any]:
    return {"id": quote.id, "text": quote.text, "html": quote.html, "attribution": quote.attribution,
            "post": ref_record(quote.post)}


USAGE_KEYS = ("posts", "post_count")  # which posts share the file: only image documents store it, to keep posts small


def image_record(image: Image, *, usage: bool = False) -> dict[str, Any]:
    meta = image.meta if usage else {k: v for k, v in image.meta.items() if k not in USAGE_KEYS}
    return {"id": image.id, "src": image.src, "url": image.url, "alt": image.alt, "title": image.title,
            "role": image.role, "local": image.local_path is not None, **meta, "post": ref_record(image.post)}


def page_key(record: dict[str, Any]) -> str:
    """The slug term of a page's or collection document's index document (never a post slug: it has a colon)."""
    return f"page:{record['path']}"
