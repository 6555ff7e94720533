"""Finding, reading and splitting post files: line ends, BOMs, bad bytes, tabs and odd front matter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.content.files import (
    FrontMatterError,
    SourceFile,
    find_post_files,
    load_front_matter,
    read_source,
    split_front_matter,
)
from tests.helpers import FIXTURES

SITE = FIXTURES / "edge-cases" / "jekyll-site"
BROKEN = FIXTURES / "edge-cases" / "broken"


def _read(folder: Path, name: str) -> tuple[str | None, list[str]]:
    source = SourceFile(f"_posts/{name}", folder / "_posts" / name)
    text, _, problems = read_source(source)
    return text, [str(p) for p in problems]


def test_crlf_bom_and_missing_final_newline_read_cleanly() -> None:
    for name in ("2024-01-05-crlf-line-endings.md", "2024-01-07-byte-order-mark.md",
                 "2024-01-06-no-final-newline.md"):
        text, problems = _read(SITE, name)
        assert text is not None and problems == []
        assert text.startswith("---\ntitle: ") and "\r" not in text and "\ufeff" not in text


def test_invalid_utf8_is_replaced_with_a_warning_naming_the_line() -> None:
    text, problems = _read(BROKEN, "2024-03-03-latin-1-bytes.md")
    assert text is not None and "Caf\ufffd cr\ufffdme." in text
    # Jekyll skips such a file ("invalid byte sequence in UTF-8"); Broadsheet keeps it and says where the bytes are.
    assert problems == ["_posts/2024-03-03-latin-1-bytes.md:4: warning: file is not valid UTF-8; "
                        "invalid bytes were replaced"]


@pytest.mark.parametrize(("name", "front_matter", "body"), [
    ("2024-01-10-blank-line-before-closing-dashes.md", "title: Blank line before closing dashes\n\n",
     "Body after a blank line.\n"),
    ("2024-01-11-empty-body.md", "title: Empty body\n", ""),
    ("2024-01-12-front-matter-only.md", "title: Front matter only\n", ""),
    ("2024-01-13-no-front-matter.md", None, "No front matter here.\n\nSecond paragraph.\n"),
])
def test_front_matter_is_split_as_jekyll_splits_it(name: str, front_matter: str | None, body: str) -> None:
    text, _ = _read(SITE, name)
    assert text is not None
    split = split_front_matter(text)
    assert (split.front_matter, split.body) == (front_matter, body)


def test_tabs_after_values_are_accepted_as_libyaml_accepts_them() -> None:
    assert load_front_matter("authors:\n- ada\t\t\ntags:\tone\n") == {"authors": ["ada"], "tags": "one"}


def test_tab_indentation_is_an_error_with_its_line() -> None:
    text, _ = _read(BROKEN, "2024-03-04-tab-indentation.md")
    with pytest.raises(FrontMatterError) as caught:
        load_front_matter(split_front_matter(text or "").front_matter)
    assert caught.value.line == 4 and "not valid YAML" in str(caught.value)


def test_impossible_yaml_date_stays_text_as_psych_keeps_it() -> None:
    assert load_front_matter("date: 2024-02-30\n") == {"date": "2024-02-30"}


def test_posts_are_found_where_jekyll_looks(tmp_path: Path) -> None:
    for rel in ("_posts/2024-01-01-a.md", "news/_posts/2024-01-02-b.md", "_posts/sub/2024-01-03-c.md",
                "_drafts/d.md", "_site/_posts/2024-01-04-built.md", "node_modules/x/_posts/2024-01-05-e.md",
                "_posts/.hidden.md", "_posts/_private.md", "_posts/2024-01-06-backup.md~", "_posts/image.png",
                "old/_posts/2024-01-07-f.md"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n---\n")
    found = [s.path for s in find_post_files(tmp_path, exclude=("old",))]
    assert found == ["_posts/2024-01-01-a.md", "_posts/sub/2024-01-03-c.md", "news/_posts/2024-01-02-b.md"]
    drafts = [s.path for s in find_post_files(tmp_path, drafts=True) if s.draft]
    assert drafts == ["_drafts/d.md"]


def test_post_listing_keeps_links_and_sorted_order_but_never_a_fifo(tmp_path: Path) -> None:
    posts = tmp_path / "_posts"
    (posts / "b" / ".git").mkdir(parents=True)
    (posts / "b" / "2024-01-02-in-b.md").write_text("---\n---\n")
    (posts / "b" / ".git" / "2024-01-03-under-dot.md").write_text("---\n---\n")
    (posts / "b.md").write_text("---\n---\n")  # sorts after b/...: Path order compares parts, not strings
    (posts / "2024-01-04-linked.md").symlink_to(posts / "b.md")
    (posts / "folder-link").symlink_to(posts / "b", target_is_directory=True)  # listed, not entered
    os.mkfifo(posts / "2024-01-05-pipe.md")  # reading it would block the reindex
    assert [s.path for s in find_post_files(tmp_path)] == [
        "_posts/2024-01-04-linked.md", "_posts/b/2024-01-02-in-b.md", "_posts/b.md"]


@pytest.mark.parametrize(("text", "words"), [
    ("title: N\nx: " + "[" * 5000 + "]" * 5000, "nested more than 50 levels"),
    ("a: &a [*a]", "refers to itself"),
    ("a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [" + ",".join(["*a"] * 9) + "]\nc: &c [" + ",".join(["*b"] * 9) + "]\n"
     "d: &d [" + ",".join(["*c"] * 9) + "]\ne: &e [" + ",".join(["*d"] * 9) + "]\nf: [" + ",".join(["*e"] * 9) + "]",
     "more than 100,000 values"),
])
def test_front_matter_too_deep_cyclic_or_huge_is_an_error(text: str, words: str) -> None:
    with pytest.raises(FrontMatterError, match=words):
        load_front_matter(text)
