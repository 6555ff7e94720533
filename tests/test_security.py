"""The read side lets nothing out it should not: media traversal, script in posts, hidden posts, errors, sizes."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from tests.helpers import REPO, indexed_app, write_post

# Words that exist only in posts that must stay hidden: none may surface through any endpoint.
SECRETS = {"draft": "zanzibarquill", "future": "quorvexlantern", "unpublished": "mordantglimmer"}
XSS = [
    "<script>alert('x1')</script>",
    "<img src=x onerror=\"alert('x2')\">",
    "[click](javascript:alert('x3'))",
    "<a href=\"JaVaScRiPt:alert('x4')\">x4</a>",
    "<a href=\"java&#x09;script:alert('x5')\">x5</a>",
    "<a href=\"&#106;avascript:alert('x6')\">x6</a>",
    "<svg onload=\"alert('x7')\"><circle r=1></circle></svg>",
    "<iframe src=\"https://evil.example/x8\"></iframe>",
    "<object data=\"https://evil.example/x9\"></object>",
    "<embed src=\"https://evil.example/x10\">",
    "<style>body{background:url(javascript:alert('x11'))}</style>",
    "<form action=\"javascript:alert('x12')\"><button>x12</button></form>",
    "![x13](javascript:alert('x13'))",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x14</a>",
    "<div onmouseover=\"alert('x15')\">x15</div>",
    "<math><mi xlink:href=\"javascript:alert('x16')\">x16</mi></math>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('x18')\">",
    "<img src=\"x\" style=\"background:url(javascript:alert('x19'))\">",
    "<scr<script>ipt>alert('x20')</script>",
    "<a href=\"vbscript:msgbox('x21')\">x21</a>",
    "<input autofocus onfocus=\"alert('x22')\">",
]
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "form", "base", "meta", "link", "svg", "math",
                  "input", "button", "frame", "frameset", "applet"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.bad.append(f"{tag}[{name}]")
            if name in URL_ATTRS and value is not None:
                scheme = re.sub(r"[\x00-\x20]", "", html.unescape(value)).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text")):
                    self.bad.append(f"{tag}[{name}={value}]")


def _dangers(fragment: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(fragment)
    inspector.close()
    return inspector.bad


def _make_content(root: Path) -> Path:
    content = root / "content"
    (content / "assets").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(content / "assets" / "ok.png")
    Image.new("RGB", (8, 8)).save(content / "assets" / ".hidden.png")
    Image.new("RGB", (8, 8)).save(content / "assets" / "draft-only.png")
    (root / "outside.png").write_bytes((content / "assets" / "ok.png").read_bytes())
    (content / "assets" / "link-out.png").symlink_to(root / "outside.png")
    (content / "assets" / "link-etc.png").symlink_to("/etc/hostname")
    (content / ".git").mkdir()
    (content / ".git" / "config.png").write_bytes(b"[core]")
    (content / "_config.yml").write_text("title: Security test\n")
    body = "Intro paragraph with river words.\n\n" + "\n\n".join(XSS)
    body += "\n\n> <script>alert('q')</script> river quote\n"
    write_post(content, "2024-01-01-xss-corpus.md", "title: \"<script>alert('t')</script> River\"\ncategories: [Open]",
               body)
    write_post(content, "2024-01-02-plain.md", "title: Plain river\ncategories: [Open]\nimage: /assets/ok.png",
               "A plain river post.\n\n> A visible quote about rivers.\n")
    hidden = "categories: [{}]\ntags: [{}]\nimage: /assets/draft-only.png"
    write_post(content, "2024-01-03-draft-post.md",
               f"title: {SECRETS['draft'].title()} draft\n" + hidden.format("Draftcat", "drafttag"),
               f"The {SECRETS['draft']} river.\n\n> {SECRETS['draft']} quoted.\n", folder="_drafts")
    write_post(content, "2099-01-01-future-post.md",
               f"title: {SECRETS['future'].title()} future\n" + hidden.format("Futurecat", "futuretag"),
               f"The {SECRETS['future']} river.\n\n> {SECRETS['future']} quoted.\n")
    write_post(content, "2024-01-04-unpublished-post.md",
               f"title: {SECRETS['unpublished'].title()}\npublished: false\n" + hidden.format("Hiddencat", "hiddentag"),
               f"The {SECRETS['unpublished']} river.\n\n> {SECRETS['unpublished']} quoted.\n")
    return content


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("security")
    content = _make_content(root)
    return {"root": root, "content": content,
            "client": indexed_app(content, root / "index").test_client(),
            "preview": indexed_app(content, root / "preview", PREVIEW=True).test_client()}


# -- /media/ ---------------------------------------------------------------------------------------------------
TRAVERSALS = [
    "../outside.png", "..%2foutside.png", "%2e%2e/outside.png", "%2e%2e%2foutside.png", "%252e%252e%252foutside.png",
    "..%252foutside.png", "assets/../../outside.png", "assets/%2e%2e/%2e%2e/outside.png",
    "assets%2f..%2f..%2foutside.png",
    "/etc/hostname", "%2fetc%2fhostname", "//etc/hostname", "..\\outside.png", "assets\\..\\..\\outside.png",
    "assets/link-out.png", "assets/link-etc.png", "assets/.hidden.png", ".git/config.png", "%2egit/config.png",
    "_config.yml", "_posts/2024-01-02-plain.md", "_drafts/2024-01-03-draft-post.md", "assets/ok.png%00.md",
    "assets/ok.png/", "assets/./ok.png", "assets//ok.png", "./assets/ok.png", "assets/ok.png/..",
]


@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("query", ["", "?w=320"])
def test_media_traversal_attempts_are_404(site: dict[str, Any], path: str, query: str) -> None:
    response = site["client"].get(f"/media/{path}{query}")
    assert response.status_code in (404, 400), (path, response.status_code)
    assert response.mimetype == "application/problem+json"
    assert str(site["root"]) not in response.get_data(as_text=True)


def test_a_media_file_is_served_with_its_type_and_nosniff(site: dict[str, Any]) -> None:
    response = site["client"].get("/media/assets/ok.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- HTML in posts -------------------------------------------------------------------------------------------
def test_xss_payloads_come_out_inert_everywhere(site: dict[str, Any]) -> None:
    client = site["client"]
    post = client.get("/api/posts/xss-corpus").get_json()
    fragments = {"html": post["html"], "excerpt_html": post.get("excerpt_html", "")}
    fragments.update({f"quote {q['id']}": q.get("html", "") for q in post["quotes"]})
    for url in ("/api/search?q=river", "/api/search?q=alert", "/api/search?q=script", "/api/search?q=river&type=quote",
                "/api/quotes", "/api/posts?include=html,quotes"):
        body = client.get(url).get_json()
        for n, item in enumerate(body["items"]):
            for key, value in (item.get("highlights") or {}).items():
                fragments[f"{url} #{n} highlight {key}"] = value or ""
            for key in ("html", "excerpt_html"):
                if isinstance(item.get(key), str):
                    fragments[f"{url} #{n} {key}"] = item[key]
    bad = {where: _dangers(fragment) for where, fragment in fragments.items() if _dangers(fragment)}
    assert not bad, bad
    assert "<script" not in orjson.dumps(post["title"]).decode().replace("<script>alert('t')</script>", "")


def test_titles_and_plain_text_fields_stay_text(site: dict[str, Any]) -> None:
    hits = site["client"].get("/api/search?q=river").get_json()["items"]
    titled = [h for h in hits if h["slug"] == "xss-corpus"]
    assert titled and "<script>" not in (titled[0]["highlights"].get("title") or "")


# -- hidden posts --------------------------------------------------------------------------------------------
def _probe_urls(client: Any, word: str) -> list[str]:
    urls = ["/api/posts?per_page=100", "/api/posts?per_page=100&include=html,text,quotes,images,links,toc",
            "/api/categories", "/api/tags", "/api/archive", "/api/quotes?per_page=100", "/api/images?per_page=100",
            f"/api/search?q={word}", f"/api/search?q={word}&type=quote", f"/api/search?q={word}&type=image",
            f"/api/search?q={word[:-2]}", f"/api/search?q={word[:5]}", f"/api/search/suggest?q={word[:4]}",
            "/api/search?q=river&facets=category,tag,year", "/api/search?facets=category,tag,year",
            "/api/search?q=rivre", "/feed.json", "/feed.xml", "/api/posts/plain", "/api/posts/plain/related",
            "/api/posts/xss-corpus/related", "/api/images?post=plain"]
    urls += [f"/api/quotes/random?seed={n}" for n in range(10)]
    for slug in ("draft-post", "future-post", "unpublished-post"):
        urls += [f"/api/posts/{slug}", f"/api/posts/{slug}/related", f"/api/quotes/{slug}-q1",
                 f"/api/images/{slug}-cover", f"/api/quotes?post={slug}", f"/api/images?post={slug}"]
    for name in ("draftcat", "futurecat", "hiddencat"):
        urls += [f"/api/categories/{name}", f"/api/tags/{name.replace('cat', 'tag')}", f"/feed.json?category={name}"]
    return urls


ECHOES = ("query", "understood", "detail", "errors")  # where an answer repeats the request back


def _without_echoes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_echoes(v) for k, v in value.items() if k not in ECHOES}
    if isinstance(value, list):
        return [_without_echoes(v) for v in value]
    return value


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_hidden_posts_never_surface(site: dict[str, Any], kind: str) -> None:
    word = SECRETS[kind]
    slug = f"{kind}-post"
    needles = (word, slug, "draft-only.png", {"draft": "draftcat", "future": "futurecat"}.get(kind, "hiddencat"))
    leaks = []
    for url in _probe_urls(site["client"], word):
        response = site["client"].get(url)
        if response.status_code != 200:
            assert response.status_code in (400, 404), (url, response.status_code)
            continue
        if response.mimetype.endswith("json"):
            text = orjson.dumps(_without_echoes(response.get_json())).decode().lower()
        else:
            text = response.get_data(as_text=True).lower()
        leaks += [f"{url}: {needle}" for needle in needles if needle in text]
    for url in (f"/api/posts/{slug}", f"/api/posts/{slug}/related", f"/api/quotes/{slug}-q1",
                f"/api/images/{slug}-cover"):
        assert site["client"].get(url).status_code == 404, url
    assert not leaks, leaks


def test_preview_shows_them_so_the_probe_can_see(site: dict[str, Any]) -> None:
    text = site["preview"].get("/api/posts?per_page=100").get_data(as_text=True).lower()
    assert all(word in text or word.title().lower() in text for word in SECRETS.values())


# -- errors and sizes ----------------------------------------------------------------------------------------
ABSURD = [
    "/api/posts?per_page=1000000000000", "/api/posts?page=99999999999999999999999", "/api/posts?page=-1",
    "/api/posts?per_page=0", "/api/posts?page=1e9", "/api/posts?per_page=NaN", "/api/posts?year=99999999999",
    "/api/search?q=" + "a" * 20000, "/api/search?q=" + "word%20" * 5000, "/api/search?per_page=100000",
    "/api/search?page=100000000", "/api/quotes?per_page=101", "/api/images?page=0",
    "/api/posts?" + "x" * 1000 + "=1",
    "/api/search/suggest?q=" + "b" * 5000, "/api/posts/" + "s" * 5000, "/api/posts/plain/related?limit=100000",
    "/api/categories?per_page=99999", "/api/posts?fields=" + ",".join(["slug"] * 500),
]


@pytest.mark.parametrize("url", ABSURD, ids=lambda u: u[:60])
def test_absurd_sizes_are_refused_cleanly(site: dict[str, Any], url: str) -> None:
    response = site["client"].get(url)
    assert response.status_code in (400, 404, 414, 431), (url[:80], response.status_code)
    assert response.mimetype == "application/problem+json"
    assert len(response.get_data()) < 20_000, "an error must not echo an absurd input back in full"


@pytest.mark.slow
def test_gunicorn_refuses_oversized_requests_and_keeps_serving(site: dict[str, Any]) -> None:
    """Sizes the app never sees: gunicorn's own limits (gunicorn.conf.py) refuse them before a worker parses them."""
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CONTENT_DIR": str(site["content"]), "INDEX_DIR": str(site["root"] / "index"),
           "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1"}
    web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                            "service:create_app()"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    def get(path: str, headers: dict[str, str] | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            return connection.getresponse().status
        finally:
            connection.close()

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get("/healthz") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and web.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        assert get("/api/posts?" + "&".join(["category=a"] * 3000)) in (400, 414)
        assert get("/api/search?q=" + "a" * 20000) in (400, 414)
        assert get("/api/posts", {f"X-Junk-{n}": "x" for n in range(200)}) in (400, 431)
        assert get("/api/posts", {"X-Big": "x" * 20000}) in (400, 431)
        assert get("/api/posts?per_page=5") == 200
    finally:
        web.terminate()
        web.wait(timeout=20)


ERRORS = ["/nope", "/api/posts/does-not-exist", "/api/posts?sort=__class__", "/api/search?type=%00",
          "/api/posts?date_from=2024-99-99", "/media/%00", "/api/quotes/%ff%fe", "/api/posts/%c0%ae%c0%ae"]


@pytest.mark.parametrize("url", ERRORS)
def test_errors_give_no_trace_or_server_path(site: dict[str, Any], url: str) -> None:
    for method in ("get", "post", "delete"):
        response = getattr(site["client"], method)(url)
        text = response.get_data(as_text=True)
        assert response.status_code < 500, (method, url, response.status_code)
        for needle in ("Traceback", 'File "', str(REPO), str(site["root"]), "site-packages", "werkzeug"):
            assert needle not in text, (method, url, needle)
