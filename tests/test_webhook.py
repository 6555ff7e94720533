"""The publish webhook against a real receiving server on a loopback port: payload, signature, retries, and a
reindex that never waits for it."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import webhook
from service.indexing import reindex
from tests.helpers import REPO, Receiver, free_port, served_client


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(**getattr(request, "param", {}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    return content


def _edit_about(content: Path) -> None:
    about = content / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")


def test_payload_is_signed_and_lists_the_changes(site: Path, tmp_path: Path, receiver: Receiver,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    first = reindex(site, index_dir)
    monkeypatch.setenv("PUBLISH_WEBHOOK_URL", f"http://127.0.0.1:{receiver.server_port}/hook")
    monkeypatch.setenv("PUBLISH_WEBHOOK_SECRET", "s3cret")
    _edit_about(site)
    second = reindex(site, index_dir)
    got = receiver.wait_for(1)[0]
    assert json.loads(got["body"]) == {"build_id": second.build_id, "previous_build_id": first.build_id,
                                       "changes": [{"change": "updated", "kind": "page", "key": "about.md",
                                                    "url": "/about/"}]}
    expected = "sha256=" + hmac.new(b"s3cret", got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Broadsheet-Signature"] == expected
    assert got["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("receiver", [{"fail": 2}], indirect=True)
def test_a_failed_delivery_is_retried_with_backoff(site: Path, tmp_path: Path, receiver: Receiver,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0.2)
    monkeypatch.setenv("PUBLISH_WEBHOOK_URL", f"http://127.0.0.1:{receiver.server_port}/")
    index_dir = tmp_path / "index"
    reindex(site, index_dir)
    got = receiver.wait_for(3)
    assert len({r["body"] for r in got}) == 1 and "X-Broadsheet-Signature" not in got[0]["headers"]
    deadline = time.monotonic() + 10
    while (webhook.last_delivery(index_dir) or {}).get("status") != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert webhook.last_delivery(index_dir)["attempts"] == 3
    assert served_client(site, index_dir).get("/readyz").get_json()["webhook"]["status"] == "delivered"


@pytest.mark.parametrize("receiver", [{"hang": 8.0}], indirect=True)
def test_reindex_does_not_wait_for_a_hanging_receiver(site: Path, tmp_path: Path, receiver: Receiver,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    reindex(site, index_dir)
    monkeypatch.setenv("PUBLISH_WEBHOOK_URL", f"http://127.0.0.1:{receiver.server_port}/")
    monkeypatch.setattr(webhook, "ATTEMPTS", 1)
    _edit_about(site)
    started = time.monotonic()
    summary = reindex(site, index_dir)
    # The receiver holds the request for 8 s and the client would wait 5 s: the reindex is done long before.
    assert time.monotonic() - started < webhook.TIMEOUT_SECONDS
    assert summary.updated == 1


def test_a_receiver_that_is_down_is_reported_in_readyz(site: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0.05)
    monkeypatch.setenv("PUBLISH_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    index_dir = tmp_path / "index"
    summary = reindex(site, index_dir)
    deadline = time.monotonic() + 10
    while webhook.last_delivery(index_dir) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    ready = served_client(site, index_dir)
    body = ready.get("/readyz").get_json()
    assert body["build_id"] == summary.build_id and body["webhook"]["status"] == "failed"
    assert body["webhook"]["attempts"] == webhook.ATTEMPTS and "Connection" in body["webhook"]["error"]
