"""The other Whoosh package measured beside the pinned one, in the same run: full reindex and in-process search.

python -m bench.engines --size 1000 --rounds 1      # alone (make bench runs it at 10,000 posts)

The service's venv runs requirements.txt as pinned; bench/.venv-engines runs the same requirements with the Whoosh
line replaced by bench/requirements-engines.txt's (installed on first use, like the peer's venv). Each package
builds its own index of the same corpus with the documented command (`python -m service reindex --full`), the two
alternating, then answers the same uniform searches (bench.load's search_uniform) through Flask's test client
with the response cache off, in alternating rounds, each round a fresh process. Every answer's slugs and total are
compared between the two packages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.corpus import CACHE, DEFAULT_SEED, cached_corpus, vocabulary
from bench.load import workloads

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv-engines"
PIN = HERE / "requirements-engines.txt"
SIZES = (10_000,)  # corpus sizes make bench measures the other package at
_WHOOSH = re.compile(r"^\s*whoosh(-[a-z]+)?\s*([=<>!~]|$)", re.IGNORECASE)


def swapped_requirements(requirements: str, pin: str) -> str:
    """Return requirements with its one Whoosh line (whoosh, whoosh-reloaded, whoosh-ng...) replaced by pin."""
    lines = requirements.splitlines()
    found = [n for n, line in enumerate(lines) if _WHOOSH.match(line)]
    if len(found) != 1:
        raise ValueError(f"expected one Whoosh requirement, found {len(found)}")
    lines[found[0]] = pin.strip()
    return "\n".join(lines) + "\n"


def pinned(text: str) -> str:
    """Return the one requirement line of a pin file (comments and blank lines left out)."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    kept = [line for line in lines if line]
    if len(kept) != 1:
        raise ValueError(f"expected one requirement, found {len(kept)}")
    return kept[0]


def ensure_venv() -> Path:
    """Create the other package's venv (requirements.txt with the Whoosh line swapped) when missing; return python."""
    wanted = swapped_requirements((REPO / "requirements.txt").read_text(encoding="utf-8"),
                                  pinned(PIN.read_text(encoding="utf-8")))
    python, stamp = VENV / "bin" / "python", VENV / ".installed"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    listed = VENV / "requirements.txt"
    listed.write_text(wanted, encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(listed)],
                   check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def latency_summary(values: list[float]) -> dict[str, float]:
    """p50 and p99 (nearest rank) and the mean of timings in ms."""
    ordered = sorted(values)
    if not ordered:
        return {}

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))], 3)

    return {"p50": rank(50), "p99": rank(99), "mean": round(statistics.fmean(ordered), 3), "n": len(ordered)}


def answers_digest(answers: list[tuple[int, list[str]]]) -> str:
    """One hash of every answer (total, slugs in order), to say whether two packages answered alike."""
    return hashlib.sha256(json.dumps(answers).encode()).hexdigest()[:16]


def queries(seed: int, count: int) -> list[str]:
    """The search_uniform paths (the corpus' own words) from the far half of its list, as the latency pass."""
    paths = next(w.paths for w in workloads(vocabulary(seed), ["x"], ["x"], seed) if w.name == "search_uniform")
    return paths[len(paths) // 2:][:count]


def worker(app_dir: Path, corpus: Path, index_dir: Path, paths: list[str]) -> None:
    """In the child, with the package under test: time every search and print them, its answers and its name."""
    sys.path.insert(0, str(app_dir))
    from importlib.metadata import packages_distributions, version

    from service import create_app

    app = create_app({"TESTING": True, "CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir),
                      "RESPONSE_CACHE_MB": 0})
    client = app.test_client()
    for path in paths[-20:]:  # warm: vocabulary, facet tables and filters load on first use
        client.get(path)
    timings, answers = [], []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        body = response.get_json() if response.status_code == 200 else {}
        answers.append((response.status_code, body.get("total", -1), [h["slug"] for h in body.get("items", [])]))
    name = packages_distributions().get("whoosh", ["whoosh"])[0]
    print(json.dumps({"package": f"{name} {version(name)}", "timings": timings, "answers": answers}))


def _reindex(python: Path, app_dir: Path, corpus: Path, index_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(python), "-m", "service", "reindex", "--full"], cwd=app_dir, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and every process it waited for
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise RuntimeError(f"reindex with {python} failed: {done.stderr.strip()[-2000:]}")
    own = re.search(r" in ([0-9.]+)s$", done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    return {"seconds": round(seconds, 2), "own_seconds": float(own.group(1)) if own else None,
            "cpu_seconds": round(cpu, 2), "load_average": round(os.getloadavg()[0], 2)}


def _search(python: Path, app_dir: Path, corpus: Path, index_dir: Path, paths: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(paths, f)
    try:
        done = subprocess.run([str(python), "-m", "bench.engines", "--worker", str(app_dir), str(corpus),
                               str(index_dir), f.name], cwd=REPO, capture_output=True, text=True, check=False)
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        raise RuntimeError(f"searches with {python} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(size: int, seed: int = DEFAULT_SEED, app_dir: Path = REPO, rounds: int = 2, searches: int = 300,
            latency_rounds: int = 3) -> dict[str, Any]:
    """Both packages on one corpus: full reindexes and search rounds in alternation; medians and each round."""
    corpus, _ = cached_corpus(size, seed)
    pythons = {"pinned": Path(sys.executable), "other": ensure_venv()}
    CACHE.mkdir(parents=True, exist_ok=True)
    indexes = {k: Path(tempfile.mkdtemp(prefix=f"engines-{size}-{k}-", dir=CACHE)) for k in pythons}
    out: dict[str, Any] = {"posts": size, "rounds": rounds, "latency_rounds": latency_rounds, "searches": searches,
                           "load_average_at_start": round(os.getloadavg()[0], 2), "packages": {}}
    paths = queries(seed, searches)
    try:
        found: dict[str, dict[str, Any]] = {k: {"reindex": [], "timings": [], "rounds": []} for k in pythons}
        for n in range(rounds):
            for key in (list(pythons) if n % 2 == 0 else list(pythons)[::-1]):  # ABBA: drift hits both alike
                shutil.rmtree(indexes[key], ignore_errors=True)  # an empty folder each time, as bench.run's reindex
                found[key]["reindex"].append(_reindex(pythons[key], app_dir, corpus, indexes[key]))
        digests: dict[str, str] = {}
        answers: dict[str, list[Any]] = {}
        for n in range(latency_rounds):
            for key in (list(pythons) if n % 2 == 0 else list(pythons)[::-1]):
                got = _search(pythons[key], app_dir, corpus, indexes[key], paths)
                found[key]["package"] = got["package"]
                found[key]["timings"] += got["timings"]
                found[key]["rounds"].append(latency_summary(got["timings"]))
                answers[key], digests[key] = got["answers"], answers_digest(got["answers"])
        for key, f in found.items():
            out["packages"][key] = {
                "package": f.get("package"), "reindex": f["reindex"],
                "reindex_median_s": statistics.median(r["seconds"] for r in f["reindex"]) if f["reindex"] else None,
                "reindex_cpu_median_s": statistics.median(r["cpu_seconds"] for r in f["reindex"])
                if f["reindex"] else None,
                "search": latency_summary(f["timings"]), "search_rounds": f["rounds"],
                "errors": sum(1 for a in answers.get(key, []) if a[0] != 200), "answers": digests.get(key),
            }
        if len(answers) == 2:
            mine, theirs = answers.values()
            out["differing_answers"] = sum(1 for a, b in zip(mine, theirs, strict=True) if a != b)
            out["differing_examples"] = [paths[i] for i, (a, b) in enumerate(zip(mine, theirs, strict=True))
                                         if a != b][:5]
    finally:
        for path in indexes.values():
            shutil.rmtree(path, ignore_errors=True)
    return out


def main() -> None:
    """Run the comparison alone and print its results as JSON (or, with --worker, one package's searches)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=SIZES[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=2, help="full reindexes per package, alternating")
    parser.add_argument("--latency-rounds", type=int, default=3, help="search rounds per package, alternating")
    parser.add_argument("--searches", type=int, default=300, help="searches per round")
    parser.add_argument("--app-dir", type=Path, default=REPO)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        app_dir, corpus, index_dir, listed = args.worker
        worker(Path(app_dir), Path(corpus), Path(index_dir), json.loads(Path(listed).read_text(encoding="utf-8")))
        return
    print(json.dumps(measure(args.size, args.seed, args.app_dir.resolve(), args.rounds, args.searches,
                             args.latency_rounds), indent=2))


if __name__ == "__main__":
    main()
