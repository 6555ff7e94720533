"""Response and argument schemas of the site resources: settings, data, pages, collections, authors, resolve."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from service.schemas.args import PaginationArgs, StrictQuery
from service.schemas.responses import HeadingSchema, LinkSchema, PaginatedSchema, PostSummarySchema, SiteURL


class SiteSchema(Schema):
    title = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "`url` from _config.yml."})
    baseurl = fields.String(allow_none=True)
    author = fields.Raw(allow_none=True)
    lang = fields.String(allow_none=True)
    timezone = fields.String(allow_none=True)
    navigation = fields.Raw(allow_none=True, metadata={"description": "`_data/navigation` when there is one."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    build_id = fields.String()
    settings = fields.Dict(metadata={"description": "Every other top-level _config.yml key, secrets left out."})


class DocumentSummarySchema(Schema):
    kind = fields.String(metadata={"description": "page or document."})
    path = fields.String(metadata={"description": "Source file, relative to the site."})
    url = SiteURL(metadata={"description": "Public URL, as Jekyll writes it."})
    slug = fields.String(metadata={"description": "The short key: a page's URL without slashes or .html, a "
                                               "document's path in its collection without the extension."})
    title = fields.String(allow_none=True)
    collection = fields.String(allow_none=True)
    id = fields.String(allow_none=True, metadata={"description": "Jekyll's document id (documents only)."})
    date = fields.String(allow_none=True)
    layout = fields.String(allow_none=True)


class DocumentSchema(DocumentSummarySchema):
    html = fields.String()
    text = fields.String()
    toc = fields.List(fields.Nested(HeadingSchema))
    images = fields.List(fields.Dict())
    links = fields.List(fields.Nested(LinkSchema))
    front_matter = fields.Dict()
    redirect_from = fields.List(fields.String())
    redirect_to = fields.String(allow_none=True)


class DocumentListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(DocumentSummarySchema))


class CollectionSchema(Schema):
    label = fields.String()
    output = fields.Boolean(metadata={"description": "Whether Jekyll writes its documents as pages."})
    permalink = fields.String()
    directory = fields.String()
    sort_by = fields.String(allow_none=True)
    order = fields.List(fields.String(), allow_none=True)
    count = fields.Integer()
    meta = fields.Dict()


class CollectionListSchema(Schema):
    items = fields.List(fields.Nested(CollectionSchema))


class AuthorSchema(Schema):
    slug = fields.String()
    name = fields.String()
    handle = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    avatar = fields.String(allow_none=True)
    url = SiteURL(allow_none=True, metadata={"description": "The author's page on the site, if any."})
    links = fields.Dict(keys=fields.String(), values=fields.String())
    meta = fields.Dict()
    post_count = fields.Integer()


class AuthorListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(AuthorSchema))


class AuthorPostsSchema(PaginatedSchema):
    items = fields.List(fields.Nested(PostSummarySchema))


class AuthorDetailSchema(AuthorSchema):
    posts = fields.Nested(AuthorPostsSchema)


class RedirectSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    kind = fields.String()
    source = fields.String(metadata={"description": "The file that declares it."})


class RedirectListSchema(PaginatedSchema):
    items = fields.List(fields.Nested(RedirectSchema))


class ResolveSchema(Schema):
    type = fields.String(metadata={"description": "post, page, document, author, category, tag or redirect."})
    url = SiteURL(allow_none=True)
    item = fields.Dict(allow_none=True)
    location = fields.String(metadata={"description": "Redirects: the absolute target."})
    status = fields.Integer(metadata={"description": "Redirects: 301."})


class ResolveArgs(StrictQuery):
    path = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "A public path of the site, e.g. /about/."})


class DocumentListArgs(PaginationArgs):
    pass


class ChangeSchema(Schema):
    change = fields.String(metadata={"description": "added, updated or removed."})
    kind = fields.String(metadata={"description": "post, page, document or data."})
    key = fields.String(metadata={"description": "A post's slug, or the source path of anything else."})
    url = SiteURL(allow_none=True, metadata={"description": "Its public URL, if it has one."})


class ChangeEventSchema(Schema):
    build_id = fields.String()
    previous_build_id = fields.String(allow_none=True)
    created_at = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))


class ChangesSchema(Schema):
    build_id = fields.String(metadata={"description": "The build served now."})
    since = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema), metadata={"description": "The net change per item."})
    events = fields.List(fields.Nested(ChangeEventSchema), metadata={"description": "Each build, oldest first."})


class ChangesArgs(StrictQuery):
    since = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "A build id (X-Content-Build, /api/site's build_id)."})
