"""Facet counting: multi-valued fields with display names, and site-wide facets from the manifest."""

from __future__ import annotations

from service.search import Manifest
from service.search.facets import FacetTable, encode_keys, site_facets


def test_facet_table_counts_multi_valued_fields_with_display_names() -> None:
    manifest = Manifest(categories=[{"name": "City Hall", "slug": "city-hall", "count": 2}],
                        tags=[{"name": "Bikes", "slug": "bikes", "count": 1}])
    rows = [encode_keys(["city-hall", "transport"], ["bikes"], "2023"), encode_keys(["city-hall"], [], "2024"),
            encode_keys([], [], "2024")]
    counted = FacetTable(rows, manifest).count([0, 1, 2], ("category", "tag", "year"))
    assert counted["category"][0] == {"value": "city-hall", "slug": "city-hall", "name": "City Hall", "count": 2}
    assert [v["value"] for v in counted["category"]] == ["city-hall", "transport"]
    assert counted["tag"] == [{"value": "bikes", "slug": "bikes", "name": "Bikes", "count": 1}]
    assert [(v["value"], v["count"]) for v in counted["year"]] == [("2024", 2), ("2023", 1)]


def test_site_facets_come_from_the_manifest() -> None:
    manifest = Manifest(categories=[{"name": "A", "slug": "a", "count": 3}], tags=[],
                        archive=[{"year": 2024, "month": 5, "count": 2}, {"year": 2024, "month": 1, "count": 1}])
    assert site_facets(manifest, ("category", "year")) == {
        "category": [{"value": "a", "slug": "a", "name": "A", "count": 3}],
        "year": [{"value": "2024", "slug": "2024", "name": "2024", "count": 3}]}
