"""Run one task over many items in forked worker processes, answers in order: a full build's parse on every core."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from service.forked import die_with_parent

T = TypeVar("T")

PROCS = max(1, min(2, os.cpu_count() or 1))
PARALLEL_FROM = 400  # items: below this, forking the workers costs more than it saves
CHUNK = 20  # items a worker takes at a time: small enough that both finish together

_TASK: Callable[[int], Any] | None = None  # the task of the pool being forked: each worker inherits it


def ordered_map(task: Callable[[int], T], count: int, procs: int | None = None) -> Iterator[T]:
    """Yield task(0), task(1), ... task(count - 1), computed by forked workers when that is worth it and safe.

    The task's answers are pickled back, so they must pickle; the task itself is never pickled (the workers are
    forks made after it was set). Forking copies only the calling thread, so a process running other threads (the
    HTTP reindex job runs in a worker's thread) computes every answer itself, as does a small batch.
    """
    global _TASK
    procs = PROCS if procs is None else procs
    if procs <= 1 or count < PARALLEL_FROM or threading.active_count() > 1 or _TASK is not None \
            or "fork" not in multiprocessing.get_all_start_methods():
        for n in range(count):
            yield task(n)
        return
    _TASK = task
    try:
        pool = multiprocessing.get_context("fork").Pool(procs, initializer=die_with_parent, initargs=(os.getpid(),))
    finally:
        _TASK = None  # the workers have their copy; nothing else here may use it
    with pool:
        for answers in pool.imap(_run, [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]):
            yield from answers


def _run(items: range) -> list[Any]:
    assert _TASK is not None, "a pool worker without its task"
    return [_TASK(n) for n in items]
