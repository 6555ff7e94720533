"""Find post files in a content folder, read them safely and split front matter from body."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from service.content.models import Problem

# Jekyll's own pattern for post file names: a date, a slug and an extension.
POST_NAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$")
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown", ".mdwn", ".html"})
MAX_FILE_BYTES = 5 * 1024 * 1024
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n?)^(?:---|\.\.\.)[ \t]*$\n?", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SourceFile:
    """A post file found under the content folder."""

    path: str  # relative to the content folder, with forward slashes
    abs_path: Path
    draft: bool = False


@dataclass(frozen=True)
class SplitFile:
    front_matter: str | None  # None when the file has no front matter block
    body: str
    body_line: int  # 1-based line number where the body starts
    raw_hash: str


def find_post_files(content_dir: Path, *, drafts: bool = False) -> list[SourceFile]:
    """List post files under every _posts (and optionally _drafts) folder, sorted by path."""
    found: list[SourceFile] = []
    folders = ["_posts", "_drafts"] if drafts else ["_posts"]
    for folder_name in folders:
        for folder in sorted(content_dir.rglob(folder_name)):
            if not folder.is_dir() or _hidden(folder.relative_to(content_dir)):
                continue
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(content_dir)
                if _hidden(rel) or path.suffix.lower() not in MARKDOWN_EXTENSIONS:
                    continue
                if path.is_file() or path.is_symlink():
                    found.append(SourceFile(rel.as_posix(), path, draft=folder_name == "_drafts"))
    return found


def _hidden(rel: Path) -> bool:
    return any(part.startswith((".", "#")) or part.endswith("~") for part in rel.parts)


def read_source(source: SourceFile) -> tuple[str | None, bytes, list[Problem]]:
    """Read a file as text: strip a BOM, normalise line ends, replace invalid UTF-8 with a warning."""
    try:
        size = source.abs_path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, b"", [Problem(source.path, None, "error", f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")]
        raw = source.abs_path.read_bytes()
    except OSError as exc:
        return None, b"", [Problem(source.path, None, "error", f"cannot read file: {exc.strerror or exc}")]
    problems: list[Problem] = []
    if b"\x00" in raw[:8192]:
        return None, raw, [Problem(source.path, None, "error", "file is binary (contains NUL bytes), not a text post")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(source.path, line, "warning", "file is not valid UTF-8; invalid bytes were replaced"))
        text = raw.decode("utf-8-sig", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, raw, problems


def split_front_matter(text: str, raw: bytes = b"") -> SplitFile:
    """Split a post into its YAML front matter and Markdown body, as Jekyll does."""
    digest = hashlib.sha256(raw or text.encode()).hexdigest()
    match = _FRONT_MATTER.match(text)
    if not match:
        return SplitFile(None, text, 1, digest)
    body_line = text[: match.end()].count("\n") + 1
    return SplitFile(match.group(1), text[match.end() :], body_line, digest)


class FrontMatterError(ValueError):
    """Front matter that is not valid YAML, with the line (in the file) where it goes wrong."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that an impossible date is a YAML error with a position."""


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, f"impossible date {node.value!r} ({exc})",
                                                node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_front_matter(text: str | None) -> Any:
    """Parse front matter YAML; raise FrontMatterError naming the file line that is wrong."""
    if not text:
        return {}
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        # An unclosed bracket or quote is found at the end of the stream; where it opened is the useful line.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise FrontMatterError(mark.line + 2 if mark is not None else 1, f"front matter is not valid YAML: {reason}") \
            from None
    except RecursionError:
        raise FrontMatterError(None, "front matter is nested too deeply") from None
