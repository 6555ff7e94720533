"""Query arguments, validated at the edge; an unknown parameter is a 400."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema
from webargs.fields import DelimitedList

from service.config import DEFAULTS, MAX_IMAGE_WIDTH
from service.search.documents import POST_FIELDS, POST_PARTS

MAX_PAGE = 10_000


class StrictQuery(Schema):
    class Meta:
        unknown = RAISE


class PaginationArgs(StrictQuery):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                              metadata={"description": "Items per page (1-100)."})


class PostFilterArgs(PaginationArgs):
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})
    tag = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Tag slug."})
    author = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "Author slug (/api/authors)."})
    year = fields.Integer(validate=validate.Range(min=1, max=9999))
    month = fields.Integer(validate=validate.Range(min=1, max=12), metadata={"description": "Month 1-12; needs year."})
    date_from = fields.Date(metadata={"description": "Earliest date, YYYY-MM-DD (inclusive)."})
    date_to = fields.Date(metadata={"description": "Latest date, YYYY-MM-DD (inclusive)."})

    @validates_schema
    def check_ranges(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("month") and not data.get("year"):
            raise ValidationError("month needs year as well", "month")
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("date_from is after date_to", "date_from")




def _names(choices: tuple[str, ...], what: str, **kwargs: Any) -> DelimitedList:
    return DelimitedList(fields.String(validate=validate.OneOf(choices)), validate=validate.Length(min=1, max=30),
                         metadata={"description": f"Comma-separated {what}: {', '.join(choices)}."}, **kwargs)


class PostFieldsArgs(StrictQuery):
    only = _names(POST_FIELDS, "keys to keep in each post object (others are left out)", data_key="fields")


def _post_id() -> fields.String:
    """The `id` argument: a Jekyll post id always starts with a slash."""
    return fields.String(required=True,
                         validate=[validate.Length(min=1, max=1000), validate.Regexp(r"^/[^\x00-\x1f]*$")],
                         metadata={"description": "The post's Jekyll id (every post object names its `id`): the "
                                                  "folder of its URL joined to its slug, e.g. `/2016/01/01/welcome`."})


class PostByIdArgs(PostFieldsArgs):
    id = _post_id()


class PostListArgs(PostFilterArgs, PostFieldsArgs):
    sort = fields.String(load_default="-date", validate=validate.OneOf(["-date", "date", "title", "-title"]))
    include = _names(POST_PARTS, "heavy parts to add to each list item")


class LabelListArgs(PaginationArgs):
    sort = fields.String(load_default="-count", validate=validate.OneOf(["-count", "name"]),
                         metadata={"description": "-count: most used first; name: alphabetical."})


class ArchiveArgs(PaginationArgs):
    pass


class FeedArgs(StrictQuery):
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})
    tag = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Tag slug."})


class QuoteListArgs(PaginationArgs):
    post = fields.String(validate=validate.Length(min=1, max=300), metadata={"description": "Post slug."})
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})


class RandomQuoteArgs(StrictQuery):
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})


class ImageListArgs(QuoteListArgs):
    pass


class MediaArgs(StrictQuery):
    w = fields.Integer(validate=validate.Range(min=1, max=MAX_IMAGE_WIDTH),
                       metadata={"description": "Width of a resized variant, one of IMAGE_WIDTHS; "
                                                "omit it for the original."})

    @validates("w")
    def check_width(self, value: int, **kwargs: Any) -> None:
        widths = current_app.config["IMAGE_WIDTHS"] if has_app_context() else DEFAULTS["IMAGE_WIDTHS"]
        if value not in widths:
            raise ValidationError(f"must be one of the configured widths: {', '.join(map(str, widths))}")


class ReindexArgs(StrictQuery):
    full = fields.Boolean(load_default=False, metadata={"description": "Parse every file and rewrite the index."})


class SearchArgs(PostFilterArgs):
    q = fields.String(load_default="", validate=validate.Length(max=1000), metadata={
        "description": "What the reader typed: words (all must match, stemmed, typos forgiven), \"a phrase\", "
                       "-excluded, a OR b; the last word also matches as a prefix unless followed by a space. "
                       "Empty: list what the filters match, newest first."})
    type = fields.String(load_default="post", validate=validate.OneOf(["post", "quote", "image", "page"]),
                         metadata={"description": "What to search: posts, quotes (each with its post), images, or "
                                                  "pages (pages and collection documents)."})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "date", "-date"]),
                         metadata={"description": "relevance (default), date (oldest first) or -date (newest)."})
    typos = fields.Boolean(load_default=True, metadata={
        "description": "Forgive typos: none in words of up to 4 letters, 1 up to 8, 2 beyond (default true)."})
    facets = fields.String(load_default="", validate=validate.Length(max=100), metadata={
        "description": "Comma-separated facets to count over all matches: category, tag, author, year."})

    @validates_schema
    def check_facets(self, data: dict[str, Any], **kwargs: Any) -> None:
        wanted = [f.strip() for f in data.get("facets", "").split(",") if f.strip()]
        unknown = sorted(set(wanted) - {"category", "tag", "author", "year"})
        if unknown:
            raise ValidationError(f"unknown facet(s) {', '.join(unknown)}; use category, tag, author, year",
                                  "facets")


class SuggestArgs(StrictQuery):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"description": "What is typed so far; its last word is completed."})
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=8))


class RelatedArgs(StrictQuery):
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20),
                           metadata={"description": "How many related posts (1-20)."})


class RelatedByIdArgs(RelatedArgs):
    id = _post_id()
