"""Facet counts (category, tag, year) over every match of a search, not just the page shown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from service.search.models import Manifest

FACETS = ("category", "tag", "author", "year")
FACET_LIMIT = 100  # values per facet, the most common first
Keys = tuple[tuple[str, ...], tuple[str, ...], str]  # category slugs, tag slugs, year of one document


def encode_keys(categories: Iterable[str], tags: Iterable[str], year: str) -> bytes:
    """Pack a document's facet values into the bytes stored in its index column."""
    return f"{','.join(categories)}|{','.join(tags)}|{year}".encode()


def decode_keys(raw: bytes) -> Keys:
    categories, tags, year = raw.decode().split("|", 2) if raw else ("", "", "")
    return (tuple(c for c in categories.split(",") if c), tuple(t for t in tags.split(",") if t), year)


class FacetTable:
    """Per-document facet values of one index, held in memory so counting is a loop over matches."""

    def __init__(self, rows: Sequence[bytes], manifest: Manifest) -> None:
        # Documents share few distinct combinations of values: number them, and count numbers (in C) first.
        numbers: dict[bytes, int] = {}
        self.combos: list[Keys] = []
        self.combo_of: list[int] = []
        for raw in rows:
            number = numbers.get(raw)
            if number is None:
                number = numbers[raw] = len(self.combos)
                self.combos.append(decode_keys(raw))
            self.combo_of.append(number)
        self.names = display_names(manifest)

    def count(self, docnums: Iterable[int], wanted: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Count each wanted facet's values over docnums."""
        per_combo = Counter(map(self.combo_of.__getitem__, docnums))
        counters = {name: Counter[str]() for name in wanted}
        categories, tags, years = counters.get("category"), counters.get("tag"), counters.get("year")
        for number, n in per_combo.items():
            row = self.combos[number]
            if categories is not None:
                for value in row[0]:
                    categories[value] += n
            if tags is not None:
                for value in row[1]:
                    tags[value] += n
            if years is not None and row[2]:
                years[row[2]] += n
        return {name: shape(counters[name], self.names.get(name, {}), by_value=name == "year") for name in wanted}


def display_names(manifest: Manifest) -> dict[str, dict[str, str]]:
    """Map category and tag slugs to the names authors wrote, from the build manifest."""
    return {"category": {c["slug"]: c["name"] for c in manifest.categories},
            "tag": {t["slug"]: t["name"] for t in manifest.tags},
            "author": {a["slug"]: a["name"] for a in manifest.authors}}


def shape(counts: Counter[str], names: dict[str, str], by_value: bool = False) -> list[dict[str, Any]]:
    """Turn raw counts into facet values with display names: most common first (years: newest first)."""
    if by_value:
        ordered = sorted(counts.items(), reverse=True)
    else:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0]).lower()))
    return [{"value": value, "slug": value, "name": names.get(value, value), "count": n}
            for value, n in ordered[:FACET_LIMIT] if n > 0]


def site_facets(manifest: Manifest, wanted: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Return the whole site's facet counts from the manifest, computed once at index time."""
    counts = {
        "category": Counter({c["slug"]: c["count"] for c in manifest.categories}),
        "tag": Counter({t["slug"]: t["count"] for t in manifest.tags}),
        "author": Counter({a["slug"]: a["count"] for a in manifest.authors}),
        "year": Counter[str](),
    }
    for entry in manifest.archive:
        counts["year"][f"{entry['year']:04d}"] += entry["count"]
    names = display_names(manifest)
    return {name: shape(counts[name], names.get(name, {}), by_value=name == "year") for name in wanted}
