"""Read-only data derived from an index build, made once per process and shared by every thread's searcher."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")
_MADE: dict[tuple[str, int, str], Any] = {}
_LOCK = threading.Lock()


def per_build(build_dir: Path, generation: int, what: str, make: Callable[[], _T]) -> _T:
    """Return `what` for this build and index generation, calling make() the first time; older builds are dropped."""
    key = (str(build_dir), generation, what)
    with _LOCK:
        if key in _MADE:
            return _MADE[key]
    made = make()  # outside the lock: two threads may both make it once, never block each other for long
    with _LOCK:
        for old in [k for k in _MADE if k[2] == what and k[:2] != key[:2]]:
            del _MADE[old]
        return _MADE.setdefault(key, made)


def clear() -> None:
    """Forget everything made so far (tests)."""
    with _LOCK:
        _MADE.clear()
