"""An opened build's objects are frozen out of the collector's full passes, and a build given up is still freed."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from service.indexing import reindex
from service.search import IndexHolder, heap
from tests.helpers import write_post


@pytest.fixture(autouse=True)
def thawed() -> object:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_freezes_what_is_alive() -> None:
    kept = [[n] for n in range(100)]
    heap.settle()
    assert gc.get_freeze_count() >= len(kept)
    heap.settle(reclaim=True)  # thaws, collects and freezes again
    assert gc.get_freeze_count() >= len(kept)


def test_opening_freezes_and_a_switch_frees_the_old_build(tmp_path: Path) -> None:
    content, index_dir = tmp_path / "content", tmp_path / "index"
    write_post(content, "2024-01-02-first.md", "title: First", "The first post.")
    reindex(content, index_dir)
    holder = IndexHolder(index_dir)
    first = holder.get()
    assert gc.get_freeze_count() > 0, "opening a build froze nothing"
    first.cycle = [first]  # type: ignore[attr-defined]  # only the collector can free it now, and it was frozen
    gone = weakref.ref(first)
    for _ in range(heap.SETTLE_AFTER + 1):
        assert holder.get() is first
    del first
    write_post(content, "2024-01-03-second.md", "title: Second", "The second post.")
    reindex(content, index_dir)
    second = holder.get()
    assert second.get_post("second") is not None
    assert gone() is None, "the build given up is still alive"
    assert gc.get_freeze_count() > 0
