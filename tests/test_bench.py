"""The benchmark corpus generator: deterministic, and its posts read cleanly with the seed post's shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpus import EDITING, cached_corpus, edited_post, generate, post_text, vocabulary
from bench.load import workloads
from bench.report import markdown
from service.content.loader import load_content

COUNT = 24


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("bench") / "corpus", COUNT, seed=3, jobs=1)


def test_same_seed_gives_the_same_bytes_serial_or_parallel(corpus: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", COUNT, seed=3, jobs=2)
    assert _files(again) == _files(corpus)


def test_an_edited_post_is_put_back_even_after_a_killed_run(tmp_path: Path) -> None:
    corpus, reused = cached_corpus(COUNT, seed=3, cache_dir=tmp_path)
    assert not reused
    before = _files(corpus)
    with edited_post(corpus, seed=3) as victim:
        assert victim.read_bytes() != before[f"_posts/{victim.name}"]
    assert _files(corpus) == before
    # A run killed mid-edit leaves the marker and the changed post; the next use of the cache repairs it.
    (corpus / EDITING).write_text(victim.name)
    victim.write_text("broken", encoding="utf-8")
    again, reused = cached_corpus(COUNT, seed=3, cache_dir=tmp_path)
    assert reused and again == corpus
    assert _files(corpus) == before


def test_another_seed_gives_other_posts() -> None:
    assert post_text(0, seed=3) != post_text(0, seed=4)
    assert post_text(0, seed=3) == post_text(0, seed=3)


def test_every_post_loads_without_problems(corpus: Path) -> None:
    result = load_content(corpus)
    assert [str(p) for p in result.problems if p.severity == "error"] == []
    assert len(result.posts) == COUNT
    assert len({p.slug for p in result.posts}) == COUNT


def test_posts_have_the_seed_posts_shapes(corpus: Path) -> None:
    posts = load_content(corpus).posts
    assert all(p.categories and p.title and p.date.tzinfo for p in posts)
    assert sum(bool(p.image) for p in posts) > COUNT // 2
    quotes = [q for p in posts for q in p.quotes]
    attributed = [q for q in quotes if q.attribution]
    assert attributed and all(q.attribution not in q.text for q in attributed)
    assert any(p.links for p in posts) and any(p.images for p in posts) and any(p.toc for p in posts)
    words = [p.word_count for p in posts]
    assert 300 < sum(words) / len(words) < 1000


def test_workloads_ask_only_for_words_slugs_and_categories_of_the_corpus(corpus: Path) -> None:
    posts = load_content(corpus).posts
    slugs = [p.slug for p in posts]
    loads = {w.name: w for w in workloads(vocabulary(3), slugs, ["news"], seed=3)}
    assert loads["search_uniform"].distinct == len(loads["search_uniform"].paths)  # all distinct: uncached
    assert {p.rsplit("/", 1)[1] for p in loads["post"].paths} <= set(slugs)
    assert loads["category"].paths == ["/api/categories/news"]
    text = " ".join(p.text.lower() for p in posts)
    zipf_words = [q.split("=", 1)[1].split("+")[0] for q in loads["search_zipf"].paths[:50]]
    assert sum(w in text for w in zipf_words) > 40  # frequent words, so nearly all occur even in 24 posts


def test_report_renders_a_partial_run() -> None:
    results = {
        "date": "2026-01-01T00:00:00+00:00", "command": "python -m bench.run", "total_s": 1.0,
        "machine": {"nproc": 2, "cpu": "test", "memory_mb": 1024, "python": "3.11", "wrk": "wrk 4", "commit": "abc"},
        "settings": {"workers": 2, "worker_class": "sync", "wrk_threads": 1, "connections": 4,
                     "seconds_per_endpoint": 1},
        "corpora": [{"posts": 10_000, "startup_s": 0.5, "rss_idle_mb": [80.0], "ceiling": {"rps": 100.0},
                     "reindex": {"full": {"seconds": 40.0}}, "endpoints": {}}],
    }
    text = markdown(results)
    assert "| full reindex | <= 30 s | 40.00 s | **no** |" in text
    assert "| worker start-up to first response | <= 1 s | 0.50 s | yes |" in text
