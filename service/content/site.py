"""Read a Jekyll site's _config.yml into the settings Broadsheet honours."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

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
    values: dict[str, Any] = field(default_factory=dict)  # everything, for {{ site.* }}

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
        return SiteConfig(), [Problem("_config.yml", line + 1 if line is not None else None, "error", f"cannot read site config: {exc}")]
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
    config = SiteConfig(
        permalink=str(data.get("permalink") or "date"),
        baseurl=str(data.get("baseurl") or "").rstrip("/"),
        url=str(data.get("url") or "").rstrip("/"),
        timezone=timezone,
        excerpt_separator=str(data.get("excerpt_separator", "\n\n")),
        future=bool(data.get("future", False)),
        show_drafts=bool(data.get("show_drafts", False)),
        unpublished=bool(data.get("unpublished", False)),
        defaults=[d for d in defaults if isinstance(d, dict)],
        values=data,
    )
    return config, problems
