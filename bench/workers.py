"""Compare gunicorn worker models on the same index: throughput of list, post and search, and slow-client survival.

python -m bench.workers                          # 1,000 posts; sync vs the gunicorn.conf.py default, 5 s per run
python -m bench.workers --size 10000 --seconds 10 --rounds 3
python -m bench.workers --models sync,gthread:8,gevent,tornado

Each model is started from the repository's gunicorn.conf.py with only the worker class (and threads) changed via
GUNICORN_CMD_ARGS, so every other setting is the one deployed. Runs are interleaved (A B A B ...) so drift in a
shared machine's load hits every model alike; the table gives the median of the rounds and the ratio to the first
model. The slow-client probe holds 50 connections that trickle a request head a byte a second while a client polls.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.corpus import CACHE, DEFAULT_SEED, cached_corpus, vocabulary
from bench.load import run_wrk, workloads
from bench.server import HOST, PRIORITY, REPO, Gunicorn, children, fetch, set_priority

RESULTS = Path(__file__).resolve().parent / "results"
ENDPOINTS = ("list", "post", "search_uniform")


@dataclass(frozen=True)
class Model:
    """One worker model: a gunicorn worker class and, for gthread, a thread count; '' means gunicorn.conf.py's."""

    spec: str

    @property
    def args(self) -> str:
        if not self.spec or self.spec == "default":
            return ""
        klass, _, threads = self.spec.partition(":")
        # gunicorn turns sync into gthread when threads > 1, and gunicorn.conf.py sets threads: say 1 for sync.
        threads = threads or ("1" if klass == "sync" else "")
        return f"--worker-class {klass}" + (f" --threads {threads}" if threads else "")


def cpu_seconds(server: Gunicorn) -> float:
    """Return the CPU time (user + system) the master and its workers have used so far, from /proc."""
    if server.process is None:
        return 0.0
    total = 0
    for pid in [server.process.pid, *children(server.process.pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def slow_clients(base_port: int, base: str, count: int = 50, seconds: float = 20.0) -> dict[str, Any]:
    """Hold count connections that send a request head a byte a second; poll the API meanwhile (2 s budget)."""
    stop = threading.Event()

    def trickle() -> None:
        try:
            with socket.create_connection((HOST, base_port), timeout=5) as sock:
                for byte in b"GET /api/posts HTTP/1.1\r\nHost: bench\r\nX-Slow: " + b"a" * 200:
                    if stop.wait(1.0):
                        return
                    sock.send(bytes([byte]))
        except OSError:
            return

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    answered = asked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked += 1
        started = time.monotonic()
        try:
            # Cheap answers (a cached list, the categories): what is measured is being answered at all.
            status, _ = fetch(f"{base}{('/api/posts', '/api/categories')[asked % 2]}", timeout=2)
            answered += status == 200 and time.monotonic() - started <= 2
        except OSError:
            pass
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=3)
    return {"answered": answered, "asked": asked, "share": round(answered / asked, 3) if asked else 0.0}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Build the index once, then run every model's load in interleaved rounds and the slow-client probe."""
    corpus, _ = cached_corpus(args.size, args.seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    index_dir = Path(tempfile.mkdtemp(prefix="workers-index-", dir=CACHE))
    scratch = Path(tempfile.mkdtemp(prefix="workers-run-", dir=CACHE))
    env = {**os.environ, "CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir)}
    models = [Model(s) for s in args.models.split(",")]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {m.spec: {e: [] for e in ENDPOINTS} for m in models}
    memory: dict[str, list[list[float]]] = {m.spec: [] for m in models}  # worker RSS (MB) after each round's load
    probes: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}  # the worker class gunicorn says it used, from its log
    try:
        flask = str(Path(sys.executable).with_name("flask"))
        subprocess.run([*PRIORITY, flask, "--app", "service", "reindex"], cwd=REPO, env=env, check=True,
                       capture_output=True)
        slugs = [p.stem.split("-", 3)[3] for p in (corpus / "_posts").iterdir()]
        loads = {w.name: w for w in workloads(vocabulary(args.seed), slugs, ["x"], args.seed)}
        for round_ in range(args.rounds):
            for model in models:
                with _server(model, corpus, index_dir, args) as server:
                    (scratch / f"{model.spec or 'default'}.log").unlink(missing_ok=True)
                    server.start(scratch / f"{model.spec or 'default'}.log")
                    server.wait_ready("/api/posts")
                    server.wait_workers()
                    if args.nice and server.process:  # gunicorn runs in its own session: its group is the master's
                        os.setpriority(os.PRIO_PGRP, server.process.pid, args.nice)
                    for name in ENDPOINTS:
                        # Each round asks other search/post paths, so the response cache never answers them.
                        paths = loads[name].paths
                        share = len(paths) // args.rounds
                        paths = paths if loads[name].cached else paths[round_ * share : (round_ + 1) * share]
                        run_wrk(server.base, paths[-100:], scratch / "warm.txt", 1, args.connections)
                        used = cpu_seconds(server)
                        result = run_wrk(server.base, paths, scratch / f"{name}.txt", args.seconds, args.connections)
                        # CPU per request barely depends on what else the machine runs; req/s does.
                        result["cpu_ms"] = round(1000 * (cpu_seconds(server) - used) / max(1, result["requests"]), 3)
                        result["load_average"] = round(os.getloadavg()[0], 2)
                        runs[model.spec][name].append(result)
                        print(f"round {round_ + 1} {model.spec or 'default'} {name}: {result['rps']} req/s, "
                              f"{result['cpu_ms']} CPU ms/request, p99 {result['p99_ms']} ms, "
                              f"errors {result['errors']}", file=sys.stderr, flush=True)
                    memory[model.spec].append(server.worker_rss_mb())
                    seen[model.spec] = _worker_in_log(server)
                    if round_ == 0 and args.slow_clients:
                        probes[model.spec] = slow_clients(server.port, server.base)
                        print(f"{model.spec or 'default'} slow clients: {probes[model.spec]}", file=sys.stderr)
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "posts": args.size, "seconds": args.seconds,
            "rounds": args.rounds, "connections": args.connections, "workers": args.workers,
            "load_average_at_start": args.load_at_start, "configured": configured_worker(), "runs": runs,
            "rss_mb": memory, "slow_clients": probes, "worker_used": seen}


def _worker_in_log(server: Gunicorn) -> str:
    text = server.log.read_text(errors="replace") if server.log and server.log.exists() else ""
    found = [line.split("Using worker: ", 1)[1].strip() for line in text.splitlines() if "Using worker: " in line]
    return found[-1] if found else "?"


def _server(model: Model, corpus: Path, index_dir: Path, args: argparse.Namespace) -> Gunicorn:
    env = {"CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir)}
    env["GUNICORN_CMD_ARGS"] = f"{model.args} --log-level info".strip()  # info: the log names the worker class
    return Gunicorn("service:create_app()", env=env, workers=args.workers)


def configured_worker() -> str:
    """Describe the worker model gunicorn.conf.py sets (class and threads), as gunicorn itself reads the file."""
    from gunicorn.app.base import Application

    class _Loader(Application):
        def init(self, parser: Any, opts: Any, args: Any) -> None:
            return None

        def load(self) -> None:
            return None

    loader = _Loader.__new__(_Loader)
    loader.usage, loader.prog, loader.callable = None, None, None
    loader.load_default_config()
    loader.load_config_from_file(str(REPO / "gunicorn.conf.py"))
    klass = str(loader.cfg.settings["worker_class"].get()).rsplit(".", 1)[-1]
    return f"{klass}, {loader.cfg.threads} threads" if loader.cfg.threads > 1 else klass


def table(results: dict[str, Any]) -> str:
    """Return the Markdown table: median req/s and p99 per model and endpoint, ratio to the first model."""
    models = list(results["runs"])
    first = models[0]
    lines = ["| model | " + " | ".join(f"{e}: req/s (x {first or 'default'}) / CPU ms per request / p99 ms"
                                     for e in ENDPOINTS)
             + " | worker RSS MB | slow clients answered |", "|---" * (len(ENDPOINTS) + 3) + "|"]
    for model in models:
        cells = []
        for name in ENDPOINTS:
            rps = statistics.median(r["rps"] for r in results["runs"][model][name])
            base = statistics.median(r["rps"] for r in results["runs"][first][name])
            p99 = statistics.median(r["p99_ms"] for r in results["runs"][model][name])
            cpu = statistics.median(r.get("cpu_ms", 0.0) for r in results["runs"][model][name])
            cells.append(f"{rps:.0f} ({rps / base:.2f}x) / {cpu:.2f} / {p99:.1f}")
        probe = results["slow_clients"].get(model)
        slow = f"{probe['answered']}/{probe['asked']}" if probe else "-"
        rss = max((max(r) for r in results["rss_mb"].get(model, []) if r), default=0.0)
        name = f"default ({results['configured']})" if model in ("", "default") else model
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rss:.0f} | {slow} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse options, measure, write bench/results/workers-<stamp>.json and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="corpus size (posts)")
    parser.add_argument("--models", default="sync,default",
                        help="comma-separated: sync, gthread:THREADS, gevent, tornado, default (gunicorn.conf.py)")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per endpoint and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default: 2 per worker)")
    parser.add_argument("--slow-clients", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--nice", type=int, default=0, help="niceness of gunicorn and wrk; negative (root) shields "
                        "them from other work on a shared machine")
    args = parser.parse_args(argv)
    set_priority(args.nice)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop gunicorn, remove the scratch index
    args.connections = args.connections or 2 * args.workers
    args.load_at_start = list(os.getloadavg())
    results = measure(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"workers-{datetime.now(UTC):%Y-%m-%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"results: {path.relative_to(REPO)}; load average at start {args.load_at_start}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
