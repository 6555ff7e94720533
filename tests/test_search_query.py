"""The reader's query parser: words, phrases, exclusions, OR, the prefix being typed, and the typo budget."""

from __future__ import annotations

import pytest

from service.search.query import MAX_QUERY_CHARS, MAX_TERMS, Clause, parse_user_query, respell, typo_budget


def test_plain_words_are_separate_groups_and_last_word_is_a_prefix() -> None:
    uq = parse_user_query("Grey Her")
    assert uq.groups == [[Clause(("grey",))], [Clause(("her",))]]
    assert uq.prefix == "her"
    assert uq.understood() == "grey her"


def test_trailing_space_means_the_last_word_is_finished() -> None:
    assert parse_user_query("grey heron ").prefix is None


def test_phrases_exclusions_and_or() -> None:
    uq = parse_user_query('"bird count" -drones tram OR bus')
    assert uq.groups == [[Clause(("bird", "count"), phrase=True)], [Clause(("tram",)), Clause(("bus",))]]
    assert uq.excluded == [Clause(("drones",))]
    assert uq.understood() == '"bird count" (tram OR bus) -drones'


def test_excluded_phrase_and_prefix_is_not_taken_from_a_phrase() -> None:
    uq = parse_user_query('heron -"dam path"')
    assert uq.excluded == [Clause(("dam", "path"), phrase=True)]
    assert uq.prefix is None  # the query ends in an excluded phrase


def test_unbalanced_quote_reads_to_the_end() -> None:
    uq = parse_user_query('"grey heron')
    assert uq.groups == [[Clause(("grey", "heron"), phrase=True)]]


@pytest.mark.parametrize("text", ["", "   ", "*", "~", "((", "-", '"', "OR", "AND OR", "\x00\x01", ":", "^3"])
def test_syntax_alone_is_an_empty_query(text: str) -> None:
    uq = parse_user_query(text)
    assert uq.empty or all(c.words for group in uq.groups for c in group)


def test_field_syntax_is_read_as_words() -> None:
    uq = parse_user_query("title:(heron")
    assert [c.words for group in uq.groups for c in group] == [("title", "heron")]


def test_dangling_or_is_ignored() -> None:
    assert parse_user_query("OR heron").groups == [[Clause(("heron",))]]
    assert parse_user_query("heron OR").groups == [[Clause(("heron",))]]


def test_long_input_is_truncated_and_terms_are_capped() -> None:
    uq = parse_user_query("word " * (MAX_QUERY_CHARS))
    assert uq.truncated
    assert len(uq.groups) <= MAX_TERMS


@pytest.mark.parametrize(("word", "typos"), [
    ("cat", 0), ("tram", 1), ("heron", 1), ("harbour", 1), ("marathon", 2), ("lighthouse", 2), ("1868", 0),
    ("b2b", 0), ("beta1", 1), ("2024", 0),
])
def test_typo_budget_follows_algolia(word: str, typos: int) -> None:
    # Algolia's defaults: one typo from 4 characters, two from 8; numbers as typed (a year is no typo of another)
    assert typo_budget(word) == typos


def test_respell_replaces_whole_words_only_and_keeps_the_rest() -> None:
    assert respell('Herron "bird count" -herronry', {"herron": "heron"}) == 'heron "bird count" -herronry'
    assert respell("herron", {}) == "herron"
