"""Body fidelity: how many rendered bodies agree with what Jekyll (kramdown, GFM input) rendered, per corpus and kind.

python -m bench.fidelity                      # both whole-site corpora: posts, pages, documents
python -m bench.fidelity --blogs              # also the two blogs (runs the Jekyll oracle on them, needs jekyll)
python -m bench.fidelity --json out.json      # every document's comparison
python -m bench.fidelity --markdown-only      # Markdown alone: our renderer on Jekyll's own Liquid output
python -m bench.fidelity --write-doc          # refresh the results section of BENCHMARKS.md

Posts go through the product's reader (`load_content`), pages and collection documents through its site reader
(`read_site`, with hidden files kept so every document Jekyll rendered is compared).

`--markdown-only` separates the two steps: it runs Jekyll (the shared site oracle, on a temporary copy of the site
with one extra plugin that records what each document's Liquid produced, the Markdown converter's input) and
renders exactly that text with our Markdown renderer, so Liquid the reader does not run yet cannot count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from bench.bodycompare import THRESHOLD, Comparison, compare
from service.content.kramdown.options import MarkdownOptions
from service.content.loader import load_content
from service.content.markdown import render_markdown
from service.content.site import load_site_config
from service.content.site_reader import read_site

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SITES = ("18f-site", "jekyll-docs")
BLOGS = ("18f-blog", "jekyll-news")
MARKDOWN = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown", ".mdwn"})
DOC_MARKERS = {False: ("<!-- fidelity:start -->", "<!-- fidelity:end -->"),
               True: ("<!-- fidelity-markdown:start -->", "<!-- fidelity-markdown:end -->")}


@dataclass
class Result:
    corpus: str
    kind: str  # post, page, document
    path: str
    comparison: Comparison


def site_results(name: str, kinds: tuple[str, ...] = ("post", "page", "document")) -> list[Result]:
    """Compare every post, page and document (of the kinds asked for) of a whole-site corpus with its oracle."""
    site_dir = SHARED / "corpora-site" / name
    oracle = json.loads((site_dir / "jekyll-site-oracle.json").read_text(encoding="utf-8"))
    loaded = load_content(site_dir, preview=True)
    posts = {p.path: p for p in loaded.posts + loaded.hidden}
    results = []
    for want in oracle["posts"] if "post" in kinds else []:
        post = posts.get(want["relative_path"])
        got = post.html if post is not None else ""
        results.append(Result(name, "post", want["relative_path"], compare(want["content"] or "", got)))
    site = read_site(site_dir, loaded.site, loaded.posts, preview=True)
    rendered = {d.path: d.html for d in site.pages + site.documents}
    documents = [("page", page) for page in oracle["pages"]]
    documents += [("document", doc) for collection in oracle["collections"] for doc in collection["docs"]]
    for kind, want in documents:
        # A redirect_to document's content is the redirect plugin's page, not its body.
        if kind not in kinds or not _compared(want) or not (site_dir / want["path"]).is_file():
            continue
        got = rendered.get(want["path"], "")
        results.append(Result(name, kind, want["path"], compare(want["content"], got)))
    return results


# Records each document's Markdown before conversion (after Liquid) and writes them when the site is done.
_RECORDER = """
require "json"
module BroadsheetLiquidOutput
  def convert(content)
    path = document.respond_to?(:relative_path) ? document.relative_path : nil
    ($broadsheet_liquid ||= {})[path] ||= content if path
    super
  end
end
Jekyll::Renderer.prepend(BroadsheetLiquidOutput)
Jekyll::Hooks.register :site, :post_render do |_site|
  out = ENV["BROADSHEET_LIQUID_OUT"]
  if out && !File.exist?(out)
    File.write(out, JSON.generate($broadsheet_liquid || {}))
  end
end
"""


def markdown_only_results(name: str) -> list[Result]:
    """Compare our Markdown rendering of Jekyll's own Liquid output with Jekyll's rendering, per document."""
    site_dir = SHARED / "corpora-site" / name
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "site"
        shutil.copytree(site_dir, copy, ignore=shutil.ignore_patterns("jekyll-site-oracle.json"))
        (copy / "_oracle_plugins").mkdir(exist_ok=True)
        (copy / "_oracle_plugins" / "broadsheet_liquid_output.rb").write_text(_RECORDER, encoding="utf-8")
        inputs_path, oracle_path = Path(work) / "liquid.json", Path(work) / "oracle.json"
        subprocess.run([str(SHARED / "tools" / "jekyll-site-oracle.sh"), str(copy), str(oracle_path)], check=True,
                       env={**os.environ, "BROADSHEET_LIQUID_OUT": str(inputs_path)}, stdout=subprocess.DEVNULL)
        inputs = json.loads(inputs_path.read_text(encoding="utf-8"))
        oracle = json.loads(oracle_path.read_text(encoding="utf-8"))
    options = _site_options(site_dir)
    documents = [("post", post.get("relative_path")) for post in oracle["posts"] if _compared(post)]
    documents += [("page", page["path"]) for page in oracle["pages"] if _compared(page)]
    documents += [("document", doc["path"]) for c in oracle["collections"] for doc in c["docs"] if _compared(doc)]
    contents = {p.get("relative_path"): p["content"] for p in oracle["posts"]}
    contents |= {p["path"]: p["content"] for p in oracle["pages"]}
    contents |= {d["path"]: d["content"] for c in oracle["collections"] for d in c["docs"]}
    results = []
    for kind, path in documents:
        if path not in inputs or PurePosixPath(path).suffix.lower() not in MARKDOWN or contents.get(path) is None:
            continue
        got = render_markdown(inputs[path], options).html
        results.append(Result(name, kind, path, compare(contents[path], got)))
    return results


def _site_options(site_dir: Path) -> MarkdownOptions:
    return load_site_config(site_dir)[0].markdown


def _compared(want: dict[str, Any]) -> bool:
    """Documents with a body of their own (a redirect_to document's content is the redirect plugin's page)."""
    return want.get("content") is not None and not want.get("redirect_to")


def blog_results(name: str) -> list[Result]:
    """Compare a blog's posts with the oracle run with ORACLE_CONTENT=1 (cached in a temporary folder)."""
    corpus = SHARED / "corpora" / name
    cache = Path(tempfile.gettempdir()) / f"broadsheet-oracle-content-{name}.json"
    if not cache.exists():
        subprocess.run([str(SHARED / "tools" / "jekyll-oracle.sh"), str(corpus), str(cache)], check=True,
                       env={**os.environ, "ORACLE_CONTENT": "1"}, stdout=subprocess.DEVNULL)
    oracle = json.loads(cache.read_text(encoding="utf-8"))["posts"]
    loaded = load_content(corpus, preview=True)
    posts = {p.path.split("_posts/", 1)[-1]: p for p in loaded.posts + loaded.hidden}
    return [Result(name, "post", want["path"], compare(want["content"] or "",
                                                       posts[want["path"]].html if want["path"] in posts else ""))
            for want in oracle]


def summarise(results: list[Result], worst: int = 10) -> str:
    """Markdown tables: share agreeing per corpus and kind, overall, and the worst documents with what differs."""
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        groups[(result.corpus, result.kind)].append(result)
    lines = ["| corpus | kind | documents | agree | share | text >= 0.98 | same structure |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for (corpus, kind), group in sorted(groups.items()):
        lines.append(_row(corpus, kind, group))
    sites = [r for r in results if r.corpus in SITES]
    if sites:
        lines.append(_row("**both sites**", "all", sites, bold=True))
    if len(sites) != len(results):
        lines.append(_row("**everything**", "all", results, bold=True))
    ranked = sorted(results, key=lambda r: (r.comparison.agrees, len(r.comparison.structure_differs) == 0,
                                            r.comparison.similarity))
    if all(r.comparison.agrees for r in results):
        return "\n".join([*lines, "", "Every document agrees."])
    lines += ["", f"Worst {worst}:", "", "| corpus | document | what differs (Jekyll vs Broadsheet) |", "|---|---|---|"]
    for result in ranked[:worst]:
        if result.comparison.agrees:
            break
        what = result.comparison.describe().replace("|", "\\|")
        lines.append(f"| {result.corpus} | `{result.path}` | {what[:300]} |")
    return "\n".join(lines)


def _row(corpus: str, kind: str, group: list[Result], bold: bool = False) -> str:
    agree = sum(r.comparison.agrees for r in group)
    text = sum(r.comparison.similarity >= THRESHOLD for r in group)
    same = sum(not r.comparison.structure_differs for r in group)
    share = f"{100 * agree / len(group):.1f}%"
    return f"| {corpus} | {kind} | {len(group)} | {agree} | {f'**{share}**' if bold else share} | {text} | {same} |"


def write_doc(table: str, note: str, markdown_only: bool) -> None:
    """Replace the text between the fidelity markers (end to end, or Markdown alone) in BENCHMARKS.md."""
    doc = REPO / "BENCHMARKS.md"
    text = doc.read_text(encoding="utf-8")
    opening, closing = DOC_MARKERS[markdown_only]
    start, end = text.index(opening) + len(opening), text.index(closing)
    doc.write_text(f"{text[:start]}\n{note}\n\n{table}\n{text[end:]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blogs", action="store_true", help="also compare the two blogs (runs Jekyll on them)")
    parser.add_argument("--markdown-only", action="store_true",
                        help="render Jekyll's own Liquid output with our Markdown renderer (runs Jekyll)")
    parser.add_argument("--json", type=Path, help="write every document's comparison here")
    parser.add_argument("--worst", type=int, default=10)
    parser.add_argument("--write-doc", action="store_true", help="refresh BENCHMARKS.md's fidelity results")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: list[Result] = []
    for name in SITES:
        results += markdown_only_results(name) if args.markdown_only else site_results(name)
    if args.blogs:
        for name in BLOGS:
            results += blog_results(name)
    table = summarise(results, args.worst)
    print(table)
    if args.json:
        args.json.write_text(json.dumps([{"corpus": r.corpus, "kind": r.kind, "path": r.path, "agrees":
                                          r.comparison.agrees, "similarity": round(r.comparison.similarity, 4),
                                          "differs": r.comparison.describe()} for r in results], indent=1))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    flags = (" --blogs" if args.blogs else "") + (" --markdown-only" if args.markdown_only else "")
    note = (f"`python -m bench.fidelity{flags} --write-doc` at commit "
            f"{commit.stdout.strip() or '?'}, {time.perf_counter() - started:.0f} s.")
    if args.write_doc:
        write_doc(table, note, args.markdown_only)
    print(note, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
