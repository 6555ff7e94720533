"""Shared test helpers: paths, tiny content writers, real gunicorn processes, and what an indexed site serves."""

from __future__ import annotations

import http.server
import os
import shlex
import socket
import subprocess
import textwrap
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def write_segment(path: Path, docs: list[dict[str, Any]], writer_class: type | None = None, **kwargs: Any) -> None:
    """Write documents into a new one-segment index at path (the bulk writer unless another writer class is given)."""
    from whoosh import index

    from service.search.whoosh.bulk import BulkSegmentWriter
    from service.search.whoosh.schema import index_schema

    path.mkdir()
    ix = index.create_in(str(path), index_schema())
    writer = (writer_class or BulkSegmentWriter)(ix, **kwargs)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    ix.close()


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared, skipping the test when this clone has no ../shared beside it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared (seed post and real corpora) exists only beside CI's clone")
    return path


def write_post(content_dir: Path, name: str, front_matter: str, body: str, folder: str = "_posts") -> Path:
    """Write one post file with dedented front matter and body."""
    path = content_dir / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{textwrap.dedent(front_matter).strip()}\n---\n{textwrap.dedent(body).lstrip()}",
                    encoding="utf-8")
    return path


def write_image(path: Path, size: tuple[int, int], **save: Any) -> Path:
    """Write a small real image (a gradient, so resizing has work to do) in the format its extension names."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.linear_gradient("L").resize(size).convert("RGB").save(path, **save)
    return path


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(repo: Path, kind: str) -> list[str]:
    """Return the Procfile's command for a process type (web, release) as an argument list."""
    for line in (repo / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return shlex.split(line.split(":", 1)[1])
    raise AssertionError(f"Procfile has no {kind} line")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def get(url: str, timeout: float = 10, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
    """Fetch url; return status, headers and the JSON body (None when it is not JSON); HTTP errors included."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status, found = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw, status, found = exc.read(), exc.code, dict(exc.headers)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    return Answer(status, found, body)


def wait_until_answers(url: str, process: subprocess.Popen[Any], timeout: float, log: Path | None = None) -> float:
    """Poll url until it answers 200; return the seconds it took. Fails if the process exits or time runs out."""
    started = time.monotonic()
    while True:
        try:
            if get(url, timeout=2).status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        detail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        assert process.poll() is None, f"the web process exited with {process.returncode}:\n{detail}"
        assert time.monotonic() - started < timeout, f"{url} did not answer 200 within {timeout} s:\n{detail}"
        time.sleep(0.1)


def listens_on_all_interfaces(port: int) -> bool:
    """Say whether some socket listens on 0.0.0.0:port or [::]:port (read from /proc, no packet sent)."""
    wanted = f":{port:04X}"
    for table, everywhere in (("/proc/net/tcp", "00000000"), ("/proc/net/tcp6", "0" * 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            if state == "0A" and local == everywhere + wanted:  # 0A: LISTEN
                return True
    return False


def stop(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Stop a process we started (SIGTERM, then SIGKILL if it lingers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def path_with(bin_dir: Path) -> str:
    """Return PATH with bin_dir first, so `gunicorn` and `flask` are that environment's."""
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"


def indexed_app(content: Path, index_dir: Path, *, skip_reindex: bool = False, now: datetime | None = None,
                **config: Any) -> Any:
    """Build a real index of content in index_dir (unless the test indexed it itself) and return the app serving it.

    The one place tests make apps; the `make_app` fixture and the module- and session-scoped corpus fixtures call it.
    """
    from service import create_app
    from service.indexing import reindex

    if not skip_reindex:
        reindex(content, index_dir, preview=bool(config.get("PREVIEW", False)), now=now)
    return create_app({"TESTING": True, "CONTENT_DIR": str(content), "INDEX_DIR": str(index_dir),
                       "PUBLIC_URL": "http://api.test", "SITE_URL": "https://blog.test", **config})


def served_client(content: Path, index_dir: Path, **config: Any) -> Any:
    """Return a Flask test client of the app serving an index the test built itself (indexed_app's defaults)."""
    return indexed_app(content, index_dir, skip_reindex=True, **config).test_client()


def build_vocabulary(index_dir: Path) -> Any:
    """The served build's stored vocabulary (completions and corrections), to compare two builds by."""
    from service.search import current_build_dir
    from service.search.whoosh.writer import SIDE_FILE

    return orjson.loads((current_build_dir(index_dir) / SIDE_FILE).read_bytes())["fields"]  # type: ignore[operator]


def comparable(body: Any) -> Any:
    """Drop what legitimately differs between two answers from the same content: timings.

    Scores stay: an incrementally updated build scores over its live documents only (search/whoosh/scoring.py),
    so its scores, and the order of near ties, are a fresh build's.
    """
    if isinstance(body, dict):
        return {k: comparable(v) for k, v in body.items() if k != "took_ms"}
    if isinstance(body, list):
        return [comparable(v) for v in body]
    return body


def listed_posts(client: Any) -> list[dict[str, Any]]:
    """Every post summary /api/posts lists, newest first, over all its pages."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(f"/api/posts?per_page=100&page={page}").get_json()
        found.extend(body["items"])
        if page >= body["pages"]:
            return found
        page += 1


# Every endpoint whose answer could carry a post's words, beside the post's own pages.
LIST_URLS = ("/api/posts?per_page=100&include=html,text,quotes,images,meta", "/api/quotes?per_page=100",
             "/api/images?per_page=100", "/api/categories?per_page=100", "/api/tags?per_page=100",
             "/api/archive?per_page=100", "/feed.json", "/feed.xml")


def word_answers(client: Any, word: str) -> dict[str, str]:
    """The text of every answer that could name a word: lists, feeds, search of each kind, suggestions, related."""
    urls = [*LIST_URLS, f"/api/search?q={word}", f"/api/search?q={word}&type=quote",
            f"/api/search?q={word}&type=image", f"/api/search/suggest?q={word[:4]}",
            f"/api/search/suggest?q={word}"]
    urls += [f"/api/posts/by-id/related?id={post['id']}&limit=20" for post in listed_posts(client)]
    answers = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_json(silent=True)
        if isinstance(body, dict):
            body.pop("query", None)  # search repeats the query it was asked: that is no post's word
            answers[url] = orjson.dumps(body).decode()
        else:
            answers[url] = response.get_data(as_text=True)
    return answers
def site_oracle_differences(client: Any, oracle: dict[str, Any], site_url: str = "") -> list[str]:
    """Compare a served site with what Jekyll made of it (a jekyll-site-oracle.json); return what differs.

    Pages and documents Jekyll shows by default: listed with its URL and title, and resolved at that URL (an
    `authors` collection document as its author);
    redirects of shown files: resolved to the target; data, site settings and each post's authors.
    """
    out: list[str] = []

    def listed(url: str) -> list[dict[str, Any]]:
        items, page = [], 1
        while True:
            body = client.get(f"{url}?per_page=100&page={page}").get_json()
            items += body["items"]
            if page >= body["pages"]:
                return items
            page += 1

    def local(url: str | None) -> str | None:
        return url[len(site_url):] if url and site_url and url.startswith(site_url) else url

    want = {p["path"]: (p["url"], p["title"], "page", p) for p in oracle["pages"] if p["shown_by_default"]}
    for collection in oracle["collections"]:
        want |= {d["path"]: (d["url"], d["title"], "document", d) for d in collection["docs"] if d["shown_by_default"]}
    got = {p["path"]: (local(p["url"]), p["title"]) for p in listed("/api/pages")}
    for collection in client.get("/api/collections").get_json()["items"]:
        got |= {d["path"]: (local(d["url"]), d["title"])
                for d in listed(f"/api/collections/{collection['label']}/documents")}
    for path in sorted(want.keys() | got.keys()):
        if want.get(path, (None, None))[:2] != got.get(path):
            out.append(f"{path}: Jekyll {want.get(path, (None,))[:2]}, served {got.get(path)}")
    written = {c["label"]: c["output"] for c in oracle["collections"]}
    redirected = {r["from"] for r in oracle["redirects"]}
    for path, (url, _title, kind, item) in sorted(want.items()):
        label = next((c["label"] for c in oracle["collections"] if item in c["docs"]), None)
        if kind == "document" and not written[label]:
            continue
        if url in redirected:  # a redirect_to file: its URL is the redirect page
            continue
        answer = client.get("/api/resolve", query_string={"path": url}).get_json()
        if label == "authors":  # an authors collection document's page is its author
            if answer.get("type") != "author" or local(answer["item"].get("url")) != url:
                out.append(f"resolve {url}: expected the author of {path}, got {str(answer)[:200]}")
            continue
        if answer.get("type") != kind or answer["item"]["path"] != path or local(answer.get("url")) != url:
            out.append(f"resolve {url}: expected the {kind} {path}, got {str(answer)[:200]}")
        elif kind == "document" and answer["item"]["id"] != item["id"]:
            out.append(f"{path}: Jekyll's id {item['id']!r}, served {answer['item']['id']!r}")
    shown = {p for p in want} | {"_posts/" + p["path"] for p in oracle["posts"] if p["shown_by_default"]}
    # Jekyll writes no redirect for a file it does not publish; of two files claiming one path, the last one wins.
    targets = {pair["from"]: pair["to"] for pair in oracle["redirects"] if pair["source"] in shown}
    for source, target in targets.items():
        answer = client.get("/api/resolve", query_string={"path": source}).get_json()
        if answer.get("type") != "redirect" or answer.get("location") != target or answer.get("status") != 301:
            out.append(f"redirect {source}: expected {target}, got {str(answer)[:200]}")
    if client.get("/api/data").get_json() != oracle["data"]:
        out.append("/api/data differs from site.data")
    site = client.get("/api/site").get_json()
    for key in ("title", "description", "url", "baseurl"):
        jekyll = oracle["site"].get(key)
        if (site.get(key) or None) != (jekyll or None):
            out.append(f"/api/site {key}: Jekyll {jekyll!r}, served {site.get(key)!r}")
    # Posts are matched by slug and title: Jekyll's URLs here carry the oracle's forced UTC, ours the site's zone.
    by_slug = {a["slug"]: a for a in listed("/api/authors")}
    served: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for post in listed("/api/posts"):
        handles = ((by_slug.get(a["slug"], {}).get("handle") or a["name"]).casefold() for a in post["authors"])
        served.setdefault((post["slug"], post["title"]), []).append(tuple(sorted(handles)))
    wanted: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    # Posts sharing a slug are all served (each under its Jekyll id): each (slug, title) holds one entry per post.
    for post in oracle["posts"]:
        if post["shown_by_default"]:
            names = post["authors"] if post["authors"] else post["author"]
            names = [names] if isinstance(names, str) else [n for n in names or [] if n is not None]
            wanted.setdefault((post["slug"], post["title"]), []).append(
                tuple(sorted(dict.fromkeys(str(n).casefold() for n in names))))
    for key in sorted(wanted.keys() | served.keys()):
        if sorted(wanted.get(key, [])) != sorted(served.get(key, [])):
            out.append(f"post {key}: Jekyll's authors {wanted.get(key)}, served {served.get(key)}")
    return out


_PINNED: list[bytes] = []


def fragmenting_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI app whose /fragment leaves the malloc heap fragmented: 64 MB in 2 KB pieces, one in 32 kept alive.

    The freed pieces stay resident (glibc frees only the heap's top) until malloc_trim hands their pages back.
    """
    if environ.get("PATH_INFO") == "/fragment":
        pieces = [bytes(2048) + i.to_bytes(4, "little") for i in range(32 * 1024)]
        _PINNED.extend(pieces[::32])
        del pieces
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


class Receiver(http.server.ThreadingHTTPServer):
    """Record every POST; answer 503 to the first `fail` of them, 204 after; `hang` holds each request open."""

    def __init__(self, fail: int = 0, hang: float = 0.0) -> None:
        self.fail, self.hang, self.received = fail, hang, []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_port()), _Handler)

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"received {len(self.received)} requests, not {count}")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.hang:
            time.sleep(self.server.hang)
        with self.server.lock:
            self.server.received.append({"body": body, "headers": dict(self.headers)})
            failing = len(self.server.received) <= self.server.fail
        self.send_response(503 if failing else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass
