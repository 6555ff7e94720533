"""Relevance benchmark: known-item queries over the shared real blogs, Broadsheet and tantivy in the same run.

python -m bench.relevance                   # every corpus, both halves; prints the Markdown summary
python -m bench.relevance --split dev       # only the dev half (what ranking weights were chosen on)
python -m bench.relevance --write-doc       # also puts the summary into BENCHMARKS.md
python -m bench.relevance --misses 40       # prints the queries Broadsheet ranks worst, to study them

Broadsheet is asked through the real path: `reindex` into a temporary index folder, then the served
`/api/search` (Flask's test client, so no network). Tantivy indexes the same posts, read by the same reader.
MRR@10 (1/rank of the post within the first 10, else 0) and success@1 are reported per query form and corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.relevance_peers import TITLE_BOOSTS, TantivyPeer
from bench.relevance_queries import DEFAULT_SEED, FORM_NAMES, FORMS, KnownItem, known_items, title_words_alone

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = {  # name -> folder; the site copies hold the same posts as the blogs, read with each site's _config.yml
    "jekyll-news": SHARED / "corpora" / "jekyll-news",
    "18f-blog": SHARED / "corpora" / "18f-blog",
    "jekyll-docs": SHARED / "corpora-site" / "jekyll-docs",
    "18f-site": SHARED / "corpora-site" / "18f-site",
}
DEPTH = 10
ALONE_DEPTH = DEPTH  # a title word typed alone: is its post within the first 10
RESULTS = Path(__file__).resolve().parent / "results"
DOC = REPO / "BENCHMARKS.md"
START, END = "<!-- relevance:results:start -->", "<!-- relevance:results:end -->"

Engine = Callable[..., list[str]]


def _log(message: str) -> None:
    print(f"[relevance {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Broadsheet:
    """Our engine over one corpus: a real reindex into a temporary folder, asked through /api/search."""

    name = "broadsheet"

    def __init__(self, content_dir: Path, work: Path) -> None:
        from service import create_app
        from service.indexing import reindex

        index_dir = work / "index"
        reindex(content_dir, index_dir, full=True)
        self.app = create_app({"TESTING": True, "CONTENT_DIR": str(content_dir), "INDEX_DIR": str(index_dir),
                               "RESPONSE_CACHE_MB": 0})
        self.client = self.app.test_client()

    def search(self, text: str, limit: int = DEPTH) -> list[str]:
        response = self.client.get("/api/search", query_string={"q": text, "per_page": limit})
        if response.status_code != 200:
            raise RuntimeError(f"/api/search?q={text!r} answered {response.status_code}: {response.get_data()!r}")
        return [hit["id"] for hit in response.get_json()["items"]]


def rank_of(found: Sequence[str], target: str) -> int | None:
    for rank, post_id in enumerate(found[:DEPTH], start=1):
        if post_id == target:
            return rank
    return None


def _run(engine: Engine, items: list[KnownItem]) -> tuple[list[int | None], list[float]]:
    ranks, took = [], []
    for item in items:
        started = time.perf_counter()
        found = engine(item.q)
        took.append((time.perf_counter() - started) * 1000)
        ranks.append(rank_of(found, item.target))
    return ranks, took


def _scores(ranks: list[int | None]) -> dict[str, float]:
    if not ranks:
        return {"n": 0, "mrr": 0.0, "s1": 0.0}
    return {"n": len(ranks), "mrr": sum(1 / r for r in ranks if r) / len(ranks),
            "s1": sum(1 for r in ranks if r == 1) / len(ranks)}


def _best_boost(posts: Sequence[Any], items: list[KnownItem]) -> tuple[float, dict[float, float]]:
    """Choose tantivy's title boost the way ours were chosen: the best MRR on the dev half of the queries."""
    dev = [i for i in items if i.split == "dev"]
    tried = {}
    for boost in TITLE_BOOSTS:
        peer = TantivyPeer(posts, title_boost=boost)
        tried[boost] = _scores(_run(peer.search, dev)[0])["mrr"]
    return max(tried, key=lambda b: (tried[b], -b)), tried


def run(corpora: list[str], seed: int, split: str, misses: int, tantivy_boost: float | None,
        alone_every: int = 1) -> dict[str, Any]:
    from service.content.loader import load_content
    from service.search.whoosh.schema import FIELD_WEIGHTS

    results: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
                               "split": split, "field_weights": dict(FIELD_WEIGHTS), "load_avg": os.getloadavg()[0],
                               "alone_every": alone_every,
                               "corpora": {}, "misses": []}
    for name in corpora:
        folder = CORPORA[name]
        if not folder.is_dir():
            _log(f"{name}: {folder} is absent, skipped")
            continue
        posts = load_content(folder).posts
        items = [i for i in known_items(posts, seed) if split == "all" or i.split == split]
        words = title_words_alone(posts)[::alone_every] if alone_every else []
        _log(f"{name}: {len(posts)} posts, {len(items)} known-item queries, {len(words)} title words alone")
        with tempfile.TemporaryDirectory(prefix="relevance-") as work:
            ours = Broadsheet(folder, Path(work))
            boost, tried = (tantivy_boost, {}) if tantivy_boost else _best_boost(posts, items)
            peer = TantivyPeer(posts, title_boost=boost)
            corpus: dict[str, Any] = {"posts": len(posts), "tantivy_title_boost": boost, "boosts_tried": tried,
                                      "engines": {}}
            for engine_name, engine in (("broadsheet", ours.search), ("tantivy", peer.search)):
                ranks, took = _run(engine, items)
                alone_ranks = [_rank_within(engine(w, ALONE_DEPTH), t) for w, t, _ in words]
                corpus["engines"][engine_name] = {
                    "ranks": ranks,
                    "ms_median": statistics.median(took) if took else 0, "ms_p95": _p95(took),
                    "alone_s10": sum(1 for r in alone_ranks if r is not None and r <= DEPTH) / max(1, len(words)),
                    "alone_s10_reachable": _reachable(words, alone_ranks),
                    "alone_lost": [w for (w, _, n), r in zip(words, alone_ranks, strict=True)
                                   if r is None and n <= DEPTH][:20],
                }
                _log(f"{name} {engine_name}: MRR@10 {_scores(ranks)['mrr']:.3f}")
            corpus["queries"] = [[i.form, i.q, i.target, i.split] for i in items]
            if misses:
                ours_ranks = corpus["engines"]["broadsheet"]["ranks"]
                peer_ranks = corpus["engines"]["tantivy"]["ranks"]
                for item, r, p in zip(items, ours_ranks, peer_ranks, strict=True):
                    if (r or 99) > 1:
                        got = ours.search(item.q, 3)
                        results["misses"].append({"corpus": name, "form": item.form, "q": item.q, "rank": r,
                                                  "tantivy": p, "target": item.target, "got": got})
            results["corpora"][name] = corpus
    return results


def _rank_within(found: list[str], target: str) -> int | None:
    return found.index(target) + 1 if target in found else None


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))] if values else 0.0


def _reachable(words: list[tuple[str, str, int]], ranks: list[int | None]) -> float:
    """success@10 over the words at most 10 titles share (for the others, 10 ranks cannot hold every post)."""
    pairs = [(r, n) for (_, _, n), r in zip(words, ranks, strict=True) if n <= DEPTH]
    return sum(1 for r, _ in pairs if r is not None and r <= DEPTH) / max(1, len(pairs))


def _table(results: dict[str, Any], split: str | None) -> list[str]:
    """MRR@10 / success@1 per form, per corpus and pooled, ours then tantivy's."""
    names = list(results["corpora"])
    per: dict[tuple[str, str, str], list[int | None]] = defaultdict(list)
    for name, corpus in results["corpora"].items():
        for engine, data in corpus["engines"].items():
            for (form, _, _, item_split), r in zip(corpus["queries"], data["ranks"], strict=True):
                if split is None or item_split == split:
                    per[(engine, name, form)].append(r)
                    per[(engine, "pooled", form)].append(r)
                    per[(engine, name, "all")].append(r)
                    per[(engine, "pooled", "all")].append(r)
    head = "| query form | " + " | ".join(f"{n}" for n in [*names, "pooled"]) + " |"
    lines = [head, "|---|" + "---|" * (len(names) + 1)]
    for form in [*FORMS, "all"]:
        cells = []
        for name in [*names, "pooled"]:
            ours, peer = _scores(per[("broadsheet", name, form)]), _scores(per[("tantivy", name, form)])
            mark = "" if ours["mrr"] >= peer["mrr"] else " ✗"
            cells.append(f"**{ours['mrr']:.3f}** / {ours['s1']:.3f} vs {peer['mrr']:.3f} / {peer['s1']:.3f}{mark}")
        label = FORM_NAMES.get(form, "all forms")
        n = _scores(per[("broadsheet", "pooled", form)])["n"]
        lines.append(f"| {label} ({n}) | " + " | ".join(cells) + " |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The summary that goes into BENCHMARKS.md."""
    flag = f" --split {results['split']}" if results["split"] != "all" else ""
    lines = [f"Run {results['started']} (seed {results['seed']}, load average {results['load_avg']:.1f} at the "
             f"start), `python -m bench.relevance{flag}`."
             " Broadsheet's field weights: " + ", ".join(f"{k} {v:g}" for k, v in results["field_weights"].items())
             + ". Each cell: Broadsheet MRR@10 / success@1 vs tantivy MRR@10 / success@1; ✗ where tantivy's MRR is"
             " higher.", ""]
    splits = [None, "dev", "held-out"] if results["split"] == "all" else [None]
    for split in splits:
        if split:
            lines += ["", f"Only the {split} half:", ""]
        lines += _table(results, split)
    every = results.get("alone_every", 1)
    lines += ["", f"Each title word typed alone{f' (one title word in {every})' if every > 1 else ''}:", "",
              "| corpus | posts | tantivy title boost | each title word alone, success@10 (ours / tantivy) | "
              "the same where ≤10 titles share the word | median / p95 ms per query (ours via Flask, tantivy bare) |",
              "|---|---|---|---|---|---|"]
    for name, corpus in results["corpora"].items():
        o, t = corpus["engines"]["broadsheet"], corpus["engines"]["tantivy"]
        lines.append(f"| {name} | {corpus['posts']} | {corpus['tantivy_title_boost']:g} | "
                     f"{o['alone_s10']:.3f} / {t['alone_s10']:.3f} | "
                     f"{o['alone_s10_reachable']:.3f} / {t['alone_s10_reachable']:.3f} | "
                     f"{o['ms_median']:.1f} / {o['ms_p95']:.1f} vs {t['ms_median']:.2f} / {t['ms_p95']:.2f} |")
    return "\n".join(lines) + "\n"


def update_doc(summary: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"{DOC} has no {START} marker")
    DOC.write_text(f"{head}{START}\n{summary}{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--split", choices=("all", "dev", "held-out"), default="all")
    parser.add_argument("--misses", type=int, default=0, help="print this many of our worst-ranked queries")
    parser.add_argument("--tantivy-boost", type=float, default=None, help="skip choosing tantivy's title boost")
    parser.add_argument("--weights", default=None,
                        help="try other field weights, e.g. title=8,labels=3,excerpt=2,body=1 (how they were chosen)")
    parser.add_argument("--no-alone", action="store_true", help="skip the each-title-word-alone check (faster)")
    parser.add_argument("--alone-every", type=int, default=1, help="check only every n-th title word alone")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--merge", nargs="+", type=Path, help="combine results files of one corpus each (runs in "
                        "parallel) into one summary instead of running")
    args = parser.parse_args()
    if args.merge:
        parts = [json.loads(path.read_text(encoding="utf-8")) for path in args.merge]
        merged = {**parts[0], "corpora": {}, "misses": [], "load_avg": max(p["load_avg"] for p in parts)}
        for part in parts:
            merged["corpora"].update(part["corpora"])
            merged["misses"] += part["misses"]
        summary = markdown(merged)
        print(summary)
        if args.write_doc:
            update_doc(summary)
        return
    if args.weights:
        from service.search.whoosh.schema import FIELD_WEIGHTS

        FIELD_WEIGHTS.update({k: float(v) for k, v in (pair.split("=") for pair in args.weights.split(","))})
    results = run(args.corpora, args.seed, args.split, args.misses, args.tantivy_boost,
                  0 if args.no_alone else args.alone_every)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"relevance-{results['started'].replace(':', '')}-{'-'.join(results['corpora']) or 'none'}.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    summary = markdown(results)
    print(summary)
    if args.misses:
        worst = sorted(results["misses"], key=lambda m: (m["rank"] or 99) - (m["tantivy"] or 99), reverse=True)
        for m in worst[: args.misses]:
            print(f"{m['corpus']:12} {m['form']:14} ours={m['rank']} tantivy={m['tantivy']} q={m['q']!r} "
                  f"want={m['target']} got={m['got']}")
    for name, corpus in results["corpora"].items():
        lost = corpus["engines"]["broadsheet"]["alone_lost"]
        if lost:
            print(f"{name}: title words (in at most 10 titles) that miss their post alone (first 20): {lost}")
    if args.write_doc:
        update_doc(summary)
    _log(f"results in {out}")


if __name__ == "__main__":
    main()
