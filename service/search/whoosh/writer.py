"""Writing builds: a post's documents, full and incremental writes, and the vocabulary sidecars beside them."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from whoosh import index
from whoosh.writing import MERGE_SMALL

from service.content.models import Post
from service.search import facets, vocabulary
from service.search.documents import image_record, label_slug, page_key, post_record, quote_record, summary_record
from service.search.hits import hit_record
from service.search.site_store import SUMMARY_KEYS as PAGE_SUMMARY_KEYS
from service.search.whoosh import postarrays, scoring, storage
from service.search.whoosh.bulk import BulkSegmentWriter
from service.search.whoosh.parallel import ParallelWriter
from service.search.whoosh.schema import index_schema, title_key

SIDE_FILE = vocabulary.FILE
TAINTED_FILE = "tainted-terms.json"  # words of deleted documents, until a full build forgets them


WRITER_PROCS = max(1, min(2, os.cpu_count() or 1))  # Whoosh sub-writers for a full build (one segment each)
PARALLEL_FROM = 1000  # documents: below this, starting sub-processes costs more than it saves
WRITER_MB = 256  # postings per (sub-)writer before it spills a sorted run of terms to disk


def _procs() -> int:
    # Forking copies only the calling thread: from a process with other threads (the HTTP reindex job runs in a
    # worker's thread) a child could inherit a lock held forever, so only a single-threaded reindex forks.
    return WRITER_PROCS if threading.active_count() == 1 else 1


def write_index(build_dir: Path, posts: list[Post], procs: int | None = None,
                pages: Sequence[dict[str, Any]] = ()) -> int:
    """Write posts, their quotes and images into a new index in build_dir; return documents written.

    Written by the bulk segment writer (bulk.py); with procs > 1 (both cores by default) in sub-processes,
    each writing its own segment of a contiguous share of the documents (parallel.py: no final merge).
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(build_dir), index_schema())
    procs = _procs() if procs is None else procs
    total = sum(1 + len(p.quotes) + len(p.images) + (1 if p.image else 0) for p in posts) + len(pages)
    writer = ParallelWriter(ix, procs, total, limitmb=WRITER_MB) if procs > 1 and total > PARALLEL_FROM else \
        BulkSegmentWriter(ix, limitmb=WRITER_MB * 2)
    written = 0
    try:
        for post in posts:
            for doc in _documents(post):
                writer.add_document(**doc)
                written += 1
        for record in pages:
            writer.add_document(**page_document(record))
            written += 1
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
    """Read the vocabularies of the unstemmed fields from an index reader (what the sidecar file holds)."""
    def terms(name: str) -> Any:
        for text, info in reader.iter_field(name):
            yield (text.decode("utf-8", "replace") if isinstance(text, bytes) else text), info.doc_frequency()

    return {name: vocabulary.Vocabulary(terms(name)) for name in ("words", "titlew")}


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


def _documents(post: Post) -> list[dict[str, Any]]:
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


def update_index(build_dir: Path, base_dir: Path, remove: list[str], add: list[Post],
                 add_pages: Sequence[dict[str, Any]] = ()) -> int:
    """Write build_dir as base_dir's index minus the posts in `remove` (ids) plus `add`, without rewriting it.

    The base's segment files are hard-linked (Whoosh never changes a written segment; deletions live in the new
    TOC), the new documents go into one small segment, and only small segments are merged, so the cost follows
    the size of the change, not of the site. A deleted document's words stay in Whoosh's term lists until its
    segment is merged, so the vocabulary sidecar is corrected: a word no live document has is dropped (an
    unpublished post's words must not come back as completions) and the counts of the others are exact.
    Returns the number of documents written.
    """
    storage.install()  # the base's segments are read in place: Whoosh would copy each sub-file into memory
    build_dir.mkdir(parents=True, exist_ok=True)
    for source in base_dir.iterdir():
        if not (source.name.startswith(("MAIN_", "_MAIN_")) and source.name != "MAIN_WRITELOCK"):
            continue
        try:
            os.link(source, build_dir / source.name)
        except OSError:  # a filesystem without hard links: a copy is slower but as safe
            shutil.copy2(source, build_dir / source.name)
    ix = index.open_dir(str(build_dir))
    written = 0
    base_vocabulary = vocabulary.load_counts(base_dir / SIDE_FILE, ix.latest_generation())
    delta: dict[str, dict[str, int]] = {}
    base_lengths = scoring.read_lengths(base_dir)
    fields = scoring.scorable_fields(ix.schema)
    try:
        texts = _stored_texts(ix, remove)
        with ix.searcher() as searcher:
            doomed = [d for post_id in remove for d in searcher.document_numbers(post=post_id)]
            removed_lengths = scoring.lengths_of(searcher.reader(), doomed, fields)
        if base_vocabulary:
            delta = _removed_counts(ix, remove, texts, base_vocabulary)
        writer = ix.writer(limitmb=128)
        try:
            for post_id in remove:
                writer.delete_by_term("post", post_id)  # the post and its quote and image documents (or a page)
            added = [doc for post in add for doc in _documents(post)] + [page_document(r) for r in add_pages]
            for doc in added:
                writer.add_document(**doc)
                written += 1
                if base_vocabulary:
                    _count_added(ix.schema, doc, base_vocabulary, delta)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=MERGE_SMALL)
        generation = ix.latest_generation()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            if base_lengths is None:
                scoring.write_full_lengths(build_dir, reader)
            else:  # the base's sums, minus what went, plus what came: the sums a fresh build would have
                keys = {p.id for p in add} | {page_key(r) for r in add_pages}
                fresh = [d for key in sorted(keys) for d in searcher.document_numbers(post=key)]
                added_lengths = scoring.lengths_of(reader, fresh, fields)
                docs, totals = base_lengths
                scoring.write_lengths(build_dir, docs - len(doomed) + len(fresh), {
                    name: totals.get(name, 0) - removed_lengths[name] + added_lengths[name] for name in fields})
    finally:
        ix.close()
    if base_vocabulary:  # exact counts from the base's exact counts: no walk over every word of the site
        vocabulary.save_counts(build_dir / SIDE_FILE, {
            name: _apply(counts, delta.get(name, {})) for name, counts in base_vocabulary.items()}, generation)
    else:
        write_sidecars(build_dir)
        _correct_vocabulary(build_dir, base_dir, texts)
    return written


def _removed_counts(ix: Any, post_ids: list[str], texts: list[str],
                    vocabularies: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Count, per vocabulary field and word, the documents of these posts that hold it (negative: to subtract)."""
    delta: dict[str, dict[str, int]] = {}
    with ix.searcher() as searcher:
        doomed = sorted(d for post_id in post_ids for d in searcher.document_numbers(post=post_id))
        if not doomed:
            return delta
        # Only the segments holding these posts are asked, each with its own numbers: a matcher over every
        # segment costs as much again for nothing.
        leaves = [(leaf, [d - base for d in doomed if base <= d < base + leaf.doc_count_all()],
                   postarrays.has_arrays(leaf)) for leaf, base in searcher.reader().leaf_readers()]
        for name, vocab in vocabularies.items():
            analyzer = ix.schema[name].analyzer if name in ix.schema else None
            if analyzer is None:
                continue
            words = {token.text for text in texts for token in analyzer(text, mode="index")} & vocab.keys()
            counts = delta.setdefault(name, {})
            to_bytes = ix.schema[name].to_bytes
            for word in words:
                held = sum(_held_by(leaf, name, to_bytes(word), local, arrays) for leaf, local, arrays in leaves
                           if local)
                if held:
                    counts[word] = counts.get(word, 0) - held
    return delta


def _held_by(leaf: Any, name: str, btext: bytes, docnums: list[int], arrays: bool) -> int:
    """Count the documents (ascending segment numbers, all live) of one segment that hold a term."""
    if arrays:  # one read of the term's raw ids instead of decoding its blocks
        found = postarrays.read(leaf, name, btext)
        if found is None:
            return 0
        return int(np.isin(np.asarray(docnums, dtype=found[0].dtype), found[0], assume_unique=True).sum())
    return _held(leaf.postings(name, btext), docnums) if (name, btext) in leaf else 0


def _held(matcher: Any, docnums: list[int]) -> int:
    """Count the documents (ascending numbers) a posting list holds, moving its matcher only forward."""
    held = 0
    for docnum in docnums:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            held += 1
    return held


def _count_added(schema: Any, doc: dict[str, Any], vocabularies: dict[str, dict[str, int]],
                 delta: dict[str, dict[str, int]]) -> None:
    for name in vocabularies:
        value = doc.get(name)
        if isinstance(value, str) and name in schema and schema[name].analyzer is not None:
            counts = delta.setdefault(name, {})
            for word in {token.text for token in schema[name].analyzer(value, mode="index")}:
                counts[word] = counts.get(word, 0) + 1


def _apply(vocab: dict[str, int], change: dict[str, int]) -> dict[str, int]:
    counts = dict(vocab)
    for word, n in change.items():
        counts[word] = counts.get(word, 0) + n
    return counts


def _stored_texts(ix: Any, post_ids: list[str]) -> list[str]:
    """Collect every text stored with the documents of these posts: a superset of the words they were indexed by."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    with ix.searcher() as searcher:
        for post_id in post_ids:
            for docnum in searcher.document_numbers(post=post_id):
                for value in searcher.stored_fields(docnum).values():
                    walk(orjson.loads(value) if isinstance(value, bytes) and value[:1] in (b"{", b"[") else value)
    return texts


def _correct_vocabulary(build_dir: Path, base_dir: Path, texts: list[str]) -> None:
    ix = index.open_dir(str(build_dir))
    try:
        found = vocabulary.load(build_dir / SIDE_FILE, ix.latest_generation())
        try:
            carried = orjson.loads((base_dir / TAINTED_FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            carried = {}
        if not found:
            return
        tainted: dict[str, list[str]] = {}
        with ix.reader() as reader:
            for name, vocab in found.items():
                analyzer = ix.schema[name].analyzer if name in ix.schema else None
                words = set(carried.get(name, ()))
                if analyzer is not None:
                    words.update(token.text for text in texts for token in analyzer(text))
                tainted[name] = sorted(words)
                live = {word: sum(1 for _ in reader.postings(name, word).all_ids()) if word in vocab else 0
                        for word in words}
                found[name] = vocabulary.Vocabulary(
                    (term, live.get(term, vocab.frequency[term])) for term in vocab.terms if live.get(term, 1) > 0)
        vocabulary.save(build_dir / SIDE_FILE, found, ix.latest_generation())
        (build_dir / TAINTED_FILE).write_bytes(orjson.dumps(tainted))
    finally:
        ix.close()
