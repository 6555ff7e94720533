"""Change events: each build records what it added, updated and removed; /api/changes?since= returns them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from service.changes import KEEP, diff, read_history, record
from service.indexing import reindex
from service.layout import IndexLayout
from tests.helpers import REPO, served_client

TRAM = "_posts/2024-03-14-new-tram-timetables-cut-late-harbour-line-service.md"


def test_changes_since_a_build(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    first = reindex(content, index_dir).build_id
    tram = content / TRAM
    tram.write_text(tram.read_text(encoding="utf-8") + "\nA late correction.\n", encoding="utf-8")
    (content / "_data" / "navigation.yml").unlink()
    (content / "contact.md").write_text("---\ntitle: Contact\n---\nWrite to us.\n", encoding="utf-8")
    second = reindex(content, index_dir).build_id
    (content / "contact.md").unlink()
    third = reindex(content, index_dir).build_id
    client = served_client(content, index_dir, SITE_URL="https://site.test")
    one = client.get(f"/api/changes?since={first}&x=").status_code
    assert one == 400  # unknown parameter
    body = client.get(f"/api/changes?since={second}").get_json()
    assert body["build_id"] == third and [e["build_id"] for e in body["events"]] == [third]
    # a removed item keeps the URL it had, for a CDN to purge
    assert body["changes"] == [{"change": "removed", "kind": "page", "key": "contact.md",
                                "url": "https://site.test/contact.html"}]
    since_first = client.get(f"/api/changes?since={first}").get_json()
    assert [e["previous_build_id"] for e in since_first["events"]] == [first, second]
    # contact.md came and went: nothing net; the post and the data file changed
    assert [(c["change"], c["kind"], c["key"]) for c in since_first["changes"]] == [
        ("removed", "data", "_data/navigation.yml"),
        ("updated", "post", "new-tram-timetables-cut-late-harbour-line-service")]
    assert since_first["changes"][1]["url"].startswith("https://site.test/transport/")
    assert client.get(f"/api/changes?since={third}").get_json()["changes"] == []


def test_history_that_does_not_reach_back_is_a_410(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    reindex(content, index_dir)
    client = served_client(content, index_dir, SITE_URL="https://site.test")
    response = client.get("/api/changes?since=0123456789abcdef")
    assert response.status_code == 410 and response.mimetype == "application/problem+json"
    assert client.get("/api/changes").status_code == 400
    first = read_history(index_dir)[0]
    assert first["previous_build_id"] is None and {c["change"] for c in first["changes"]} == {"added"}


def test_an_unchanged_reindex_records_no_event(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "content", tmp_path / "index"
    shutil.copytree(REPO / "content", content)
    reindex(content, index_dir)
    reindex(content, index_dir)
    assert len(read_history(index_dir)) == 1


def test_a_diff_told_which_keys_changed_compares_only_those() -> None:
    old = {"a": {"kind": "post", "url": "/a/", "print": "1"}, "b": {"kind": "post", "url": "/b/", "print": "1"}}
    new = {"a": {"kind": "post", "url": "/a/", "print": "2"}, "b": {"kind": "post", "url": "/b/", "print": "9"}}
    assert [c["key"] for c in diff(old, new)] == ["a", "b"]
    assert diff(old, new, keys={"a"}) == [{"change": "updated", "kind": "post", "key": "a", "url": "/a/"}]
    assert diff(old, {**new, "c": {"kind": "page", "url": "/c/", "print": "1"}}, keys={"c"})[0]["change"] == "added"


def _event(n: int) -> dict[str, Any]:
    return {"build_id": f"b{n}", "previous_build_id": f"b{n - 1}" if n else None, "created_at": "", "changes": []}


def test_events_are_appended_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    record(index_dir, None, "b0", {"a": {"kind": "post", "url": "/a/", "print": "1"}})
    history = IndexLayout(index_dir).changes
    first = history.read_bytes()
    history.write_bytes(first + b'{"build_id": "torn", "chan')  # a write that stopped half way
    assert [e["build_id"] for e in read_history(index_dir)] == ["b0"]
    previous = index_dir / "b0"
    record(index_dir, previous, "b1", {"a": {"kind": "post", "url": "/a/", "print": "2"}},
           before={"a": {"kind": "post", "url": "/a/", "print": "1"}}, keys={"a"})
    assert history.read_bytes().startswith(first)  # the first event was not written again
    events = read_history(index_dir)
    assert [(e["build_id"], e["previous_build_id"]) for e in events] == [("b0", None), ("b1", "b0")]
    assert events[1]["changes"] == [{"change": "updated", "kind": "post", "key": "a", "url": "/a/"}]


def test_a_long_history_is_cut_to_the_last_builds_it_keeps(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    IndexLayout(index_dir).changes.write_bytes(b"".join(orjson.dumps(_event(n)) + b"\n" for n in range(2 * KEEP - 1)))
    record(index_dir, index_dir / f"b{2 * KEEP - 2}", "last", {})
    found = [e["build_id"] for e in read_history(index_dir)]
    assert len(found) == KEEP and found[-1] == "last" and found[0] == f"b{KEEP}"


def test_the_history_of_an_older_version_is_carried_on(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    IndexLayout(index_dir).old_changes.write_bytes(orjson.dumps([_event(0), _event(1)]))
    assert [e["build_id"] for e in read_history(index_dir)] == ["b0", "b1"]
    record(index_dir, index_dir / "b1", "b2", {})
    assert [e["build_id"] for e in read_history(index_dir)] == ["b0", "b1", "b2"]
