"""One analysis for the index and the query: every token shape the corpora hold finds its post as it is written."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from service.search import PostFilter, SearchRequest, analysis
from service.search.analysis import chunk_words, chunks, fold, spans
from tests.helpers import FIXTURES, indexed_app, write_post

SHAPES = FIXTURES / "token-shapes"
_EDGE = re.compile(r"^[\s!-/:-@\[-`{-~“”‘’«»…—–]+|[\s!-/:-@\[-`{-~“”‘’«»…—–]+$")
_SOLO = re.compile(r"[\u2600-\u27bf\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\U0001f000-\U0001faff]")
# How a reader may type each fixture post's words besides as written: the whole, the parts, joined, other forms.
OTHER_FORMS = {
    "version-numbers": ["4.4.1", "4.4", "jekyll 4.4", "jekyll 4.4.1 released", "v2.0.0", "beta1", "4.3.2"],
    "domain-names": ["cloud.gov", "cloud gov", "cloudgov", "usa.gov", "analytics", "login.gov", "node.js", "nodejs"],
    "email-addresses": ["press@example.gov", "example.gov", "jane.doe@agency.example.org", "jane doe", "email",
                        "agency.example.org"],
    "abbreviations-with-dots": ["f.u.d", "F.U.D.", "fud", "u.s", "U.S.", "d.c", "u.n", "e.g"],
    "hyphenated-words": ["evidence-based", "evidence based", "evidencebased", "user centered", "usercentered",
                         '"state of the art"', "rerun", "realtime", "well known"],
    "apostrophe-words": ["jekyll's", "jekyll’s", "jekyll", "don't", "dont", "o'reilly", "oreilly", "reilly",
                         "isn't", "maintainers"],
    "numbers-with-separators": ["1,000,000", "1000000", "250,000", "250000", "3.14", "2023"],
    "words-with-accents": ["café", "cafe", "CAFÉ", "são paulo", "sao paulo", "zoe", "nunez", "creme brulee",
                           "zurich", "champs-élysées", "champs elysees"],
    "emoji": ["🎉", "❤️", "❤", "👍", "🚀", "party 🎉"],
    "chinese-text": ["张君君", "君君", "贡献", "中文搜索", "林博仁", "感谢"],
    "japanese-text": ["なつき", "ブログ", "記事", "カタカナ", "日本語", "検索"],
}
# Typos and the word still being typed, on every shape: parts of compounds, words with apostrophes.
TYPED_LOOSELY = {
    "hyphenated-words": ["eviednce-based", "evidence-basde", "evidence-ba", "evid"],
    "domain-names": ["clod.gov", "analytcs.usa.gov", "cloud.g", "analytics.us"],
    "apostrophe-words": ["jekyl's", "jkeyll's", "o'reil", "jekyll'"],
    "version-numbers": ["4.4.", "jekyll 4.4.1 relea", "jekyll 4.4.1 relaesed"],
    "words-with-accents": ["caf", "são pau", "nuñes"],
    "email-addresses": ["press@exam", "jane.doe@agency.exampel.org"],
}


def typed(text: str) -> list[str]:
    """Split text at spaces into words as a reader types them, without the punctuation around each."""
    return [w for w in (_EDGE.sub("", raw) for raw in text.split()) if w]


# -- the analysis itself --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "parts", "variants"), [
    ("4.4.1", ("4", "4", "1"), ("4.4.1", "4.4")),
    ("Cloud.gov", ("cloud", "gov"), ("cloudgov", "cloud.gov")),
    ("analytics.usa.gov", ("analytics", "usa", "gov"),
     ("analyticsusagov", "analytics.usa.gov", "analytics.usa", "usa.gov")),
    ("F.U.D.", ("f", "u", "d"), ("fud", "f.u.d")),
    ("evidence-based", ("evidence", "based"), ("evidencebased",)),
    ("Jekyll's", ("jekyll",), ()),
    ("don’t", ("don", "t"), ("dont",)),
    ("1,000,000", ("1", "000", "000"), ("1000000",)),
    ("3.14", ("3", "14"), ("3.14",)),
    ("post_url", ("post", "url"), ("posturl",)),
    ("São", ("sao",), ()),
])
def test_a_chunk_is_its_parts_and_its_whole_forms(text: str, parts: tuple[str, ...], variants: tuple[str, ...]) -> None:
    (chunk,) = chunks(text)
    assert (chunk.parts, chunk.variants) == (parts, variants)


def test_scripts_without_spaces_and_emoji_are_a_word_per_character() -> None:
    expected = ["感", "谢", "张", "君", "君", "🎉", "👍", "な", "つ", "き"]  # the skin tone goes with its emoji
    assert [c.text for c in chunks("感谢张君君 🎉👍🏽 なつき")] == expected


def test_punctuation_around_words_and_between_them_splits() -> None:
    assert [c.text for c in chunks("(see https://jekyllrb.com/docs/, 12:30; a/b)")] == [
        "see", "https", "jekyllrb.com", "docs", "12", "30", "a", "b"]


def test_folding_is_nfkc_lower_case_without_accents() -> None:
    assert fold("ＡＢＣ ﬁle Crème Zürich O’Reilly &amp; &#39;") == "abc file creme zurich o'reilly & '"


# -- every token shape, through the real reindex and search ----------------------------------------
@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return indexed_app(SHAPES, tmp_path_factory.mktemp("token-shapes"))


def _found(app: Any, q: str, typos: bool = True) -> list[str]:
    params = {"q": q, "per_page": 50, **({} if typos else {"typos": "false"})}
    response = app.test_client().get("/api/search", query_string=params)
    assert response.status_code == 200, (q, response.get_json())
    return [hit["slug"] for hit in response.get_json()["items"]]


CASES = sorted(p.stem.split("-", 3)[3] for p in (SHAPES / "_posts").glob("*.md"))


def test_every_shape_has_a_fixture() -> None:
    assert set(CASES) == set(OTHER_FORMS)


@pytest.mark.parametrize("case", CASES)
def test_every_word_of_a_post_finds_it_typed_as_written(shapes: Any, case: str) -> None:
    slug = case
    post = shapes.test_client().get(f"/api/posts/{slug}").get_json()
    words = typed(f"{post['title']} {post['text']}")
    assert words
    for word in words:
        # finished (a space after it) with typos off: the analysis alone must match it; and while being typed
        assert slug in _found(shapes, word + " ", typos=False), word
        assert slug in _found(shapes, word), word
    for form in OTHER_FORMS[case]:
        assert slug in _found(shapes, form + " ", typos=False), form
        assert _found(shapes, form)[:1] == [slug], form
    for loose in TYPED_LOOSELY.get(case, []):
        assert _found(shapes, loose)[:1] == [slug], loose


def test_a_possessive_and_its_word_are_one(shapes: Any) -> None:
    assert _found(shapes, "jekyll's ") == _found(shapes, "jekyll ")


def test_a_chunk_is_written_whole_and_a_possessive_also_without_its_s() -> None:
    assert [c.written for c in chunks("Jekyll’s user-centered .gov it's cloud.gov's")] == [
        ("jekyll's", "jekyll"), ("user-centered",), ("gov",), ("it's", "it"), ("cloud.gov's", "cloud.gov")]
    assert chunks("18F's")[0].parts == chunks("18F")[0].parts  # the 's is no part: 18f's finds 18F


# Short titles score higher (BM25F): each word below, typed alone, is in a short title only inside a longer word or
# without the possessive's 's, and written as typed only in a long one.
WRITTEN_TITLES = {
    "18f-pages": "18F Pages", "18f-guides": "18F Guides",
    "18fs-onboarding": "How we dramatically improved 18F’s onboarding process in three months",
    "user-centered": "User-centered data", "user-experiences": "Mistakes to avoid in accessible user experiences",
    "fec-gov": "The new FEC.gov", "gov-domains": "The first .gov domains hardcoded into your browser as HTTPS",
    "doing-it-right": "Am I doing it right?", "its-leaner": "Now it's leaner, faster and multilingual than before",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Any:
    content = tmp_path_factory.mktemp("written-content")
    for n, (slug, title) in enumerate(WRITTEN_TITLES.items(), start=1):
        write_post(content, f"2024-02-{n:02d}-{slug}.md", f"title: \"{title}\"", "Some text.\n")
    return indexed_app(content, tmp_path_factory.mktemp("written-index"))


@pytest.mark.parametrize(("word", "first", "also"), [
    ("18f's", "18fs-onboarding", {"18f-pages", "18f-guides"}),
    ("18F’s ", "18fs-onboarding", {"18f-pages", "18f-guides"}),
    ("user", "user-experiences", {"user-centered"}),
    ("gov", "gov-domains", {"fec-gov"}),
    ("it's", "its-leaner", {"doing-it-right"}),
])
def test_a_word_typed_alone_ranks_titles_saying_it_as_written_first(written: Any, word: str, first: str,
                                                                     also: set[str]) -> None:
    found = _found(written, word)
    assert found[:1] == [first], found
    assert also <= set(found), found  # the word's other titles are still found, below


def test_a_word_finds_its_possessive_and_the_possessive_its_word(written: Any) -> None:
    assert set(_found(written, "18f ")) == set(_found(written, "18f's ")) == {"18f-pages", "18f-guides",
                                                                             "18fs-onboarding"}


def test_parts_are_marked_whole_in_highlights(shapes: Any) -> None:
    hit = shapes.test_client().get("/api/search?q=4.4.1").get_json()["items"][0]
    assert hit["highlights"]["title"] == "Jekyll <mark>4.4.1</mark> released"
    hit = shapes.test_client().get("/api/search?q=evidence+based").get_json()["items"][0]
    assert "<mark>evidence-based</mark>" in hit["highlights"]["title"]


# -- the real blogs: every shape they hold ---------------------------------------------------------
SHAPE_PATTERNS: dict[str, Callable[[str], bool]] = {
    "version": lambda w: bool(re.fullmatch(r"v?\d+(\.\d+)+(\.?[a-z]+\d*)?", w)),
    "domain": lambda w: bool(re.fullmatch(r"[\w-]+(\.[\w-]+)*\.(gov|com|org|io|net|edu|us|dev|js)", w, re.I)),
    "email": lambda w: bool(re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", w)),
    "abbreviation with dots": lambda w: bool(re.fullmatch(r"[A-Za-z](\.[A-Za-z])+\.?", w)),
    "hyphenated": lambda w: bool(re.fullmatch(r"[A-Za-z]+(-[A-Za-z]+)+", w)),
    "apostrophe": lambda w: bool(re.fullmatch(r"[A-Za-z]+['’][A-Za-z]+", w)),
    "number with separators": lambda w: bool(re.fullmatch(r"\d{1,3}(,\d{3})+", w)),
    "accents": lambda w: w.isalpha() and not w.isascii() and not _SOLO.search(w)
                         and any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", w)),
    "emoji or CJK": lambda w: bool(_SOLO.search(w)),
}
PER_SHAPE = 30


@pytest.mark.parametrize("corpus", ["jekyll-news", "18f-blog"])
def test_every_token_shape_of_a_real_blog_finds_its_post(corpus: str, corpus_app: Callable[[str], Any]) -> None:
    index = corpus_app(corpus).extensions["broadsheet.index"].get()
    first_post: dict[str, str] = {}
    summaries = index.list_posts(PostFilter(), "-date", 1, 10_000).items
    for summary in summaries:
        post = index.get_post(summary["slug"])
        for word in typed(f"{post['title']} {post['text']}"):
            first_post.setdefault(word, post["slug"])
    examples = {shape: sorted(w for w in first_post if matches(w)) for shape, matches in SHAPE_PATTERNS.items()}
    missed, tried = [], 0
    for words in examples.values():
        for word in words[:: max(1, len(words) // PER_SHAPE)][:PER_SHAPE]:
            tried += 1
            request = SearchRequest(q=word + " ", typos=False, filters=PostFilter(post=first_post[word]))
            if index.search(request).total == 0:
                missed.append((word, first_post[word]))
    print(f"\n{corpus}: {tried} words tried; words per shape: "
          + ", ".join(f"{shape} {len(words)}" for shape, words in examples.items()))
    assert not missed, missed


def test_suggestions_complete_compound_words_as_typed(shapes: Any) -> None:
    index = shapes.extensions["broadsheet.index"].get()
    titles = [s["text"] for s in index.suggest("onto cloud.g", 8) if s["kind"] == "title"]
    assert titles == ["Moving analytics.usa.gov onto cloud.gov"]
    titles = [s["text"] for s in index.suggest("evidence-b", 8) if s["kind"] == "title"]
    assert titles == ["An evidence-based look at user-centered design"]


def _random_texts(count: int, alphabet: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(count)]


_ASCII_ALPHABET = "abcXYZ019 .-'_@,;:/()!?\n\t\"&#" + "e" * 5 + " " * 5
_ANY_ALPHABET = _ASCII_ALPHABET + "éÉß’‘ʼ`感谢なカ🎉👍🏽ﬁ①ǅ\u0301"


@pytest.mark.parametrize("alphabet", [_ASCII_ALPHABET, _ANY_ALPHABET], ids=["ascii", "any"])
def test_the_ascii_chunk_pattern_cuts_as_the_general_one(alphabet: str) -> None:
    """ASCII text is cut by a pattern without the general one's per-character checks: the same chunks, offsets."""
    texts = _random_texts(3000, alphabet, seed=14) + [p.read_text() for p in sorted(SHAPES.rglob("*.md"))]
    for text in texts:
        folded = fold(text)
        assert chunk_words(text) == analysis._CHUNK.findall(folded), text
        general = [(m.start(), m.end(), m.group()) for m in analysis._CHUNK.finditer(folded)]
        if len(folded) == len(text):
            assert [(start, end, chunk.text) for start, end, chunk in spans(text)] == general, text
