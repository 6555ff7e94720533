"""Watch the content folder and reindex incrementally when authors save, after a moment of quiet."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from service.content.images import DEFAULT_WIDTHS
from service.indexing import reindex

IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~", ".part")  # editor and download scratch files


class _Changes(FileSystemEventHandler):
    """Remember when the content last changed; the watcher loop decides when to act."""

    def __init__(self, ignore: Path | None) -> None:
        self.ignore = ignore
        self.last = 0.0
        self.pending = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads (including our own) change nothing
        paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
        if all(not p or self._ignored(p) for p in paths):
            return
        self.last = time.monotonic()
        self.pending.set()

    def _ignored(self, path: str) -> bool:
        name = Path(path).name
        if self.ignore is not None and Path(path).is_relative_to(self.ignore):
            return True
        return name.startswith((".#", "#")) or name.endswith(IGNORED_SUFFIXES)


def watch(
    content_dir: Path,
    index_dir: Path,
    *,
    preview: bool = False,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    debounce: float = 1.0,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Reindex once now, then after each burst of changes; return on Ctrl-C or when stop is set."""
    stop = stop or threading.Event()
    content_dir, index_dir = content_dir.resolve(), index_dir.resolve()
    changes = _Changes(index_dir if index_dir.is_relative_to(content_dir) else None)
    observer = Observer()
    observer.schedule(changes, str(content_dir), recursive=True)
    observer.start()
    try:
        _run(content_dir, index_dir, preview, image_widths, echo)
        while not stop.is_set():
            if not changes.pending.wait(timeout=0.2):
                continue
            quiet = time.monotonic() - changes.last
            if quiet < debounce:
                stop.wait(debounce - quiet)
                continue
            changes.pending.clear()
            _run(content_dir, index_dir, preview, image_widths, echo)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join(timeout=5)
        echo("stopped watching")


def _run(content_dir: Path, index_dir: Path, preview: bool, image_widths: tuple[int, ...],
         echo: Callable[[str], None]) -> None:
    try:
        summary = reindex(content_dir, index_dir, preview=preview, image_widths=image_widths, wait=True)
    except Exception as exc:  # a failed build leaves the served one alone; keep watching
        echo(f"reindex failed: {type(exc).__name__}: {exc}")
        return
    for problem in summary.skipped:
        echo(str(problem))
    echo(summary.line())
