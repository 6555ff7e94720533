"""Query arguments, validated at the edge; an unknown parameter is a 400."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

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


class PostListArgs(PostFilterArgs):
    sort = fields.String(load_default="-date", validate=validate.OneOf(["-date", "date", "title", "-title"]))


class QuoteListArgs(PaginationArgs):
    post = fields.String(validate=validate.Length(min=1, max=300), metadata={"description": "Post slug."})
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})


class RandomQuoteArgs(StrictQuery):
    category = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "Category slug."})


class ImageListArgs(QuoteListArgs):
    pass


class SearchArgs(PostFilterArgs):
    q = fields.String(load_default="", validate=validate.Length(max=1000),
                      metadata={"description": "What the reader typed."})
    type = fields.String(load_default="post", validate=validate.OneOf(["post", "quote", "image"]))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "date", "-date"]))
    typos = fields.Boolean(load_default=True)
    facets = fields.String(load_default="", metadata={"description": "Comma-separated: category,tag,year."})

    @validates_schema
    def check_facets(self, data: dict[str, Any], **kwargs: Any) -> None:
        wanted = [f for f in data.get("facets", "").split(",") if f]
        unknown = sorted(set(wanted) - {"category", "tag", "year"})
        if unknown:
            raise ValidationError(f"unknown facet(s) {', '.join(unknown)}; use category, tag, year", "facets")


class SuggestArgs(StrictQuery):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=8))


class RelatedArgs(StrictQuery):
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))
