"""Write a build as the served one changed by a few posts: its segments linked, the edit's documents in one new
segment, the vocabulary and length sums corrected from the base's (service/patch.py's and the incremental path's
writer; writer.py writes whole builds)."""

from __future__ import annotations

import bisect
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from whoosh import index
from whoosh.reading import SegmentReader
from whoosh.writing import NO_MERGE, SegmentWriter

from service.content.models import Post
from service.search import vocabulary
from service.search.documents import page_key
from service.search.whoosh import postarrays, scoring, storage
from service.search.whoosh.bulk import BulkSegmentWriter
from service.search.whoosh.writer import SIDE_FILE, page_document, post_documents, write_sidecars

TAINTED_FILE = "tainted-terms.json"  # words of deleted documents, until a full build forgets them
SMALL_SEGMENT_DOCS = 1000  # documents: a segment this small was written by edits, not by a build
MERGE_SMALL_AT = 5  # small segments, the edit's own counted: from this many they are merged into one


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
        with ix.searcher() as searcher:  # one lookup of the removed documents, for their texts, lengths and words
            doomed = sorted(d for post_id in remove for d in searcher.document_numbers(post=post_id))
            texts = _stored_texts(searcher, doomed)
            removed_lengths = scoring.lengths_of(searcher.reader(), doomed, fields)
            if base_vocabulary:
                delta = _removed_counts(searcher, doomed, texts, base_vocabulary)
        writer, policy = _update_writer(ix)
        try:
            for post_id in remove:
                writer.delete_by_term("post", post_id)  # the post and its quote and image documents (or a page)
            added = [doc for post in add for doc in post_documents(post)] + [page_document(r) for r in add_pages]
            for doc in added:
                writer.add_document(**doc)
                written += 1
                if base_vocabulary:
                    _count_added(ix.schema, doc, base_vocabulary, delta)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=policy)
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
        base_vocabulary.apply({name: changes for name, changes in delta.items() if name in base_vocabulary.fields})
        base_vocabulary.save(build_dir / SIDE_FILE, generation)
    else:
        write_sidecars(build_dir)
        _correct_vocabulary(build_dir, base_dir, texts)
    return written


def _update_writer(ix: Any) -> tuple[SegmentWriter, Any]:
    """Return the writer for an edit's documents and the merge policy its commit applies.

    The bulk writer gives the edit's segment what a build's have (term table, raw arrays and positions), so
    searches never fall back to Whoosh's term lookups for it; once small segments pile up, Whoosh's writer
    merges them into the edit's segment (the bulk writer cannot merge; that one segment has no table until the
    next full build or merge).
    """
    small = [s for s in ix._read_toc().segments if s.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) + 1 < MERGE_SMALL_AT:
        return BulkSegmentWriter(ix, limitmb=128), NO_MERGE
    return ix.writer(limitmb=128), _merge_small


def _merge_small(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: merge every small segment into the one being written; keep the build's."""
    kept = []
    for segment in segments:
        if segment.doc_count_all() < SMALL_SEGMENT_DOCS:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
        else:
            kept.append(segment)
    return kept


def _removed_counts(searcher: Any, doomed: list[int], texts: list[str],
                    vocabularies: vocabulary.Counts) -> dict[str, dict[str, int]]:
    """Count, per vocabulary field and word, the removed documents (ascending numbers) that hold it (negative)."""
    delta: dict[str, dict[str, int]] = {}
    if not doomed:
        return delta
    schema = searcher.schema
    # Only the segments holding these posts are asked, each with its own numbers: a matcher over every
    # segment costs as much again for nothing.
    leaves = [(leaf, [d - base for d in doomed if base <= d < base + leaf.doc_count_all()],
               postarrays.has_arrays(leaf)) for leaf, base in searcher.reader().leaf_readers()]
    for name in vocabularies.fields:
        analyzer = schema[name].analyzer if name in schema else None
        if analyzer is None:
            continue
        words = {word for word in {token.text for text in texts for token in analyzer(text, mode="index")}
                 if vocabularies.has(name, word)}
        counts = delta.setdefault(name, {})
        to_bytes = schema[name].to_bytes
        for word in words:
            held = sum(_held_by(leaf, name, to_bytes(word), local, arrays) for leaf, local, arrays in leaves
                       if local)
            if held:
                counts[word] = counts.get(word, 0) - held
    return delta


def _held_by(leaf: Any, name: str, btext: bytes, docnums: list[int], arrays: bool) -> int:
    """Count the documents (ascending segment numbers, all live) of one segment that hold a term."""
    if arrays:  # one read of the term's raw ids instead of decoding its blocks; a post has a few documents
        ids = postarrays.read_ids(leaf, name, btext)
        if ids is None:
            return 0
        return sum(1 for d in docnums if (at := bisect.bisect_left(ids, d)) < len(ids) and ids[at] == d)
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


def _count_added(schema: Any, doc: dict[str, Any], vocabularies: vocabulary.Counts,
                 delta: dict[str, dict[str, int]]) -> None:
    for name in vocabularies.fields:
        value = doc.get(name)
        if isinstance(value, str) and name in schema and schema[name].analyzer is not None:
            counts = delta.setdefault(name, {})
            for word in {token.text for token in schema[name].analyzer(value, mode="index")}:
                counts[word] = counts.get(word, 0) + 1


def _stored_texts(searcher: Any, docnums: list[int]) -> list[str]:
    """Collect every text stored with these documents: a superset of the words they were indexed by."""
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

    for docnum in docnums:
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
