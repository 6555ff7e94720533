"""POST /api/reindex: absent without a token, 401 without the right one, 429 while one runs, then a job to poll."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from service.indexing import reindex, reindex_lock
from tests.helpers import served_client, write_post

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def site(content_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "First post.\n")
    reindex(content_dir, tmp_path / "index")
    return content_dir, tmp_path / "index"


def _client(site: tuple[Path, Path], token: str = TOKEN) -> Any:
    content, index = site
    return served_client(content, index, REINDEX_TOKEN=token)


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait(client: Any, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/reindex/{job_id}", headers=_auth()).get_json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError("the reindex job did not finish within 60 s")


def test_endpoint_is_absent_without_a_configured_token(site: tuple[Path, Path]) -> None:
    client = _client(site, token="")
    for response in (client.post("/api/reindex", headers=_auth()), client.get("/api/reindex/" + "a" * 32)):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": TOKEN},
    {"Authorization": "Bearer "},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
])
def test_missing_or_wrong_tokens_are_401(site: tuple[Path, Path], headers: dict[str, str]) -> None:
    response = _client(site).post("/api/reindex", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    body = response.get_json()
    assert body["status"] == 401 and TOKEN not in response.get_data(as_text=True)


def test_job_status_needs_the_token_too(site: tuple[Path, Path]) -> None:
    assert _client(site).get("/api/reindex/" + "a" * 32).status_code == 401


def test_reindex_job_runs_and_reports_its_summary(site: tuple[Path, Path]) -> None:
    content, _ = site
    client = _client(site)
    write_post(content, "2024-01-02-two.md", "title: Two", "Second post.\n")
    response = client.post("/api/reindex", headers=_auth())
    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "running" and response.headers["Location"] == f"/api/reindex/{job['id']}"
    done = _wait(client, job["id"])
    assert done["status"] == "succeeded", done
    assert done["summary"]["posts"] == 2 and done["summary"]["mode"] == "incremental"
    assert done["summary"]["added"] == 1
    assert client.get("/healthz").get_json()["build_id"] == done["summary"]["build_id"]


def test_full_reindex_over_http(site: tuple[Path, Path]) -> None:
    client = _client(site)
    job = client.post("/api/reindex?full=true", headers=_auth()).get_json()
    done = _wait(client, job["id"])
    assert done["status"] == "succeeded" and done["full"] is True and done["summary"]["parsed"] == 1


def test_second_call_while_one_runs_is_429_with_retry_after(site: tuple[Path, Path]) -> None:
    with reindex_lock(site[1]):
        response = _client(site).post("/api/reindex", headers=_auth())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["status"] == 429


def test_unknown_and_malformed_job_ids_are_404(site: tuple[Path, Path]) -> None:
    client = _client(site)
    for job_id in ("0" * 32, "..%2f..%2fbuild", "not-a-job", "A" * 32):
        assert client.get(f"/api/reindex/{job_id}", headers=_auth()).status_code == 404, job_id


def test_unknown_parameter_is_400(site: tuple[Path, Path]) -> None:
    assert _client(site).post("/api/reindex?fast=1", headers=_auth()).status_code == 400


def test_a_job_whose_process_died_reads_as_failed(site: tuple[Path, Path]) -> None:
    import orjson

    jobs = site[1] / "jobs"
    jobs.mkdir()
    (jobs / f"{'b' * 32}.json").write_bytes(orjson.dumps(
        {"id": "b" * 32, "status": "running", "full": False, "started_at": "2024-01-01T00:00:00+00:00",
         "finished_at": None, "summary": None, "error": None}))
    job = _client(site).get(f"/api/reindex/{'b' * 32}", headers=_auth()).get_json()
    assert job["status"] == "failed" and "stopped" in job["error"]


def test_a_failing_reindex_reports_failed_without_server_paths(site: tuple[Path, Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise OSError(f"[Errno 28] No space left on device: '{site[1]}/builds/x'")

    monkeypatch.setattr("service.jobs.build_and_publish", explode)
    client = _client(site)
    before = client.get("/healthz").get_json()["build_id"]
    done = _wait(client, client.post("/api/reindex", headers=_auth()).get_json()["id"])
    assert done["status"] == "failed" and "unchanged" in done["error"]
    assert str(site[1]) not in str(done)
    assert client.get("/healthz").get_json()["build_id"] == before
    deadline = time.monotonic() + 5  # the job is saved as finished just before its lock is released
    while (status := client.post("/api/reindex", headers=_auth()).status_code) == 429 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert status == 202, "the lock must be free again"
