"""A post's finished response body, made at index time: the post schema's output with the URL bases left as markers.

Dumping through marshmallow costs milliseconds a post (too slow for every post of a big site at every build), so
the post schema is compiled once into plain functions that do what its fields do; `tests/test_pages.py` holds
the two equal over real content. The absolute bases (SITE_URL, PUBLIC_URL) are deployment settings, not content:
bodies keep a marker where each goes, and `finish` puts the configured bases in when a body is served.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from marshmallow import Schema, fields

from service.config import public_url, site_url
from service.content.models import Post
from service.schemas import responses
from service.search.documents import post_record, summary_record
from service.search.pages import read_order, write_pages

SITE_MARK = "\x00bs:site\x00"
MEDIA_MARK = "\x00bs:media\x00"
_ENCODED = {mark: orjson.dumps(mark)[1:-1] for mark in (SITE_MARK, MEDIA_MARK)}
Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]


def _absolute(mark: str) -> Callable[[Any], Any]:
    def dump(value: Any) -> Any:
        if value is None:
            return None
        return mark + value if value.startswith("/") and not value.startswith("//") else value

    return dump


def _plain(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _bool(value: Any) -> Any:
    if value is None:
        return None
    if value in fields.Boolean.truthy:
        return True
    if value in fields.Boolean.falsy:
        return False
    return bool(value)


def _field(field: fields.Field) -> Callable[[Any], Any]:
    """Return a function doing what one marshmallow field does to a value when dumping."""
    if isinstance(field, responses._Srcset):
        url = _absolute(MEDIA_MARK)
        return lambda value: None if not value else ", ".join(f"{url(v['url'])} {v['width']}w" for v in value)
    if isinstance(field, responses.MediaURL):
        return _absolute(MEDIA_MARK)
    if isinstance(field, responses.SiteURL):
        return _absolute(SITE_MARK)
    if isinstance(field, fields.Nested):
        inner = compile_schema(field.schema.__class__)
        return lambda value: None if value is None else inner(value)
    if isinstance(field, fields.List):
        item = _field(field.inner)
        return lambda value: None if value is None else [item(v) for v in value]
    if type(field) is fields.String:
        return _plain(lambda v: v if isinstance(v, str) else str(v))
    if type(field) is fields.Integer:
        return _plain(int)
    if type(field) is fields.Boolean:
        return _bool
    if type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        return _plain(dict)
    raise TypeError(f"no compiled form for {type(field).__name__}")


_COMPILED: dict[type[Schema], Dumper] = {}


def compile_schema(schema_class: type[Schema]) -> Dumper:
    """Return a function that dumps a mapping as schema_class would (keys it lacks are left out, like marshmallow)."""
    found = _COMPILED.get(schema_class)
    if found is not None:
        return found
    plan = [(field.data_key if field.data_key is not None else name, field.attribute or name, _field(field))
            for name, field in schema_class().dump_fields.items()]

    def dump(obj: Mapping[str, Any]) -> dict[str, Any]:
        return {key: convert(obj[attr]) for key, attr, convert in plan if attr in obj}

    _COMPILED[schema_class] = dump
    return dump


def render_body(record: Mapping[str, Any], older: Mapping[str, Any] | None, newer: Mapping[str, Any] | None) -> bytes:
    """Return the body `/api/posts/<slug>` answers for a post record and its neighbours' summaries, with markers."""
    dump = compile_schema(responses.PostSchema)
    return orjson.dumps(dump({**record, "prev": older, "next": newer}), option=orjson.OPT_NON_STR_KEYS)


def has_marks(raw: bytes) -> bool:
    """Say whether bytes already hold a marker (a post whose own text does: it is served the slow way)."""
    return any(encoded in raw for encoded in _ENCODED.values())


def finish(body: bytes, config: Mapping[str, Any]) -> bytes:
    """Put the configured absolute bases where the markers are."""
    return (body.replace(_ENCODED[SITE_MARK], orjson.dumps(site_url(config))[1:-1])
            .replace(_ENCODED[MEDIA_MARK], orjson.dumps(public_url(config))[1:-1]))


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


def _neighbours(order: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    return {post_id: (order[at + 1] if at + 1 < len(order) else None, order[at - 1] if at > 0 else None)
            for at, post_id in enumerate(order)}
