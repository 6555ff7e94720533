"""The vocabulary behind typos and completions: the typo budget, most-used first, and saved generations."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rapidfuzz.distance import OSA

from bench.corpus import vocabulary as made_up
from service.search import vocabulary
from service.search.vocabulary import Vocabulary, load_counts, save


@pytest.fixture
def vocab() -> vocabulary.Vocabulary:
    return vocabulary.Vocabulary([("heron", 5), ("herons", 2), ("hero", 9), ("lighthouse", 3), ("marathon", 4),
                                  ("mark", 7), ("market", 8), ("march", 1), ("cat", 3)])


def test_corrections_respect_the_budget_and_the_first_letter(vocab: vocabulary.Vocabulary) -> None:
    assert [t for t, _ in vocab.corrections("herron", 1, 5)] == ["heron"]
    assert vocab.corrections("lihgthuose", 1, 5) == []
    assert vocab.corrections("lihgthouse", 2, 5) == [("lighthouse", 1)]  # a swap is one typo
    assert vocab.corrections("geron", 1, 5) == []  # a first-letter typo is not looked for
    assert vocab.corrections("cat", 0, 5) == []


def test_completions_most_used_first(vocab: vocabulary.Vocabulary) -> None:
    assert vocab.completions("mar", 3) == ["market", "mark", "marathon"]
    assert vocab.completions("zz", 3) == []


def test_saved_vocabulary_is_ignored_for_another_generation(tmp_path: Path, vocab: vocabulary.Vocabulary) -> None:
    path = tmp_path / vocabulary.FILE
    vocabulary.save(path, {"words": vocab}, generation=3)
    loaded = vocabulary.load(path, 3)
    assert loaded is not None and loaded["words"].terms == vocab.terms
    assert vocabulary.load(path, 4) is None
    assert vocabulary.load(tmp_path / "absent.json", 3) is None


def test_corrections_are_remembered_per_word_and_equal_a_fresh_scan(vocab: vocabulary.Vocabulary) -> None:
    first = vocab.corrections("herron", 2, 5)
    assert vocab.corrections("herron", 2, 5) is first  # remembered: no second scan
    fresh = vocabulary.Vocabulary((t, vocab.frequency[t]) for t in vocab.terms)
    assert fresh.corrections("herron", 2, 5) == first
    assert vocab.corrections("herron", 2, 1) == first[:1]  # another limit is its own answer
    assert vocab.corrections("herron", 0, 5) == []


def test_counts_change_a_few_words_and_save_what_a_fresh_vocabulary_would(tmp_path: Path) -> None:
    start = {"words": Vocabulary([("heron", 3), ("egret", 1), ("tram", 2)])}
    save(tmp_path / "base.json", start, generation=4)
    counts = load_counts(tmp_path / "base.json", generation=4)
    assert counts is not None and counts.has("words", "heron") and not counts.has("words", "crane")
    assert load_counts(tmp_path / "base.json", generation=5) is None  # another generation's file
    counts.apply({"words": {"egret": -1, "crane": 2, "heron": 1, "zebu": -1}})  # gone, new, changed, never there
    counts.save(tmp_path / "edited.json", generation=5)
    fresh = {"words": Vocabulary([("crane", 2), ("heron", 4), ("tram", 2)])}
    save(tmp_path / "fresh.json", fresh, generation=5)
    assert (tmp_path / "edited.json").read_bytes() == (tmp_path / "fresh.json").read_bytes()


def test_corrections_found_by_length_equal_a_scan_of_every_word_with_the_first_letter() -> None:
    words = made_up(seed=3).content_words[:4000]
    vocab = Vocabulary((w, 1 + n % 7) for n, w in enumerate(words))
    rng = random.Random(2)
    for word in rng.sample(words, 60) + ["a", "ab", words[0] + "x", words[1][:-1]]:
        for typos in (1, 2):
            near = [(t, OSA.distance(word, t)) for t in vocab.terms if t[:1] == word[:1] and t != word]
            expected = sorted(((t, d) for t, d in near if d <= typos),
                              key=lambda pair: (pair[1], -vocab.frequency[pair[0]], pair[0]))[:8]
            assert vocab.corrections(word, typos, 8) == expected, (word, typos)
