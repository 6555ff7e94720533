"""/healthz says the process is alive; /readyz says an index is open, which, how old, and how the last run went."""

from __future__ import annotations

from pathlib import Path

from service.indexing import reindex
from tests.helpers import served_client, write_post


def test_without_an_index_healthz_is_alive_and_readyz_is_503(content_dir: Path, tmp_path: Path) -> None:
    client = served_client(content_dir, tmp_path / "none")
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.get_json()["status"] == "ok" and alive.get_json()["build_id"] is None
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.mimetype == "application/problem+json"
    assert str(tmp_path) not in ready.get_data(as_text=True)


def test_readyz_describes_the_served_build(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    write_post(content_dir, "2024-01-02-two.md", "title: Two\npublished: false", "Hidden.\n")
    write_post(content_dir, "2024-01-03-bad.md", "title: [oops", "Broken.\n")
    summary = reindex(content_dir, tmp_path / "index")
    body = served_client(content_dir, tmp_path / "index").get("/readyz").get_json()
    assert body["status"] == "ready" and body["build_id"] == summary.build_id
    assert body["posts"] == 1 and body["hidden"] == 1
    assert 0 <= body["age_seconds"] < 60
    assert [p["path"] for p in body["problems"] if p["severity"] == "error"] == ["_posts/2024-01-03-bad.md"]
    assert body["last_reindex"]["status"] == "succeeded" and body["last_reindex"]["build_id"] == summary.build_id
    assert str(tmp_path) not in str(body)


def test_healthz_is_cheap_and_names_the_build(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    summary = reindex(content_dir, tmp_path / "index")
    body = served_client(content_dir, tmp_path / "index").get("/healthz").get_json()
    assert body == {"status": "ok", "build_id": summary.build_id, "posts": 1, "built_at": body["built_at"]}


def test_readyz_follows_a_new_build(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First.\n")
    reindex(content_dir, tmp_path / "index")
    client = served_client(content_dir, tmp_path / "index")
    first = client.get("/readyz").get_json()["build_id"]
    write_post(content_dir, "2024-01-02-two.md", "title: Two", "Second.\n")
    second = reindex(content_dir, tmp_path / "index")
    body = client.get("/readyz").get_json()
    assert body["build_id"] == second.build_id != first and body["posts"] == 2
