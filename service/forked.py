"""Run a function in a forked child on the other core while this process goes on: a reindex's own parallel steps.

The child is forked when asked for (with nothing of its own to do yet, it can import what its task needs), is
handed its arguments later or at once, pickled through a pipe, and hands back the answer the same way. Forking
is done only when it is safe (no other thread: a fork copies the calling thread alone) and the child dies with
this process; a child that fails or dies is reported as None, and the caller does the work itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_FAILED = b"-"


def can_fork() -> bool:
    """Say whether a child can be forked safely now."""
    return hasattr(os, "fork") and threading.active_count() == 1


def die_with_parent(parent: int) -> None:
    """Make this (forked) process die with the one that forked it (a killed reindex leaves no child behind)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent's own cleanup still stops it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


class Forked:
    """One call of `task` in a forked child: `prepare` runs there at once, the task when submit() hands its args."""

    def __init__(self, task: Callable[..., Any], prepare: Callable[[], Any] | None = None) -> None:
        if not can_fork():
            raise RuntimeError("forking is not safe here: another thread is running")
        from_parent, to_child = os.pipe()  # (read end, write end)
        from_child, to_parent = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(to_child)
            os.close(from_child)
            self._child(task, prepare, parent, from_parent, to_parent)
        os.close(from_parent)
        os.close(to_parent)
        self.pid, self._to, self._from = pid, to_child, from_child
        self._answer: tuple[Any] | None = None

    @staticmethod
    def _child(task: Callable[..., Any], prepare: Callable[[], Any] | None, parent: int, inbox: int,
               outbox: int) -> None:
        code = 1
        try:
            die_with_parent(parent)
            if prepare is not None:
                prepare()
            with os.fdopen(inbox, "rb") as incoming:
                args = pickle.loads(incoming.read())  # noqa: S301 - from this process' own parent
            try:
                answer = pickle.dumps(task(*args), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                answer = _FAILED
            with os.fdopen(outbox, "wb") as out:
                out.write(answer)
            code = 0
        finally:
            os._exit(code)  # never the parent's exit handlers, buffers or finally blocks

    def submit(self, *args: Any) -> None:
        """Hand the child its task's arguments (once)."""
        fd, self._to = self._to, -1
        data = memoryview(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))
        try:
            while data:
                data = data[os.write(fd, data):]
        except BrokenPipeError:  # the child is gone: result() says so
            pass
        finally:
            os.close(fd)

    def result(self) -> tuple[Any] | None:
        """Wait for the child; (answer,) when its task returned, None when it raised or died."""
        if self._from >= 0:
            fd, self._from = self._from, -1
            with os.fdopen(fd, "rb") as incoming:
                raw = incoming.read()
            _, status = os.waitpid(self.pid, 0)
            self.pid = -1
            if status == 0 and raw and raw != _FAILED:
                with contextlib.suppress(Exception):
                    self._answer = (pickle.loads(raw),)  # noqa: S301 - from this process' own child
        return self._answer

    def cancel(self) -> None:
        """Stop the child if it still runs and forget it (the caller does not want its answer)."""
        if self.pid > 0:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = -1
        for name in ("_to", "_from"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
