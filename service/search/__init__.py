"""The search interface the rest of the app talks to; only service/search/whoosh/ knows the engine is Whoosh.

Open a build with open_index (the SearchIndex it returns answers search, suggest and related), write one with
write_index or update_index; SCHEMA_VERSION names the index format they write.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.layout import IndexLayout
from service.search import heap
from service.search.models import IndexUnavailable, Manifest, Page, PostFilter, SearchIndex, SearchRequest, SearchResult
from service.search.site_store import SiteView, site_payload, site_view, write_site
from service.search.whoosh.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from service.content.models import Post

__all__ = [
    "SCHEMA_VERSION",
    "IndexHolder",
    "IndexUnavailable",
    "Manifest",
    "Page",
    "PostFilter",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "SiteView",
    "current_build_dir",
    "open_index",
    "preload_update",
    "site_payload",
    "site_view",
    "update_index",
    "write_index",
    "write_site",
]

# The engine is imported on first use, not with this package: Whoosh and numpy cost 0.18 s of imports, which a
# reindex that finds nothing changed, or a command that never searches, should not pay.
def open_index(build_dir: Path) -> SearchIndex:
    """Open a finished build for reading."""
    from service.search.whoosh.reader import open_index as whoosh_open

    return whoosh_open(build_dir)


def write_index(build_dir: Path, posts: list[Post], procs: int | None = None,
                pages: Sequence[dict[str, Any]] = (), meanwhile: Callable[[], Any] | None = None) -> int:
    """Write posts, their quotes and images (and site pages) into a new index in build_dir; return documents written.

    meanwhile: the caller's own work, run once every document is handed over, while the engine finishes writing."""
    from service.search.whoosh.writer import write_index as whoosh_write

    return whoosh_write(build_dir, posts, procs, pages, meanwhile)


def preload_update() -> None:
    """Import what update_index runs now (a forked helper does, while its parent imports the reader)."""
    import service.search.whoosh.update  # noqa: F401


def update_index(build_dir: Path, base_dir: Path, remove: list[str], add: list[Post],
                 add_pages: Sequence[dict[str, Any]] = ()) -> int:
    """Write build_dir as base_dir's index minus the posts in `remove` (ids) plus `add`, without rewriting it."""
    from service.search.whoosh.update import update_index as whoosh_update

    return whoosh_update(build_dir, base_dir, remove, add, add_pages)


def current_build_dir(index_dir: Path) -> Path | None:
    """Return the build the `current` link points at, or None when nothing is built yet."""
    link = IndexLayout(index_dir).current
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (index_dir / target) if not os.path.isabs(target) else Path(target)
    return path if path.is_dir() else None


class IndexHolder:
    """Keep one opened index per thread and reopen it when `current` points at a new build."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._local = threading.local()

    def get(self) -> SearchIndex:
        """Return this thread's index, switching to a newer build if one was published."""
        build_dir = current_build_dir(self.index_dir)
        if build_dir is None:
            raise IndexUnavailable("no index has been built yet")
        opened: SearchIndex | None = getattr(self._local, "index", None)
        if opened is not None and getattr(self._local, "path", None) == build_dir:
            self._local.uses += 1
            if self._local.uses == heap.SETTLE_AFTER:  # the structures its first requests made lazily stay too
                heap.settle()
            return opened
        try:
            fresh = open_index(build_dir)
        except Exception as exc:  # a build being removed or half-written must not become a 500
            if opened is not None:
                return opened
            raise IndexUnavailable(f"index build {build_dir.name} cannot be opened: {exc}") from exc
        switched = opened is not None
        if opened is not None:
            opened.close()
            opened = None  # let go of it before the collection that reclaims it
        self._local.index, self._local.path, self._local.uses = fresh, build_dir, 0
        heap.settle(reclaim=switched)
        return fresh
