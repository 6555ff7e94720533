"""A forked helper: its answer comes back, and a task that raises, a child that dies or one cancelled say None."""

from __future__ import annotations

import os
import threading
import time

import pytest

from service.forked import Forked, can_fork


def _add(a: int, b: int) -> int:
    return a + b


def _fails() -> None:
    raise ValueError("a task that fails")


def test_the_answer_comes_back_from_the_child() -> None:
    helper = Forked(_add, prepare=lambda: time.sleep(0.05))  # prepared before the arguments arrive
    helper.submit(2, 3)
    assert helper.result() == (5,) and helper.result() == (5,)
    helper.cancel()  # a no-op once the answer is in


def test_a_failed_task_a_dead_child_and_a_cancelled_one_answer_none() -> None:
    failing = Forked(_fails)
    failing.submit()
    assert failing.result() is None
    dying = Forked(_add, prepare=lambda: os._exit(3))
    dying.submit(1, 1)  # the child is gone: handing it the arguments must not raise
    assert dying.result() is None
    waiting = Forked(_add)
    pid = waiting.pid
    waiting.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        with pytest.raises(RuntimeError):
            Forked(_add)
    finally:
        stop.set()
        other.join()
    assert can_fork()
