"""Jekyll's rules for posts: file names, dates, categories, titles and permalinks."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Any
from urllib.parse import quote

from dateutil import parser as date_parser

from service.content.files import POST_NAME

_BUILT_IN_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def parse_post_filename(name: str) -> tuple[str, str, str] | None:
    """Split a post file name into its date text, slug and extension, or None if it isn't one."""
    match = POST_NAME.match(name)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def parse_date(value: Any, tz: tzinfo) -> datetime:
    """Read a front matter or file name date; naive values are in the site timezone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        try:
            parsed = date_parser.parse(value.strip())
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"cannot read date {value!r}: {exc}") from None
    else:
        raise ValueError(f"cannot read date {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _as_list(value: Any, split: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split() if split else [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def merge_categories(front_matter: dict[str, Any], from_path: list[str]) -> list[str]:
    """Merge folder categories with `category`/`categories` the way Jekyll does."""
    singular = front_matter.get("category")
    values = _as_list(singular, split=False) if singular is not None else _as_list(front_matter.get("categories"), split=True)
    merged: list[str] = []
    for name in [*from_path, *values]:
        if name and name not in merged:
            merged.append(name)
    return merged


def merge_tags(front_matter: dict[str, Any]) -> list[str]:
    """Merge `tag`/`tags` the way Jekyll does."""
    singular = front_matter.get("tag")
    values = _as_list(singular, split=False) if singular is not None else _as_list(front_matter.get("tags"), split=True)
    return list(dict.fromkeys(v for v in values if v))


def title_from_slug(slug: str) -> str:
    """Make Jekyll's fallback title from a slug."""
    return " ".join(word.capitalize() for word in slug.split("-"))


def permalink(pattern: str, *, when: datetime, slug: str, categories: list[str], output_ext: str = ".html") -> str:
    """Compute a post's URL from a permalink style or pattern."""
    template = _BUILT_IN_STYLES.get(pattern, pattern)
    values = {
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "year": when.strftime("%Y"),
        "month": when.strftime("%m"),
        "i_month": str(when.month),
        "short_month": when.strftime("%b"),
        "long_month": when.strftime("%B"),
        "day": when.strftime("%d"),
        "i_day": str(when.day),
        "y_day": when.strftime("%j"),
        "short_year": when.strftime("%y"),
        "hour": when.strftime("%H"),
        "minute": when.strftime("%M"),
        "second": when.strftime("%S"),
        "week": when.strftime("%V"),
        "short_day": when.strftime("%a"),
        "long_day": when.strftime("%A"),
        "title": slug,
        "slug": slug,
        "output_ext": output_ext,
    }
    url = re.sub(r":([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), template)
    url = re.sub(r"/+", "/", "/" + url)
    return quote(url, safe="/:@!$&'()*+,;=-._~%")


def post_id(url: str, slug: str) -> str:
    """Compute Jekyll's post id: the URL's folder joined with the slug."""
    folder = url.rsplit("/", 1)[0] if not url.endswith("/") else url.rstrip("/").rsplit("/", 1)[0]
    return f"{folder}/{slug}" if folder != "/" else f"/{slug}"
