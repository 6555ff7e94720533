"""A few edited posts patch the served build, and what it serves is what a full build of the same content serves."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.changes import read_history
from service.edit_state import load_state
from service.indexing import BuildSummary, reindex
from service.layout import BuildLayout
from tests.helpers import REPO, build_vocabulary, comparable, listed_posts, served_client, write_image, write_post

NOW = datetime(2029, 12, 31, 12, tzinfo=UTC)
URLS = ("/api/posts?per_page=100", "/api/categories", "/api/tags", "/api/archive", "/api/authors",
        "/api/quotes?per_page=100", "/api/images?per_page=100", "/feed.json", "/api/pages/about",
        "/api/search?q=heron&facets=category,tag,year", "/api/search?q=kestrel", "/api/search/suggest?q=kes")


def _site(root: Path) -> Path:
    """Seven dated posts: two share a cover image, some name an author, one is in the future; an about page."""
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: Patches\n", encoding="utf-8")
    write_image(root / "assets" / "shared.png", (40, 30))
    write_image(root / "assets" / "own.png", (20, 20))
    for n, slug in enumerate(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"], 1):
        cover = "/assets/shared.png" if n in (2, 3) else "/assets/own.png" if n == 4 else None
        front = f"title: {slug.title()} heron\ncategories: [birds]\ntags: [{slug}]\nauthor: Ann Example"
        write_post(root, f"2024-0{n}-01-{slug}.md", front + (f"\nimage: {cover}" if cover else ""),
                   f"The {slug} heron, first paragraph.\n\n> A heron said {slug}.\n\nMore about {slug}.\n")
    write_post(root, "2030-06-01-later.md", "title: Later", "Not yet.\n")
    (root / "about.md").write_text("---\ntitle: About\n---\nAbout {{ site.title }}.\n", encoding="utf-8")
    return root


def _post(content: Path, slug: str) -> Path:
    return next((content / "_posts").glob(f"*-{slug}.md"))


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _compare(content: Path, index: Path, tmp_path: Path, step: str) -> BuildSummary:
    """Reindex, build the same content from scratch, and compare ids, problems, vocabularies and what is served."""
    summary = reindex(content, index, now=NOW)
    fresh_index = tmp_path / f"fresh-{step}"
    fresh = reindex(content, fresh_index, now=NOW, full=True)
    assert summary.build_id == fresh.build_id and summary.problems == fresh.problems, (step, summary.line())
    assert (summary.posts, summary.hidden, summary.files) == (fresh.posts, fresh.hidden, fresh.files), step
    assert build_vocabulary(index) == build_vocabulary(fresh_index), step
    client, other = served_client(content, index), served_client(content, fresh_index)
    posts = listed_posts(client)
    urls = [*URLS, *(f"/api/posts/{p['slug']}" for p in posts), *(f"/api/posts/{p['slug']}/related" for p in posts),
            *(f"/api/posts/by-id?id={p['id']}" for p in posts)]
    for url in urls:
        a, b = client.get(url), other.get(url)
        assert a.status_code == b.status_code, (step, url)
        assert comparable(a.get_json()) == comparable(b.get_json()), (step, url)
    return summary


def _served(content: Path, index: Path, url: str) -> Any:
    return served_client(content, index).get(url).get_json()


def test_body_edits_are_patched_and_match_a_full_build(tmp_path: Path) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    reindex(content, index, now=NOW)
    _append(_post(content, "gamma"), "\nA kestrel at the end.\n")  # a post with a shared cover and an author
    step = _compare(content, index, tmp_path, "closing sentence")
    assert step.patched and step.mode == "incremental" and (step.updated, step.parsed) == (1, 1), step.line()
    assert [h["slug"] for h in _served(content, index, "/api/search?q=kestrel")["items"]] == ["gamma"]
    event = read_history(index)[-1]
    assert event["build_id"] == step.build_id
    assert [(c["change"], c["key"]) for c in event["changes"]] == [("updated", "gamma")]

    text = _post(content, "delta").read_text(encoding="utf-8")  # the excerpt changes: the neighbours' prev/next too
    _post(content, "delta").write_text(text.replace("first paragraph", "a kestrel's first paragraph"), "utf-8")
    _append(_post(content, "beta"), "\nAnd a second edit in the same run.\n")
    (content / ".editing").write_text("delta", encoding="utf-8")  # a dot file the reader never reads
    step = _compare(content, index, tmp_path, "excerpt and a second post")
    assert step.patched and (step.updated, step.parsed) == (2, 2), step.line()
    assert "kestrel" in _served(content, index, "/api/posts/gamma")["next"]["excerpt"]


def test_a_touched_or_undone_edit_reuses_a_build(tmp_path: Path) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    first = reindex(content, index, now=NOW)
    path = _post(content, "beta")
    os.utime(path, ns=(1, 1))  # same bytes, other times
    touched = reindex(content, index, now=NOW)
    assert touched.patched and touched.reused and touched.build_id == first.build_id, touched.line()
    original = path.read_bytes()
    _append(path, "\nA passing kestrel.\n")
    edited = reindex(content, index, now=NOW)
    assert edited.patched and edited.build_id != first.build_id
    path.write_bytes(original)
    undone = reindex(content, index, now=NOW)
    assert undone.patched and undone.reused and undone.build_id == first.build_id, undone.line()
    assert _served(content, index, "/api/search?q=kestrel")["items"] == []


def test_edits_other_records_read_take_the_ordinary_path(tmp_path: Path) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    reindex(content, index, now=NOW)
    steps = {
        "title": lambda: _rewrite(content, "beta", "title: Beta heron", "title: Renamed heron"),
        "date moves it": lambda: _rewrite(content, "gamma", "categories:", "date: 2024-07-15\ncategories:"),
        "category": lambda: _rewrite(content, "delta", "[birds]", "[fish]"),
        "author": lambda: _rewrite(content, "epsilon", "Ann Example", "Bo Other"),
        "cover image": lambda: _rewrite(content, "delta", "own.png", "shared.png"),
        "made future": lambda: _rewrite(content, "zeta", "categories:", "date: 2031-01-01\ncategories:"),
        "unpublished": lambda: _rewrite(content, "alpha", "categories:", "published: false\ncategories:"),
        "page changed too": lambda: (_append(_post(content, "alpha"), "\nMore.\n"),
                                     _append(content / "about.md", "\nEdited.\n")),
        "hidden post edited": lambda: _append(_post(content, "later"), "\nStill not yet.\n"),
        "post added": lambda: write_post(content, "2024-08-01-eta.md", "title: Eta heron", "Eta.\n"),
    }
    for step, change in steps.items():
        change()
        summary = _compare(content, index, tmp_path, step)
        assert not summary.patched, (step, summary.line())  # a hidden post's edit changes no build: reused
    assert _served(content, index, "/api/posts/zeta")["status"] == 404  # hidden once dated in the future
    assert _served(content, index, "/api/posts/alpha")["status"] == 404  # and once unpublished
    assert _served(content, index, "/api/posts/gamma")["date"].startswith("2024-07-15")


def test_time_passing_a_due_date_is_not_patched(tmp_path: Path) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    reindex(content, index, now=NOW)
    _append(_post(content, "alpha"), "\nA kestrel.\n")
    later = datetime(2030, 7, 1, tzinfo=UTC)  # the future post is due by now
    summary = reindex(content, index, now=later)
    assert not summary.patched and summary.posts == 7, summary.line()
    _append(_post(content, "alpha"), "\nAnother kestrel.\n")
    assert reindex(content, index, now=later).patched  # and from there on edits are patched again


def _rewrite(content: Path, slug: str, old: str, new: str) -> None:
    path = _post(content, slug)
    text = path.read_text(encoding="utf-8")
    assert old in text, (slug, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_undated_document_whose_url_takes_the_clock_stops_patching(tmp_path: Path) -> None:
    for permalink, patched in (("/guides/:name/", True), ("/guides/:year/:name/", False)):
        content, index = _site(tmp_path / permalink.count(":").__str__()), tmp_path / f"index-{patched}"
        (content / "_config.yml").write_text(f"title: Patches\ncollections:\n  guides:\n    output: true\n"
                                             f"    permalink: {permalink}\n", encoding="utf-8")
        (content / "_guides").mkdir()
        (content / "_guides" / "walks.md").write_text("---\ntitle: Walks\n---\nBy the river.\n", encoding="utf-8")
        reindex(content, index, now=NOW)
        _append(_post(content, "beta"), "\nA kestrel.\n")
        assert _compare(content, index, tmp_path, f"guides-{patched}").patched is patched, permalink


def test_an_edit_imports_neither_numpy_nor_rapidfuzz(tmp_path: Path) -> None:
    # The edit's own process: numpy (50 ms) and rapidfuzz serve searches, and an edit's segment needs neither.
    content = _site(tmp_path / "site")
    index = tmp_path / "index"
    reindex(content, index, now=NOW)
    _append(_post(content, "gamma"), "\nOne more line about the gamma heron.\n")
    script = ("import sys; from pathlib import Path; from datetime import datetime, UTC; "
              "from service.indexing import reindex; "
              f"s = reindex(Path({str(content)!r}), Path({str(index)!r}), now=datetime(2029, 12, 31, 12, tzinfo=UTC)); "
              "print(s.patched, s.updated, 'numpy' in sys.modules, 'rapidfuzz' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "1", "False", "False"], done.stdout + done.stderr


def test_a_patched_build_links_the_base_state_and_keeps_only_its_changes(tmp_path: Path) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    reindex(content, index, now=NOW)
    first = BuildLayout((index / "current").resolve())
    assert not first.edits_delta.exists()
    edited: set[str] = set()
    for n, slug in enumerate(("beta", "gamma", "beta"), 1):  # a chain of patches, each on the last
        _append(_post(content, slug), f"\nKestrel sighting {n}.\n")
        edited.add(_post(content, slug).relative_to(content).as_posix())
        assert reindex(content, index, now=NOW).patched
        patched = BuildLayout((index / "current").resolve())
        assert patched.edits.stat().st_ino == first.edits.stat().st_ino  # linked, not written again
        assert set(marshal.loads(patched.edits_delta.read_bytes())["lines"]) == edited
    reindex(content, tmp_path / "fresh", now=NOW, full=True)
    assert load_state(patched.root) == load_state((tmp_path / "fresh" / "current").resolve())  # what a scan records
    patched.edits_delta.write_bytes(b"torn")
    assert load_state(patched.root) is None  # the next edit takes the ordinary path


def test_an_edit_whose_index_helper_dies_is_written_here_alike(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    content, index = _site(tmp_path / "site"), tmp_path / "index"
    reindex(content, index, now=NOW)
    monkeypatch.setattr("service.patch.preload_update", lambda: os._exit(3))  # runs in the forked helper only
    _append(_post(content, "gamma"), "\nA kestrel at the end.\n")
    step = _compare(content, index, tmp_path, "helper died")
    assert step.patched and step.updated == 1, step.line()
    assert [h["slug"] for h in _served(content, index, "/api/search?q=kestrel")["items"]] == ["gamma"]
