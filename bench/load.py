"""Workloads (lists of request paths) and the wrk runs that replay them against a server over loopback."""

from __future__ import annotations

import bisect
import itertools
import json
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from bench.corpus import ZIPF_S, Vocabulary
from bench.server import PRIORITY

LUA = Path(__file__).resolve().parent / "urls.lua"
DISTINCT = 20_000  # more distinct queries than a 10 s run can send, so a response cache never hits


@dataclass(frozen=True)
class Workload:
    """One endpoint under load: what is asked, and whether repeats (cache hits) are expected."""

    name: str
    description: str
    paths: list[str]
    cached: bool  # True when the same paths repeat within the run

    @property
    def distinct(self) -> int:
        return len(set(self.paths))


def _queries(rng: random.Random, pick: Any, count: int) -> list[str]:
    """Return count one- and two-word queries (half each), URL-encoded; pick(n) draws n words."""
    return [quote_plus(" ".join(pick(rng.choice((1, 2))))) for _ in range(count)]


def _typo(rng: random.Random, word: str) -> str:
    """Change one letter after the first (typos in the first letter are not corrected)."""
    at = rng.randrange(1, len(word))
    return word[:at] + rng.choice([c for c in "aeioulnrst" if c != word[at]]) + word[at + 1 :]


def workloads(vocab: Vocabulary, slugs: list[str], categories: list[str], seed: int) -> list[Workload]:
    """Build every endpoint's request list from the corpus' own words, slugs and categories."""
    rng = random.Random(f"workloads:{seed}")
    words = vocab.content_words

    def uniform(n: int) -> list[str]:
        return [rng.choice(words) for _ in range(n)]

    # The corpus' own rank weights (the function words left out), so frequent words are asked for often.
    cum = list(itertools.accumulate(1.0 / r**ZIPF_S for r in range(1, len(words) + 1)))

    def zipf(n: int) -> list[str]:
        return [words[bisect.bisect(cum, rng.random() * cum[-1])] for _ in range(n)]

    uniform_queries = list(dict.fromkeys(_queries(rng, uniform, DISTINCT * 2)))[:DISTINCT]
    facet_queries = list(dict.fromkeys(_queries(rng, uniform, DISTINCT * 2)))[:DISTINCT]
    zipf_queries = _queries(rng, zipf, DISTINCT)
    posts = rng.sample(slugs, min(len(slugs), DISTINCT))
    prefixes = [w[: rng.randint(2, 4)] for w in uniform(DISTINCT)]
    hot = uniform_queries[:50]
    category_queries = [f"{q}&category={rng.choice(categories)}" for q in _queries(rng, uniform, DISTINCT)]
    # A word that matches most posts: the corpus' most frequent content words (function words are stop words).
    top = words[:20]
    common = [f"{rng.choice(top)}+{w}" if rng.random() < 0.5 else rng.choice(top) for w in uniform(DISTINCT)]
    three = list(dict.fromkeys(w[:3] for w in words if len(w) > 3))
    typos = [_typo(rng, w) for w in uniform(DISTINCT) if len(w) >= 6]
    return [
        Workload("list", "list page 1: /api/posts", ["/api/posts"], True),
        Workload(
            "category",
            "a category's page 1: /api/categories/<slug>",
            [f"/api/categories/{c}" for c in categories],
            True,
        ),
        Workload("post", "one post: /api/posts/<slug>, random posts", [f"/api/posts/{s}" for s in posts], False),
        Workload(
            "search_uniform",
            "search, 1-2 words drawn uniformly from the vocabulary, all distinct (uncached)",
            [f"/api/search?q={q}" for q in uniform_queries],
            False,
        ),
        Workload(
            "search_uniform_cached",
            "search, the same 50 uniform queries repeated (cache-friendly)",
            [f"/api/search?q={q}" for q in hot],
            True,
        ),
        Workload(
            "search_zipf",
            "search, 1-2 words drawn Zipf-distributed, as real query logs repeat",
            [f"/api/search?q={q}" for q in zipf_queries],
            True,
        ),
        Workload(
            "search_facets",
            "search with facets=category,tag,year, uniform distinct queries (uncached)",
            [f"/api/search?q={q}&facets=category,tag,year" for q in facet_queries],
            False,
        ),
        Workload(
            "search_category",
            "search with a category filter, uniform distinct queries and categories (uncached)",
            [f"/api/search?q={q}" for q in category_queries],
            False,
        ),
        Workload(
            "search_common",
            "search for a word in most posts (one of the 20 most frequent content words, alone or with another)",
            [f"/api/search?q={q}&page={rng.randint(1, 3)}" for q in common],
            False,
        ),
        Workload(
            "search_prefix",
            "search for a 3-letter prefix still being typed (the last word completes)",
            [f"/api/search?q={p}&page={n}" for n in (1, 2, 3) for p in three],
            False,
        ),
        Workload(
            "search_typo",
            "search for one word of 6+ letters with one letter changed (typo-corrected)",
            [f"/api/search?q={q}+" for q in typos],
            False,
        ),
        Workload(
            "suggest",
            "suggest: /api/search/suggest?q=<2-4 letter prefix of a vocabulary word>",
            [f"/api/search/suggest?q={p}" for p in prefixes],
            False,
        ),
    ]


def wrk_path() -> str | None:
    """Return the wrk executable, when installed."""
    return shutil.which("wrk")


def run_wrk(
    base: str,
    paths: list[str],
    paths_file: Path,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: int = 5,
) -> dict[str, Any]:
    """Replay paths against base for seconds with wrk; return requests/s, latency percentiles (ms) and errors."""
    exe = wrk_path()
    if exe is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk (make bench does this)")
    paths_file.parent.mkdir(parents=True, exist_ok=True)
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    command = [
        *PRIORITY,
        exe,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(LUA),
        base,
        "--",
        str(paths_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "errors": errors,
        "error_kinds": {k: v for k, v in raw["errors"].items() if v},
        "bytes_per_response": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
        "connections": connections,
        "threads": threads,
    }
