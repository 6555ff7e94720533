"""A post's finished response body, made at index time: the post schema's output with the URL bases left as markers.

Dumping through marshmallow costs milliseconds a post (too slow for every post of a big site at every build), so
the post schema is compiled (compiled.py); `tests/test_pages.py` holds the two equal over real content. Bodies
keep a marker where each absolute base goes, and `finish` puts the configured bases in when a body is served.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from service.content.models import Post
from service.schemas import responses
from service.schemas.compiled import compile_schema, has_marks
from service.search.documents import post_record, summary_record
from service.search.pages import read_order, write_pages


def render_body(record: Mapping[str, Any], older: Mapping[str, Any] | None, newer: Mapping[str, Any] | None) -> bytes:
    """Return the body `/api/posts/<slug>` answers for a post record and its neighbours' summaries, with markers."""
    dump = compile_schema(responses.PostSchema)
    return orjson.dumps(dump({**record, "prev": older, "next": newer}), option=orjson.OPT_NON_STR_KEYS)


def write_post_pages(build_dir: Path, posts: Sequence[Post], base_dir: Path | None = None,
                     changed: set[str] | None = None) -> int:
    """Store the finished body of every post (newest first in `posts`), re-rendering only what a change touched.

    changed names the ids whose records differ from the base build (None: a full build). A post's body also
    holds its neighbours' summaries, so it is rendered again when a neighbour changed or became another post.
    Bodies are kept by slug for `/api/posts/<slug>`; posts sharing a slug are left out: they are served the slow
    way (the newest, with `other_ids`). Returns bodies rendered.
    """
    order = [p.id for p in posts]
    counts = Counter(p.slug for p in posts)
    old_order = read_order(base_dir) if base_dir is not None and changed is not None else None
    old_neighbours = _neighbours(old_order) if old_order is not None else {}
    new_neighbours = _neighbours(order)
    keep, render = [], []
    for at, post in enumerate(posts):
        if counts[post.slug] > 1:
            continue
        stale = (old_order is None or post.id in changed or old_neighbours.get(post.id) != new_neighbours[post.id]
                 or any(n in changed for n in new_neighbours[post.id] if n))  # type: ignore[operator]
        (render if stale else keep).append(at)
    records = {at: orjson.loads(orjson.dumps(post_record(posts[at]))) for at in render}
    summaries: dict[int, dict[str, Any]] = {}

    def summary(at: int) -> dict[str, Any] | None:
        if at < 0 or at >= len(posts):
            return None
        if at not in summaries:
            record = records.get(at) or orjson.loads(orjson.dumps(post_record(posts[at])))
            summaries[at] = summary_record(record)
        return summaries[at]

    bodies = {}
    for at in render:
        raw = orjson.dumps(records[at])
        if has_marks(raw):
            continue
        bodies[posts[at].slug] = render_body(records[at], summary(at + 1), summary(at - 1))
    return write_pages(build_dir, bodies, base_dir if old_order is not None else None,
                       keep=[posts[at].slug for at in keep])


def patch_post_pages(build_dir: Path, base_dir: Path, order: Sequence[str], posts: Mapping[str, Post],
                     changed: set[str]) -> int:
    """Re-render the bodies of the changed posts and of their neighbours, carrying every other over from base.

    For an edit that moved no post and shares no slug, so the order is the base's: `posts` holds the changed posts,
    their neighbours and theirs by id. Renders what write_post_pages would for the same change; returns bodies written.
    """
    where = {post_id: at for at, post_id in enumerate(order)}
    render = sorted({n for c in changed for n in (where[c] - 1, where[c], where[c] + 1) if 0 <= n < len(order)})
    records: dict[int, dict[str, Any]] = {}

    def record(at: int) -> dict[str, Any]:
        if at not in records:
            records[at] = orjson.loads(orjson.dumps(post_record(posts[order[at]])))
        return records[at]

    def summary(at: int) -> dict[str, Any] | None:
        return summary_record(record(at)) if 0 <= at < len(order) else None

    bodies, dropped = {}, set()
    for at in render:
        slug = posts[order[at]].slug
        if has_marks(orjson.dumps(record(at))):
            dropped.add(slug)
            continue
        bodies[slug] = render_body(record(at), summary(at + 1), summary(at - 1))
    return write_pages(build_dir, bodies, base_dir, drop=dropped)  # every other body carried over


def _neighbours(order: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    return {post_id: (order[at + 1] if at + 1 < len(order) else None, order[at - 1] if at > 0 else None)
            for at, post_id in enumerate(order)}
