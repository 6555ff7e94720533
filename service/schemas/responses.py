"""Response schemas: every JSON body the API returns is dumped through one of these."""

from __future__ import annotations

import sys
from typing import Any

from marshmallow import Schema, fields

from service.config import public_url, site_url


class _Absolute(fields.String):
    """A site-relative URL made absolute against a configured base; remote URLs pass through."""

    base = staticmethod(site_url)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        # No app context without Flask: a build dumps bodies with markers and never imports it (0.1 s).
        flask = sys.modules.get("flask")
        if value.startswith("/") and not value.startswith("//") and flask is not None and flask.has_app_context():
            return self.base(flask.current_app.config) + value
        return value


class SiteURL(_Absolute):
    base = staticmethod(site_url)


class MediaURL(_Absolute):
    base = staticmethod(public_url)


class NameSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)


class PostRefSchema(Schema):
    id = fields.String(metadata={"description": "The post's Jekyll id (/api/posts/by-id?id=...)."})
    slug = fields.String(required=True)
    title = fields.String(required=True)
    url = SiteURL(required=True)


class AuthorRefSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True, metadata={"description": "The author's key (/api/authors/{slug})."})


class ImageVariantSchema(Schema):
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    url = MediaURL(required=True, metadata={"description": "Absolute URL of the file at this width."})


class _Srcset(fields.String):
    """The variants as a ready-made srcset attribute: "<url> 320w, <url> 640w, ..."."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if not value:
            return None
        url = MediaURL()
        return ", ".join(f"{url.serialize('url', v)} {v['width']}w" for v in value)


class ImageFileSchema(Schema):
    """What the image file is, read with Pillow at index time; null when unknown (remote or missing files)."""

    width = fields.Integer(allow_none=True, metadata={"description": "Pixels, as displayed (EXIF rotation applied)."})
    height = fields.Integer(allow_none=True, metadata={"description": "Pixels, as displayed."})
    mime_type = fields.String(allow_none=True)
    bytes = fields.Integer(allow_none=True, metadata={"description": "Size of the original file."})
    placeholder = fields.String(allow_none=True, metadata={
        "description": "A tiny blurred preview as a data: URI (at most about 1 KB), to show while loading."})
    missing = fields.Boolean(metadata={"description": "True when a local file is absent or unreadable."})
    variants = fields.List(fields.Nested(ImageVariantSchema), metadata={
        "description": "Resized copies for responsive images, narrowest first, ending with the original; "
                       "never wider than the original. Empty for remote, SVG, animated and missing images."})
    srcset = _Srcset(attribute="variants", allow_none=True, dump_only=True,
                     metadata={"description": "The variants as an <img srcset> value; null when there are none."})


class _ImageCoreSchema(Schema):
    id = fields.String(required=True)
    src = fields.String(required=True, metadata={"description": "As written in the post."})
    url = MediaURL(required=True, metadata={"description": "Absolute URL; local files are served under /media/."})
    alt = fields.String(required=True)
    title = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "cover (front matter image) or inline."})
    local = fields.Boolean()


class ImageSchema(ImageFileSchema, _ImageCoreSchema):  # bases in this order put id, src, url... first
    post = fields.Nested(PostRefSchema)


class ImageUsageSchema(ImageSchema):
    posts = fields.List(fields.Nested(PostRefSchema), metadata={
        "description": "Posts that use the same file, newest first (at most 10; post_count has them all)."})
    post_count = fields.Integer(metadata={"description": "How many posts use the same file."})


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
    """A post as lists show it; every key is present unless `fields=` leaves it out."""

    id = fields.String(metadata={"description": "Jekyll's post id."})
    slug = fields.String(metadata={"description": "The post's key in this API (/api/posts/{slug})."})
    title = fields.String()
    date = fields.String(metadata={"description": "ISO 8601 with offset."})
    url = SiteURL(metadata={"description": "Public permalink, as Jekyll computes it."})
    categories = fields.List(fields.Nested(NameSchema))
    tags = fields.List(fields.Nested(NameSchema))
    excerpt = fields.String()
    image = fields.Nested(ImageSchema, allow_none=True)
    reading_time = fields.Integer(metadata={"description": "Minutes."})
    word_count = fields.Integer()
    other_ids = fields.List(fields.String(), metadata={
        "description": "Ids of the other posts with this slug (Jekyll publishes all of them; fetch each with "
                       "/api/posts/by-id?id=...). Empty when the slug is the post's alone."})
    authors = fields.List(fields.Nested(AuthorRefSchema), metadata={"description": "From `author`/`authors`."})


class PostItemSchema(PostSummarySchema):
    """A list item: the summary, plus the heavy parts named by `include=`."""

    excerpt_html = fields.String()
    html = fields.String()
    text = fields.String()
    quotes = fields.List(fields.Nested(QuoteSchema))
    images = fields.List(fields.Nested(ImageSchema))
    links = fields.List(fields.Nested(LinkSchema))
    toc = fields.List(fields.Nested(HeadingSchema))
    meta = fields.Dict(metadata={"description": "Front matter keys Broadsheet does not interpret."})


class PostSchema(PostItemSchema):
    """One post, complete, with its neighbours by date."""

    prev = fields.Nested(PostSummarySchema, allow_none=True, metadata={"description": "The next older post."})
    next = fields.Nested(PostSummarySchema, allow_none=True, metadata={"description": "The next newer post."})


class PaginatedSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class PostListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(PostItemSchema), required=True)


class CategorySchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)
    count = fields.Integer(required=True)


class CategoryListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(CategorySchema), required=True)


class CategoryDetailSchema(PostListSchema):
    category = fields.Nested(CategorySchema, required=True)


class TagSchema(CategorySchema):
    pass


class TagListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(TagSchema), required=True)


class TagDetailSchema(PostListSchema):
    tag = fields.Nested(TagSchema, required=True)


class ArchiveMonthSchema(Schema):
    month = fields.Integer(required=True, metadata={"description": "1-12."})
    count = fields.Integer(required=True)
    posts = fields.String(required=True, metadata={"description": "Absolute URL of that month's posts."})


class ArchiveYearSchema(Schema):
    year = fields.Integer(required=True)
    count = fields.Integer(required=True)
    posts = fields.String(required=True, metadata={"description": "Absolute URL of that year's posts."})
    months = fields.List(fields.Nested(ArchiveMonthSchema), required=True, metadata={"description": "Newest first."})


class ArchiveSchema(PaginatedSchema):
    items = fields.List(fields.Nested(ArchiveYearSchema), required=True, metadata={"description": "Newest first."})
    posts = fields.Integer(required=True, metadata={"description": "Posts in the whole archive."})


class FeedAuthorSchema(Schema):
    name = fields.String(required=True)


class FeedItemSchema(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    title = fields.String(required=True)
    content_html = fields.String(required=True)
    summary = fields.String()
    image = fields.String()
    date_published = fields.String(required=True)
    date_modified = fields.String()
    tags = fields.List(fields.String())
    authors = fields.List(fields.Nested(FeedAuthorSchema))


class JsonFeedSchema(Schema):
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""

    version = fields.String(required=True)
    title = fields.String(required=True)
    home_page_url = fields.String(required=True)
    feed_url = fields.String(required=True)
    description = fields.String()
    language = fields.String()
    authors = fields.List(fields.Nested(FeedAuthorSchema))
    items = fields.List(fields.Nested(FeedItemSchema), required=True)


class QuoteListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(QuoteSchema), required=True)


class ImageListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(ImageUsageSchema), required=True)


class HighlightSchema(Schema):
    title = fields.String(allow_none=True, metadata={
        "description": "The title, HTML-escaped, with <mark> around each matched word (quotes: the post's title)."})
    body = fields.String(allow_none=True, metadata={
        "description": "About 160 characters of the body (quote text, image alt) around the best run of matches, "
                       "HTML-escaped, with <mark> around each matched word; the opening when nothing matched there."})


class _HitURL(_Absolute):
    """A post hit's permalink (against SITE_URL) or an image hit's file URL (against PUBLIC_URL)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        field = MediaURL() if isinstance(obj, dict) and "src" in obj else SiteURL()
        return field._serialize(value, attr, obj, **kwargs)


class SearchHitSchema(PostSummarySchema, ImageFileSchema):
    """A post summary (type=post), a quote (type=quote) or an image (type=image), plus why it matched."""

    url = _HitURL(metadata={"description": "Posts: the public permalink. Images: the file's absolute URL."})
    # a page hit (type=page) has no Jekyll post id and, unless its front matter gives one, no date
    id = fields.String(allow_none=True, metadata={"description": "Posts: Jekyll's post id. Pages: null."})
    date = fields.String(allow_none=True, metadata={"description": "ISO 8601 with offset; null for an undated page."})
    # quote and image hits carry these instead of the post fields
    text = fields.String(metadata={"description": "Quotes: the quote's text."})
    html = fields.String(metadata={"description": "Quotes: the quote as HTML."})
    attribution = fields.String(allow_none=True, metadata={"description": "Quotes: who said it."})
    alt = fields.String(metadata={"description": "Images: the alt text."})
    src = fields.String(metadata={"description": "Images: the source as written in the post."})
    title = fields.String(allow_none=True, metadata={"description": "Posts: the title. Images: the title attribute, "
                                                                     "or null."})
    role = fields.String(metadata={"description": "Images: cover or inline."})
    local = fields.Boolean()
    kind = fields.String(metadata={"description": "Pages: page, or document for a collection's document."})
    path = fields.String(metadata={"description": "Pages: the source file."})
    collection = fields.String(allow_none=True, metadata={"description": "Pages: the document's collection."})
    layout = fields.String(allow_none=True)
    post = fields.Nested(PostRefSchema, metadata={"description": "Quotes and images: the post they are in."})
    score = fields.Float(metadata={"description": "Relevance (BM25F); exact matches rank above typo-corrected ones "
                                                  "whatever their score."})
    matched_fields = fields.List(fields.String(), metadata={
        "description": "Where the query's words were found: title, excerpt, body, categories, tags, quotes "
                       "(quotes: text, attribution; images: alt, title)."})
    highlights = fields.Nested(HighlightSchema)


class FacetValueSchema(Schema):
    value = fields.String(required=True, metadata={"description": "What to pass back as the filter: a category "
                                                                  "or tag slug, or a year."})
    slug = fields.String(metadata={"description": "Same as value."})
    name = fields.String(metadata={"description": "The name as written in the posts, for display."})
    count = fields.Integer(required=True, metadata={"description": "Matches with this value, over all pages."})


class SearchResultSchema(PaginatedSchema):
    query = fields.String(required=True, metadata={
        "description": "The query as understood: words, \"phrases\", (a OR b), -excluded."})
    type = fields.String(required=True)
    took_ms = fields.Float(required=True, metadata={"description": "Time spent in the search engine."})
    suggestion = fields.String(allow_none=True, metadata={
        "description": "Did you mean: the query respelled with words the site uses, when that finds posts; "
                       "null when nothing needed respelling."})
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)), metadata={
        "description": "Counts over every match, for each facet asked for with facets=."})
    items = fields.List(fields.Nested(SearchHitSchema), required=True)


class SuggestionSchema(Schema):
    text = fields.String(required=True, metadata={"description": "The completed text (a title, or the typed text "
                                                                 "with its last word completed)."})
    kind = fields.String(required=True, metadata={"description": "title or term"})
    slug = fields.String(metadata={"description": "Titles: the post's slug."})
    id = fields.String(metadata={"description": "Titles: the post's Jekyll id (unique where slugs are shared)."})
    other_ids = fields.List(fields.String(), metadata={"description": "Titles: other posts with this slug."})


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


class ReadySchema(HealthSchema):
    age_seconds = fields.Integer(allow_none=True, metadata={"description": "Seconds since the served build was made."})
    hidden = fields.Integer(metadata={"description": "Posts indexed but not shown (drafts, future, unpublished)."})
    last_reindex = fields.Dict(allow_none=True, metadata={"description": "Outcome of the latest reindex run "
                                                                         "(status, build_id, finished_at, ...)."})
    webhook = fields.Dict(allow_none=True, metadata={"description": "The latest publish webhook delivery (status "
                                                                    "delivered or failed, attempts, error, at)."})


class ReindexJobSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running, succeeded or failed."})
    full = fields.Boolean()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    summary = fields.Dict(allow_none=True, metadata={"description": "The build summary once it succeeded."})
    error = fields.String(allow_none=True)


class ErrorSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
