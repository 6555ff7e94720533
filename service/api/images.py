"""Images used by posts: cover images and inline ones."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from service.api.lists import page_body, post_filter
from service.api.resource import Blueprint
from service.current import current_index
from service.schemas.args import ImageListArgs
from service.schemas.responses import ImageListSchema, ImageUsageSchema

blp = Blueprint("images", __name__, url_prefix="/api/images", description="Images used in posts.", cached=True)


@blp.route("")
class Images(MethodView):
    @blp.arguments(ImageListArgs(), location="query")
    @blp.response(200, ImageListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List images, newest post first, optionally of one post or category; each names the posts using its file."""
        return page_body(current_index().list_images(post_filter(args), args["page"], args["per_page"]))


@blp.route("/<image_id>")
class ImageDetail(MethodView):
    @blp.response(200, ImageUsageSchema)
    def get(self, image_id: str) -> dict[str, Any]:
        """Return one image, with its size, placeholder, variants and the posts that use its file."""
        image = current_index().get_image(image_id)
        if image is None:
            abort(404, message=f"no image with id {image_id!r}")
        return image
