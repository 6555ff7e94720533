"""The worker-model comparison: what it asks gunicorn for, and how it reports."""

from __future__ import annotations

from bench.workers import ENDPOINTS, Model, configured_worker, table


def test_models_become_gunicorn_arguments() -> None:
    assert Model("sync").args == "--worker-class sync --threads 1"  # else gunicorn runs gthread
    assert Model("gthread:8").args == "--worker-class gthread --threads 8"
    assert Model("default").args == ""  # gunicorn.conf.py as deployed


def test_the_configured_worker_is_read_from_gunicorn_conf() -> None:
    assert configured_worker() == "HeadFirstThreadWorker, 4 threads"


def test_the_table_gives_medians_and_ratios_to_the_first_model() -> None:
    def runs(*rps: float) -> dict[str, list[dict[str, float]]]:
        return {e: [{"rps": r, "p99_ms": 10.0, "cpu_ms": 1.5} for r in rps] for e in ENDPOINTS}

    results = {"runs": {"sync": runs(100, 300, 200), "default": runs(400, 100, 300)}, "configured": "X, 4 threads",
               "rss_mb": {"sync": [[120.0, 130.5]], "default": [[140.0]]},
               "slow_clients": {"sync": {"answered": 1, "asked": 10}, "default": {"answered": 10, "asked": 10}}}
    lines = table(results).splitlines()
    assert lines[2] == "| sync | " + "200 (1.00x) / 1.50 / 10.0 | " * 3 + "130 | 1/10 |"
    assert lines[3].startswith("| default (X, 4 threads) | 300 (1.50x) / 1.50 / 10.0 |")
    assert lines[3].endswith("| 140 | 10/10 |")
