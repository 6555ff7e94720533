"""Phrases matched from positions over the documents holding every word find what Whoosh's span matchers find."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from whoosh.query import Phrase

from service.indexing import reindex
from service.search.whoosh import phrases, postarrays
from service.search.whoosh.bits import Bits, bits_of
from tests.helpers import indexed_app, write_post

WORDS = ["heron", "tide", "lantern", "storm", "keeper"]


def test_phrases_match_as_whooshs_spans_do_with_deletions_and_repeats(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "content", tmp_path / "index"
    rng = random.Random(11)
    for n in range(40):
        body = " ".join(rng.choice(WORDS) for _ in range(30))
        write_post(content, f"2021-02-{1 + n % 28:02d}-post-{n}.md", f"title: {rng.choice(WORDS)} {rng.choice(WORDS)}",
                   body)
    reindex(content, index_dir)
    for n in range(3):  # edits and a removal: the served build then has a segment with deleted documents
        path = next((content / "_posts").glob(f"*-post-{n}.md"))
        path.write_text(f"---\ntitle: edited {n}\n---\n{'heron tide ' * (n + 1)}storm storm keeper\n", encoding="utf-8")
    next((content / "_posts").glob("*-post-7.md")).unlink()
    assert reindex(content, index_dir).mode != "full"
    index = indexed_app(content, index_dir, skip_reindex=True).extensions["broadsheet.index"].get()
    searcher, sets = index._searcher, index.docsets()
    leaves = list(searcher.reader().leaf_readers())
    assert any(sub.has_deletions() for sub, _ in leaves), "the update left no deleted documents to skip"
    assert any(postarrays.has_arrays(sub) for sub, _ in leaves)
    schema = searcher.schema
    checked = matched = raw_checked = 0
    for field in ("body", "title", "words"):
        for length in (1, 2, 3):
            for words in itertools.product(WORDS[:4], repeat=length):  # repeats too: "storm storm"
                q = Phrase(field, list(words))
                assert phrases.native(q, schema)
                holding = 0
                for word in words:
                    bits = sets.term(field, word)
                    holding = bits if not holding else holding & bits
                ours = phrases.phrase_bits(q, leaves, schema, list(Bits(holding)))
                assert ours == bits_of(searcher.docs_for_query(q)), q
                for sub, _ in leaves:  # the raw positions and Whoosh's matchers, over every live document
                    btexts = [schema[field].to_bytes(w) for w in words]
                    live = [d for d in range(sub.doc_count_all()) if not sub.is_deleted(d)]
                    raw = phrases._matching_raw(sub, field, btexts, live)
                    if raw is not None and all((field, b) in sub for b in btexts):
                        assert raw == phrases._matching(sub, field, btexts, live), q
                        raw_checked += 1
                assert sets.matches(q) == ours, q
                checked += 1
                matched += ours != 0
    assert checked == 3 * (4 + 16 + 64) and matched > checked // 3
    assert raw_checked >= 2 * (4 + 16 + 64)  # body and title keep raw positions in the bulk-written segment
    assert not phrases.native(Phrase("body", ["heron", "tide"], slop=2), schema)
    assert not phrases.native(Phrase("titlepre", ["her"]), schema)  # a field without positions
