"""Response schemas: every JSON body the API returns is dumped through one of these."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from marshmallow import Schema, fields

from service.config import public_url, site_url


class _Absolute(fields.String):
    """A site-relative URL made absolute against a configured base; remote URLs pass through."""

    base = staticmethod(site_url)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.startswith("/") and not value.startswith("//") and has_app_context():
            return self.base(current_app.config) + value
        return value


class SiteURL(_Absolute):
    base = staticmethod(site_url)


class MediaURL(_Absolute):
    base = staticmethod(public_url)


class NameSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)


class PostRefSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    url = SiteURL(required=True)


class ImageSchema(Schema):
    id = fields.String(required=True)
    src = fields.String(required=True, metadata={"description": "As written in the post."})
    url = MediaURL(required=True, metadata={"description": "Absolute URL; local files are served under /media/."})
    alt = fields.String(required=True)
    title = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "cover (front matter image) or inline."})
    local = fields.Boolean()
    post = fields.Nested(PostRefSchema)


class QuoteSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    html = fields.String()
    attribution = fields.String(allow_none=True, required=True)
    post = fields.Nested(PostRefSchema, required=True)


class LinkSchema(Schema):
    url = fields.String(required=True)
    text = fields.String(required=True)
    domain = fields.String(required=True)


class HeadingSchema(Schema):
    level = fields.Integer(required=True)
    text = fields.String(required=True)
    anchor = fields.String(required=True)


class PostSummarySchema(Schema):
    id = fields.String(metadata={"description": "Jekyll's post id."})
    slug = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(required=True, metadata={"description": "ISO 8601 with offset."})
    url = SiteURL(required=True, metadata={"description": "Public permalink, as Jekyll computes it."})
    categories = fields.List(fields.Nested(NameSchema))
    tags = fields.List(fields.Nested(NameSchema))
    excerpt = fields.String()
    image = fields.Nested(ImageSchema, allow_none=True)
    reading_time = fields.Integer(metadata={"description": "Minutes."})
    word_count = fields.Integer()


class PostSchema(PostSummarySchema):
    excerpt_html = fields.String()
    html = fields.String()
    text = fields.String()
    quotes = fields.List(fields.Nested(QuoteSchema))
    images = fields.List(fields.Nested(ImageSchema))
    links = fields.List(fields.Nested(LinkSchema))
    toc = fields.List(fields.Nested(HeadingSchema))
    meta = fields.Dict(metadata={"description": "Front matter keys Broadsheet does not interpret."})
    prev = fields.Nested(PostSummarySchema, allow_none=True, metadata={"description": "The next older post."})
    next = fields.Nested(PostSummarySchema, allow_none=True, metadata={"description": "The next newer post."})


class PaginatedSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PostListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(PostSummarySchema), required=True)


class CategorySchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)
    count = fields.Integer(required=True)


class CategoryListSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema), required=True)
    total = fields.Integer(required=True)


class CategoryDetailSchema(PostListSchema):
    category = fields.Nested(CategorySchema, required=True)


class QuoteListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(QuoteSchema), required=True)


class ImageListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(ImageSchema), required=True)


class HighlightSchema(Schema):
    title = fields.String(allow_none=True)
    body = fields.String(allow_none=True)


class SearchHitSchema(PostSummarySchema):
    # quote and image hits carry these instead of the post fields
    text = fields.String()
    attribution = fields.String(allow_none=True)
    alt = fields.String()
    src = fields.String()
    post = fields.Nested(PostRefSchema)
    score = fields.Float()
    matched_fields = fields.List(fields.String())
    highlights = fields.Nested(HighlightSchema)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    name = fields.String()
    count = fields.Integer(required=True)


class SearchResultSchema(PaginatedSchema):
    query = fields.String(required=True, metadata={"description": "The query as understood."})
    type = fields.String(required=True)
    took_ms = fields.Float(required=True)
    suggestion = fields.String(allow_none=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)))
    items = fields.List(fields.Nested(SearchHitSchema), required=True)


class SuggestionSchema(Schema):
    text = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "title or term"})
    slug = fields.String()


class SuggestListSchema(Schema):
    items = fields.List(fields.Nested(SuggestionSchema), required=True)


class RelatedListSchema(Schema):
    items = fields.List(fields.Nested(PostSummarySchema), required=True)


class ProblemSchema(Schema):
    path = fields.String(required=True)
    line = fields.Integer(allow_none=True)
    severity = fields.String(required=True)
    message = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    build_id = fields.String(allow_none=True)
    posts = fields.Integer()
    built_at = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(ProblemSchema))


class ErrorSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
