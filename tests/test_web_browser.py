"""The search page in headless Chromium (Debian's package, driven by Playwright) against real gunicorn."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, write_post

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO / "docs" / "screenshots"
# Never fetch anything: no browser downloads, no background services, no QUIC.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
LIGHTHOUSE = "restoring-the-gull-point-lighthouse"
HERON = "grey-heron-pair-nests-at-millbrook-reservoir"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _serve(content: Path, index: Path) -> Iterator[str]:
    """Reindex `content` with the real command and serve it with real gunicorn on a free loopback port."""
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "CONTENT_DIR": str(content),
           "INDEX_DIR": str(index), "WEB_UI": "1", "WEB_CONCURRENCY": "2",
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PUBLIC_URL", None)
    build = subprocess.run([str(bin_dir / "flask"), "--app", "service", "reindex"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "service:create_app()"], cwd=REPO,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                    break
            except OSError:
                assert web.poll() is None, "gunicorn exited before answering"
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        yield base
    finally:
        web.terminate()
        web.wait(timeout=15)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample content, served as `make run` serves it."""
    with _serve(REPO / "content", tmp_path_factory.mktemp("web-index")) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield chromium
        chromium.close()


class Console:
    """Every console error and uncaught exception a page produced."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("requestfailed", self._failed)
        self.bad_responses: list[str] = []
        page.on("response", lambda resp: self.bad_responses.append(resp.url) if resp.status >= 400 else None)

    def _failed(self, request: Any) -> None:
        # The page aborts a request on purpose when a newer keystroke supersedes it.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append(f"request failed: {request.url} ({request.failure})")


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server, locale="en-GB",
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console = Console(page)
    yield page
    errors = page.console.errors
    context.close()
    assert errors == [], f"console errors: {errors}"


def _until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until it is true (wait_for_function would need eval, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.05)


def _results(page: Any, query: str = "") -> Any:
    """Wait for the search (for `query`, when given) to be on screen, then return the result items."""
    _until(page, "document.getElementById('results').getAttribute('aria-busy') === null"
                 f" && document.getElementById('status').textContent.includes({query!r})"
                 " && document.getElementById('status').textContent !== ''")
    return page.locator("#results > li")


def _search_query(page: Any) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(page.url).query)


def test_typing_a_misspelled_word_finds_the_post_with_a_highlight(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Search posts and quotes").press_sequentially("lighthuse", delay=40)
    first = page.locator("#results > li.hit").first
    first.locator(f"a[data-slug='{LIGHTHOUSE}']").wait_for()
    assert _results(page).count() >= 1
    assert first.locator("mark").count() >= 1, first.inner_html()
    assert "lighthouse" in first.locator("mark").first.inner_text().lower()
    assert _search_query(page)["q"] == ["lighthuse"]
    assert re.search(r"\d+ posts? for “lighthuse”", page.locator("#status").inner_text())


def test_suggestions_work_from_the_keyboard(page: Any) -> None:
    page.goto("/")
    box = page.get_by_role("combobox", name="Search posts and quotes")
    box.press_sequentially("hero", delay=40)
    listbox = page.get_by_role("listbox")
    # On a busy machine a keystroke can come after the typing pause: "her" is then answered and shown first.
    page.locator("[role=listbox][data-query='hero']").wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    texts = [t.lower() for t in options.all_inner_texts()]
    assert any(t.startswith("heron") for t in texts), texts
    target = next(i for i, t in enumerate(texts) if t.startswith("heron"))
    for _ in range(target + 1):
        box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(target).get_attribute("id")
    assert options.nth(target).get_attribute("aria-selected") == "true"
    box.press("Enter")
    assert listbox.is_hidden()
    page.wait_for_url(re.compile(r"[?&]q=heron"))
    assert box.input_value().lower().startswith("heron")
    _results(page).first.locator(f"a[data-slug='{HERON}']").wait_for()
    box.press_sequentially(" nes", delay=40)
    listbox.wait_for()
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"


def test_a_facet_narrows_the_results_updates_the_url_and_back_restores(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Search posts and quotes").press_sequentially("millbrok", delay=30)  # sic: a typo
    page.wait_for_url(re.compile(r"q=millbrok"))
    _results(page, "millbrok")
    total_before = _total(page)
    assert total_before >= 3
    assert "millbrook" in page.locator("#did-you-mean").inner_text()
    facets = page.locator("#facets [data-facet='category']")
    counts = [int(c) for c in facets.locator(".count").all_inner_texts()]
    assert counts and all(c > 0 for c in counts)
    facet = facets.nth(next(i for i, c in enumerate(counts) if c < total_before))
    name = facet.get_attribute("data-value")
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(rf"[?&]category={re.escape(name)}"))
    _until(page, f"document.querySelector('#facets [aria-current]')?.dataset.value === {name!r}")
    _results(page, "millbrok")
    assert _total(page) == count == page.locator("#results > li.hit").count()
    assert facets.count() > 1, "the other categories stay listed, to switch to"
    for hit in page.locator("#results > li.hit").all():
        assert name in [c.split("category=")[-1].split("&")[0] for c in
                        hit.locator(".chips a").evaluate_all("els => els.map(e => e.href)")]
        assert hit.locator("mark").count() >= 1
    assert _search_query(page) == {"q": ["millbrok"], "category": [name]}
    page.screenshot(path=str(_shot("results.png")), full_page=False)

    page.go_back()
    _until(page, "!location.search.includes('category=')")
    _results(page, "millbrok")
    assert _total(page) == total_before
    assert page.locator("#facets [aria-current]").count() == 0
    assert _search_query(page) == {"q": ["millbrok"]}


def test_did_you_mean_runs_the_corrected_search(page: Any) -> None:
    page.goto("/?q=lighthouse+keepre")
    _results(page, "keepre")
    link = page.locator("#did-you-mean a")
    assert link.inner_text() == "lighthouse keeper"
    link.click()
    page.wait_for_url(re.compile(r"q=lighthouse\+keeper"))
    _results(page, "keeper")
    assert page.get_by_label("Search posts and quotes").input_value() == "lighthouse keeper"
    assert page.locator(f"#results a[data-slug='{LIGHTHOUSE}']").count() == 1


def test_a_title_suggestion_opens_its_post(page: Any) -> None:
    page.goto("/")
    box = page.get_by_role("combobox", name="Search posts and quotes")
    box.press_sequentially("gre", delay=40)
    option = page.get_by_role("option").filter(has_text="Grey Heron Pair")
    option.wait_for()
    option.click()
    page.wait_for_url(re.compile(rf"post={HERON}"))
    assert "Grey Heron" in page.locator("#post-title").inner_text()


def _total(page: Any) -> int:
    match = re.match(r"(\d+) ", page.locator("#status").inner_text())
    assert match, page.locator("#status").inner_text()
    return int(match.group(1))


def _shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def test_back_restores_the_previous_search(page: Any) -> None:
    page.goto("/")
    _results(page, "newest first")
    box = page.get_by_label("Search posts and quotes")
    box.fill("heron")
    page.wait_for_url(re.compile(r"q=heron"))
    _results(page, "heron")
    box.fill("")
    box.press_sequentially("solar", delay=30)
    page.wait_for_url(re.compile(r"q=solar"))
    box.press("Enter")
    _results(page, "solar")
    year = page.locator("#facets [data-facet='year']").first
    chosen = year.get_attribute("data-value")
    year.click()
    page.wait_for_url(re.compile(rf"year={chosen}"))
    assert _search_query(page) == {"q": ["solar"], "year": [chosen]}

    page.go_back()
    _until(page, "!location.search.includes('year=')")
    assert _search_query(page) == {"q": ["solar"]}
    assert box.input_value() == "solar"
    page.go_back()
    page.wait_for_url(re.compile(r"q=heron"))
    _results(page, "heron")
    assert box.input_value() == "heron"
    assert page.locator(f"#results a[data-slug='{HERON}']").count() == 1
    page.go_back()
    _until(page, "location.search === ''")
    _results(page, "newest first")
    assert box.input_value() == ""
    page.go_forward()
    page.wait_for_url(re.compile(r"q=heron"))
    _results(page, "heron")


def test_opening_a_result_shows_the_post_with_its_quotes(page: Any) -> None:
    page.goto("/?q=lighthouse")
    _results(page, "lighthouse").locator(f"a[data-slug='{LIGHTHOUSE}']").first.click()
    page.wait_for_url(re.compile(rf"post={LIGHTHOUSE}"))
    title = page.locator("#post-title")
    title.wait_for()
    assert "Lighthouse" in title.inner_text()
    assert page.evaluate("document.activeElement.id") == "post-title"
    assert page.locator(".post-view time").first.get_attribute("datetime").startswith("2024-06-11")
    assert page.locator(".post-header .chips a").count() >= 1
    assert page.locator(".post-body p").count() >= 3
    quotes = page.locator(".post-quotes figure")
    assert quotes.count() >= 1
    assert "the keeper left" in quotes.first.locator("blockquote").inner_text()
    assert "Margaret Pryce" in quotes.first.locator(".attribution").inner_text()
    page.locator("#related li").first.wait_for()
    assert page.locator(f"#related a[href*='post={LIGHTHOUSE}']").count() == 0
    assert page.locator(".prev-next a").count() >= 1
    hero = page.locator(".hero img")
    hero.wait_for()
    _until(page, "document.querySelector('.hero img').complete")
    assert page.evaluate("document.querySelector('.hero img').naturalWidth") > 0
    page.screenshot(path=str(_shot("post.png")), full_page=False)

    page.go_back()
    _until(page, "!location.search.includes('post=')")
    assert page.locator("#search-view").is_visible()
    assert page.get_by_label("Search posts and quotes").input_value() == "lighthouse"


def test_the_quotes_switch_finds_a_quote_by_its_words(page: Any) -> None:
    page.goto("/")
    page.locator("label[for='type-quote']").click()  # what a reader clicks: the radio itself is visually hidden
    assert page.get_by_role("radio", name="Quotes").is_checked()
    page.wait_for_url(re.compile(r"type=quote"))
    page.get_by_label("Search posts and quotes").press_sequentially("building went to sleep", delay=20)
    page.wait_for_url(re.compile(r"q=building"))
    first = _results(page).first
    first.locator("blockquote").wait_for()
    assert "went to sleep" in first.locator("blockquote").inner_text()
    assert "Margaret Pryce" in first.locator(".attribution").inner_text()
    assert first.locator("mark").count() >= 1
    page.screenshot(path=str(_shot("quotes.png")), full_page=False)
    first.locator(f"a[data-slug='{LIGHTHOUSE}']").click()
    page.locator("#post-title").wait_for()


def test_a_shared_link_opens_the_same_state_and_did_you_mean(page: Any) -> None:
    page.goto("/?q=heron&type=post&year=2023")
    _results(page)
    assert page.get_by_label("Search posts and quotes").input_value() == "heron"
    assert page.locator("#active-filters a").inner_text().startswith("2023")
    page.goto(f"/?post={HERON}")
    page.locator("#post-title").wait_for()
    assert "Heron" in page.locator("#post-title").inner_text()
    page.goto("/?post=no-such-post")
    assert "Post not available" in page.locator("#post-title").inner_text()
    page.console.errors[:] = [e for e in page.console.errors if "404" not in e]


def test_pagination_moves_through_the_pages_and_back(page: Any) -> None:
    page.goto("/")
    _results(page, "newest first")
    total = _total(page)
    first_page = page.locator("#results .hit-title a").all_inner_texts()
    assert len(first_page) == 10 < total, "the sample needs more than one page of posts"
    assert page.locator("#pagination [aria-current='page']").inner_text() == "1"
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    _until(page, "document.querySelector('#pagination [aria-current=page]')?.textContent === '2'")
    second_page = page.locator("#results .hit-title a").all_inner_texts()
    assert len(second_page) == total - 10 and not set(first_page) & set(second_page)
    assert page.evaluate("document.activeElement.id") == "results-heading"
    page.go_back()
    _until(page, "document.querySelector('#pagination [aria-current=page]')?.textContent === '1'")
    assert page.locator("#results .hit-title a").all_inner_texts() == first_page


def test_keyboard_only_search_and_open(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("beekeepers")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=beekeepers"))
    _results(page).first.wait_for()
    page.locator("#results .hit-title a").first.focus()
    page.keyboard.press("Enter")
    page.locator("#post-title").wait_for()
    assert page.evaluate("document.activeElement.id") == "post-title"


def test_phone_width_has_no_sideways_scroll(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=server, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    console = Console(page)
    try:
        page.goto("/?q=lighthouse")
        _results(page).first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.locator("#q").bounding_box()["width"] > 200
        page.screenshot(path=str(_shot("phone.png")))
        facets = page.locator("#facets")
        assert facets.is_hidden()  # folded away on a phone, behind a button
        toggle = page.get_by_role("button", name="Filters")
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true" and facets.is_visible()
        facets.locator("[data-facet='year']").first.click()
        page.wait_for_url(re.compile(r"year="))
        _results(page, "lighthouse")
        assert page.get_by_role("button", name="Filters (1 on)").is_visible()
        page.goto(f"/?post={LIGHTHOUSE}")
        page.locator("#post-title").wait_for()
        _until(page, "document.querySelector('.hero img').complete")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
    assert console.errors == []


HOSTILE = '<img src=x onerror="window.pwned=1">'


def test_text_from_the_api_is_never_markup(browser: Any, tmp_path: Path) -> None:
    # Titles, categories, excerpts and attributions are text wherever the page shows them; the body is sanitised.
    content = tmp_path / "content"
    write_post(content, "2024-05-01-hostile.md", f"""
        title: 'Zebra <script>window.pwned=2</script> {HOSTILE}'
        categories: ['Zebra {HOSTILE}']
    """, f"""
        Zebra crossings <b onclick="window.pwned=3">everywhere</b> {HOSTILE}
        <a href="javascript:window.pwned=4">link</a>

        > Zebras <em>never</em> wait {HOSTILE}
        > > **_Zed &lt;b onclick="window.pwned=5"&gt;, zoo keeper_**
    """)
    with _serve(content, tmp_path / "index") as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        console = Console(page)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            page.goto("/?q=zebra")
            _results(page, "zebra")
            title = page.locator("#results .hit-title a").first
            assert "<script>" in title.inner_text() and HOSTILE in title.inner_text()
            assert page.locator("#results img:not(.hit-image)").count() == 0
            assert HOSTILE in page.locator("#results .chip").first.inner_text()
            title.click()
            page.locator("#post-title").wait_for()
            assert HOSTILE in page.locator("#post-title").inner_text()
            assert page.locator(".post-body script, .post-body [onclick], .post-body [onerror]").count() == 0
            assert page.locator(".post-body a[href^='javascript']").count() == 0
            assert "Zed <b onclick=" in page.locator(".post-quotes .attribution").inner_text()
            assert page.locator(".post-quotes img, .post-quotes b").count() == 0
            page.goto("/?q=zebras&type=quote")
            _results(page, "zebras")
            assert "<b onclick" in page.locator("#results .attribution").first.inner_text()
            assert page.locator("#results b").count() == 0
            page.locator(".post-body, #results").first.click(position={"x": 5, "y": 5})
            assert page.evaluate("window.pwned === undefined")
        finally:
            context.close()
    assert dialogs == []
    # The one thing that fails is the hostile <img src=x> itself: it loads nothing and runs nothing.
    assert {url.rsplit("/", 1)[-1] for url in console.bad_responses} <= {"x"}
    assert [e for e in console.errors if not e.startswith("Failed to load resource")] == []
