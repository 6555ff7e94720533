"""Array scoring ranks and scores exactly as Whoosh's matchers do, and leaves the word-order bonus out at scale."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from bench.corpus import generate, vocabulary
from service.search import PostFilter
from service.search.query import parse_user_query
from service.search.whoosh import arrays, reader
from service.search.whoosh.bits import Bits
from tests.helpers import indexed_app, write_post

POSTS = 400  # several posting blocks per common word, and a multi-segment build with an incremental update on top


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real index of generated posts (Zipf-distributed words, as the benchmark's), updated once incrementally."""
    root = tmp_path_factory.mktemp("arrays")
    content = generate(root / "content", POSTS, seed=11, jobs=1)
    indexed_app(content, root / "index")
    first = sorted((content / "_posts").iterdir())[0]
    first.write_text(first.read_text() + "\nOne sentence added after the build, so a segment has a deletion.\n")
    return indexed_app(content, root / "index")


def _queries(count: int) -> list[str]:
    rng = random.Random(5)
    words = list(vocabulary(seed=11).content_words)
    found = []
    for n in range(count):
        pool = words[:60] if n % 2 else words  # common words (thousands of postings) and any word
        typed = " ".join(rng.choice(pool) for _ in range(rng.choice((1, 2, 2, 3))))
        found.append(typed + (" " if n % 3 else ""))  # finished words, and a last word still being typed
    return [*found, "-" + words[0] + " " + words[1], words[2] + " OR " + words[3], words[4][:3]]


def test_arrays_rank_and_score_as_whoosh_does(generated: Any) -> None:
    with generated.app_context():
        ix = generated.extensions["broadsheet.index"].get()
        planner, sets, scorer = ix.planner(), ix.docsets(), ix.arrays()
        posts = ix.allowed("post", PostFilter())
        rank = ix.date_ranks(newest_first=True)
        compared = 0
        for typed in _queries(120):
            plan = planner.plan(parse_user_query(typed), True)
            for q in [] if plan is None else [plan.exact, plan.full, plan.corrected_only]:
                bits = sets.matches(q) & posts if q is not None else 0
                if not bits or not arrays.supported(q):
                    continue
                ours = sorted(scorer.top(q, bits, 15), key=lambda p: (-round(p[1], 6), rank[p[0]]))[:15]
                hits = ix._searcher.search(q, filter=Bits(bits), limit=40, optimize=True)
                theirs = sorted(((h.docnum, h.score) for h in hits), key=lambda p: (-round(p[1], 6), rank[p[0]]))[:15]
                assert [d for d, _ in ours] == [d for d, _ in theirs], typed
                assert all(abs(a - b) < 1e-9 for (_, a), (_, b) in zip(ours, theirs, strict=True)), typed
                compared += 1
        assert compared > 150  # the queries really were scored both ways


def test_a_word_scored_again_comes_from_the_union_cache_with_the_same_scores(generated: Any) -> None:
    with generated.app_context():
        ix = generated.extensions["broadsheet.index"].get()
        posts = ix.allowed("post", PostFilter())
        scorer = arrays.ArrayScorer(ix._searcher.reader(), ix._searcher, ix.docsets())  # empty caches
        plan = ix.planner().plan(parse_user_query(vocabulary(seed=11).content_words[0]), True)
        first = scorer.top(plan.exact, posts, 10)
        assert len(scorer._unions) >= 1  # the word in every field, joined once
        held = dict(scorer._unions.items())
        assert scorer.top(plan.exact, posts, 10) == first
        assert all(scorer._unions.get(k) is v for k, v in held.items())  # served from the cache, not made again
        fresh = arrays.ArrayScorer(ix._searcher.reader(), ix._searcher, ix.docsets())
        fresh._unions = type(fresh._unions)(0, lambda found: 1)  # a cache that keeps nothing
        assert fresh.top(plan.exact, posts, 10) == first


def test_the_word_order_bonus_is_left_out_only_above_the_threshold(make_app: Any, content_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write_post(content_dir, "2024-01-01-apart.md", "title: One",
               "Cranes lift. The harbour is busy; cranes, cranes and the harbour again, harbour.\n")
    write_post(content_dir, "2024-01-02-together.md", "title: Two", "The harbour cranes stood there.\n")
    app = make_app(content_dir)
    client = app.test_client()

    def first() -> str:
        return client.get("/api/search?q=harbour+cranes+").get_json()["items"][0]["slug"]

    assert first() == "together"  # the words side by side, in order, outrank more of them apart
    monkeypatch.setattr(reader, "PHRASE_BONUS_UNTIL", 2)
    assert make_app(content_dir, RESPONSE_CACHE_MB=0).test_client().get(
        "/api/search?q=harbour+cranes+").get_json()["items"][0]["slug"] == "apart"


def test_the_word_order_bonus_is_left_out_when_a_phrase_word_is_in_many_documents(
        make_app: Any, content_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_post(content_dir, "2024-01-01-apart.md", "title: One",
               "Cranes lift. The harbour is busy; cranes, cranes and the harbour again, harbour.\n")
    write_post(content_dir, "2024-01-02-together.md", "title: Two", "The harbour cranes stood there.\n")
    write_post(content_dir, "2024-01-03-other.md", "title: Three", "Only cranes here, cranes.\n")
    app = make_app(content_dir, RESPONSE_CACHE_MB=0)
    assert app.test_client().get("/api/search?q=harbour+cranes+").get_json()["items"][0]["slug"] == "together"
    monkeypatch.setattr(reader, "PHRASE_WORD_UNTIL", 3)  # "cranes" is in 3 posts: too many to walk its positions
    found = make_app(content_dir, RESPONSE_CACHE_MB=0).test_client().get("/api/search?q=harbour+cranes+").get_json()
    assert found["items"][0]["slug"] == "apart" and found["total"] == 2
    monkeypatch.setattr(reader, "PHRASE_WORD_UNTIL", 4)
    assert make_app(content_dir, RESPONSE_CACHE_MB=0).test_client().get(
        "/api/search?q=harbour+cranes+").get_json()["items"][0]["slug"] == "together"


def test_ranked_gives_top_and_the_bitset_count_from_one_scoring(generated: Any) -> None:
    with generated.app_context():
        ix = generated.extensions["broadsheet.index"].get()
        posts, sets = ix.allowed("post", PostFilter()), ix.docsets()
        checked = with_bonus = 0
        for typed in _queries(120):
            plan = ix.planner().plan(parse_user_query(typed), True)
            if plan is None:
                continue
            ranked = ix.ranked(plan.exact, posts, 20)
            if ranked is None:  # a shape the arrays do not score: the caller takes the bitset path
                assert not arrays.supported(arrays.without_phrase_bonus(plan.exact)), typed
                continue
            exact = sets.matches(plan.exact) & posts
            assert ranked == (ix.top(plan.exact, exact, 20), exact.bit_count()), typed
            checked += 1
            with_bonus += bool(arrays.phrase_bonuses(plan.exact))
        assert checked > 80 and with_bonus > 10  # single words and word pairs with their order bonus
