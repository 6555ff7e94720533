"""Draw the benchmark's pictures from a results file (matplotlib, from the peer venv): PNGs for BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def _sizes(results: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(results["corpora"], key=lambda c: c["posts"])


def _latency(corpus: dict[str, Any], name: str) -> dict[str, Any]:
    return (corpus.get("endpoints") or {}).get(name) or {}


def draw(results: dict[str, Any], out: Path) -> list[Path]:
    """Write search-latency.png, throughput.png and reindex.png into out; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    corpora = _sizes(results)
    sizes = [c["posts"] for c in corpora]
    stamp = f"{results['date'][:10]}, commit {results['machine'].get('commit')}, load average at start " \
            f"{results.get('load_average_at_start', [0])[0]:.2f}"
    written = []

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pick, style in (("Broadsheet", lambda c: _latency(c, "search_uniform"), "o-"),
                               ("Datasette FTS5", lambda c: ((c.get("peer") or {}).get("endpoints") or {})
                                .get("search_uniform") or {}, "s--")):
        for pct, alpha in (("p50_ms", 1.0), ("p99_ms", 0.55)):
            points = [(c["posts"], pick(c).get(pct)) for c in corpora if pick(c).get(pct)]
            if points:
                ax.plot(*zip(*points, strict=True), style, alpha=alpha, label=f"{label} {pct[:3]}")
    ax.set(xscale="log", yscale="log", xlabel="posts", ylabel="ms",
           title="Uncached search latency (same wrk run, 16 connections)")
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.legend(fontsize=8)
    ax.text(0.01, -0.2, stamp, transform=ax.transAxes, fontsize=7)
    written.append(_save(fig, out / "search-latency.png"))

    names = ["list", "category", "post", "search_uniform", "search_category", "search_facets", "search_zipf",
             "search_common", "search_prefix", "suggest"]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / (2 * len(corpora))
    for n, corpus in enumerate(corpora):
        ours = [((corpus.get("endpoints") or {}).get(e) or {}).get("ratio") or 0 for e in names]
        peer = [(((corpus.get("peer") or {}).get("endpoints") or {}).get(e) or {}).get("ratio") or 0 for e in names]
        xs = [i + (2 * n) * width for i in range(len(names))]
        ax.bar(xs, ours, width, label=f"Broadsheet, {corpus['posts']:,} posts")
        ax.bar([x + width for x in xs], peer, width, label=f"Datasette, {corpus['posts']:,} posts", alpha=0.6)
    ax.axhline(0.8, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel="share of the ceiling", title="Throughput per endpoint as a share of the ceiling (minimal Flask)")
    ax.legend(fontsize=7)
    written.append(_save(fig, out / "throughput.png"))

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pick, style in (
        ("Broadsheet full reindex", lambda c: ((c.get("reindex") or {}).get("full") or {}).get("seconds"), "o-"),
        ("Datasette: SQLite + FTS5 load", lambda c: (c.get("peer") or {}).get("load_s"), "s--"),
        ("Jekyll build", lambda c: (c.get("jekyll") or {}).get("seconds"), "^:"),
    ):
        points = [(c["posts"], pick(c)) for c in corpora if pick(c)]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    ax.set(xscale="log", yscale="log", xlabel="posts", ylabel="seconds", title="Reindex time against corpus size")
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.legend(fontsize=8)
    written.append(_save(fig, out / "reindex.png"))
    return written


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
