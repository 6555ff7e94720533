"""Keep an opened build's long-lived objects out of the cyclic collector's full passes.

A worker holds about 90,000 tracked objects once a build is open and searched (the program, the build's
structures); a full collection walks every one of them, and at 10,000 posts each such pass held the interpreter
lock for 40 ms, every worker thread waiting behind it: a few per thousand searches, and the search p99 with them.
Frozen objects are skipped by those passes (gc.freeze); a publish unfreezes them once, so a build given up is
still reclaimed, cycles included.
"""

from __future__ import annotations

import gc
import threading

SETTLE_AFTER = 100  # a thread's requests on a build before its lazily made structures are frozen as well
_lock = threading.Lock()


def settle(reclaim: bool = False) -> None:
    """Freeze what is alive now; with reclaim, first thaw and collect everything (a build was just given up)."""
    with _lock:
        if reclaim:
            gc.unfreeze()
            gc.collect()
        gc.freeze()
