"""The other-Whoosh-package benchmark: its venv's requirements, its latency summary and its lines in the report."""

from __future__ import annotations

import pytest

from bench.engines import PIN, answers_digest, latency_summary, pinned, queries, swapped_requirements
from bench.report import markdown
from tests.helpers import REPO

REQUIREMENTS = "# Runtime\nFlask==3.1.3\nwhoosh-reloaded==2.7.5\nnumpy==2.4.6  # arrays\n"


def test_only_the_whoosh_line_is_swapped() -> None:
    swapped = swapped_requirements(REQUIREMENTS, "whoosh-ng==5.4.0")
    assert swapped == "# Runtime\nFlask==3.1.3\nwhoosh-ng==5.4.0\nnumpy==2.4.6  # arrays\n"
    assert swapped_requirements(swapped, "whoosh-reloaded==2.7.5") == REQUIREMENTS  # and back, after a switch


def test_a_requirements_file_without_one_whoosh_line_is_refused() -> None:
    with pytest.raises(ValueError):
        swapped_requirements("Flask==3.1.3\nwhooshy==1.0\n", "whoosh-ng==5.4.0")
    with pytest.raises(ValueError):
        swapped_requirements("whoosh==2.7.4\nwhoosh-ng==5.4.0\n", "whoosh-ng==5.4.0")


def test_the_repository_pins_swap_cleanly() -> None:
    pin = pinned(PIN.read_text(encoding="utf-8"))
    assert pin.startswith("whoosh")
    swapped = swapped_requirements((REPO / "requirements.txt").read_text(encoding="utf-8"), pin)
    assert pin in swapped.splitlines()
    with pytest.raises(ValueError):
        pinned("# nothing\n\n")


def test_latency_summary_takes_nearest_ranks() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100 in any order
    assert latency_summary(values) == {"p50": 50.0, "p99": 99.0, "mean": 50.5, "n": 100}
    assert latency_summary([3.0]) == {"p50": 3.0, "p99": 3.0, "mean": 3.0, "n": 1}
    assert latency_summary([]) == {}


def test_answers_digest_sees_order_and_totals() -> None:
    one = [(200, 3, ["a", "b"])]
    assert answers_digest(one) == answers_digest([(200, 3, ["a", "b"])])
    assert answers_digest(one) != answers_digest([(200, 3, ["b", "a"])])
    assert answers_digest(one) != answers_digest([(200, 4, ["a", "b"])])


def test_queries_are_the_uniform_searches() -> None:
    found = queries(7, 50)
    assert len(found) == 50 == len(set(found))
    assert all(q.startswith("/api/search?q=") for q in found)


def test_report_renders_the_packages_side_by_side() -> None:
    package = {"reindex": [{"seconds": 41.2}, {"seconds": 43.0}], "reindex_median_s": 42.1,
               "reindex_cpu_median_s": 75.0,
               "search": {"p50": 4.2, "p99": 11.0}, "errors": 0}
    results = {
        "date": "2026-01-01T00:00:00+00:00", "command": "python -m bench.run", "total_s": 1.0,
        "machine": {"nproc": 2, "cpu": "test", "memory_mb": 1024, "python": "3.11", "wrk": "wrk 4", "commit": "abc"},
        "settings": {"workers": 2, "worker_class": "sync", "wrk_threads": 1, "connections": 4,
                     "seconds_per_endpoint": 1},
        "corpora": [{"posts": 10_000, "endpoints": {}, "engines": {
            "rounds": 2, "latency_rounds": 3, "searches": 300, "differing_answers": 0,
            "packages": {"pinned": {**package, "package": "Whoosh-Reloaded 2.7.5"},
                         "other": {**package, "package": "whoosh-ng 5.4.0", "errors": 2}}}}],
    }
    text = markdown(results)
    assert "| Whoosh-Reloaded 2.7.5 | 42.10 s (41.2, 43.0) | 75.00 s | 4.20 | 11.00 | 0 |" in text
    assert "| whoosh-ng 5.4.0 | 42.10 s (41.2, 43.0) | 75.00 s | 4.20 | 11.00 | 2 |" in text
    assert "differ between the packages: 0 of 300" in text
