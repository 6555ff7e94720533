"""Every path under INDEX_DIR, named once, and the JSON sidecar idioms (read, write atomically) written once."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CURRENT = "current"
STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class BuildLayout:
    """The files of one build that the program (not the search engine) writes: its manifest and fingerprints."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "build.json"

    @property
    def fingerprints(self) -> Path:
        """slug -> record hash of every indexed post: the next build's diff."""
        return self.root / "fingerprints.json"

    @property
    def inventory(self) -> Path:
        """key -> kind, url, fingerprint of everything the build serves: the next build's change event."""
        return self.root / "inventory.json"

    @property
    def edits(self) -> Path:
        """What the next build needs to patch this one for a few edited posts (service/patch.py)."""
        return self.root / "edits.pickle"

    @property
    def edits_delta(self) -> Path:
        """A patched build's changes to the edit state it links from the build it patched (service/patch.py)."""
        return self.root / "edits-delta.marshal"


@dataclass(frozen=True)
class IndexLayout:
    """INDEX_DIR: the `current` link, the builds, the writer lock, the last outcome, caches and reindex jobs."""

    root: Path

    @property
    def current(self) -> Path:
        """The symlink naming the served build; publishing renames a new link over it."""
        return self.root / CURRENT

    def current_temp(self, pid: int) -> Path:
        """The link one process makes before renaming it over `current`."""
        return self.root / f"{CURRENT}.tmp-{pid}"

    def current_temps(self) -> list[Path]:
        """Links killed runs made but never renamed."""
        return list(self.root.glob(f"{CURRENT}.tmp-*"))

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    def build(self, build_id: str) -> BuildLayout:
        return BuildLayout(self.builds / build_id)

    def staging(self, build_id: str, pid: int) -> Path:
        """Where a build is written before it is renamed into builds/."""
        return self.builds / f"{STAGING_PREFIX}{build_id}-{pid}"

    @property
    def lock(self) -> Path:
        """The one-writer lock file (flock: the kernel drops it when the holder dies)."""
        return self.root / ".reindex.lock"

    @property
    def last_reindex(self) -> Path:
        """The outcome of the latest reindex, served or not, for /readyz."""
        return self.root / "last-reindex.json"

    @property
    def sources(self) -> Path:
        """The stamp of the content folder the current build was made from (service/sources.py)."""
        return self.root / "sources.json"

    @property
    def parse_cache(self) -> Path:
        return self.root / "cache"

    @property
    def jobs(self) -> Path:
        """Reindex job files: in the index folder, so every worker (and process) answers about every job."""
        return self.root / "jobs"

    @property
    def changes(self) -> Path:
        """The change events of the latest builds, for /api/changes: one JSON object a line, appended."""
        return self.root / "changes.jsonl"

    @property
    def old_changes(self) -> Path:
        """The history as one JSON list (before 2026-12-04): read until the first event is appended."""
        return self.root / "changes.json"

    @property
    def webhook(self) -> Path:
        """The outcome of the latest publish webhook delivery, for /readyz."""
        return self.root / "webhook.json"

    @property
    def media_cache(self) -> Path:
        """Resized image variants: derived data, like the index."""
        return self.root / "media-cache"


def read_json(path: Path) -> Any:
    """Read a JSON sidecar, or None when it is missing or torn."""
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def write_json_atomic(path: Path, value: Any, option: int = 0) -> None:
    """Write JSON beside path and rename it into place: readers see the old file or the new one, never half."""
    write_atomic(path, orjson.dumps(value, option=option))


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes beside path and rename them into place (the one way every sidecar is replaced)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
