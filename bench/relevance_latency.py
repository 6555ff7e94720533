"""Does the relevance work keep search fast? In-process latency of /api/search at 10,000 generated posts.

python -m bench.relevance_latency --app-dir /tmp/base --app-dir .     # paired: each checkout's service/, in turn

Each --app-dir is a checkout whose `service/` is measured, in its own process, on the same generated corpus
(bench/corpus.py, seeded); its index is built once and kept under bench/.cache/. Queries go through the Flask test
client with the response cache off, in rounds that alternate between the checkouts, so drift on a shared machine
hits both alike. Prints p50/p95/p99 per query class and checkout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import CACHE, DEFAULT_SEED, cached_corpus, vocabulary

CLASSES = ("one or two words", "with facets", "typo", "3-letter prefix", "common word")


def queries(seed: int, n: int) -> dict[str, list[str]]:
    """The query classes, drawn from the generated corpus' own words (the search_uniform way)."""
    rng = random.Random(f"latency:{seed}")
    words = [w for w in vocabulary(seed).content_words if len(w) >= 5]
    out = {
        "one or two words": [" ".join(rng.sample(words, rng.choice((1, 2)))) for _ in range(n)],
        "with facets": [rng.choice(words) for _ in range(n)],
        "typo": [],
        "3-letter prefix": [rng.choice(words)[:3] for _ in range(n)],
        "common word": [rng.choice(vocabulary(seed).content_words[:30]) for _ in range(n)],
    }
    for _ in range(n):
        w = rng.choice(words)
        i = rng.randrange(1, len(w))
        out["typo"].append(w[:i] + w[i + 1:] + " ")
    return out


def worker(app_dir: Path, corpus: Path, seed: int, n: int, rounds: int, index_dir: Path) -> None:
    """Run in a child process with app_dir first on sys.path: build (once) and time that checkout's search."""
    sys.path.insert(0, str(app_dir))
    from service import create_app
    from service.indexing import reindex

    if not (index_dir / "current").exists():
        reindex(corpus, index_dir, full=True)
    app = create_app({"TESTING": True, "CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir),
                      "RESPONSE_CACHE_MB": 0})
    client = app.test_client()
    asked = queries(seed, n)
    timings: dict[str, list[float]] = {c: [] for c in CLASSES}
    for qs in asked.values():
        for q in qs[:3]:  # warm: the vocabulary, facet table and filters load on first use
            client.get("/api/search", query_string={"q": q})
    for _ in range(rounds):
        for name, qs in asked.items():
            for q in qs:
                params = {"q": q, **({"facets": "category,year"} if name == "with facets" else {})}
                started = time.perf_counter()
                response = client.get("/api/search", query_string=params)
                timings[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    print(json.dumps(timings))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", action="append", type=Path, required=True)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=60, help="per class")
    parser.add_argument("--rounds", type=int, default=2, help="alternations between the checkouts")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpus, _ = cached_corpus(args.size, args.seed)
    if args.worker:
        worker(Path(args.worker[0]), corpus, args.seed, args.queries, 1, Path(args.worker[1]))
        return
    total: dict[str, dict[str, list[float]]] = {str(a): {c: [] for c in CLASSES} for a in args.app_dir}
    print(f"load average {os.getloadavg()[0]:.1f} at the start; corpus {corpus}", file=sys.stderr)
    for _ in range(args.rounds):
        for app_dir in args.app_dir:
            tag = hashlib.sha256(str(app_dir.resolve()).encode()).hexdigest()[:10]
            index_dir = CACHE / f"latency-index-{args.size}-{tag}"
            out = subprocess.run([sys.executable, "-m", "bench.relevance_latency", "--app-dir", str(app_dir),
                                  "--size", str(args.size), "--queries", str(args.queries), "--seed", str(args.seed),
                                  "--worker", str(app_dir.resolve()), str(index_dir)],
                                 capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
            for name, values in json.loads(out.stdout.strip().splitlines()[-1]).items():
                total[str(app_dir)][name] += values
    print("| query class | " + " | ".join(f"{a} p50 / p95 / p99 ms" for a in total) + " |")
    print("|---|" + "---|" * len(total))
    for name in CLASSES:
        cells = [f"{statistics.median(t[name]):.1f} / {_pct(t[name], .95):.1f} / {_pct(t[name], .99):.1f}"
                 for t in total.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"load average {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)


if __name__ == "__main__":
    main()
