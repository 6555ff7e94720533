"""Jekyll's EntryFilter: which files and folders of a site it reads, with `include` and `exclude`."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from service.content.site import SiteConfig

# Configuration::DEFAULT_EXCLUDES, added to whatever `exclude` the site sets.
DEFAULT_EXCLUDES = (".sass-cache", ".jekyll-cache", "gemfiles", "Gemfile", "Gemfile.lock", "node_modules",
                    "vendor/bundle/", "vendor/cache/", "vendor/gems/", "vendor/ruby/")
_SPECIAL = re.compile(r"\A[._#~]")
# Utils.has_yaml_header?: the first line is three dashes and nothing but spaces.
_YAML_HEADER = re.compile(rb"\A---\s*\r?\n")


class EntryFilter:
    """Decide, as Jekyll does, whether a path (relative to the site) is read."""

    def __init__(self, site: SiteConfig) -> None:
        include = site.values.get("include") if isinstance(site.values.get("include"), list) else [".htaccess"]
        self.include = [str(i) for i in include if i is not None]
        self.exclude = [*(str(e) for e in site.exclude), *DEFAULT_EXCLUDES]

    def keeps(self, rel: str, is_dir: bool) -> bool:
        """Say whether the entry at `rel` is kept: included, or neither special, a backup, nor excluded."""
        name = rel.rsplit("/", 1)[-1]
        if _matches([p for p in self.include if p not in self.exclude], rel, is_dir) \
                or _matches(self.include, name, is_dir):
            return True
        if _SPECIAL.match(rel) or _SPECIAL.match(name) or name.endswith("~"):
            return False
        return not _matches([p for p in self.exclude if p not in self.include], rel, is_dir)


def _matches(patterns: list[str], entry: str, is_dir: bool) -> bool:
    """EntryFilter#glob_include?: a glob, a plain prefix of the path, or the folder named with a slash."""
    for pattern in patterns:
        pattern = pattern.lstrip("/")
        if fnmatch.fnmatchcase(entry, pattern) or entry.startswith(pattern) or (is_dir and pattern == entry + "/"):
            return True
    return False


def has_front_matter(path: Path) -> bool:
    """Utils.has_yaml_header?: what makes a file a page or document rather than a static file."""
    try:
        with path.open("rb") as handle:
            return bool(_YAML_HEADER.match(handle.readline()))
    except OSError:
        return False


def walk(root: Path, folder: Path, keep: EntryFilter, *, top: bool = True) -> list[str]:
    """List the files Jekyll's reader visits under folder (site-relative paths), skipping `_` folders at the top."""
    found: list[str] = []
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return found
    for child in children:
        rel = child.relative_to(root).as_posix()
        is_dir = child.is_dir()
        if child.is_symlink() or not keep.keeps(rel, is_dir):
            continue
        if is_dir:
            found.extend(walk(root, child, keep, top=False))
        elif child.is_file():
            found.append(rel)
    return found
