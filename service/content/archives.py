"""The category and tag archive pages jekyll-archives writes: which name lives at which URL.

Jekyll alone has no such URLs; the plugin (named in `plugins`/`gems`) adds one page per distinct category or tag
name, at `permalinks.category` / `permalinks.tag` (defaults `/category/:name/`, `/tag/:name/`) with `:name` the
name through Utils.slugify's default mode. Settled on tests/fixtures/site/archives-categories-tags.
"""

from __future__ import annotations

from typing import Any

from service.content import jekyll
from service.content.models import Post
from service.content.site_models import ArchivePage

PLUGIN = "jekyll-archives"
DEFAULT_PERMALINKS = {"category": "/category/:name/", "tag": "/tag/:name/"}
_ENABLED_KEYS = {"category": "categories", "tag": "tags"}


def _runs_plugin(config: dict[str, Any]) -> bool:
    named = [*_as_list(config.get("plugins")), *_as_list(config.get("gems"))]
    return PLUGIN in (str(n) for n in named)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _enabled(settings: dict[str, Any], kind: str) -> bool:
    enabled = settings.get("enabled", [])
    return enabled is True or enabled == "all" or (isinstance(enabled, list) and _ENABLED_KEYS[kind] in enabled)


def archive_pages(config: dict[str, Any], posts: list[Post]) -> list[ArchivePage]:
    """Every category/tag page the plugin writes, in its writing order (a later page of the same URL wins)."""
    settings = config.get(PLUGIN)
    if not _runs_plugin(config) or not isinstance(settings, dict):
        return []
    permalinks = {**DEFAULT_PERMALINKS, **(settings.get("permalinks") or {})} \
        if isinstance(settings.get("permalinks") or {}, dict) else DEFAULT_PERMALINKS
    ordered = sorted(posts, key=lambda p: (p.date, p.path))  # site.posts: oldest first, as post_attr_hash reads
    pages: list[ArchivePage] = []
    for kind in ("tag", "category"):  # the plugin reads tags before categories
        if not _enabled(settings, kind):
            continue
        names = dict.fromkeys(name for post in ordered for name in (post.tags if kind == "tag" else post.categories))
        template = str(permalinks.get(kind) or DEFAULT_PERMALINKS[kind])
        for name in names:
            slug = jekyll.slugify(str(name)) or ""
            try:
                url = jekyll.permalink(template, {"name": slug, "type": kind})
            except jekyll.PermalinkError:
                continue  # the plugin fails the build on such a template; nothing of it is served
            pages.append(ArchivePage(kind=kind, name=str(name), url=url))
    return pages
