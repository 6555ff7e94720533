"""Each kramdown rule's fixture renders as Jekyll rendered it (tests/fixtures/kramdown/*.expected.json).

The posts go through the real reader (`load_content`), so the site's `_config.yml` kramdown options apply. A
fixture agrees when the body-fidelity comparison agrees (same words, same counts of headings, links, images,
code blocks, list items, blockquotes and tables) and every id and class outside code blocks is the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from bench.bodycompare import compare
from service.content.loader import load_content
from service.content.markdown import sanitise

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kramdown"
SITES = ("gfm", "kramdown-input", "options")
_CODE_WRAPPERS = ("highlighter-rouge", "highlight")


def attribute_shape(html: str) -> list[tuple[str, str, str]]:
    """Every (tag, id, class) in document order, code blocks and their highlighter wrappers left out."""
    root = lxml_html.fragment_fromstring(sanitise(html), create_parent="div")
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element is root:
            continue
        classes = element.get("class") or ""
        inside_code = any(a.tag in ("pre", "code") for a in element.iterancestors()) or element.tag in ("pre", "code")
        if inside_code or any(c in classes.split() for c in _CODE_WRAPPERS):
            continue
        if element.get("id") is not None or classes:
            found.append((element.tag, element.get("id") or "", classes))
    return found


def _cases() -> list[tuple[str, dict[str, str]]]:
    return [(site, post) for site in SITES
            for post in json.loads((FIXTURES / f"{site}.expected.json").read_text(encoding="utf-8"))["posts"]]


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], str]:
    return {(site, post.path): post.html for site in SITES
            for post in load_content(FIXTURES / site, preview=True).posts}


@pytest.mark.parametrize(("site", "expected"), _cases(), ids=lambda v: v if isinstance(v, str) else v["path"])
def test_fixture_renders_as_jekyll_did(site: str, expected: dict[str, str],
                                       rendered: dict[tuple[str, str], str]) -> None:
    ours = rendered[(site, expected["path"])]
    comparison = compare(expected["content"], ours)
    assert comparison.agrees, comparison.describe()
    assert attribute_shape(ours) == attribute_shape(expected["content"])


def test_every_fixture_post_has_an_expectation() -> None:
    for site in SITES:
        files = {f"_posts/{p.name}" for p in (FIXTURES / site / "_posts").iterdir()}
        expected = {p["path"] for p in json.loads((FIXTURES / f"{site}.expected.json").read_text())["posts"]}
        assert files == expected, site
