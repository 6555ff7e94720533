"""Whoosh's multiprocess writer made deterministic, with sub-writers that die with the reindex that started them."""

from __future__ import annotations

import os
import pickle
import queue
from multiprocessing import Queue
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name

from service.forked import die_with_parent
from service.search.whoosh.bulk import BulkSegmentWriter


def _shared_temp(writer: Any) -> dict[str, str]:
    """The temporary folder a parent writer shares with its sub-writers, where the Whoosh release names one.

    whoosh-reloaded's writers all use the index's one temporary folder; whoosh-ng gives every writer its own
    unless told a name (MpWriter.tempname), so a sub-writer must be handed the parent's to find its job files.
    """
    name = getattr(writer, "tempname", None)
    return {"tempname": name} if name else {}


class _ChildWriterTask(SubWriterTask):
    """A sub-writer (a bulk segment writer, one segment) that dies with the reindex that started it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._parent = os.getpid()  # made in the parent, before the fork

    def run(self) -> None:
        die_with_parent(self._parent)
        # SubWriterTask.run with multisegment, writing with the bulk writer
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = BulkSegmentWriter(ix, _lk=False, **self.kwargs, **_shared_temp(self))
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames
        segment = writer._finalize_segment()
        self.resultqueue.put((None, fieldnames, segment), timeout=5)


class ParallelWriter(MpWriter):
    """Whoosh's multiprocess writer made deterministic: sub-writer n indexes the n-th contiguous share of the
    documents and the segments are listed in that order, so document numbers follow the posts' order as with
    one writer (equal scores then rank alike in every build and on every replica). Sub-writers never outlive
    the reindex.
    """

    def __init__(self, ix: Any, procs: int, total: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self._share = max(1, -(-total // procs))  # documents per sub-writer, rounded up
        self.subargs = {**self.subargs, "expected_docs": self._share}  # so a sub-writer's pool knows its end
        self._added_docs = 0
        self._buffers: list[list[Any]] = [[] for _ in range(procs)]
        self._queues: list[Any] = []

    def add_document(self, **fields: Any) -> None:
        n = min(self.procs - 1, self._added_docs // self._share)
        self._added_docs += 1
        self._buffers[n].append((0, fields))
        if len(self._buffers[n]) >= self.batchsize:
            self._send(n)
        self._added_sub = True

    def _send(self, n: int) -> None:
        buffer, self._buffers[n] = self._buffers[n], []
        if not buffer:
            return
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in buffer:
                pickle.dump(item, f, 2)
        while len(self.tasks) <= n:
            jobs, results = Queue(), Queue()  # unbounded: the parent never waits on one child while the other idles
            task = _ChildWriterTask(self.storage, self.indexname, jobs, results, self.subargs, True,
                                    *_shared_temp(self).values())
            self.tasks.append(task)
            self._queues.append((jobs, results))
            task.start()
        self._queues[n][0].put((filename, len(buffer)))

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        for n in range(self.procs):
            self._send(n)
        for jobs, _ in self._queues:
            jobs.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        segments = []
        for task, (_, results) in zip(self.tasks, self._queues, strict=True):
            while True:  # read before join: a child exits only once what it put is taken
                try:
                    segments.append(results.get(timeout=1)[2])
                    break
                except queue.Empty:
                    if not task.is_alive():
                        raise RuntimeError(f"an index sub-writer stopped with exit code {task.exitcode}") from None
            task.join()
        finalsegments += segments
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        for task in self.tasks:
            task.terminate()
        self.tasks = []
        MpWriter.cancel(self)
