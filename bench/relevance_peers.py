"""The peer engine of the relevance benchmark: tantivy (the Rust engine's Python bindings), set up as a search box.

The same posts go in (title; body = plain text plus category and tag names). A query is tokenized by the index's
own analyzer; each word matches in the title (boosted) or the body, fuzzily: distance 1 for 5-8 letters, 2 for
longer, a transposition costing one; the last word also as a prefix; the words are ORed and ranked by BM25.
Installed for the benchmark only (requirements-dev.txt); the service never imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TITLE_BOOSTS = (1.0, 2.0, 3.0, 5.0)  # tried on the dev half; the best is what the run reports


def _fuzzy_distance(word: str) -> int:
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


class TantivyPeer:
    """An in-memory tantivy index over the posts, answering known-item queries with post ids, best first."""

    name = "tantivy"

    def __init__(self, posts: Sequence[Any], title_boost: float = 2.0) -> None:
        import tantivy

        self._t = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=False, tokenizer_name="default")
        builder.add_text_field("body", stored=False, tokenizer_name="default")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)  # in RAM
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for post in posts:
            labels = " ".join([*post.categories, *post.tags])
            writer.add_document(tantivy.Document(id=post.id, title=post.title, body=f"{post.text}\n{labels}"))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        # the "default" tokenizer: split on anything not a letter or digit, drop long tokens, lower-case
        self.analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                         .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase()).build())
        self.title_boost = title_boost

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return version("tantivy")

    def _word(self, word: str, last: bool) -> Any:
        q, t = self._t.Query, self._t
        distance = _fuzzy_distance(word)
        fields = []
        for field, boost in (("title", self.title_boost), ("body", 1.0)):
            if distance or last:
                one = q.fuzzy_term_query(self.schema, field, word, distance=distance, transposition_cost_one=True,
                                         prefix=last)
            else:
                one = q.term_query(self.schema, field, word)
            fields.append((t.Occur.Should, q.boost_query(one, boost) if boost != 1.0 else one))
        return q.boolean_query(fields)

    def search(self, text: str, limit: int = 10) -> list[str]:
        tokens = self.analyzer.analyze(text)
        if not tokens:
            return []
        t = self._t
        words = [(t.Occur.Should, self._word(w, n == len(tokens) - 1)) for n, w in enumerate(tokens)]
        hits = self.searcher.search(t.Query.boolean_query(words), limit=limit).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]
