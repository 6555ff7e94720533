"""What a build's posts look like to the rest of the site, kept beside it so the next build can patch a few.

`edits.pickle` holds every post file's stat line and parse key, the link table, the joined authors and image usage
(marshal, or pickle for what marshal cannot hold). A patched build links the state of the build it patched and
writes only the files it changed beside it (`edits-delta.marshal`), so an edit does not write every post's again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.content.entries import EntryFilter
from service.layout import BuildLayout, write_atomic
from service.search.documents import USAGE_KEYS

if TYPE_CHECKING:
    from service.content.loader import LoadResult
    from service.content.site import SiteConfig

STATE_FORMAT = 1


@dataclass
class EditState:
    """What a build's posts look like to the rest of the site, kept so the next build can patch a few of them."""

    key: str  # the build's scan key
    others: str  # hash of the stat lines of every file but the posts (ignored dot files aside)
    lines: dict[str, str | None]  # post file path -> its stat line, in the reader's order
    keys: dict[str, str | None]  # post file path -> its parse-cache key
    ids: dict[str, str]  # visible post id -> path
    urls: list[tuple[str, str]]  # the link table
    links_digest: str
    authors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # path -> joined authors (when any)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)  # image file or URL -> its usage meta
    shared: set[str] = field(default_factory=set)  # ids of visible posts sharing their slug
    blocked: bool = False  # a page shows post bodies or a URL takes the clock: every edit goes the ordinary way
    format: int = STATE_FORMAT


@dataclass
class StateEdit:
    """A patched build's edit state: the base's, with these files' stat lines and parse keys replaced.

    Saved as the base's state file linked in place plus a small delta, so an edit does not write the state of
    every post again (48 MB at 100,000 posts)."""

    base: Path
    lines: dict[str, str | None] = field(default_factory=dict)
    keys: dict[str, str | None] = field(default_factory=dict)

    def applied_to(self, state: EditState) -> EditState:
        return dataclasses.replace(state, lines={**state.lines, **self.lines}, keys={**state.keys, **self.keys})


def others_digest(lines: dict[str, str], posts: set[str], site: SiteConfig) -> str:
    """Hash every file's stat line but the posts' and top-level dot files the reader never reads (editor marks)."""
    keep = EntryFilter(site)
    digest = hashlib.sha256()
    for path in sorted(lines):
        if path in posts or ("/" not in path and path.startswith(".") and not keep.keeps(path, False)):
            continue
        digest.update(f"{path}\0{lines[path]}".encode())
    return digest.hexdigest()


def make_state(key: str, lines: dict[str, str], result: LoadResult, blocked: bool) -> EditState:
    """Record a finished scan's posts (after every join) for the next build."""
    posts = set(result.keys)
    state = EditState(key=key, others=others_digest(lines, posts, result.site),
                      lines={path: lines.get(path) for path in result.keys}, keys=dict(result.keys),
                      ids={p.id: p.path for p in result.posts}, urls=list(result.urls),
                      links_digest=result.links_digest, blocked=blocked)
    state.blocked = blocked or None in state.lines.values()  # a post without a stat line: its edits would not show
    for post in result.posts:
        if post.authors:
            state.authors[post.path] = post.authors
        if post.other_ids:
            state.shared.add(post.id)
        for image in ([post.image] if post.image else []) + post.images:
            state.usage[image.local_path or image.url] = {k: image.meta[k] for k in USAGE_KEYS if k in image.meta}
    return state


def save_state(build_dir: Path, state: EditState | StateEdit) -> None:
    """Keep the state beside a build (atomically: a reused build's may be rewritten while it is served).

    A StateEdit links the base's state file and writes only the files it changed (with the base's own delta)."""
    layout = BuildLayout(build_dir)
    if isinstance(state, EditState):
        write_atomic(layout.edits, _encode_state(state))
        layout.edits_delta.unlink(missing_ok=True)
        return
    base = BuildLayout(state.base)
    carried = _read_delta(base.edits_delta) if base.edits_delta.exists() else {"lines": {}, "keys": {}}
    if carried is None:  # torn since the patch read it: no state, so the next edit takes the ordinary path
        return
    try:
        os.link(base.edits, layout.edits)
    except OSError:  # a filesystem without hard links (or a build without a state: the copy fails too)
        try:
            shutil.copy2(base.edits, layout.edits)
        except OSError:
            return
    delta = {"format": STATE_FORMAT, "lines": {**carried["lines"], **state.lines},
             "keys": {**carried["keys"], **state.keys}}
    write_atomic(layout.edits_delta, marshal.dumps(delta))


def load_state(build_dir: Path) -> EditState | None:
    """Read a build's state (with its delta, when it was patched); None when it has none or it is unreadable."""
    layout = BuildLayout(build_dir)
    try:
        state = _decode_state(layout.edits.read_bytes())
    except Exception:
        return None
    if not isinstance(state, EditState) or state.format != STATE_FORMAT:
        return None
    if not layout.edits_delta.exists():
        return state
    delta = _read_delta(layout.edits_delta)
    if delta is None:
        return None
    state.lines.update(delta["lines"])
    state.keys.update(delta["keys"])
    return state


def _read_delta(path: Path) -> dict[str, Any] | None:
    try:
        delta = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(delta, dict) or delta.get("format") != STATE_FORMAT or not all(
            isinstance(delta.get(name), dict) for name in ("lines", "keys")):
        return None
    return delta


# marshal writes and reads plain values 3-5x faster than pickle (a 100,000-post state is ~48 MB, written on every
# edit); pickle takes the states marshal cannot hold (an author's YAML date). Either is our own file in the index.
_MARSHAL, _PICKLE = b"M", b"P"


def _encode_state(state: EditState) -> bytes:
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state)}
    try:
        return _MARSHAL + marshal.dumps(fields)
    except ValueError:  # a value marshal has no form for
        return _PICKLE + pickle.dumps(state, protocol=5)


def _decode_state(raw: bytes) -> Any:
    if raw[:1] == _MARSHAL:
        return EditState(**marshal.loads(raw[1:]))
    if raw[:1] == _PICKLE:
        return pickle.loads(raw[1:])  # noqa: S301 - our own file in the index
    return None
