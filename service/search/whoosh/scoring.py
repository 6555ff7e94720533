"""BM25F over the live documents only, so an incrementally updated build scores exactly as a fresh one.

Whoosh counts a deleted document in its statistics (document count, document frequency, field length totals)
until its segment is merged, and a fresh build sums exact field lengths while only quantized per-document
lengths survive in the index. Here every build carries the sums of the quantized lengths of its live
documents (a sidecar written with it, kept exact by integer arithmetic across incremental updates) and
scoring takes the document count and frequencies of live documents: equal content, equal scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from math import log
from pathlib import Path
from typing import Any

import orjson
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

# Block-quality skipping: only the top page*per_page (or the related pool) are scored in full; counts come from
# bitsets, unscored.
OPTIMIZE = True
LENGTHS_FILE = "lengths.json"


def scorable_fields(schema: Any) -> list[str]:
    return sorted(name for name, field in schema.items() if field.scorable)


def lengths_of(reader: Any, docnums: Iterable[int], fields: list[str]) -> dict[str, int]:
    """Sum the stored (quantized) lengths of these documents, per scorable field."""
    totals = dict.fromkeys(fields, 0)
    docs = list(docnums)
    for name in fields:
        totals[name] = sum(reader.doc_field_length(d, name) or 0 for d in docs)
    return totals


def write_lengths(build_dir: Path, docs: int, totals: dict[str, int]) -> None:
    (build_dir / LENGTHS_FILE).write_bytes(orjson.dumps({"docs": docs, "fields": totals},
                                                        option=orjson.OPT_SORT_KEYS))


def read_lengths(build_dir: Path) -> tuple[int, dict[str, int]] | None:
    try:
        found = orjson.loads((build_dir / LENGTHS_FILE).read_bytes())
        return int(found["docs"]), {str(k): int(v) for k, v in found["fields"].items()}
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # a build from before the sidecar: Whoosh's own statistics


def write_full_lengths(build_dir: Path, reader: Any) -> None:
    """Write the sidecar of a freshly written index: every live document counted, segment by segment."""
    fields = scorable_fields(reader.schema)
    totals = dict.fromkeys(fields, 0)
    for leaf, _ in reader.leaf_readers():
        for name, total in lengths_of(leaf, leaf.all_doc_ids(), fields).items():
            totals[name] += total
    write_lengths(build_dir, reader.doc_count(), totals)


class LiveBM25F(BM25F):
    """BM25F whose collection statistics are those of the live documents (see the module docstring)."""

    def __init__(self, docs: int, lengths: dict[str, int], doc_frequency: Callable[[str, Any], int]) -> None:
        super().__init__()
        self._docs = docs
        self._avg = {name: total / (docs or 1) for name, total in lengths.items()}
        self._frequency = doc_frequency

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        return log(self._docs / (self._frequency(fieldname, text) + 1)) + 1

    def constants(self, searcher: Any, fieldname: str, text: Any) -> tuple[float, float, float, float]:
        """Return what _LiveScorer scores a term's postings with (idf, K1, B, average length), without making one
        (a scorer's set-up merges the term's info from every segment: 150 us, most of reading a cached term)."""
        return searcher.get_parent().idf(fieldname, text), self.K1, self.B, self._avg.get(fieldname, 0.0) or 1

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _LiveScorer(searcher, fieldname, text, self.B, self.K1, qf, self._avg.get(fieldname, 0.0) or 1)


class _LiveScorer(BM25FScorer):
    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float,
                 avgfl: float) -> None:
        self.idf = searcher.get_parent().idf(fieldname, text)
        self.avgfl = avgfl
        self.B, self.K1, self.qf = B, K1, qf
        self.setup(searcher, fieldname, text)
