"""The archive: how many posts each year and month has, newest first, with links to those posts."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import current_app
from flask.views import MethodView

from service.api.lists import page_body
from service.api.resource import Blueprint
from service.config import public_url
from service.current import current_index
from service.schemas.args import ArchiveArgs
from service.schemas.responses import ArchiveSchema
from service.search import Page

blp = Blueprint("archive", __name__, url_prefix="/api/archive", description="Post counts by year and month.",
                cached=True)


def archive_years(months: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """Group the manifest's (year, month, count) rows into years, newest first, each with its months."""
    rows = sorted(months, key=lambda row: (row["year"], row["month"]), reverse=True)
    years = []
    for year, group in groupby(rows, key=lambda row: row["year"]):
        in_year = [{"month": row["month"], "count": row["count"],
                    "posts": f"{base}/api/posts?year={year}&month={row['month']}"} for row in group]
        years.append({"year": year, "count": sum(m["count"] for m in in_year), "posts": f"{base}/api/posts?year={year}",
                      "months": in_year})
    return years


@blp.route("")
class Archive(MethodView):
    @blp.arguments(ArchiveArgs(), location="query")
    @blp.response(200, ArchiveSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Count posts by year and month, newest year first; years are paginated like any list."""
        index = current_index()
        years = archive_years(index.manifest.archive, public_url(current_app.config))
        page = Page.of(years, args["page"], args["per_page"])
        return {**page_body(page), "posts": sum(year["count"] for year in years)}
