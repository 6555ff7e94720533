"""Before a web process serves, make sure INDEX_DIR holds a build for its content: build one when there is none.

A platform without a build hook, a container started over a fresh volume, or a release phase whose files were
thrown away all leave a web process with no index; it builds one before it binds instead of answering 503 until
someone runs the reindex. The build runs in a child process (its memory is gone before the workers fork) under
the one-writer lock, so of two processes starting over one INDEX_DIR one builds and the other waits and reuses it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from service.incremental import scan_key
from service.indexing import BuildSummary, ReindexBusy, acquire_lock, build_and_publish, release_lock
from service.layout import BuildLayout, read_json
from service.search import Manifest, current_build_dir

MODES = ("auto", "always", "off")  # BOOT_REINDEX: build when unusable; reindex (incrementally) every boot; never


def unusable_reason(index_dir: Path, content_dir: Path, preview: bool, image_widths: tuple[int, ...]) -> str | None:
    """Say why INDEX_DIR cannot serve this content as this program would build it, or None when it can."""
    build = current_build_dir(index_dir)
    if build is None:
        return "no index has been built"
    manifest = Manifest.from_json(read_json(BuildLayout(build).manifest))
    if manifest is None:
        return f"build {build.name} has no readable manifest"
    if manifest.key != scan_key(content_dir, preview, image_widths):
        return f"build {build.name} was made by another version of the program, other settings or another _config.yml"
    return None


def ensure_index(config: Mapping[str, Any], log: Callable[[str], None] = print) -> str:
    """Build the index before serving when BOOT_REINDEX asks for it; log and return what was done.

    Returns "kept" (a usable build was there, or BOOT_REINDEX=off), "built", or "failed" (the process then serves
    503 from /readyz, whose last_reindex says why, and the log names the problem).
    """
    mode = str(config.get("BOOT_REINDEX", "auto")).strip().lower()
    if mode not in MODES:
        raise ValueError(f"BOOT_REINDEX must be one of {', '.join(MODES)}; got {config.get('BOOT_REINDEX')!r}")
    index_dir, content_dir = Path(config["INDEX_DIR"]), Path(config["CONTENT_DIR"])
    options = {"preview": bool(config.get("PREVIEW")), "image_widths": tuple(config["IMAGE_WIDTHS"])}
    reason = unusable_reason(index_dir, content_dir, **options)
    if mode == "off" or (mode == "auto" and reason is None):
        build = current_build_dir(index_dir)
        if reason is None and build is not None:
            log(f"boot: serving build {build.name} from {index_dir}")
        else:
            log(f"boot: {reason} in {index_dir}, and BOOT_REINDEX=off: /readyz answers 503 until a reindex runs")
        return "kept"
    log(f"boot: {reason or 'BOOT_REINDEX=always'}: indexing {content_dir} into {index_dir} before serving")
    # A child process, so the parse's memory never reaches the workers forked after it.
    child = multiprocessing.get_context("fork").Process(
        target=_build, args=(index_dir, content_dir, mode, options, log), name="broadsheet-boot-reindex")
    child.start()
    child.join()
    build = current_build_dir(index_dir)
    if child.exitcode != 0 or unusable_reason(index_dir, content_dir, **options) is not None or build is None:
        log(f"boot: the reindex failed (exit {child.exitcode}); see the lines above. /readyz answers 503 "
            "until `flask --app service reindex` succeeds")
        return "failed"
    log(f"boot: serving build {build.name} from {index_dir}")
    return "built"


def _build(index_dir: Path, content_dir: Path, mode: str, options: dict[str, Any], log: Callable[[str], None]) -> None:
    """In the child: build, reporting any failure in one line; the exit code tells the parent."""
    try:
        summary = _build_locked(index_dir, content_dir, mode, options, log)
    except Exception as exc:
        log(f"boot: the reindex stopped: {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
    if summary is None:
        return
    errors = summary.skipped
    for problem in errors:
        log(f"boot: {problem}")
    if len(summary.problems) > len(errors):
        log(f"boot: {len(summary.problems) - len(errors)} warnings (`flask --app service content check` lists them)")
    log(f"boot: {summary.line()}")


def _build_locked(index_dir: Path, content_dir: Path, mode: str, options: dict[str, Any],
                  log: Callable[[str], None]) -> BuildSummary | None:
    """Take the writer lock (waiting for another process' reindex), check again, and build unless that one did."""
    try:
        handle = acquire_lock(index_dir)
    except ReindexBusy:
        log(f"boot: another process is reindexing {index_dir}; waiting for it")
        handle = acquire_lock(index_dir, wait=True)
    try:
        if mode == "auto" and unusable_reason(index_dir, content_dir, **options) is None:
            log("boot: another process built it meanwhile; not building again")
            return None
        return build_and_publish(content_dir, index_dir, **options)
    finally:
        release_lock(handle)
