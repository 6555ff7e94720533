"""What a build depends on and what it holds: the build key and a fingerprint of every record the index stores.

The build id and the incremental diff both come from those fingerprints, so a build made incrementally and one
made from scratch of the same content are the same build. Reading the content (and caching its parses) is the
reader's job alone: service/content/loader.py.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from service.content.cache import code_fingerprint, config_bytes, includes_bytes
from service.content.models import BODY_FIELDS, Post
from service.search import SCHEMA_VERSION
from service.version import __version__

if TYPE_CHECKING:
    from service.content.loader import LoadResult

# The code a build's documents depend on besides the reader's own (which the parse cache key covers).
BUILD_CODE = ("content", "search", "schemas/front_matter.py", "incremental.py")
PAUSE_SECONDS = 120  # a test pause never outlives its test
# Every field but the body (hashed by its digest) and the source's own hash (a whitespace edit changes no record).
HEAD_FIELDS = tuple(f.name for f in fields(Post) if f.name not in (*BODY_FIELDS, "content_hash"))


def pause_point(point: str) -> None:
    """Stop here when BROADSHEET_TEST_PAUSE names this point, so crash tests can kill a reindex at a known step."""
    if os.environ.get("BROADSHEET_TEST_PAUSE") != point:
        return
    print(f"BROADSHEET_TEST_PAUSE: paused at {point}", file=sys.stderr, flush=True)
    time.sleep(PAUSE_SECONDS)


def scan_key(content_dir: Path, preview: bool, image_widths: tuple[int, ...]) -> str:
    """Hash what every document of a build depends on besides the posts: code, index format, options, _config.yml
    and _includes/ (an edited include re-renders every post, so the next build is a fresh one)."""
    digest = hashlib.sha256()
    for part in (__version__, SCHEMA_VERSION, code_fingerprint(BUILD_CODE), str(preview), repr(image_widths)):
        digest.update(part.encode() + b"\0")
    digest.update(config_bytes(content_dir) + b"\0" + includes_bytes(content_dir))
    return digest.hexdigest()


def fingerprint(post: Post) -> str:
    """Hash everything the index stores for a post: equal fingerprints mean equal documents.

    The head's fields as they are (orjson writes the quotes, images and refs, flat dataclasses, natively: a
    superset of the records made from them, at a tenth of the cost) and the body by its digest, so an unchanged
    cached post's body is not read. Image metadata holds the other posts that use the same file: a post gaining
    or losing a neighbour there changes too, or an incremental build keeps stale lists under the fresh build's id.
    """
    head = [getattr(post, name) for name in HEAD_FIELDS]
    return hashlib.sha256(orjson.dumps([head, post.body_digest()])).hexdigest()[:32]


@dataclass
class Scan:
    """A load of the content folder with what a build needs beside it: its key and every post's fingerprint."""

    result: LoadResult
    key: str  # what every document and the index layout depend on besides the files themselves
    fingerprints: dict[str, str] = field(default_factory=dict)  # post id -> hash of its stored records

    @property
    def parsed(self) -> int:
        return self.result.parsed
