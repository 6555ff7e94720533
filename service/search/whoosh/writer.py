"""Writing whole builds: a post's documents, the full write and its vocabulary sidecars (edits: update.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from whoosh import index

from service.content.models import Post
from service.search import facets, vocabulary
from service.search.documents import image_record, label_slug, page_key, post_record, quote_record, summary_record
from service.search.hits import hit_record
from service.search.site_store import SUMMARY_KEYS as PAGE_SUMMARY_KEYS
from service.search.whoosh import scoring
from service.search.whoosh.bulk import BulkSegmentWriter
from service.search.whoosh.parallel import ParallelWriter
from service.search.whoosh.schema import index_schema, title_key

SIDE_FILE = vocabulary.FILE


WRITER_PROCS = max(1, min(2, os.cpu_count() or 1))  # Whoosh sub-writers for a full build (one segment each)
PARALLEL_FROM = 1000  # documents: below this, starting sub-processes costs more than it saves
WRITER_MB = 256  # postings per (sub-)writer before it spills a sorted run of terms to disk


def _procs() -> int:
    # Forking copies only the calling thread: from a process with other threads (the HTTP reindex job runs in a
    # worker's thread) a child could inherit a lock held forever, so only a single-threaded reindex forks.
    return WRITER_PROCS if threading.active_count() == 1 else 1


def write_index(build_dir: Path, posts: list[Post], procs: int | None = None,
                pages: Sequence[dict[str, Any]] = (), meanwhile: Callable[[], Any] | None = None) -> int:
    """Write posts, their quotes and images into a new index in build_dir; return documents written.

    Written by the bulk segment writer (bulk.py); with procs > 1 (both cores by default) in sub-processes,
    each writing its own segment of a contiguous share of the documents (parallel.py: no final merge).
    meanwhile runs once every document is handed over: this process is idle while the sub-writers finish.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(build_dir), index_schema())
    procs = _procs() if procs is None else procs
    total = sum(1 + len(p.quotes) + len(p.images) + (1 if p.image else 0) for p in posts) + len(pages)
    writer = ParallelWriter(ix, procs, total, limitmb=WRITER_MB) if procs > 1 and total > PARALLEL_FROM else \
        BulkSegmentWriter(ix, limitmb=WRITER_MB * 2, expected_docs=total)
    written = 0
    try:
        for post in posts:
            for doc in post_documents(post):
                writer.add_document(**doc)
                written += 1
        for record in pages:
            writer.add_document(**page_document(record))
            written += 1
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    ix.close()
    write_sidecars(build_dir)
    return written


def write_sidecars(build_dir: Path) -> None:
    """Write the vocabulary file beside a finished index, so workers need not walk the index for it."""
    ix = index.open_dir(str(build_dir))
    try:
        with ix.reader() as reader:
            vocabulary.save(build_dir / SIDE_FILE, read_vocabularies(reader), ix.latest_generation())
            scoring.write_full_lengths(build_dir, reader)
    finally:
        ix.close()


def read_vocabularies(reader: Any) -> dict[str, vocabulary.Vocabulary]:
    """Read the vocabularies of the unstemmed fields from an index reader (what the sidecar file holds).

    Segment by segment, the counts summed here: what the reader's own merged walk gives, 7x faster (it looks each
    term up in every segment: 1.8 s of a 10,000-post build)."""
    found = {}
    for name in ("words", "titlew"):
        counts: dict[str, int] = {}
        for leaf, _ in reader.leaf_readers():
            for text, info in leaf.iter_field(name):
                word = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
                counts[word] = counts.get(word, 0) + info.doc_frequency()
        found[name] = vocabulary.Vocabulary(counts.items())
    return found


UNDATED = datetime(1970, 1, 1)


def page_document(record: dict[str, Any]) -> dict[str, Any]:
    """The index document of a page or collection document (kind `page`): searched like a post's text."""
    title = record.get("title") or ""
    label = record.get("collection") or ""
    summary = {key: record.get(key) for key in PAGE_SUMMARY_KEYS}
    doc: dict[str, Any] = {
        "key": page_key(record), "kind": "page", "slug": page_key(record), "post": page_key(record),
        "title": title, "titlew": title, "titleas": title,
        "titlekey": title_key(title), "titlepre": title, "labels": label, "body": record.get("text") or "",
        "words": f"{title}\n{label}\n{record.get('text') or ''}", "order": 0, "title_sort": title.lower()[:200],
        "record": orjson.dumps(record), "summary": orjson.dumps(summary),
        "hit": orjson.dumps({**summary, "text": record.get("text") or ""}),
        # every document needs a date (the date column has no empty value): undated pages sort as the oldest
        "date": datetime.fromisoformat(record["date"]).astimezone(UTC).replace(tzinfo=None) if record.get("date")
        else UNDATED,
    }
    return doc


def post_documents(post: Post) -> list[dict[str, Any]]:
    """Return the index documents of one post: the post itself, then each of its quotes and images."""
    record = post_record(post)
    categories = [label_slug(c) for c in post.categories]
    tags = [label_slug(t) for t in post.tags]
    common = {
        "slug": post.slug,
        "post": post.id,
        "category": ",".join(categories),
        "tag": ",".join(tags),
        "author": ",".join(a["slug"] for a in post.authors),
        "year": post.date.strftime("%Y"),
        "month": post.date.strftime("%Y-%m"),
        "date": post.date.astimezone(UTC).replace(tzinfo=None),
        "facets": facets.encode_keys(categories, tags, post.date.strftime("%Y")),
    }
    labels = " ".join(post.categories + post.tags)
    docs = [{
        **common,
        "key": f"post:{post.id}",
        "kind": "post",
        "title": post.title,
        "titlew": post.title,
        "titlekey": title_key(post.title),
        "titlepre": post.title,
        "titleas": post.title,
        "excerpt": post.excerpt,
        "labels": labels,
        "body": post.text,
        "words": f"{post.title}\n{labels}\n{post.text}",  # the text holds the quotes: each word once
        "order": 0,
        "title_sort": post.title.lower()[:200],
        "record": orjson.dumps(record),
        "summary": orjson.dumps(summary_record(record)),
        "hit": orjson.dumps(hit_record(record)),
    }]
    for n, quote in enumerate(post.quotes):
        qrec = quote_record(quote)
        docs.append({**common, "key": f"quote:{quote.id}", "kind": "quote", "body": quote.text,
                     "labels": quote.attribution or "", "words": f"{quote.text}\n{quote.attribution or ''}",
                     "order": n, "record": orjson.dumps(qrec), "hit": orjson.dumps(qrec)})
    for n, image in enumerate(([post.image] if post.image else []) + post.images):
        irec = image_record(image, usage=True)
        docs.append({**common, "key": f"image:{image.id}", "kind": "image", "title": image.title or "",
                     "body": image.alt, "words": f"{image.alt} {image.title or ''}", "order": n,
                     "record": orjson.dumps(irec), "hit": orjson.dumps(irec)})
    return docs
