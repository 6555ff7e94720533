"""Turn a results file into the Markdown summary that BENCHMARKS.md carries, each figure next to its target."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
PLOTS = Path(__file__).resolve().parent / "plots"
TARGET_SIZE = 10_000
BIG = 100_000


@dataclass(frozen=True)
class Target:
    what: str
    goal: str
    measure: Callable[[dict[str, Any]], float | None]
    ok: Callable[[float], bool]
    unit: str = ""


def _ep(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda c: (c.get("endpoints", {}).get(name) or {}).get(key)


def _lat(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
    """Prefer the latency pass (one connection per worker, no queueing) when the run has one."""
    return lambda c: ((c.get("latency") or {}).get(name) or (c.get("endpoints") or {}).get(name) or {}).get(key)


def _own(reindex: dict[str, Any], kind: str) -> str:
    """Say how much of a reindex command's wall time the reindex itself took (the rest: Python and the app start)."""
    own = (reindex.get(kind) or {}).get("own_seconds")
    return f" (of which the reindex itself {own:.2f} s)" if own is not None else ""


def _reindex(kind: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda c: ((c.get("reindex") or {}).get(kind) or {}).get("seconds")


def _max_rss(c: dict[str, Any]) -> float | None:
    values = (c.get("rss_loaded_mb") or []) + (c.get("rss_idle_mb") or [])
    return max(values) if values else None


def _peer_ratio(name: str) -> Callable[[dict[str, Any]], float | None]:
    """Our throughput on an endpoint over Datasette's on the same requests, in the same run."""
    def measure(c: dict[str, Any]) -> float | None:
        ours = ((c.get("endpoints") or {}).get(name) or {}).get("rps")
        theirs = (((c.get("peer") or {}).get("endpoints") or {}).get(name) or {}).get("rps")
        return round(ours / theirs, 2) if ours and theirs else None

    return measure


def _jekyll_ratio(c: dict[str, Any]) -> float | None:
    ours, jekyll = _reindex("full")(c), (c.get("jekyll") or {}).get("seconds")
    return round(jekyll / ours, 2) if ours and jekyll and not (c.get("jekyll") or {}).get("exit") else None


def _p99(name: str, limit: float) -> Target:
    return Target(f"{name}: p99", f"<= {limit:g} ms", _lat(name, "p99_ms"), lambda v: v <= limit, " ms")


TARGETS = [
    Target("search, uniform uncached: p50", "<= 5 ms", _lat("search_uniform", "p50_ms"), lambda v: v <= 5, " ms"),
    Target("search, uniform uncached: p99", "<= 25 ms", _lat("search_uniform", "p99_ms"), lambda v: v <= 25, " ms"),
    *(_p99(n, 30) for n in ("search_category", "search_facets", "search_typo", "search_prefix", "search_common")),
    Target("search throughput vs Datasette FTS5", ">= 3 x peer", _peer_ratio("search_uniform"), lambda v: v >= 3, "x"),
    Target("category search throughput vs Datasette", ">= 3 x peer", _peer_ratio("search_category"),
           lambda v: v >= 3, "x"),
    Target(
        "search, Zipf queries: throughput", ">= 0.7 x ceiling", _ep("search_zipf", "ratio"), lambda v: v >= 0.7, "x"
    ),
    Target("one post throughput (uncached)", ">= 0.8 x ceiling", _ep("post", "ratio"), lambda v: v >= 0.8, "x"),
    Target("list page 1 throughput", ">= 0.8 x ceiling", _ep("list", "ratio"), lambda v: v >= 0.8, "x"),
    Target("category page throughput", ">= 0.8 x ceiling", _ep("category", "ratio"), lambda v: v >= 0.8, "x"),
    Target("suggest: p99", "<= 10 ms", _lat("suggest", "p99_ms"), lambda v: v <= 10, " ms"),
    Target("full reindex", "<= 30 s", _reindex("full"), lambda v: v <= 30, " s"),
    Target("full reindex vs Jekyll's build", ">= 3 x faster", _jekyll_ratio, lambda v: v >= 3, "x"),
    Target("incremental reindex, one edit", "<= 0.5 s", _reindex("incremental"), lambda v: v <= 0.5, " s"),
    Target("reindex, nothing changed", "<= 0.3 s", _reindex("unchanged"), lambda v: v <= 0.3, " s"),
    Target("worker start-up to first response", "<= 1 s", lambda c: c.get("startup_s"), lambda v: v <= 1, " s"),
    Target("RSS per worker (max)", "<= 200 MB", _max_rss, lambda v: v <= 200, " MB"),
]
BIG_TARGETS = [
    Target(
        "100k: search, uniform uncached: p99", "<= 60 ms", _lat("search_uniform", "p99_ms"), lambda v: v <= 60, " ms"
    ),
    Target("100k: category search: p99", "<= 80 ms", _lat("search_category", "p99_ms"), lambda v: v <= 80, " ms"),
    Target("100k: full reindex", "<= 360 s", _reindex("full"), lambda v: v <= 360, " s"),
    Target("100k: incremental reindex, one edit", "<= 2 s", _reindex("incremental"), lambda v: v <= 2, " s"),
    Target("100k: RSS per worker (max)", "<= 400 MB", _max_rss, lambda v: v <= 400, " MB"),
]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and value < 0.1:
        text = f"{value:.3f}"  # small ratios: 0.004x is not 0.00x
    elif isinstance(value, float) and value < 100:
        text = f"{value:.2f}"
    else:
        text = f"{value:,.0f}"
    return text + unit


def _verdict(target: Target, corpus: dict[str, Any]) -> tuple[str, str]:
    value = target.measure(corpus)
    return _fmt(value, target.unit), ("n/a" if value is None else "yes" if target.ok(value) else "**no**")


def _targets_table(results: dict[str, Any]) -> list[str]:
    by_size = {c["posts"]: c for c in results["corpora"]}
    sizes = sorted(by_size)
    lines = [
        "| target (10,000 posts unless stated) | goal | " + " | ".join(f"{s:,} posts" for s in sizes) + " | met |",
        "|---|---|" + "---|" * len(sizes) + "---|",
    ]
    judged = by_size.get(TARGET_SIZE) or by_size[max(sizes)]
    for target in TARGETS:
        cells = [_verdict(target, by_size[s])[0] for s in sizes]
        lines.append(f"| {target.what} | {target.goal} | " + " | ".join(cells) + f" | {_verdict(target, judged)[1]} |")
    if BIG not in by_size:
        for what, goal in (*((t.what, t.goal) for t in BIG_TARGETS), ("100k: full reindex growth", "linear")):
            lines.append(f"| {what} | {goal} | " + " | ".join("" for _ in sizes) + " | not run (`--with-100k`) |")
    if BIG in by_size:
        for target in BIG_TARGETS:
            value, met = _verdict(target, by_size[BIG])
            lines.append(
                f"| {target.what} | {target.goal} | "
                + " | ".join(value if s == BIG else "" for s in sizes)
                + f" | {met} |"
            )
        if TARGET_SIZE in by_size:
            per_post = [(_reindex("full")(by_size[s]) or 0) / s for s in (TARGET_SIZE, BIG)]
            growth = per_post[1] / per_post[0] if per_post[0] else None
            met = "n/a" if growth is None else "yes" if growth <= 1.1 else "**no**"
            lines.append(
                "| 100k: full reindex per post vs 10k (linear = 1.0) | <= 1.1 | "
                + " | ".join(_fmt(growth, "x") if s == BIG else "" for s in sizes)
                + f" | {met} |"
            )
    return lines


def _endpoint_table(corpus: dict[str, Any]) -> list[str]:
    ceiling = corpus.get("ceiling") or {}
    lines = [
        "| endpoint | req/s | x ceiling | p50 ms | p90 ms | p99 ms | errors | distinct paths | repeats |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| ceiling (constant JSON) | {_fmt(ceiling.get('rps'))} | 1.00 | {_fmt(ceiling.get('p50_ms'))} | "
        f"{_fmt(ceiling.get('p90_ms'))} | {_fmt(ceiling.get('p99_ms'))} | "
        f"{ceiling.get('errors', 'n/a')} | 1 | yes |",
    ]
    rows = [(name, r) for name, r in (corpus.get("endpoints") or {}).items()]
    rows += [
        (f"{name}, latency pass ({r['connections']} conn.)", r) for name, r in (corpus.get("latency") or {}).items()
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {_fmt(r['rps'])} | {_fmt(r.get('ratio'))} | {_fmt(r['p50_ms'])} | "
            f"{_fmt(r['p90_ms'])} | {_fmt(r['p99_ms'])} | {r['errors']} | {r['distinct_paths']:,} | "
            f"{'yes' if r['repeats'] else 'no'} |"
        )
    if "rps_before" in ceiling:
        lines += [
            "",
            f"Ceiling measured before the endpoints {_fmt(ceiling['rps_before'])} req/s and after them "
            f"{_fmt(ceiling['rps_after'])} req/s; ratios use the mean.",
        ]
    return lines


def _peer_lines(corpus: dict[str, Any]) -> list[str]:
    found = corpus.get("peer") or {}
    lines = []
    if found.get("endpoints"):
        ours = corpus.get("endpoints") or {}
        lines += ["", f"Peer, same run and wrk settings: {found['name']}, one process; loading the posts into SQLite "
                  f"and building the FTS5 index took {_fmt(found.get('load_s'), ' s')}; RSS {found.get('rss_mb')} MB.",
                  "", "| endpoint | peer req/s | peer x ceiling | peer p50 ms | peer p99 ms | ours req/s | ours/peer |",
                  "|---|---|---|---|---|---|---|"]
        for name, r in found["endpoints"].items():
            mine = (ours.get(name) or {}).get("rps")
            times = mine / r["rps"] if mine and r["rps"] else None
            lines.append(f"| {name} | {_fmt(r['rps'])} | {_fmt(r.get('ratio'))} | {_fmt(r['p50_ms'])} | "
                         f"{_fmt(r['p99_ms'])} | {_fmt(mine)} | {_fmt(times, 'x')} |")
    jekyll = corpus.get("jekyll")
    if jekyll:
        lines += ["", f"Jekyll ({jekyll.get('version')}) built the same corpus in {_fmt(jekyll['seconds'], ' s')}"
                  + (f" (exit {jekyll['exit']}: {jekyll.get('error')})" if jekyll.get("exit") else "") + "."]
    return lines


def _engine_lines(corpus: dict[str, Any]) -> list[str]:
    """The other Whoosh package beside the pinned one (bench/engines.py): reindex, in-process search, answers."""
    found = corpus.get("engines") or {}
    packages = found.get("packages") or {}
    if not packages:
        return []
    lines = ["", f"Whoosh packages side by side (`bench/engines.py`: {found.get('rounds')} full reindexes each and "
             f"{found.get('latency_rounds')} rounds of {found.get('searches')} uniform searches in-process, response "
             f"cache off, alternating; load average {found.get('load_average_at_start')} at the start):", "",
             "| package | full reindex, median (each) | its CPU, median | search p50 ms | search p99 ms | errors |",
             "|---|---|---|---|---|---|"]
    for r in packages.values():
        each = ", ".join(f"{x['seconds']:.1f}" for x in r.get("reindex") or [])
        search = r.get("search") or {}
        lines.append(f"| {r.get('package')} | {_fmt(r.get('reindex_median_s'), ' s')} ({each}) | "
                     f"{_fmt(r.get('reindex_cpu_median_s'), ' s')} | {_fmt(search.get('p50'))} | "
                     f"{_fmt(search.get('p99'))} | {r.get('errors')} |")
    if "differing_answers" in found:
        lines += ["", f"Answers (total and slugs in order) that differ between the packages: "
                  f"{found['differing_answers']} of {found.get('searches')}."]
    return lines


def _memory_detail(corpus: dict[str, Any]) -> str:
    loaded = corpus.get("memory_loaded") or []
    if not loaded:
        return ""
    parts = [f"anon {m.get('anon')} / file {m.get('file')} / PSS {m.get('pss')}" for m in loaded]
    return (
        " After load, per worker, private heap (anon) / file-backed pages (file, shared with the page cache)"
        " / proportional share (PSS), MB: " + "; ".join(parts) + "."
    )


def _profile_lines(name: str, profile: dict[str, Any], top: int = 8) -> list[str]:
    if not profile or not profile.get("samples"):
        return [f"- {name}: no samples ({profile.get('error', 'py-spy missing or not permitted')})"]
    # Inclusive shares of the app's and the engine's own frames: the wrappers around them say nothing.
    inclusive = [
        f"{p['share'] * 100:.0f}% {p['frame']}"
        for p in profile["inclusive"]
        if ("service/" in p["frame"] or "whoosh/" in p["frame"] or "marshmallow/" in p["frame"])
        and "cli.py" not in p["frame"]
    ][:top]
    own = [f"{p['share'] * 100:.0f}% {p['frame']}" for p in profile["self"][:top]]
    in_app = f", {profile['in_app'] * 100:.0f}% inside the app" if "in_app" in profile else ""
    return [
        f"- **{name}** ({profile['samples']} samples{in_app}, `{profile.get('file', '')}`)",
        "  - inclusive: " + "; ".join(inclusive),
        "  - self: " + "; ".join(own),
    ]


def markdown(results: dict[str, Any]) -> str:
    """Render the results of one run as Markdown."""
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"Run of {results['date']} (commit {m.get('commit') or 'n/a'}), `{results['command'].strip()}`, "
        f"{results.get('total_s', 'n/a')} s in all.",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_mb']:,} MB memory, Python {m['python']}, {m['wrk']}. "
        f"gunicorn: {s['workers']} {s['worker_class']} workers; wrk: {s['wrk_threads']} thread, "
        f"{s['connections']} connections, {s['seconds_per_endpoint']:g} s per endpoint, over loopback.",
        "",
        f"Measured: `service/` of {s.get('app_dir', 'this clone')}"
        + (" (a copy taken at the start of the run)" if s.get("snapshot") else "")
        + (
            f", with {s['uncommitted_service_files']} file(s) under `service/` not yet committed"
            if s.get("uncommitted_service_files")
            else ""
        )
        + f"; machine load average at the start {_fmt(results.get('load_average_at_start', [None])[0])}.",
        "",
        "### Targets",
        "",
        *_targets_table(results),
    ]
    for corpus in results["corpora"]:
        r = corpus.get("reindex") or {}
        lines += [
            "",
            f"### {corpus['posts']:,} posts",
            "",
            f"Full reindex {_fmt(_reindex('full')(corpus), ' s')} ({(r.get('full') or {}).get('summary', '')}); "
            f"incremental after one edit {_fmt(_reindex('incremental')(corpus), ' s')}{_own(r, 'incremental')}; "
            f"nothing changed {_fmt(_reindex('unchanged')(corpus), ' s')}{_own(r, 'unchanged')}; "
            f"load average at the start of this corpus "
            f"{corpus.get('load_average_at_start')}; start-up to first "
            f"`/api/posts` response {_fmt(corpus.get('startup_s'), ' s')}; RSS per worker idle "
            f"{corpus.get('rss_idle_mb')} MB, after load {corpus.get('rss_loaded_mb')} MB "
            f"(ceiling app: {(corpus.get('ceiling') or {}).get('rss_mb')} MB)." + _memory_detail(corpus),
            "",
            *_endpoint_table(corpus),
            *_peer_lines(corpus),
            *_engine_lines(corpus),
        ]
        profiles = {
            **({"reindex (full)": r["profile"]} if r.get("profile") else {}),
            **({"reindex (incremental)": r["incremental_profile"]} if r.get("incremental_profile") else {}),
            **(corpus.get("profiles") or {}),
        }
        if profiles:
            lines += ["", "Profiles (py-spy; share of samples):", ""]
            for name, profile in profiles.items():
                lines += _profile_lines(name, profile)
    return "\n".join(lines) + "\n"


def update_doc(doc: Path, summary: str) -> None:
    """Replace the text between the results markers of doc with summary."""
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"{doc} has no {START} marker")
    doc.write_text(f"{head}{START}\n{summary}{END}{tail}", encoding="utf-8")


def main() -> None:
    """Print the summary of a results file: python -m bench.report [--plots] bench/results/<date>.json."""
    args = sys.argv[1:]
    results = json.loads(Path(args[-1]).read_text(encoding="utf-8"))
    if args[0] == "--plots":  # needs matplotlib: run with the peer venv's python (bench/.venv-peer)
        from bench.plots import draw

        for path in draw(results, PLOTS):
            print(f"drew {path}")
        return
    print(markdown(results))


if __name__ == "__main__":
    main()
