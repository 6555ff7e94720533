"""The peer measured in the same run: Datasette serving the same posts from SQLite with FTS5, in one process.

The posts come from Broadsheet's own API after its reindex (so both serve exactly the same posts, HTML included);
an FTS5 table covers title and body text, and canned queries answer search ranked by bm25 (title weighted like
ours) with snippets, category-filtered search, the newest-first list and one post. Datasette lives in its own
venv under bench/ (bench/requirements-peer.txt, installed by `make bench`), never in the service.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from bench.server import HOST, PRIORITY, _die_with_parent, fetch, free_port, memory_mb

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-peer"
REQUIREMENTS = HERE / "requirements-peer.txt"
PAGE = 100

CANNED = {
    "list": "select slug, title, date, url, excerpt from posts order by date desc limit 20",
    "post": "select * from posts where slug = :slug",
    "search": (
        "select p.slug, p.title, p.date, p.url, p.excerpt, snippet(posts_fts, 1, '<mark>', '</mark>', '…', 24) as"
        " snippet, bm25(posts_fts, 8.0, 1.0) as rank from posts_fts join posts p on p.rowid = posts_fts.rowid"
        " where posts_fts match :q order by rank limit 20"
    ),
    "search_category": (
        "select p.slug, p.title, p.date, p.url, p.excerpt, snippet(posts_fts, 1, '<mark>', '</mark>', '…', 24) as"
        " snippet, bm25(posts_fts, 8.0, 1.0) as rank from posts_fts join posts p on p.rowid = posts_fts.rowid"
        " where posts_fts match :q and p.rowid in (select post from post_categories where category = :category)"
        " order by rank limit 20"
    ),
}


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create the peer's venv and install its pinned packages when missing; return its python."""
    stamp = VENV / ".installed"
    if stamp.is_file() and stamp.read_bytes() == REQUIREMENTS.read_bytes():
        return python()
    if not python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_bytes(REQUIREMENTS.read_bytes())
    return python()


def load_posts(base: str) -> list[dict[str, Any]]:
    """Read every post, HTML and text included, from a running Broadsheet."""
    posts: list[dict[str, Any]] = []
    page = 1
    while True:
        status, body = fetch(f"{base}/api/posts?per_page={PAGE}&page={page}&include=html,text", timeout=60)
        if status != 200:
            raise RuntimeError(f"could not read posts for the peer: {status} {body[:200]!r}")
        found = json.loads(body)
        posts += found["items"]
        if page >= found["pages"]:
            return posts
        page += 1


def build_db(posts: list[dict[str, Any]], path: Path) -> float:
    """Write the peer's SQLite database (posts, categories, FTS5 over title and body); return seconds taken."""
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript(
        "create table posts (slug text primary key, title text, date text, url text, excerpt text, html text,"
        " body text, categories text, tags text);"
        "create table post_categories (post integer, category text);"
        "create index post_categories_category on post_categories (category, post);"
        "create index posts_date on posts (date);"
    )
    for post in posts:
        cursor = db.execute(
            "insert into posts values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (post["slug"], post["title"], post["date"], post["url"], post["excerpt"], post.get("html"),
             post.get("text"), json.dumps([c["slug"] for c in post["categories"]]),
             json.dumps([t["slug"] for t in post["tags"]])),
        )
        db.executemany("insert into post_categories values (?, ?)",
                       [(cursor.lastrowid, c["slug"]) for c in post["categories"]])
    db.executescript(
        "create virtual table posts_fts using fts5(title, body, content='posts', tokenize='porter unicode61');"
        "insert into posts_fts (rowid, title, body) select rowid, title, body from posts;"
        "insert into posts_fts (posts_fts) values ('optimize');"
    )
    db.commit()
    db.close()
    return time.perf_counter() - started


class Datasette:
    """One Datasette process serving the peer database on a free loopback port."""

    def __init__(self, db: Path, log: Path) -> None:
        self.db, self.log, self.port = db, log, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Datasette:
        metadata = self.db.with_suffix(".metadata.json")
        metadata.write_text(json.dumps({"databases": {self.db.stem: {"queries": CANNED}}}), encoding="utf-8")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*PRIORITY, str(VENV / "bin" / "datasette"), "serve", "-i", str(self.db), "--host", HOST, "--port",
             str(self.port), "--metadata", str(metadata), "--setting", "sql_time_limit_ms", "5000",
             "--setting", "max_returned_rows", "100"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
        )
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            try:
                if fetch(self.base + f"/{self.db.stem}/list.json", timeout=2)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"Datasette did not answer; see {self.log}")

    def rss_mb(self) -> float | None:
        found = memory_mb(self.process.pid) if self.process else None
        return found.get("rss") if found else None

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def peer_paths(db: str, name: str, ours: list[str]) -> list[str]:
    """Turn our request paths for one endpoint into the peer's equivalent requests (same words, slugs, categories)."""
    out = []
    for path in ours:
        query = dict(part.split("=", 1) for part in path.partition("?")[2].split("&") if "=" in part)
        if name == "list":
            out.append(f"/{db}/list.json?_shape=array")
        elif name == "post":
            out.append(f"/{db}/post.json?_shape=array&slug={quote_plus(path.rsplit('/', 1)[1])}")
        elif name == "search_category":
            out.append(f"/{db}/search_category.json?_shape=array&q={query['q']}&category={query['category']}")
        else:
            out.append(f"/{db}/search.json?_shape=array&q={query['q']}")
    return out
