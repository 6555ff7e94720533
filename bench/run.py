"""Run the benchmark suite end to end: corpora, reindex, start-up, memory, load per endpoint, ceiling, profiles.

python -m bench.run                 # 1,000 and 10,000 posts (what `make bench` runs)
python -m bench.run --with-100k     # adds 100,000 posts
python -m bench.run --sizes 1000 --seconds 3 --no-profile   # a quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import engines, peer, report
from bench.corpus import CACHE, DEFAULT_SEED, cached_corpus, edited_post, vocabulary
from bench.load import Workload, run_wrk, workloads
from bench.profile import record_command, record_pid, summarise
from bench.server import PRIORITY, REPO, Gunicorn, fetch, set_priority
from bench.workers import configured_worker

RESULTS = Path(__file__).resolve().parent / "results"
PROFILED = ("search_uniform", "search_facets", "post", "list")  # the slow or target-critical endpoints
# Endpoints with latency targets get a second pass with one connection per worker: no request waits in
# gunicorn's queue, so p50/p99 are the service's own times rather than queueing behind a sibling request.
LATENCY_PASS = ("search_uniform", "search_facets", "search_category", "search_common", "search_prefix", "search_typo",
                "suggest")
PEER_ENDPOINTS = ("list", "post", "search_uniform", "search_category")  # what Datasette answers beside us


def _log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Describe the machine the figures come from: cores, memory, CPU model, versions."""
    memory = subprocess.run(["free", "-m"], capture_output=True, text=True, check=False).stdout
    total_mb = next((int(line.split()[1]) for line in memory.splitlines() if line.startswith("Mem:")), None)
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout),
        "memory_mb": total_mb,
        "cpu": model,
        "python": platform.python_version(),
        "os": platform.platform(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else None,
        "commit": commit,
    }


def _flask(*args: str) -> list[str]:
    return [*PRIORITY, str(Path(sys.executable).with_name("flask")), "--app", "service", *args]


def _command(app_dir: str, *args: str) -> list[str]:
    """The documented command: `python -m service` where the checkout has it (no web app built), else flask."""
    if (Path(app_dir) / "service" / "__main__.py").exists():
        return [*PRIORITY, sys.executable, "-m", "service", *args]
    return _flask(*args)


def _reindex(env: dict[str, str], *extra: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        _command(env["BENCH_APP_DIR"], "reindex", *extra), cwd=env["BENCH_APP_DIR"], env=env, capture_output=True,
        text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"reindex failed: {done.stderr.strip()[-2000:]}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout else ""
    own = re.search(r" in ([0-9.]+)s$", summary)  # the reindex's own time; the rest is starting Python and the app
    return {"seconds": round(seconds, 2), "own_seconds": float(own.group(1)) if own else None, "summary": summary}


def _supports(flag: str, app_dir: str) -> bool:
    done = subprocess.run(_flask("reindex", "--help"), cwd=app_dir, capture_output=True, text=True, check=False)
    return flag in done.stdout


def measure_reindex(
    corpus: Path, env: dict[str, str], profile_to: Path | None, incremental_to: Path | None
) -> dict[str, Any]:
    """Time a full build, then an incremental one after editing one post (restored afterwards)."""
    full_flag = ("--full",) if _supports("--full", env["BENCH_APP_DIR"]) else ()
    out: dict[str, Any] = {"full_flag": bool(full_flag)}
    _log(f"full reindex of {corpus.name}")
    out["full"] = _reindex(env, *full_flag)
    with edited_post(corpus, int(env.get("BENCH_SEED", DEFAULT_SEED))) as victim:
        _log("incremental reindex after one edit")
        out["incremental"] = _reindex(env)
        _log("reindex with nothing changed")
        out["unchanged"] = _reindex(env)
    # The served index keeps the edited post (one sentence longer): it changes nothing the load runs measure.
    out["incremental"]["edited"] = victim.name
    if profile_to is not None:
        _log("profiling a full reindex with py-spy")
        scratch = Path(tempfile.mkdtemp(prefix="profile-index-", dir=CACHE))
        try:
            status = record_command(
                _command(env["BENCH_APP_DIR"], "reindex", *full_flag), profile_to, {**env, "INDEX_DIR": str(scratch)},
                cwd=env["BENCH_APP_DIR"],
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        out["profile"] = {"file": str(profile_to.relative_to(REPO)), "exit": status, **summarise(profile_to)}
    if incremental_to is not None:
        _log("profiling an incremental reindex with py-spy")
        # Another sentence than the measured edit's, so the index really has a change to take in.
        with edited_post(corpus, int(env.get("BENCH_SEED", DEFAULT_SEED)), "A second, different closing sentence."):
            status = record_command(_command(env["BENCH_APP_DIR"], "reindex"), incremental_to, env,
                                    cwd=env["BENCH_APP_DIR"])
        out["incremental_profile"] = {
            "file": str(incremental_to.relative_to(REPO)),
            "exit": status,
            **summarise(incremental_to),
        }
    return out


def _load(
    server: Gunicorn,
    workload: Workload,
    args: argparse.Namespace,
    scratch: Path,
    connections: int | None = None,
    paths: list[str] | None = None,
) -> dict[str, Any]:
    connections = connections or args.connections
    paths = paths or workload.paths
    # A short warm-up on paths the measured run will not reach first, so imports and page cache are warm
    # without filling a response cache with the measured requests.
    warm = paths[-200:] if not workload.cached else paths
    run_wrk(server.base, warm, scratch / f"{workload.name}-warm.txt", 1, connections)
    result = run_wrk(server.base, paths, scratch / f"{workload.name}.txt", args.seconds, connections)
    result["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
    result["distinct_paths"] = workload.distinct
    result["repeats"] = result["requests"] > workload.distinct
    result["description"] = workload.description
    return result


def _check_paths(server: Gunicorn, workload: Workload) -> None:
    for path in workload.paths[:3] + workload.paths[-3:]:
        status, body = fetch(server.base + path)
        if status != 200:
            raise RuntimeError(f"{workload.name}: {path} answered {status}: {body[:300]!r}")


def ceiling(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """Measure the minimal Flask app under the same gunicorn settings and load: the ceiling."""
    with Gunicorn("bench.ceiling:create_app()", workers=args.workers) as server:
        server.start(scratch / "ceiling.log")
        startup = server.wait_ready("/")
        server.wait_workers()
        result = _load(server, Workload("ceiling", "constant small JSON object", ["/"], True), args, scratch)
        result["startup_s"] = round(startup, 3)
        result["rss_mb"] = server.worker_rss_mb()
    return result


def measure_corpus(size: int, args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    """Everything for one corpus size."""
    out: dict[str, Any] = {"posts": size, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    _log(f"{size} posts: load average at the start {out['load_average_at_start']}")
    started = time.perf_counter()
    corpus, reused = cached_corpus(size, args.seed)
    out["corpus"] = {
        "path": str(corpus.relative_to(REPO)),
        "reused": reused,
        "generate_s": round(time.perf_counter() - started, 2),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    index_dir = Path(tempfile.mkdtemp(prefix=f"index-{size}-", dir=CACHE))
    scratch = Path(tempfile.mkdtemp(prefix=f"run-{size}-", dir=CACHE))
    profiles = RESULTS / f"profiles-{stamp}"
    env = {
        **os.environ,
        "CONTENT_DIR": str(corpus),
        "INDEX_DIR": str(index_dir),
        "BENCH_APP_DIR": str(args.app_dir),
        "BENCH_SEED": str(args.seed),
    }
    try:
        out["reindex"] = measure_reindex(
            corpus,
            env,
            profiles / f"reindex-{size}.txt" if args.profile and size in args.profile_reindex else None,
            profiles / f"incremental-{size}.txt" if args.profile else None,
        )
        _log("ceiling app")
        before = ceiling(args, scratch)
        with Gunicorn(
            "service:create_app()",
            env={"CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir)},
            workers=args.workers,
            cwd=args.app_dir,
        ) as server:
            server.start(scratch / "service.log")
            out["startup_s"] = round(server.wait_ready("/api/posts"), 3)
            server.wait_workers()
            status, body = fetch(server.base + "/api/categories?per_page=100")  # every category, when paginated
            if status != 200:
                _, body = fetch(server.base + "/api/categories")
            categories = [c["slug"] for c in json.loads(body)["items"]]
            slugs = [p.stem.split("-", 3)[3] for p in (corpus / "_posts").iterdir()]
            out["rss_idle_mb"] = server.worker_rss_mb()
            out["memory_idle"] = server.worker_memory()
            out["endpoints"] = {}
            loads = {w.name: w for w in workloads(vocabulary(args.seed), slugs, categories, args.seed)}
            for workload in loads.values():
                _check_paths(server, workload)
                _log(f"{size} posts: {workload.name} for {args.seconds}s")
                out["endpoints"][workload.name] = _load(server, workload, args, scratch)
            out["latency"] = {}
            for name in LATENCY_PASS:
                _log(f"{size} posts: {name}, latency pass with {args.workers} connections")
                # Paths from the far end of the list, which the throughput pass did not reach: still uncached.
                half = loads[name].paths[len(loads[name].paths) // 2 :]
                out["latency"][name] = _load(server, loads[name], args, scratch, args.workers, half)
            out["rss_loaded_mb"] = server.worker_rss_mb()
            out["memory_loaded"] = server.worker_memory()
            if args.profile:
                out["profiles"] = profile_endpoints(server, size, loads, args, scratch, profiles)
            peer_posts = peer.load_posts(server.base) if args.peer else None
        if peer_posts is not None:
            out["peer"] = measure_peer(peer_posts, loads, args, scratch)
        if args.jekyll and shutil.which("jekyll") and size <= args.jekyll_max:
            out["jekyll"] = measure_jekyll(corpus, scratch)
        if args.profile:
            out.setdefault("profiles", {})["startup"] = profile_startup(
                corpus, index_dir, size, args, scratch, profiles
            )
        _log("ceiling app again, to see how steady the machine was")
        after = ceiling(args, scratch)
        out["ceiling"] = {
            **before,
            "rps": round((before["rps"] + after["rps"]) / 2, 1),
            "rps_before": before["rps"],
            "rps_after": after["rps"],
        }
        for result in [*out["endpoints"].values(), *(out.get("peer") or {}).get("endpoints", {}).values()]:
            result["ratio"] = round(result["rps"] / out["ceiling"]["rps"], 3) if out["ceiling"]["rps"] else None
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def measure_peer(posts: list[dict[str, Any]], loads: dict[str, Workload], args: argparse.Namespace,
                 scratch: Path) -> dict[str, Any]:
    """Load the same posts into SQLite FTS5 and measure Datasette on the same requests, with the same wrk settings."""
    db = scratch / "posts.db"
    _log(f"peer: loading {len(posts)} posts into SQLite FTS5")
    out: dict[str, Any] = {"name": "Datasette (SQLite FTS5)", "load_s": round(peer.build_db(posts, db), 2)}
    out["endpoints"] = {}
    with peer.Datasette(db, scratch / "datasette.log") as server:
        out["startup_s"] = round(time.perf_counter() - server.started, 2)
        for name in PEER_ENDPOINTS:
            workload = loads[name]
            paths = peer.peer_paths(db.stem, name, workload.paths)
            status, body = fetch(server.base + paths[0])
            if status != 200:
                raise RuntimeError(f"peer {name}: {paths[0]} answered {status}: {body[:300]!r}")
            _log(f"peer: {name} for {args.seconds}s")
            out["endpoints"][name] = _load(server, Workload(name, workload.description, paths, workload.cached),
                                           args, scratch)
        out["rss_mb"] = server.rss_mb()
    return out


def measure_jekyll(corpus: Path, scratch: Path) -> dict[str, Any]:
    """Time Debian's Jekyll building the same corpus into a scratch folder (what a static site would do)."""
    _log(f"jekyll build of {corpus.name}")
    site = scratch / "jekyll-site"
    started = time.perf_counter()
    done = subprocess.run([*PRIORITY, "jekyll", "build", "--source", str(corpus), "--destination", str(site),
                           "--quiet", "--disable-disk-cache"], capture_output=True, text=True, check=False,
                          timeout=7200)
    seconds = time.perf_counter() - started
    shutil.rmtree(site, ignore_errors=True)
    version = subprocess.run(["jekyll", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {"seconds": round(seconds, 2), "exit": done.returncode, "version": version,
            "error": done.stderr.strip()[-500:] if done.returncode else None}


def profile_endpoints(
    server: Gunicorn, size: int, loads: dict[str, Workload], args: argparse.Namespace, scratch: Path, profiles: Path
) -> dict[str, Any]:
    """Sample the workers with py-spy while wrk replays each slow endpoint, after the measured runs."""
    found: dict[str, Any] = {}
    for name in PROFILED:
        workload = loads[name]
        raw = profiles / f"{name}-{size}.txt"
        sampler = record_pid(server.process.pid, args.profile_seconds, raw) if server.process else None
        if sampler is None:
            return {"error": "py-spy is not installed"}
        time.sleep(0.3)  # let py-spy attach before the load starts
        # The list reversed: new paths, so a response cache does not answer what the measured run asked.
        run_wrk(
            server.base, workload.paths[::-1], scratch / f"{name}-profile.txt", args.profile_seconds, args.connections
        )
        sampler.wait(timeout=args.profile_seconds + 30)
        found[name] = {"file": str(raw.relative_to(REPO)), **summarise(raw)}
    return found


def profile_startup(
    corpus: Path, index_dir: Path, size: int, args: argparse.Namespace, scratch: Path, profiles: Path
) -> dict[str, Any]:
    """Sample a fresh gunicorn from its launch to a few first requests: what a worker does before serving."""
    raw = profiles / f"startup-{size}.txt"
    env = {"CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir)}
    with Gunicorn("service:create_app()", env=env, workers=args.workers, cwd=args.app_dir) as server:
        server.start(scratch / "startup.log")
        sampler = record_pid(server.process.pid, 4, raw) if server.process else None
        if sampler is None:
            return {"error": "py-spy is not installed"}
        server.wait_ready("/api/posts")
        for path in ("/api/posts?page=2", "/api/search?q=zzzz", "/api/search/suggest?q=zz"):
            fetch(server.base + path)
        sampler.wait(timeout=40)
    return {"file": str(raw.relative_to(REPO)), **summarise(raw)}


def snapshot(app_dir: Path) -> Path:
    """Copy the service package and the gunicorn settings aside; the run measures the copy."""
    target = Path(tempfile.mkdtemp(prefix="snapshot-", dir=_cache()))
    shutil.copytree(app_dir / "service", target / "service", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(app_dir / "gunicorn.conf.py", target / "gunicorn.conf.py")
    # Compile now, as a deployed clone would have been: otherwise the first start-up pays for the bytecode.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target / "service")], check=False)
    return target


def _dirty(app_dir: Path) -> int | None:
    """Count the files under service/ that differ from the commit, so a result says what it measured."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "service"], cwd=app_dir, capture_output=True, text=True, check=False
    )
    return len(done.stdout.splitlines()) if done.returncode == 0 else None


def _cache() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


def main(argv: list[str] | None = None) -> int:
    """Parse options, run every corpus, write the results file and print the summary."""
    parser = argparse.ArgumentParser(description="Broadsheet benchmark suite")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes")
    parser.add_argument("--with-100k", action="store_true", help="also run the 100,000-post corpus")
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per endpoint")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default: 2 per worker)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="profile reindex and slow endpoints with py-spy",
    )
    parser.add_argument("--profile-seconds", type=float, default=5.0)
    parser.add_argument(
        "--profile-reindex",
        default="1000",
        help="corpus sizes whose full reindex is profiled too (one more full build each)",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=REPO,
        help="folder with the service package and gunicorn.conf.py to measure (default: this clone)",
    )
    parser.add_argument(
        "--snapshot",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure a copy of service/ taken at the start, so edits made during the run cannot change it",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for the measured processes; negative (root) shields them from other work",
    )
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="measure Datasette over SQLite FTS5 beside us (its venv is installed under bench/)")
    parser.add_argument("--engines", action=argparse.BooleanOptionalAction, default=True,
                        help="measure the other Whoosh package (bench/requirements-engines.txt) beside the pinned one")
    parser.add_argument("--jekyll", action=argparse.BooleanOptionalAction, default=True,
                        help="time Jekyll building each corpus when jekyll is on the PATH")
    parser.add_argument("--jekyll-max", type=int, default=10_000, help="largest corpus Jekyll builds (it is slow)")
    parser.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True,
                        help="draw the plots (bench/plots/*.png) with the peer venv's matplotlib")
    parser.add_argument("--write-doc", action="store_true", help="replace the results section of BENCHMARKS.md")
    args = parser.parse_args(argv)
    _log(f"load average at the start: {[round(x, 2) for x in os.getloadavg()]}")
    if args.peer or args.plots:
        _log("installing the peer's venv (Datasette, matplotlib) when needed")
        peer.ensure_venv()
    args.connections = args.connections or 2 * args.workers
    args.app_dir = args.app_dir.resolve()
    source_dir = args.app_dir
    if args.snapshot:
        args.app_dir = snapshot(args.app_dir)
    set_priority(args.nice)
    args.profile_reindex = {int(x) for x in args.profile_reindex.split(",") if x}
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([100_000] if args.with_100k else [])
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "load_average_at_start": list(os.getloadavg()),
        "settings": {
            "workers": args.workers,
            "worker_class": f"{configured_worker()} (gunicorn.conf.py)",
            "connections": args.connections,
            "app_dir": str(source_dir),
            "snapshot": args.snapshot,
            "uncommitted_service_files": _dirty(source_dir),
            "nice": args.nice,
            "wrk_threads": 1,
            "seconds_per_endpoint": args.seconds,
            "seed": args.seed,
            "peer": args.peer,
        },
        "corpora": [],
    }
    # SIGTERM unwinds like Ctrl-C, so gunicorn is stopped and the scratch folders removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}.json"
    try:
        for size in sizes:
            results["corpora"].append(measure_corpus(size, args, stamp))
            if args.engines and size in engines.SIZES:
                _log(f"{size} posts: the other Whoosh package beside the pinned one")
                results["corpora"][-1]["engines"] = engines.measure(size, args.seed, args.app_dir)
            results["total_s"] = round(time.perf_counter() - started, 1)
            path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")  # after each corpus: a long run
    finally:
        if args.snapshot:
            shutil.rmtree(args.app_dir, ignore_errors=True)
    if args.plots:
        drawn = subprocess.run([str(peer.python()), "-m", "bench.report", "--plots", str(path)], cwd=REPO,
                               capture_output=True, text=True, check=False)
        _log(drawn.stdout.strip() or drawn.stderr.strip()[-500:])
    summary = report.markdown(results)
    print(summary)
    if args.write_doc:
        report.update_doc(REPO / "BENCHMARKS.md", summary)
    _log(f"results written to {path.relative_to(REPO)} in {results['total_s']}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
