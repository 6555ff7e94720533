"""Highlighting: marks around every matched word form, and snippets cut around the densest matches."""

from __future__ import annotations

from service.search.highlight import Marker
from service.search.whoosh.schema import stem_key


def _marker(*words: str) -> Marker:
    return Marker({stem_key(w) for w in words}, stem_key)


def test_mark_escapes_everything_but_the_marks() -> None:
    marked = _marker("heron").mark('Herons & <script>alert("x")</script> herons')
    assert marked == '<mark>Herons</mark> &amp; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>herons</mark>'
    assert "class=" not in marked


def test_every_word_form_of_a_stem_is_marked() -> None:
    assert _marker("library").mark("Libraries and the library's librarian") == (
        "<mark>Libraries</mark> and the <mark>library</mark>&#x27;s librarian")


def test_snippet_is_about_160_characters_around_the_densest_matches() -> None:
    text = ("Filler words about nothing in particular. " * 12 + "The grey heron nested on the island. "
            + "More filler follows here. " * 12 + "A lone heron again.")
    snippet = _marker("heron", "island").snippet(text)
    plain = snippet.replace("<mark>", "").replace("</mark>", "")
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>heron</mark> nested on the <mark>island</mark>" in snippet
    assert 100 <= len(plain) <= 175


def test_snippet_without_a_match_is_the_opening() -> None:
    text = "Opening words of the body. " * 20
    assert _marker("zebra").snippet(text).startswith("Opening words of the body.")


def test_short_text_is_whole_and_unmarked_stop_words_stay_plain() -> None:
    assert _marker("heron").snippet("The heron.") == "The <mark>heron</mark>."
    assert Marker(set(), stem_key, {"the"}).mark("The heron") == "<mark>The</mark> heron"


def test_ascii_texts_are_scanned_only_where_a_head_starts_with_the_same_marks() -> None:
    import random

    from service.search.whoosh.schema import mark_keys

    rng = random.Random(14)
    pieces = ["gov", "Gov", "GOV", "govern", "government's", "data", "Data-driven", "cloud.gov", "4.4.1", "v4.4",
              "e-mail", "it's", "18F’s", "x", "under_score", "  ", ", ", ".", "-", "@", "'", "’", "re-use",
              "data.gov.uk", "datas", "the", "them", "théâtre", "日本"]
    compared = shared = 0
    for _ in range(400):
        words = rng.sample(["gov", "data", "the", "4.4.1", "cloud.gov", "under", "it's", "reuse", "mail"], 2)
        marker = Marker(set().union(*(mark_keys(w) for w in words)), mark_keys, rng.sample(["the", "it"], 1),
                        rng.choice([(), ("da",)]))
        some = pieces if rng.random() < 0.25 else [p for p in pieces if p.isascii()]
        text = "".join(rng.choice(some) + rng.choice([" ", "", ".", ", "]) for _ in range(rng.randrange(1, 40)))
        assert marker._candidates is not None
        expected = [(m.start(), m.end()) for m in marker._candidates.finditer(text)]
        fast = marker._heads is not None and text.isascii()
        got = marker.spans(text)
        if fast:
            from service.search.highlight import _matches_at_heads

            assert [(m.start(), m.end()) for m in _matches_at_heads(marker._candidates, marker._heads, text)] \
                == expected, (words, text)
            compared += 1
            if marker._at_heads is not None:  # the one shared pattern, tried at the heads, finds the same words
                assert [(m.start(), m.end()) for m in _matches_at_heads(marker._at_heads, marker._heads, text)] \
                    == expected, (words, text)
                shared += 1
        assert all((s, e) in expected for s, e, _ in got)
    assert compared > 200
    assert shared > 50
