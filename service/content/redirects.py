"""jekyll-redirect-from's pairs: each `redirect_from` path and `redirect_to` target of a written page or document."""

from __future__ import annotations

import re
from typing import Any

from service.content.site_models import Redirect

_ABSOLUTE = re.compile(r"^https?://")


def absolute_url(site_url: str, baseurl: str, path: str) -> str:
    """Jekyll's absolute_url filter as the plugin applies it: site url, then baseurl, then the path."""
    joined = f"{baseurl.rstrip('/')}/{path.lstrip('/')}" if baseurl else path
    return f"{site_url.rstrip('/')}{joined}" if site_url else joined


def redirect_sources(value: Any) -> list[str]:
    """Redirectable#redirect_from: a list (nulls dropped) or one value."""
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if v is not None]


def redirect_target(value: Any) -> str | None:
    """Redirectable#redirect_to: the first non-null item of a list, or the value."""
    if isinstance(value, list):
        value = next((v for v in value if v is not None), None)
    return None if value is None else str(value)


def redirects_for(url: str, sources: list[str], target: str | None, declared_in: str, site_url: str,
                  baseurl: str) -> list[Redirect]:
    """The pairs one file declares, with `from` given a leading slash and `to` made absolute as the plugin does."""
    pairs = [Redirect("/" + s.lstrip("/") if not s.startswith("/") else s,
                      absolute_url(site_url, baseurl, url), "redirect_from", declared_in) for s in sources]
    if target is not None:
        to = target if _ABSOLUTE.match(target) else absolute_url(site_url, baseurl, target)
        pairs.append(Redirect(url, to, "redirect_to", declared_in))
    return pairs
