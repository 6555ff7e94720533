"""Find post files in a content folder, read them safely and split front matter from body."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.content.models import Problem

# Jekyll's own pattern for post file names: a date, a slug and an extension.
POST_NAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$")
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".mdown", ".mdwn", ".html"})
MAX_FILE_BYTES = 5 * 1024 * 1024
# Jekyll's YAML_FRONT_MATTER_REGEXP; `\s*` after the closing dashes also eats blank lines after them.
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n?)^(?:---|\.\.\.)\s*$\n?", re.MULTILINE | re.DOTALL)


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


# Jekyll's DEFAULT_EXCLUDES, added to whatever `exclude` _config.yml sets (Configuration#add_default_excludes).
DEFAULT_EXCLUDES = (".sass-cache", ".jekyll-cache", "gemfiles", "Gemfile", "Gemfile.lock", "node_modules",
                    "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/")
_ROOT = "/SITE/"  # stands for the site source in patterns, so its own path never takes part in matching


@dataclass(frozen=True)
class EntryFilter:
    """Jekyll's EntryFilter: which folders and files under the site source it reads at all."""

    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()

    def rejects(self, rel: str, name: str, *, is_dir: bool = False) -> bool:
        """Say whether Jekyll skips an entry: rel is its path from the source, name its path inside the listed folder.

        An `include` match wins over everything else; then names starting with `.`, `_`, `#` or `~` (checked on
        name and on its last part), backups ending in `~`, and `exclude` (plus the default excludes) go.
        """
        base = name.rsplit("/", 1)[-1]
        if _matches(self.include, rel, is_dir) or _matches(self.include, base, is_dir):
            return False
        if name.startswith((".", "_", "#", "~")) or base.startswith((".", "_", "#", "~")) or name.endswith("~"):
            return True
        return _matches(self._excluded, rel, is_dir)

    @functools.cached_property
    def _excluded(self) -> tuple[str, ...]:
        return tuple(p for p in (*self.exclude, *DEFAULT_EXCLUDES) if p not in self.include)


def _matches(patterns: tuple[str, ...], rel: str, is_dir: bool) -> bool:
    """Jekyll's glob_include?: a glob match (`*` crosses `/`), a plain prefix, or the folder itself with a slash."""
    glob, fulls = _compiled(patterns)
    if not fulls:
        return False
    entry = _ROOT + rel.lstrip("/")
    return glob.match(entry) is not None or entry.startswith(fulls) or (is_dir and entry + "/" in fulls)


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """Join a pattern list into one regex (each as fnmatchcase reads it) and its prefixes: asked once per file."""
    # An empty entry would exclude everything in Jekyll; it is always a slip of the pen, so it is left out.
    fulls = tuple(_ROOT + p.lstrip("/") for p in patterns if p)
    return re.compile("|".join(f"(?:{fnmatch.translate(full)})" for full in fulls) or r"\A(?!)"), fulls


def find_post_files(content_dir: Path, *, drafts: bool = False, exclude: tuple[str, ...] = (),
                    include: tuple[str, ...] = ()) -> list[SourceFile]:
    """List post files as Jekyll's reader finds them: `_posts` (and `_drafts`) in the site root and every folder."""
    found: list[SourceFile] = []
    folders = ["_posts", "_drafts"] if drafts else ["_posts"]
    entries = EntryFilter(tuple(exclude), tuple(include))
    for base in _site_folders(content_dir, content_dir, entries):
        for folder_name in folders:
            folder = base / folder_name
            if not folder.is_dir():
                continue
            prefix = folder.relative_to(content_dir).as_posix()
            for inside in _walk(folder):
                rel = f"{prefix}/{inside}"
                if os.path.splitext(inside)[1].lower() in MARKDOWN_EXTENSIONS and not entries.rejects(rel, inside):
                    found.append(SourceFile(rel, folder / inside, draft=folder_name == "_drafts"))
    return found


def _walk(folder: Path) -> list[str]:
    """List files (and links) under folder as relative paths, in the order sorted(folder.rglob("*")) gives.

    As Ruby's Dir["**/*"]: no dot entries and nothing under them; linked folders are listed, not entered; what is
    neither a file nor a link (a FIFO, a socket) is never listed, so reading a post can not block.
    """
    found: list[tuple[tuple[str, ...], str]] = []
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    while pending:
        where, parts = pending.pop()
        try:
            listing = list(os.scandir(where))
        except OSError:
            continue
        for entry in listing:
            if entry.name.startswith("."):
                continue
            here = (*parts, entry.name)
            try:
                if entry.is_symlink() or entry.is_file(follow_symlinks=False):
                    found.append((here, "/".join(here)))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, here))
            except OSError:
                continue
    return [rel for _, rel in sorted(found)]


def _site_folders(root: Path, folder: Path, entries: EntryFilter) -> list[Path]:
    """Return folder and every folder under it that Jekyll reads (it skips special, excluded and linked ones)."""
    found = [folder]
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return found
    for child in children:
        if entries.rejects(child.relative_to(root).as_posix(), child.name, is_dir=True):
            continue
        found.extend(_site_folders(root, child, entries))
    return found


def read_source(source: SourceFile) -> tuple[str | None, bytes, list[Problem]]:
    """Read a file as text: strip a BOM, normalise line ends, replace invalid UTF-8 with a warning."""
    try:
        size = source.abs_path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, b"", [Problem(source.path, None, "error",
                                       f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")]
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


_TAB_AFTER_TEXT = re.compile(r"(?<=\S)[ \t]*\t[ \t]*")


class FrontMatterError(ValueError):
    """Front matter that is not valid YAML, with the line (in the file) where it goes wrong."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


@functools.cache
def _loader() -> Any:
    """PyYAML's safe loader, except that an impossible date is a YAML error with a position.

    libyaml's parser when PyYAML has it: the pure-Python one was a fifth of the reindex time. Made on first use,
    so a reindex that finds nothing changed never imports PyYAML.
    """
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:
            return node.value  # Psych keeps an impossible date (2024-02-30) as text; the date rules then read it

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return Loader


def load_front_matter(text: str | None) -> Any:
    """Parse front matter YAML; raise FrontMatterError naming the file line that is wrong."""
    if not text:
        return {}
    import yaml

    try:
        try:
            data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError:
            if "\t" not in text:
                raise
            # libyaml (Jekyll's parser) accepts tabs as separators after a value or a colon; PyYAML does not.
            relaxed = _TAB_AFTER_TEXT.sub(lambda m: m.group(0).replace("\t", " "), text)
            try:
                data = yaml.load(relaxed, Loader=_loader())  # noqa: S506
            except yaml.YAMLError:
                pass
            else:
                return _shallow(data)
            raise
        return _shallow(data)
    except yaml.YAMLError as exc:
        # An unclosed bracket or quote is found at the end of the stream; where it opened is the useful line.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        reason = f"{reason} {context}" if context and context.startswith("while ") else reason
        bad_line = text.splitlines()[mark.line] if mark is not None and mark.line < len(text.splitlines()) else ""
        if "'\\t'" in reason or "\t" in bad_line:
            reason += " (YAML indents with spaces, never tabs)"
        raise FrontMatterError(mark.line + 2 if mark is not None else 1, f"front matter is not valid YAML: {reason}") \
            from None
    except RecursionError:
        raise FrontMatterError(None, f"front matter is nested more than {MAX_DEPTH} levels deep (or refers to "
                                     "itself)") from None


MAX_DEPTH = 50
MAX_NODES = 100_000


def _shallow(data: Any) -> Any:
    """Refuse front matter too deep, cyclic or huge once aliases expand, so nothing after it runs unbounded."""
    stack, nodes = [(data, 1)], 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise RecursionError
        if nodes > MAX_NODES:
            raise FrontMatterError(None, f"front matter expands to more than {MAX_NODES:,} values (YAML aliases?)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return data
