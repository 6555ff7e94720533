"""Jekyll 4's rules for posts: file names, dates, slugs, categories, tags, titles, permalinks and ids."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from service.content.files import POST_NAME
from service.content.rubytime import RubyDateError, ruby_time_parse

# Configuration#style_to_permalink: the named styles and the patterns they stand for.
BUILT_IN_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
# Utils.slugify: characters each mode keeps besides letters, marks and decimal digits (None: only whitespace goes).
_SLUG_KEEP: dict[str, str | None] = {"raw": None, "default": "", "latin": "", "pretty": "._~!$&'()+,;=@"}
_URL_SAFE = "/-._~!$&'()*+,;=:@?[]"


def parse_post_filename(name: str) -> tuple[str, str, str] | None:
    """Split a post file name into its date text, slug and extension, or None if it isn't one."""
    match = POST_NAME.match(name)
    if not match:
        return None
    # Document#populate_title: "slugs shouldn't end with a period".
    return match.group(1), match.group(2).rstrip("."), match.group(3)


def parse_date(value: Any, tz: tzinfo, now: datetime | None = None) -> datetime:
    """Read a date as Jekyll does (`Time.parse(value.to_s).localtime`), in the site timezone `tz`.

    YAML already turned unquoted timestamps into dates: a date-only value is midnight in the site timezone,
    a timestamp with an offset is that instant, and one without an offset is UTC (Psych's rule).
    """
    if isinstance(value, bool):
        raise ValueError(f"cannot read date {value!r}: it is a YAML boolean")
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    if isinstance(value, (str, int, float)):
        try:
            return ruby_time_parse(str(value), tz, now)
        except RubyDateError as exc:
            raise ValueError(f"cannot read date {str(value)!r}: {exc}") from None
    raise ValueError(f"cannot read date: expected a date or text, not a {type(value).__name__}")


def slugify(text: str | None, mode: str = "default", *, cased: bool = False) -> str | None:
    """Make a slug as Jekyll's Utils.slugify does (modes raw, default, pretty, ascii)."""
    if text is None:
        return None
    text = str(text)
    if mode not in _SLUG_KEEP and mode != "ascii":  # "none" and unknown modes leave the text alone
        return text if cased else text.lower()
    if mode == "latin":  # I18n.transliterate: accented Latin letters lose their accents
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    if mode == "raw":
        slug = re.sub(r"\s+", "-", text)
    elif mode == "ascii":
        slug = re.sub(r"[^A-Za-z0-9]+", "-", text)
    else:
        keep = _SLUG_KEEP[mode] or ""
        slug = re.sub(r"-{2,}", "-", "".join(c if _word(c) or c in keep else "-" for c in text))
    slug = re.sub(r"^-|-$", "", slug, flags=re.MULTILINE)
    return slug if cased else slug.lower()


def _word(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [item for part in value for item in _flatten(part)]
    return [value]


def _plural(value: Any) -> list[Any]:
    """Utils#value_from_plural_key: a string is split on whitespace, a list loses its nulls."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None]
    return [] if value is None else [value]


def _pluralized(matter: dict[str, Any], singular: str, plural: str) -> list[Any]:
    """Utils#pluralized_array_from_hash: the singular key's value as is, else the plural key's, split."""
    value = matter.get(singular)
    if value is None or value is False:
        value = _plural(matter.get(plural)) if plural in matter else None
    return [v for v in _flatten([value]) if v is not None]


def merge_categories(layers: list[dict[str, Any]], from_path: list[str]) -> list[str]:
    """Merge folder categories with `category`/`categories` from each front matter layer, as Jekyll does.

    `layers` are the mappings merged into the post in order (front matter defaults, then the file's own front
    matter). Each layer's `categories` is split if it is text and unioned with what is already there; then
    `category` (unsplit) or the final `categories` is appended, everything becomes text and duplicates go.
    """
    categories: list[Any] = list(from_path)
    data: dict[str, Any] = {}
    for layer in layers:
        value = layer.get("categories")
        if value is not None:
            incoming = value.split() if isinstance(value, str) else _flatten([value])
            categories = list(dict.fromkeys([*categories, *incoming]))
        data.update(layer)
    data["categories"] = categories
    merged = [_text(v) for v in [*categories, *_pluralized(data, "category", "categories")] if v is not None]
    return list(dict.fromkeys(merged))


def merge_tags(layers: list[dict[str, Any]]) -> list[str]:
    """Read `tag`/`tags` the way Jekyll does: the singular wins, a string is split, duplicates stay."""
    data: dict[str, Any] = {}
    for layer in layers:
        data.update(layer)
    return [_text(v) for v in _pluralized(data, "tag", "tags")]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def title_from_slug(slug: str) -> str:
    """Make Jekyll's fallback title from a file name slug (Utils.titleize_slug)."""
    return " ".join(word.capitalize() for word in slug.split("-"))


def permalink_template(style: str | None) -> str:
    """Turn the site's `permalink` setting into the pattern Jekyll uses for posts."""
    style = str(style or "date")
    return BUILT_IN_STYLES.get(style, style)


def url_placeholders(
    *, when: datetime, slug: str, categories: list[str], output_ext: str = ".html", path: str = ""
) -> dict[str, str]:
    """Return the values of a post's URL placeholders (Jekyll's UrlDrop); `path` is the file's site path."""
    stem = posixpath.splitext(path)[0] if path else slug
    return {
        "collection": "posts",
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "slugified_categories": "/".join(dict.fromkeys(slugify(c) or "" for c in categories)),
        "year": when.strftime("%Y"),
        "month": when.strftime("%m"),
        "day": when.strftime("%d"),
        "hour": when.strftime("%H"),
        "minute": when.strftime("%M"),
        "second": when.strftime("%S"),
        "i_day": str(when.day),
        "i_month": str(when.month),
        "short_month": when.strftime("%b"),
        "long_month": when.strftime("%B"),
        "short_year": when.strftime("%y"),
        "y_day": when.strftime("%j"),
        "week": when.strftime("%V"),
        "w_year": when.strftime("%G"),
        "w_day": str(when.isoweekday()),
        "short_day": when.strftime("%a"),
        "long_day": when.strftime("%A"),
        "title": slugify(slug, "pretty", cased=True) or "",
        "slug": slugify(slug) or "",
        "name": slugify(posixpath.basename(stem)) or "",
        "path": re.sub(r"\.*$", "", stem.replace("_posts", "", 1)),
        "output_ext": output_ext,
    }


class PermalinkError(ValueError):
    """A permalink pattern names a placeholder Jekyll does not have (Jekyll stops the build)."""


def permalink(template: str, placeholders: dict[str, str]) -> str:
    """Fill a permalink pattern as Jekyll's URL class does; an unknown placeholder raises PermalinkError."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        pool = [name, name.rstrip("_")] if name.endswith("_") else [name]  # ":title_" may mean ":title" + "_"
        winner = next((key for key in pool if key in placeholders), None)
        if winner is None:
            raise PermalinkError(f"permalink {template!r} uses :{name}, which is not a Jekyll placeholder "
                                 f"(known: {', '.join(':' + k for k in sorted(placeholders))})")
        return match.group(0).replace(f":{winner}", escape_path(placeholders[winner]), 1)

    url = re.sub(r":([a-z_]+)", fill, template)
    return sanitize_url(url)


def escape_path(path: str) -> str:
    """Escape a placeholder's value the way Jekyll's URL.escape_path does."""
    if not path or re.fullmatch(r"[a-zA-Z0-9./-]+", path):
        return path
    return quote(path, safe=_URL_SAFE + "#").replace("#", "%23", 1)


def sanitize_url(url: str) -> str:
    """Jekyll's URL#sanitize_url: a leading slash, no `..`, no `./`, no repeated slashes."""
    url = ("/" + url).replace("..", "/").replace("./", "")
    return re.sub(r"/{2,}", "/", url)


def post_id(url: str, slug: str) -> str:
    """Compute Jekyll's post id: the URL's folder joined with the raw slug."""
    folder = posixpath.dirname(url.rstrip("/")) if url.rstrip("/") else "/"
    return posixpath.join(folder or "/", slug)
