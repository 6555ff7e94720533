"""Validate and normalise a post's YAML front matter."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, post_load, pre_load

KNOWN = ("layout", "title", "date", "category", "categories", "tag", "tags", "image", "published",
         "permalink", "slug", "excerpt", "excerpt_separator", "description")


class Text(fields.Field):
    """A scalar YAML value read as text (YAML turns `title: 2024` into a number)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (str, int, float, bool, date)):
            return str(value)
        raise ValidationError("must be text, not a list or mapping")


class Names(fields.Field):
    """A category or tag value: a name, a list of names (nested lists are flattened, as Jekyll does), or nothing."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float, date)):
            return str(value)
        if isinstance(value, list):
            flat = _flatten(value)
            if any(isinstance(v, dict) for v in flat):
                raise ValidationError("must be a list of names, not a list of mappings")
            return [str(v) for v in flat if v is not None]
        raise ValidationError("must be a name or a list of names, not a mapping")


def _flatten(values: list[Any]) -> list[Any]:
    return [item for value in values for item in (_flatten(value) if isinstance(value, list) else [value])]


class ImageRef(fields.Field):
    """The cover image: a path or URL, or a mapping with path/url/src and alt."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any] | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return {"src": value.strip(), "alt": "", "title": None}
        if isinstance(value, dict):
            src = value.get("path") or value.get("url") or value.get("src") or value.get("feature")
            if not isinstance(src, str) or not src.strip():
                raise ValidationError("an image mapping needs a `path`, `url` or `src` text")
            alt = value.get("alt") or value.get("caption") or ""
            return {"src": src.strip(), "alt": str(alt), "title": value.get("title")}
        raise ValidationError("must be an image path, URL or mapping")


class FrontMatterSchema(Schema):
    """Front matter as Broadsheet reads it; every key it does not know is kept under `meta`."""

    class Meta:
        unknown = INCLUDE

    layout = Text(load_default=None)
    title = Text(load_default=None)
    date = fields.Raw(load_default=None)  # read by the Jekyll date rules, which know the site timezone
    category = Names(load_default=None)
    categories = Names(load_default=None)
    tag = Names(load_default=None)
    tags = Names(load_default=None)
    image = ImageRef(load_default=None)
    published = fields.Raw(load_default=None)  # Jekyll's truth rules apply, see content.header
    permalink = Text(load_default=None)
    slug = Text(load_default=None)
    excerpt = Text(load_default=None)
    excerpt_separator = Text(load_default=None)
    description = Text(load_default=None)

    @pre_load
    def require_mapping(self, data: Any, **kwargs: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ValidationError(f"front matter must be a mapping of keys to values, not {type(data).__name__}")
        return {str(k): v for k, v in data.items()}

    @post_load
    def collect_meta(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        meta = {k: v for k, v in data.items() if k not in KNOWN}
        known = {k: data.get(k) for k in KNOWN}
        known["meta"] = meta
        return known


FRONT_MATTER = FrontMatterSchema()
