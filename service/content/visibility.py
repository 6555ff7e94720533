"""Which posts Jekyll would publish: drafts, `published: false` and future dates are hidden by default."""

from __future__ import annotations

from datetime import datetime

from service.content.models import Post
from service.content.site import SiteConfig


def is_visible(post: Post, site: SiteConfig, now: datetime, *, preview: bool = False) -> bool:
    """Apply Jekyll's Publisher#publish? with the site's `future`, `unpublished` and `show_drafts` settings.

    Jekyll compares whole seconds (`date.to_i > site.time.to_i`), so a post dated this very second is shown.
    """
    if preview:
        return True
    if post.draft and not site.show_drafts:
        return False
    if not post.published and not site.unpublished:
        return False
    return site.future or int(post.date.timestamp()) <= int(now.timestamp())
