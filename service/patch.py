"""Patch the served build for a few edited posts without loading the other posts: the common author's edit.

A build keeps beside it what the rest of the site reads of its posts (`edits.pickle`: every file's stat line, each
post file's parse key, the link table, the joined authors and image usage). When only post files changed, and
each edit leaves what other records read of the post as it was (its URL, date, title, labels, front matter,
images and visibility), only that post's own records change: its documents, fingerprint and inventory line, and
the stored pages of it and its neighbours. Everything else is carried over, so the build is the one a full
reindex makes (same id); anything else (a new, moved or hidden post, a shared slug, a page showing post bodies,
another file changed, the clock passing a due date) returns None and the caller takes the ordinary path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from service.content.models import Post, Problem
from service.edit_state import EditState, StateEdit, load_state, others_digest, save_state
from service.forked import Forked, can_fork
from service.incremental import fingerprint, pause_point
from service.layout import BuildLayout, IndexLayout, read_json
from service.search import preload_update
from service.search.models import Manifest
from service.sources import SourceRecord, read_record

if TYPE_CHECKING:
    from service.content.site import SiteConfig

MAX_EDITS = 8  # more edited files than this: the ordinary incremental path


@dataclass
class Patched:
    """A patched build, written and renamed into place, with what publishing it needs."""

    build_id: str
    target: Path
    inventory: dict[str, dict[str, Any]]
    until: int | None
    manifest: Manifest
    problems: list[Problem]
    parsed: int
    updated: int
    forget: set[str]  # parse-cache keys the edits replaced
    reused: bool = False  # the patched content is a build still kept (an edit undone)
    before: dict[str, dict[str, Any]] | None = None  # the base's entries of the changed keys, for the change event
    changed: set[str] = field(default_factory=set)  # the only inventory keys the patch changed


class BaseFiles:
    """The served build's files a patch reads, each read once when first used, or all ahead (read_ahead)."""

    def __init__(self, base: Path) -> None:
        self.base = base

    @cached_property
    def state(self) -> EditState | None:
        return load_state(self.base)

    @cached_property
    def manifest(self) -> Manifest | None:
        return Manifest.from_json(read_json(BuildLayout(self.base).manifest))

    @cached_property
    def prints(self) -> Any:
        return read_json(BuildLayout(self.base).fingerprints)

    @cached_property
    def inventory(self) -> Any:
        return read_json(BuildLayout(self.base).inventory)

    def read_ahead(self, imports: bool = True) -> BaseFiles:
        """Read every file (and import the reader's modules) now, while something else runs (a forked stamp)."""
        for name in ("state", "manifest", "prints", "inventory"):
            getattr(self, name)
        if imports:
            import service.content.loader
            import service.content.site
            import service.schemas.pages  # noqa: F401 - what _patch and _write import when they run
        return self


def preload(base: Path | None, imports: bool = True) -> BaseFiles | None:
    """Read ahead what patching the served build (base) would read; None when nothing is served."""
    return BaseFiles(base).read_ahead(imports) if base is not None else None


def build_id_for(key: str, site: bytes, prints: dict[str, str], problems: list[Problem]) -> str:
    """Hash the scan key, the site sidecar, every record's fingerprint and the problems: the build's id."""
    digest = hashlib.sha256(key.encode() + b"\0" + hashlib.sha256(site).digest())
    for post_id, print_ in sorted(prints.items()):
        digest.update(f"{post_id}\0{print_}\0".encode())
    for problem in sorted(problems, key=str):
        digest.update(str(problem).encode() + b"\0")
    return digest.hexdigest()[:16]


def projection(post: Post) -> bytes:
    """What other records read of a post (before the joins): equal projections leave every other record as it was."""
    return orjson.dumps([post.path, post.id, post.slug, post.title, post.date, post.url, post.categories, post.tags,
                         post.meta, post.published, post.draft, post.image, post.images])


def _join(post: Post, state: EditState) -> bool:
    """Give a parsed post what the build joins onto it (authors, image usage); False when the state lacks it."""
    post.authors = [dict(a) for a in state.authors.get(post.path, [])]
    for image in ([post.image] if post.image else []) + post.images:
        usage = state.usage.get(image.local_path or image.url)
        if usage is None:
            return False
        image.meta = {**image.meta, **usage}
    return True


def try_patch(content_dir: Path, index_dir: Path, base: Path | None, key: str, lines: dict[str, str],
              stamp_now: str, now: datetime, *, preview: bool, image_widths: tuple[int, ...],
              preloaded: BaseFiles | None = None, record: SourceRecord | None = None) -> Patched | None:
    """Write the served build patched for the edited post files; None when the edit needs the ordinary path.

    preloaded: the base's files when read ahead (preload); record: the sources record, when the caller read it."""
    record = record if record is not None else read_record(index_dir)
    second = int(now.timestamp())
    if base is None or record is None or record.build_id != base.name or record.stamp == stamp_now:
        return None
    if not (record.since <= second and (record.until is None or second < record.until)):
        return None  # the clock passed a due date (or went back): visibility is decided afresh
    files = preloaded if preloaded is not None and preloaded.base == base else BaseFiles(base)
    state, manifest = files.state, files.manifest
    if state is None or state.blocked or state.key != key or manifest is None or manifest.key != key:
        return None
    # The index's share of the patch runs in a child forked now, which imports the engine while this process
    # imports the reader and parses the edit (both cores; 0.1 s of an edit at 10,000 posts).
    helper = Forked(_update_index, prepare=preload_update) if can_fork() else None
    try:
        from service.content.site import load_site_config

        site, _ = load_site_config(content_dir)
        # A post added (or a file that becomes one) changes the other files' hash; a removed one has no line now.
        if others_digest(lines, set(state.lines), site) != state.others:
            return None
        edited = [path for path, line in state.lines.items() if lines.get(path) != line]
        if not edited or len(edited) > MAX_EDITS:
            return None
        return _patch(content_dir, index_dir, files, state, manifest, record.until, site, edited, lines, now,
                      preview, image_widths, helper)
    finally:
        if helper is not None:
            helper.cancel()  # a no-op once its answer is in


def _update_index(staging: Path, base: Path, remove: list[str], add: list[Post]) -> int:
    from service.search import update_index

    return update_index(staging, base, remove, add)


def _patch(content_dir: Path, index_dir: Path, files: BaseFiles, state: EditState, manifest: Manifest,
           until: int | None, site: SiteConfig, edited: list[str], lines: dict[str, str], now: datetime,
           preview: bool, image_widths: tuple[int, ...], helper: Forked | None = None) -> Patched | None:
    from service.content.cache import ParseCache, file_keys, reader_key
    from service.content.files import SourceFile
    from service.content.liquid import LinkTable
    from service.content.loader import cached_post, parse_file
    from service.content.visibility import is_visible

    base, prints, inventory = files.base, files.prints, files.inventory
    if not isinstance(prints, dict) or not isinstance(inventory, dict):
        return None
    order = manifest.order
    where = {post_id: at for at, post_id in enumerate(order)}
    links = LinkTable(state.urls, site.baseurl)
    fresh: dict[str, Post] = {}  # id -> joined new post
    parsed = 0
    edit = StateEdit(files.base)
    forget: set[str] = set()
    with ParseCache(IndexLayout(index_dir).parse_cache) as cache:
        olds = {path: cached_post(cache, state.keys.get(path) or "") for path in edited}
        if any(old is None or old[0] is None for old in olds.values()):
            return None  # an unreadable file, or a parse the cache no longer holds
        sources = [SourceFile(path, content_dir / path, draft=olds[path][0].draft) for path in edited]
        new_keys = file_keys(sources, reader_key(content_dir, image_widths), cache)

        def joined(post_id: str) -> Post | None:
            """An unedited post as the base build holds it, checked against its fingerprint."""
            path = state.ids.get(post_id)
            found = cached_post(cache, state.keys.get(path) or "") if path else None
            if found is None or found[0] is None or post_id in state.shared or not _join(found[0], state):
                return None
            return found[0] if fingerprint(found[0]) == prints.get(post_id) else None

        for source, new_key in zip(sources, new_keys, strict=True):
            old_key = state.keys[source.path]
            edit.lines[source.path] = lines.get(source.path)
            if new_key is None or old_key is None:
                return None
            if new_key == old_key:  # touched, not changed
                continue
            old = olds[source.path]
            pause_point("parse")  # crash tests kill a reindex here, as they do a scan's parse
            post, problems, entry = parse_file(source, site, links, state.links_digest, content_dir, image_widths,
                                               now)
            if old is None or old[0] is None or post is None or problems != old[1]:
                return None
            before = old[0]
            if before.id not in where or before.id in state.shared or projection(before) != projection(post):
                return None
            if not (is_visible(before, site, now, preview=preview) and is_visible(post, site, now, preview=preview)):
                return None
            cache.put_many({new_key: entry})  # pickled now, before the joins touch the images it shares
            parsed += 1
            if not _join(before, state) or fingerprint(before) != prints.get(before.id) or not _join(post, state):
                return None  # the state does not rebuild the base's records: take the ordinary path
            fresh[post.id] = post
            edit.keys[source.path] = new_key
            forget.add(old_key)
        needed = {order[n] for c in fresh for n in range(where[c] - 2, where[c] + 3) if 0 <= n < len(order)}
        posts: dict[str, Post] = dict(fresh)
        for post_id in sorted(needed - fresh.keys()):
            found = joined(post_id)
            if found is None:
                return None
            posts[post_id] = found
        return _write(index_dir, base, state, edit, manifest, until, prints, inventory, posts, fresh,
                      parsed, forget, helper)


def finish_build(staging: Path, target: Path, site: bytes, inventory: dict[str, dict[str, Any]],
                 prints: dict[str, str], manifest: Manifest, state: EditState | StateEdit | None) -> None:
    """Write a staged build's sidecars (site, inventory, fingerprints, manifest, edit state) and rename it into place:
    the one ending of a full, an incremental and a patched build."""
    from service.changes import write_inventory
    from service.search import write_site

    write_site(staging, site)
    write_inventory(staging, inventory)
    written = BuildLayout(staging)
    written.fingerprints.write_bytes(orjson.dumps(prints, option=orjson.OPT_SORT_KEYS))
    written.manifest.write_bytes(orjson.dumps(manifest.to_json(), option=orjson.OPT_INDENT_2))
    if state is not None:
        save_state(staging, state)
    pause_point("write")
    os.rename(staging, target)


def _write(index_dir: Path, base: Path, state: EditState, edit: StateEdit, manifest: Manifest, until: int | None,
           prints: dict[str, str], inventory: dict[str, dict[str, Any]], posts: dict[str, Post],
           fresh: dict[str, Post], parsed: int, forget: set[str], helper: Forked | None = None) -> Patched:
    from service.schemas.pages import patch_post_pages
    from service.search.site_store import SITE_FILE

    site = (base / SITE_FILE).read_bytes()
    problems = [Problem(p["path"], p["line"], p["severity"], p["message"]) for p in manifest.problems]
    changed = {post_id for post_id, post in fresh.items() if fingerprint(post) != prints[post_id]}
    before = {post_id: inventory[post_id] for post_id in changed}  # all the change event compares
    prints = {**prints, **{post_id: fingerprint(post) for post_id, post in fresh.items()}}
    for post_id in changed:
        inventory[post_id] = {**inventory[post_id], "print": prints[post_id]}
    build_id = build_id_for(state.key, site, prints, problems)
    manifest = dataclasses.replace(manifest, build_id=build_id,
                                   created_at=datetime.now(UTC).isoformat(timespec="seconds"))
    target = IndexLayout(index_dir).build(build_id).root
    result = Patched(build_id, target, inventory, until, manifest, problems, parsed, len(changed), forget,
                     before=before, changed=changed)
    if target.is_dir():  # the same content as a build still kept (an edit undone): it is reused
        result.reused = True
        save_state(target, edit.applied_to(state))
        return result
    staging = IndexLayout(index_dir).staging(build_id, os.getpid())
    shutil.rmtree(staging, ignore_errors=True)
    try:
        where = {post_id: at for at, post_id in enumerate(manifest.order)}
        remove, add = sorted(changed), [fresh[c] for c in sorted(changed, key=where.__getitem__)]
        if helper is not None:  # the index in the child, the stored bodies here, at the same time
            helper.submit(staging, base, remove, add)
        else:
            _update_index(staging, base, remove, add)
        patch_post_pages(staging, base, manifest.order, posts, changed)
        if helper is not None and helper.result() is None:  # the child failed or died: write it all here
            shutil.rmtree(staging, ignore_errors=True)
            _update_index(staging, base, remove, add)
            patch_post_pages(staging, base, manifest.order, posts, changed)
        finish_build(staging, target, site, inventory, prints, manifest, edit)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result
