"""Change events: each build records what it added, updated and removed; /api/changes?since= returns them."""

from __future__ import annotations

import shutil
from pathlib import Path

from service.changes import diff, read_history
from service.indexing import reindex
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
