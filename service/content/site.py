"""Read a Jekyll site's _config.yml into the settings Broadsheet honours."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from service.content.kramdown.options import MarkdownOptions, markdown_options
from service.content.models import Problem


@dataclass(frozen=True)
class SiteConfig:
    permalink: str = "date"
    baseurl: str = ""
    url: str = ""
    timezone: str = "UTC"
    excerpt_separator: str = "\n\n"
    future: bool = False
    show_drafts: bool = False
    unpublished: bool = False
    defaults: list[dict[str, Any]] = field(default_factory=list)
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)  # everything, for {{ site.* }}
    markdown: MarkdownOptions = field(default_factory=MarkdownOptions)  # `kramdown:` options that change output

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_site_config(content_dir: Path) -> tuple[SiteConfig, list[Problem]]:
    """Read _config.yml when present; a broken one is reported and the defaults are used."""
    path = content_dir / "_config.yml"
    if not path.is_file():
        return SiteConfig(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        return SiteConfig(), [Problem("_config.yml", line + 1 if line is not None else None, "error",
                                      f"cannot read site config: {exc}")]
    if not isinstance(data, dict):
        return SiteConfig(), [Problem("_config.yml", 1, "error", "site config must be a mapping of settings")]
    problems: list[Problem] = []
    timezone = str(data.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem("_config.yml", None, "error", f"unknown timezone {timezone!r}; using UTC"))
        timezone = "UTC"
    defaults = data.get("defaults") if isinstance(data.get("defaults"), list) else []
    collections = data.get("collections") if isinstance(data.get("collections"), dict) else {}
    posts = collections.get("posts") if isinstance(collections.get("posts"), dict) else {}
    separator = data.get("excerpt_separator", "\n\n")
    exclude = data.get("exclude") if isinstance(data.get("exclude"), list) else []
    include = data.get("include") if isinstance(data.get("include"), list) else []
    markdown, unusable = markdown_options(data.get("kramdown"))
    problems += [Problem("_config.yml", None, "warning", message) for message in unusable]
    config = SiteConfig(
        # collections.posts.permalink, when set, wins over the site-wide style (Configuration#add_default_collections)
        permalink=str(posts.get("permalink") or data.get("permalink") or "date"),
        baseurl=str(data.get("baseurl") or "").rstrip("/"),
        url=str(data.get("url") or "").rstrip("/"),
        timezone=timezone,
        excerpt_separator="" if separator is None else str(separator),
        future=_truthy(data.get("future")),
        show_drafts=_truthy(data.get("show_drafts")),
        unpublished=_truthy(data.get("unpublished")),
        defaults=[d for d in defaults if isinstance(d, dict)],
        exclude=tuple(str(e) for e in exclude if e is not None),
        include=tuple(str(e) for e in include if e is not None),
        values=data,
        markdown=markdown,
    )
    return config, problems


def _truthy(value: Any) -> bool:
    """Ruby's truth: everything but nil and false."""
    return value is not None and value is not False


def front_matter_defaults(site: SiteConfig, path: str, kind: str = "posts") -> dict[str, Any]:
    """Merge the `defaults` values whose scope matches a file, as Jekyll's FrontMatterDefaults#all does.

    A scope matches when its `path` is empty or a prefix (or glob) of the file's path and its `type`, if any,
    is `kind` (`posts`, `pages` or a collection's label). A more specific scope (a longer path, then one with a
    type) overrides a less specific one; between equals the later rule wins.
    """
    merged: dict[str, Any] = {}
    previous: dict[str, Any] | None = None
    for rule in site.defaults:
        scope = rule.get("scope") if isinstance(rule.get("scope"), dict) else {}
        values = rule.get("values")
        if not isinstance(values, dict) or not _applies(scope, path, kind):
            continue
        if previous is None or _has_precedence(previous, scope):
            merged = deep_merge(merged, values)
            previous = scope
        else:
            merged = deep_merge(values, merged)
    return merged


def _applies(scope: dict[str, Any], path: str, kind: str) -> bool:
    wanted = scope.get("type")
    if wanted is not None and str(wanted) != kind:
        return False
    scope_path = scope.get("path")
    if not isinstance(scope_path, str) or not scope_path.strip("/"):
        return True
    scope_path = scope_path.strip("/")
    if "*" in scope_path:
        return fnmatch.fnmatchcase(path, scope_path) or fnmatch.fnmatchcase(path, scope_path + "/*")
    return path == scope_path or path.startswith(scope_path.rstrip("/") + "/") or path.startswith(scope_path)


def _has_precedence(old: dict[str, Any], new: dict[str, Any]) -> bool:
    old_path, new_path = str(old.get("path") or ""), str(new.get("path") or "")
    if len(new_path) != len(old_path):
        return len(new_path) > len(old_path)
    if ("type" in new) != ("type" in old):
        return "type" in new
    return True


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge mappings recursively, the overriding side winning (Utils.deep_merge_hashes)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
