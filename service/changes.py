"""Change events: what each build added, updated and removed (posts, pages, documents, data files) since the one
it replaced, kept as a short history in the index folder for `GET /api/changes?since=`.

Every build holds an inventory (key -> kind, url, fingerprint) beside its index; at publish the new inventory is
compared with the served build's and the difference appended to the history (written under the reindex lock).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from service.layout import BuildLayout, IndexLayout, read_json, write_atomic

KEEP = 100  # builds the history reaches back


def write_inventory(build_dir: Path, inventory: dict[str, dict[str, Any]]) -> None:
    """Store what a build serves, by key, for the next build to compare with."""
    BuildLayout(build_dir).inventory.write_bytes(orjson.dumps(inventory, option=orjson.OPT_SORT_KEYS))


def read_inventory(build_dir: Path | None) -> dict[str, dict[str, Any]] | None:
    """Read a build's inventory; None when there is no build or it was written before inventories existed."""
    found = read_json(BuildLayout(build_dir).inventory) if build_dir is not None else None
    return found if isinstance(found, dict) else None


def diff(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
         keys: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The changes from one inventory to the next: added, updated and removed items, by key.

    keys: the only keys that can differ, when the caller knows them (a patched build): the rest is not compared."""
    changes = []
    for key in sorted(old.keys() | new.keys() if keys is None else keys):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None and before.get("print") == after.get("print"):
            continue
        change = "added" if before is None else "removed" if after is None else "updated"
        item = after if after is not None else before
        changes.append({"change": change, "kind": item.get("kind"), "key": item.get("key", key),
                        "url": item.get("url")})
    return changes


def record(index_dir: Path, previous: Path | None, build_id: str, inventory: dict[str, dict[str, Any]],
           before: dict[str, dict[str, Any]] | None = None,
           keys: Collection[str] | None = None) -> dict[str, Any] | None:
    """Append the build's changes to the history and return the event; None when the served build did not change.

    before: the previous build's inventory when the caller has read it already; keys: as for diff."""
    previous_id = previous.name if previous is not None else None
    if previous_id == build_id:
        return None
    before = before if before is not None else read_inventory(previous) or {}
    event = {"build_id": build_id, "previous_build_id": previous_id,
             "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "changes": diff(before, inventory, keys)}
    _append(index_dir, orjson.dumps(event))
    return event


def _append(index_dir: Path, line: bytes) -> None:
    """Append one event to the history, without reading or writing the others (a 100,000-post site's first event
    is 15 MB); from 2 x KEEP events the file is written afresh with the last KEEP, atomically."""
    layout = IndexLayout(index_dir)
    try:
        raw = layout.changes.read_bytes()
    except FileNotFoundError:
        raw = b"".join(orjson.dumps(event) + b"\n" for event in _old_history(layout))
        layout.changes.write_bytes(raw)
    lines = raw.count(b"\n")
    if lines + 1 >= 2 * KEEP:
        write_atomic(layout.changes, b"".join(item + b"\n" for item in [*raw.splitlines()[-(KEEP - 1):], line]))
        return
    with layout.changes.open("ab") as out:  # readers skip a line not yet whole
        out.write((b"\n" if raw and not raw.endswith(b"\n") else b"") + line + b"\n")  # a torn line stays alone


def read_history(index_dir: Path) -> list[dict[str, Any]]:
    """The recorded builds, oldest first (a line that is not a whole event, one being written or torn, skipped)."""
    layout = IndexLayout(index_dir)
    try:
        raw = layout.changes.read_bytes()
    except FileNotFoundError:
        return _old_history(layout)
    except OSError:
        return []
    events = []
    for line in raw.splitlines():
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(event, dict) and "build_id" in event:
            events.append(event)
    return events


def _old_history(layout: IndexLayout) -> list[dict[str, Any]]:
    found = read_json(layout.old_changes)
    return [event for event in found if isinstance(event, dict)] if isinstance(found, list) else []


class HistoryTooShort(LookupError):
    """The history does not reach back to the build asked for."""


def changes_since(index_dir: Path, since: str, current: str) -> list[dict[str, Any]]:
    """Every event after build `since` up to `current` (the build being served), oldest first."""
    events: list[dict[str, Any]] = []
    collecting = False
    for event in reversed(read_history(index_dir)):
        collecting = collecting or event["build_id"] == current
        if not collecting:
            continue
        if event["build_id"] == since:
            return events
        events.insert(0, event)
        if event.get("previous_build_id") == since:
            return events
    if since == current:
        return []
    raise HistoryTooShort(since)
