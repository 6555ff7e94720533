"""A post's keys are declared once (service.search.documents): records, response schemas and arguments follow them."""

from __future__ import annotations

from pathlib import Path

from service.content.loader import load_content
from service.schemas.args import PostFieldsArgs, PostListArgs
from service.schemas.responses import PostItemSchema, PostSchema, PostSummarySchema
from service.search.documents import POST_FIELDS, POST_PARTS, STORED_ONLY, SUMMARY_FIELDS, post_record
from tests.helpers import write_post


def _choices(schema: object, name: str) -> tuple[str, ...]:
    return tuple(schema.fields[name].inner.validate.choices)  # type: ignore[attr-defined]


def test_response_schemas_declare_exactly_the_post_keys_in_order() -> None:
    assert tuple(PostSummarySchema().fields) == SUMMARY_FIELDS
    assert tuple(PostItemSchema().fields) == SUMMARY_FIELDS + POST_PARTS
    assert tuple(PostSchema().fields) == POST_FIELDS


def test_fields_and_include_offer_exactly_the_post_keys() -> None:
    assert _choices(PostFieldsArgs(), "only") == POST_FIELDS
    assert _choices(PostListArgs(), "include") == POST_PARTS


def test_a_stored_record_has_every_served_key_and_only_the_declared_others(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-02-one.md", "title: One\ncategories: [A]", "Some *words*.\n\n> A quote.\n")
    (post,) = load_content(content_dir).posts
    assert set(post_record(post)) == set(SUMMARY_FIELDS + POST_PARTS + STORED_ONLY)
