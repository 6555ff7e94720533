"""Broken content files: each one is reported with its path and a reason, and every other post is still served."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from service.indexing import reindex
from tests.helpers import REPO, indexed_app, served_client, write_post

FM = "---\n{}\n---\nBody of a broken post.\n"


def _text(front_matter: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(FM.format(front_matter), encoding="utf-8")


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _billion_laughs(path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[n]
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    path.write_text(FM.format("title: Laughs\n" + "\n".join(lines)), encoding="utf-8")


def _huge(path: Path) -> None:
    path.write_text(FM.format("title: Huge") + "word " * (4 * 1024 * 1024), encoding="utf-8")  # 20 MB


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("does-not-exist.md")


def _link_to_folder(path: Path) -> None:
    (path.parent / "a-folder").mkdir()
    path.symlink_to("a-folder")


def _no_permission(path: Path) -> None:
    path.write_text(FM.format("title: Locked"), encoding="utf-8")
    path.chmod(0)


# (file name under _posts/, how to make it, expected severity: "error" = skipped, "warning" = served with a warning)
CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("2024-03-01-invalid-yaml.md", _text("title: [unclosed"), "error"),
    ("2024-03-02-unclosed-quote.md", _text('title: "never closed'), "error"),
    ("2024-03-03-bad-indentation.md", _text("title: A\n  b: c\n d: e"), "error"),
    ("2024-03-04-front-matter-is-a-list.md", _text("- one\n- two"), "error"),
    ("2024-03-05-front-matter-is-text.md", _text("just some words"), "error"),
    ("2024-03-06-title-is-a-mapping.md", _text("title: {a: 1}"), "error"),
    ("2024-03-07-categories-is-a-mapping.md", _text("title: C\ncategories: {a: 1}"), "error"),
    ("2024-03-08-impossible-date.md", _text("title: D\ndate: 2024-02-30"), "any"),  # Ruby rolls it over
    ("2024-03-09-unreadable-date.md", _text("title: D\ndate: next tuesday-ish"), "error"),
    ("2024-03-10-date-is-a-list.md", _text("title: D\ndate: [2024, 1, 1]"), "error"),
    ("2024-13-45-impossible-date-in-name.md", _text("title: Name date"), "error"),
    ("not-a-dated-name.md", _text("title: Undated"), "warning"),  # Jekyll ignores it: skipped, with a warning
    ("2024-03-11-binary-data.md", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4), "error"),
    ("2024-03-12-twenty-megabytes.md", _huge, "error"),
    ("2024-03-13-invalid-utf8.md", _bytes(b"---\ntitle: Caf\xe9\n---\nNa\xefve bytes \xff\xfe here.\n"), "warning"),
    ("2024-03-14-symlink-loop.md", _symlink_loop, "error"),
    ("2024-03-15-dangling-symlink.md", _dangling, "error"),
    ("2024-03-16-link-to-a-folder.md", _link_to_folder, "error"),
    ("2024-03-17-python-tag.md", _text('title: T\nx: !!python/object/apply:os.system ["echo owned"]'), "error"),
    ("2024-03-18-nested-too-deep.md", _text("title: N\nx: " + "[" * 5000 + "]" * 5000), "error"),
    ("2024-03-20-lone-surrogate.md", _text('title: "bad \\ud800 surrogate"'), "any"),
    ("2024-03-21-published-not-boolean.md", _text("title: P\npublished: [yes]"), "any"),  # truthy, as in Ruby
    ("2024-03-22-tags-is-a-mapping.md", _text("title: T\ntags: {x: y}"), "error"),
    ("2024-03-23-permalink-is-a-list.md", _text("title: P\npermalink: [a, b]"), "error"),
    ("2024-03-24-image-is-a-number.md", _text("title: I\nimage: 42"), "any"),
    ("2024-03-25-duplicate-key-date-overflow.md", _text("title: O\ndate: 99999-01-01"), "error"),
    ("2024-03-26-no-permission.md", _no_permission, "any"),
    ("2024-03-27-nul-in-front-matter.md", _bytes(b"---\ntitle: N\x00ul\n---\nBody.\n"), "error"),
    # Jekyll publishes the whole file as the body; Broadsheet does too, and warns (line 1)
    ("2024-03-28-unclosed-front-matter.md", _bytes(b"---\ntitle: U\nThe body never starts.\n"), "warning"),
]
DUPLICATE = "2024-04-01-good-one.md"  # same slug as the good post of 2024-01-01: Jekyll publishes both


def _content(root: Path) -> Path:
    posts = root / "_posts"
    write_post(root, "2024-01-01-good-one.md", "title: Good one", "Still served: heron.\n")
    write_post(root, "2024-01-02-good-two.md", "title: Good two", "Still served too: heron.\n")
    write_post(root, DUPLICATE, "title: Duplicate of good one", "Same slug.\n")
    for name, make, _ in CASES:
        make(posts / name)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("bad")
    content = _content(root / "content")
    summary = reindex(content, root / "index")
    yield content, root / "index", summary
    (content / "_posts" / "2024-03-26-no-permission.md").chmod(0o600)


def test_no_file_vanishes_without_a_word(built: tuple[Path, Path, object]) -> None:
    _, _, summary = built
    reported = {p.path for p in summary.problems}  # type: ignore[attr-defined]
    unaccounted = [name for name, _, _ in CASES if f"_posts/{name}" not in reported and not _served(built, name)]
    assert unaccounted == [] and summary.files >= len(CASES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "expected"), [(name, expected) for name, _, expected in CASES])
def test_each_broken_file_is_reported_with_path_and_reason(built: tuple[Path, Path, object], name: str,
                                                           expected: str) -> None:
    _, _, summary = built
    path = f"_posts/{name}"
    found = [p for p in summary.problems if p.path == path]  # type: ignore[attr-defined]
    if name == "2024-03-26-no-permission.md" and os.geteuid() == 0:
        return  # root reads a mode-000 file anyway: it is served, honestly, like any readable post
    if expected == "any":
        assert found or _served(built, name), f"{path}: neither reported nor served"
        return
    assert found, f"{path} is not reported"
    assert all(p.message.strip() for p in found)
    assert expected in {p.severity for p in found}, [str(p) for p in found]
    if expected != "warning" or name.startswith("not-"):
        assert not _served(built, name), f"{path} is skipped yet served"


def test_duplicate_slug_serves_both_posts_and_warns_on_the_older(built: tuple[Path, Path, object]) -> None:
    content, index, summary = built
    dup = [p for p in summary.problems if p.path == "_posts/2024-01-01-good-one.md"]  # type: ignore[attr-defined]
    assert len(dup) == 1 and "duplicate slug 'good-one'" in dup[0].message and DUPLICATE in dup[0].message
    client = served_client(content, index)
    newest = client.get("/api/posts/good-one").get_json()
    assert newest["title"] == "Duplicate of good one" and newest["other_ids"] == ["/2024/01/01/good-one"]
    older = client.get("/api/posts/by-id?id=/2024/01/01/good-one").get_json()
    assert older["title"] == "Good one" and older["other_ids"] == ["/2024/04/01/good-one"]
    listed = [i["id"] for i in client.get("/api/posts?per_page=100").get_json()["items"] if i["slug"] == "good-one"]
    assert listed == ["/2024/04/01/good-one", "/2024/01/01/good-one"]


def test_every_other_post_is_served(built: tuple[Path, Path, object]) -> None:
    content, index, _ = built
    client = served_client(content, index)
    slugs = {item["slug"] for item in client.get("/api/posts?per_page=100").get_json()["items"]}
    assert {"good-one", "good-two", "invalid-utf8"} <= slugs
    hits = {h["slug"] for h in client.get("/api/search?q=heron").get_json()["items"]}
    assert {"good-one", "good-two"} <= hits
    for url in ("/api/categories", "/api/tags", "/api/quotes", "/api/images", "/api/archive", "/feed.json",
                "/feed.xml", "/readyz"):
        assert client.get(url).status_code == 200, url


def test_content_check_names_them_too(built: tuple[Path, Path, object]) -> None:
    content, index, _ = built
    app = indexed_app(content, index, skip_reindex=True)
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "_posts/2024-03-01-invalid-yaml.md:2: error:" in result.output


@pytest.mark.slow
def test_billion_laughs_front_matter_does_not_hang(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "2024-01-01-good-one.md", "title: Good one", "Served.\n")
    _billion_laughs(content / "_posts" / "2024-03-19-billion-laughs.md")
    code = (f"from pathlib import Path; from service.indexing import reindex; "
            f"print(reindex(Path({str(content)!r}), Path({str(tmp_path / 'index')!r})).line())")
    try:
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the reindex did not finish within 20 s")
    assert run.returncode == 0 and "1 posts indexed" in run.stdout, run.stderr


def _served(built: tuple[Path, Path, object], name: str) -> bool:
    content, index, _ = built
    items = served_client(content, index).get("/api/posts?per_page=100").get_json()["items"]
    stem = name.split("-", 3)[-1].rsplit(".", 1)[0]
    return any(item["slug"] == stem for item in items)
