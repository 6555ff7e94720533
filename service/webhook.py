"""The publish webhook: after a reindex publishes a build, POST its changes to PUBLISH_WEBHOOK_URL.

Signed with HMAC-SHA256 over the body when PUBLISH_WEBHOOK_SECRET is set (`X-Broadsheet-Signature: sha256=<hex>`),
retried with backoff, sent from a thread of its own so it never delays or fails the reindex; the outcome of the
latest delivery is kept in the index folder for /readyz.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service.layout import IndexLayout, read_json, write_json_atomic

ATTEMPTS = 4
BACKOFF_SECONDS = 1.0  # doubled after each failed attempt: 1, 2, 4 s
TIMEOUT_SECONDS = 5.0
log = logging.getLogger(__name__)


def signature(secret: str, body: bytes) -> str:
    """The value of X-Broadsheet-Signature: HMAC-SHA256 of the exact body bytes, hex, prefixed `sha256=`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(index_dir: Path, event: dict[str, Any] | None) -> threading.Thread | None:
    """Deliver a build's change event in the background when PUBLISH_WEBHOOK_URL is set; return the thread."""
    url = os.environ.get("PUBLISH_WEBHOOK_URL", "").strip()
    if not url or event is None:
        return None
    body = orjson.dumps({"build_id": event["build_id"], "previous_build_id": event["previous_build_id"],
                         "changes": event["changes"]})
    thread = threading.Thread(target=deliver, name="publish-webhook", daemon=False,
                              args=(index_dir, url, os.environ.get("PUBLISH_WEBHOOK_SECRET", ""), body))
    thread.start()  # not a daemon: a CLI reindex that has finished still lets the delivery end
    return thread


def deliver(index_dir: Path, url: str, secret: str, body: bytes, attempts: int | None = None,
            backoff: float | None = None) -> bool:
    """POST the body, retrying failures with exponential backoff; record and log the outcome; True if delivered."""
    attempts = ATTEMPTS if attempts is None else attempts
    backoff = BACKOFF_SECONDS if backoff is None else backoff
    import urllib.error  # here, not at the top: a reindex with no webhook set skips ssl, sockets and http (10 ms)
    import urllib.request

    headers = {"Content-Type": "application/json", "User-Agent": "Broadsheet-webhook"}
    if secret:
        headers["X-Broadsheet-Signature"] = signature(secret, body)
    error = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
                if 200 <= response.status < 300:
                    _record(index_dir, {"status": "delivered", "attempts": attempt, "http_status": response.status})
                    return True
                error = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = type(exc).__name__ + (f": {exc.reason}" if isinstance(exc, urllib.error.URLError) else "")
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    log.warning("publish webhook failed after %d attempts: %s", attempts, error)
    _record(index_dir, {"status": "failed", "attempts": attempts, "error": error})
    return False


def _record(index_dir: Path, outcome: dict[str, Any]) -> None:
    try:
        write_json_atomic(IndexLayout(index_dir).webhook,
                          {**outcome, "at": datetime.now(UTC).isoformat(timespec="seconds")})
    except OSError:
        log.warning("cannot record the webhook outcome in %s", index_dir)


def last_delivery(index_dir: Path) -> dict[str, Any] | None:
    """The outcome of the latest webhook delivery, for /readyz."""
    found = read_json(IndexLayout(index_dir).webhook)
    return found if isinstance(found, dict) else None
