"""Forked workers answer a task in order, only when that is safe, and none outlives its batch."""

from __future__ import annotations

import os
import threading
import time

import pytest

from service.content import pool
from service.content.pool import PARALLEL_FROM, ordered_map


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _slow_pid_and_square(n: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that both workers take a share
    return os.getpid(), n * n


def test_answers_come_in_order_from_worker_processes() -> None:
    count = PARALLEL_FROM + 37
    answers = list(ordered_map(_slow_pid_and_square, count, procs=2))
    assert [square for _, square in answers] == [n * n for n in range(count)]
    workers = {pid for pid, _ in answers}
    assert os.getpid() not in workers and len(workers) == 2


def test_a_small_batch_is_answered_here() -> None:
    answers = list(ordered_map(_pid_and_square, PARALLEL_FROM - 1, procs=2))
    assert {pid for pid, _ in answers} == {os.getpid()}


def test_a_process_running_other_threads_never_forks() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        answers = list(ordered_map(_pid_and_square, PARALLEL_FROM + 1, procs=2))
    finally:
        stop.set()
        other.join()
    assert {pid for pid, _ in answers} == {os.getpid()}


def test_the_task_sees_what_its_caller_made_before_the_fork() -> None:
    made = {n: f"item {n}" for n in range(PARALLEL_FROM)}
    assert list(ordered_map(made.__getitem__, len(made), procs=2)) == list(made.values())


def test_a_failing_task_fails_the_batch_and_no_worker_stays() -> None:
    def task(n: int) -> int:
        if n == PARALLEL_FROM // 2:
            raise ValueError("this item")
        return n

    before = _children()
    with pytest.raises(ValueError, match="this item"):
        list(ordered_map(task, PARALLEL_FROM, procs=2))
    assert _settled(before)
    assert pool._TASK is None


def test_workers_stop_once_every_answer_is_read() -> None:
    before = _children()
    answers = ordered_map(_pid_and_square, PARALLEL_FROM, procs=2)
    assert len([next(answers) for _ in range(PARALLEL_FROM)]) == PARALLEL_FROM
    answers.close()
    assert _settled(before)


def _children() -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        found.add(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _settled(before: set[int]) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _children() <= before:
            return True
        time.sleep(0.05)
    return False
