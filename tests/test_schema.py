"""The index fields' analysers: the bulk writer's gathered positions are the token stream Whoosh indexes."""

from __future__ import annotations

import random

import pytest

from service.search.whoosh.schema import ShapeTokenizer
from tests.helpers import FIXTURES, REPO

_WORDS = ["the", "a", "of", "Jekyll's", "4.4.1", "cloud.gov", "F.U.D.", "evidence-based", "1,000", "don’t", "café",
          "感谢", "🎉", "post_url", "jane@example.gov", "I", "x", "running", "runs", "São", "U.S.", "ﬁle", "&amp;",
          "analytics.usa.gov", "a.b.c.d.e.f.g.h", "--", "'s", "...", "42"]


def _texts() -> list[str]:
    rng = random.Random(7)
    made = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 60))) for _ in range(400)]
    files = sorted((FIXTURES / "token-shapes").rglob("*.md")) + sorted((REPO / "content" / "_posts").glob("*.md"))
    return made + [path.read_text() for path in files]


def _stream(tokenizer: ShapeTokenizer, text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in tokenizer(text, positions=True, mode="index"):
        found.setdefault(token.text, []).append(token.pos)
    return found


@pytest.mark.parametrize("stemmed", [True, False], ids=["stemmed", "unstemmed"])
def test_positions_are_the_token_stream_gathered(stemmed: bool) -> None:
    tokenizer = ShapeTokenizer(stemmed)
    for text in _texts():
        assert tokenizer.positions(text) == _stream(tokenizer, text), text
        assert tokenizer.positions(text) == _stream(tokenizer, text), text  # the remembered chunks give the same


def test_positions_skip_stop_words_only_where_the_field_drops_them() -> None:
    assert ShapeTokenizer(True).positions("the art of the state") == {"art": [0], "state": [1]}
    assert ShapeTokenizer(False).positions("the art of the state") == {"the": [0, 3], "art": [1], "of": [2],
                                                                      "state": [4]}
