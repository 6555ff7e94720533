"""Configuration defaults and the environment variables that override them."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

MAX_IMAGE_WIDTH = 8192  # the largest width a variant may be configured at

DEFAULTS: dict[str, Any] = {
    "CONTENT_DIR": "content",
    "INDEX_DIR": "index",
    "SITE_URL": "",  # the blog's public address, for post permalinks; empty: PUBLIC_URL
    "PUBLIC_URL": "",  # this service's public address, for media and feed links; empty: http://127.0.0.1:PORT
    "PORT": 8000,
    "PREVIEW": False,  # index drafts, future and unpublished posts too
    "CACHE_MAX_AGE": 60,
    "CACHE_STALE_WHILE_REVALIDATE": 300,
    "CORS_ORIGINS": "*",
    "REINDEX_TOKEN": "",
    "WEB_UI": True,
    "RESPONSE_CACHE_SIZE": 2048,
    "RESPONSE_CACHE_MB": 16,  # per worker (a search answer is 20-40 KB); 0 turns the response cache off
    "SITE_TITLE": "",  # feed title; empty: "Broadsheet" (the index does not record _config.yml's title)
    "IMAGE_WIDTHS": (320, 640, 1024, 1600),  # resized variant widths (srcset, /media/...?w=); env: "320,640,..."
    "IMAGE_CACHE_MAX_AGE": 2592000,  # seconds browsers and CDNs may keep a resized variant
    "BOOT_REINDEX": "auto",  # gunicorn start: auto (build when no usable index), always (incremental), off
}

_BOOL = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False, "": False}


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, tuple):
        return parse_widths(raw)
    if isinstance(default, bool):
        value = _BOOL.get(raw.strip().lower())
        if value is None:
            raise ValueError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")
        return value
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    return raw


def parse_widths(text: str | Sequence[int]) -> tuple[int, ...]:
    """Read the configured variant widths ("320,640,..."), sorted and without repeats."""
    items = text.split(",") if isinstance(text, str) else list(text)
    widths = set()
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        try:
            width = int(item)
        except (TypeError, ValueError):
            raise ValueError(f"IMAGE_WIDTHS must be comma-separated whole numbers, got {item!r}") from None
        if not 1 <= width <= MAX_IMAGE_WIDTH:
            raise ValueError(f"IMAGE_WIDTHS values must be between 1 and {MAX_IMAGE_WIDTH}, got {width}")
        widths.add(width)
    return tuple(sorted(widths))


def settle(config: MutableMapping[str, Any]) -> None:
    """Coerce the settings given as text by an app's caller (tests, embedders) once, as the environment's are."""
    config["IMAGE_WIDTHS"] = parse_widths(config["IMAGE_WIDTHS"])


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings named in DEFAULTS that the environment overrides, typed like their defaults."""
    environ = os.environ if environ is None else environ
    return {name: _coerce(name, environ[name], default) for name, default in DEFAULTS.items() if name in environ}


def settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then the environment, then overrides, coerced, with absolute folders."""
    config = {**DEFAULTS, **from_environment(), **(overrides or {})}
    settle(config)
    for key in ("CONTENT_DIR", "INDEX_DIR"):
        config[key] = str(Path(config[key]).resolve())
    return config


def public_url(config: Mapping[str, Any]) -> str:
    """Return this service's absolute base URL, without a trailing slash."""
    return (config.get("PUBLIC_URL") or f"http://127.0.0.1:{config.get('PORT', 8000)}").rstrip("/")


def site_url(config: Mapping[str, Any]) -> str:
    """Return the absolute base URL for post permalinks, without a trailing slash."""
    return (config.get("SITE_URL") or public_url(config)).rstrip("/")
