"""Jekyll's rules for posts, checked against what Jekyll 4.3.1 itself made of the edge-case fixtures.

The expected files in tests/fixtures/edge-cases/ were written by running Jekyll (Debian's jekyll 4.3.1 package)
over tests/fixtures/edge-cases/jekyll-site, once as it is and once with variant-config.yml as its _config.yml,
with the same Liquid template as ../shared/tools/jekyll-oracle.sh. Jekyll is not needed to run these tests. The
fixtures go through the real reindex and are read back through the API, as they would be served.
"""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from service.content import jekyll
from service.content.loader import load_content
from service.content.rubytime import RubyDateError, ruby_time_parse
from service.content.site import load_site_config
from service.indexing import reindex
from tests.helpers import FIXTURES, indexed_app, listed_posts, served_client

EDGE = FIXTURES / "edge-cases"
FIELDS = ("id", "url", "slug", "title", "date", "categories", "tags", "shown_by_default")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SITE_URL = "https://blog.test"


def _fold(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _served(site: Path, index: Path, *, preview: bool) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Build site through the real reindex (at NOW) and return a client and every listed post by id."""
    client = indexed_app(site, index, now=NOW, PREVIEW=preview, SITE_URL=SITE_URL).test_client()
    return client, {p["id"]: p for p in listed_posts(client)}


def _compare(site: Path, expected_file: Path, tmp_path: Path) -> None:
    expected = json.loads(expected_file.read_text(encoding="utf-8"))["posts"]
    _, everything = _served(site, tmp_path / "every", preview=True)
    _, default = _served(site, tmp_path / "default", preview=False)
    baseurl = load_site_config(site)[0].baseurl
    mismatches = []
    extra = set(everything) - {want["id"] for want in expected}  # PREVIEW shows drafts; the oracle's build did not
    assert extra <= {p.id for p in load_content(site, preview=True, now=NOW).posts if p.draft}
    assert set(everything) - extra == {want["id"] for want in expected}
    for want in expected:
        post = everything[want["id"]]
        got = {
            "id": post["id"], "url": post["url"].removeprefix(SITE_URL).removeprefix(baseurl), "slug": post["slug"],
            "title": post["title"],
            # the oracle prints whole seconds; Broadsheet keeps the milliseconds a date was given with
            "date": datetime.fromisoformat(post["date"]).replace(microsecond=0).isoformat(),
            "categories": [c["name"] for c in post["categories"]], "tags": [t["name"] for t in post["tags"]],
            "shown_by_default": post["id"] in default,
        }
        mismatches += [(want["path"], k, want[k], got[k]) for k in FIELDS if want[k] != got[k]]
        if _fold(want["excerpt"]) != _fold(post["excerpt"]):
            mismatches.append((want["path"], "excerpt", want["excerpt"], post["excerpt"]))
    assert mismatches == []


def test_edge_cases_agree_with_jekyll(tmp_path: Path) -> None:
    _compare(EDGE / "jekyll-site", EDGE / "jekyll-site.expected.json", tmp_path)


def test_edge_cases_agree_with_jekyll_under_another_config(tmp_path: Path) -> None:
    """timezone America/New_York, permalink: pretty, baseurl, future, show_drafts, a separator and defaults."""
    site = tmp_path / "site"
    shutil.copytree(EDGE / "jekyll-site", site)
    shutil.copy(EDGE / "variant-config.yml", site / "_config.yml")
    _compare(site, EDGE / "variant-config.expected.json", tmp_path)
    post = next(p for p in load_content(site, now=NOW).posts if p.slug == "zone-abbreviation")
    assert post.url == "/blog/defaulted/2024/01/15/zone-abbreviation/"  # the API's url includes the baseurl


def test_same_slug_twice_serves_both_posts_and_warns(tmp_path: Path) -> None:
    client, posts = _served(EDGE / "jekyll-site", tmp_path / "index", preview=False)
    same = sorted(p["url"].removeprefix(SITE_URL) for p in posts.values() if p["slug"] == "same-slug")
    assert same == ["/2023/02/10/same-slug.html", "/2024/02/10/same-slug.html"]
    assert client.get("/api/posts/same-slug").get_json()["other_ids"] == ["/2023/02/10/same-slug"]
    older = client.get("/api/posts/by-id?id=/2023/02/10/same-slug").get_json()
    assert (older["url"], older["other_ids"]) == (f"{SITE_URL}/2023/02/10/same-slug.html", ["/2024/02/10/same-slug"])
    assert client.get("/api/posts/by-id?id=/2023/02/10/nothing-here").status_code == 404
    for bad in ("", "no-leading-slash"):
        answer = client.get(f"/api/posts/by-id?id={bad}")
        assert answer.status_code == 400 and "id" in answer.get_json()["errors"], bad
    assert "id" in client.get("/api/posts/by-id").get_json()["errors"]
    result = load_content(EDGE / "jekyll-site", now=NOW)
    assert [p.path for p in result.problems if "also used by" in p.message] == ["_posts/2023-02-10-same-slug.md"]


def test_unclosed_front_matter_is_served_as_jekyll_publishes_it_with_a_warning(tmp_path: Path) -> None:
    site = FIXTURES / "unclosed-front-matter"
    want = json.loads((site / "expected.json").read_text(encoding="utf-8"))["posts"][0]
    summary = reindex(site, tmp_path / "index", now=NOW)
    assert [(p.path, p.line, p.severity) for p in summary.problems] == [
        ("_posts/2024-03-01-unclosed-front-matter.md", 1, "warning")]
    post = served_client(site, tmp_path / "index").get(f"/api/posts/{want['slug']}").get_json()
    assert (post["id"], post["title"], post["tags"]) == (want["id"], want["title"], [])
    # kramdown writes <hr />, Broadsheet <hr>; paragraphs and text are the same
    assert _fold(post["html"].replace("\n", "")) == _fold(want["content"].replace("<hr />", "<hr>").replace("\n", ""))
    assert _fold(post["excerpt"]) == _fold(want["excerpt"])


# Ruby's Time.parse(text).localtime, as printed by `ruby -rtime` (ruby 3.1) with TZ set, now = 2026-11-24 09:00 UTC.
RUBY_TIMES = [
    ("UTC", "2017-10-23 (optional)", "2017-10-23T00:00:00+00:00"),
    ("UTC", "2016-06-17 12:00-400", "2016-06-17T12:00:00+00:00"),  # -400 is no offset Ruby knows: local time
    ("UTC", "2023-01-29 18:30:22 2023 -0800", "2023-01-29T18:30:22+00:00"),  # the offset is not next to the time
    ("UTC", "2025-01-29 18:15:32 +0530", "2025-01-29T12:45:32+00:00"),
    ("UTC", "2024-6-3", "2024-06-03T00:00:00+00:00"),
    ("UTC", "2024-06-03T10:00:00.123+02:00", "2024-06-03T08:00:00.123000+00:00"),
    ("UTC", "2024-06-03 10:00:00 EDT", "2024-06-03T14:00:00+00:00"),
    ("UTC", "2024-06-03 10:00:00 CET", "2024-06-03T10:00:00+00:00"),  # Ruby knows only the US abbreviations
    ("UTC", "2024-06-03 10:00:00 +02", "2024-06-03T08:00:00+00:00"),
    ("UTC", "2024-06-03 10:00:00 +2", "2024-06-03T10:00:00+00:00"),
    ("UTC", "June 3, 2024", "2024-06-03T00:00:00+00:00"),
    ("UTC", "3 June 2024", "2024-06-03T00:00:00+00:00"),
    ("UTC", "June 3", "2026-06-03T00:00:00+00:00"),  # no year: this year
    ("UTC", "Monday, June 3rd, 2024 at 4:30 PM EST", "2024-06-03T21:30:00+00:00"),
    ("UTC", "Mon, 03 Jun 2024 10:00:00 -0700", "2024-06-03T17:00:00+00:00"),
    ("UTC", "03/06/2024", "2024-06-03T00:00:00+00:00"),  # day/month/year
    ("UTC", "2024/06/03", "2024-06-03T00:00:00+00:00"),
    ("UTC", "6/3/24", "2006-03-24T00:00:00+00:00"),  # no long field: year/month/day
    ("UTC", "03.06.2024", "2024-06-03T00:00:00+00:00"),
    ("UTC", "2024-02-30", "2024-03-01T00:00:00+00:00"),  # Ruby's Time rolls over
    ("UTC", "20240603", "2024-06-03T00:00:00+00:00"),
    ("UTC", "10:00", "2026-11-24T10:00:00+00:00"),  # no date: today
    ("UTC", "Sept 5th, 2016", "2016-09-05T00:00:00+00:00"),
    ("UTC", "May 2016", "2016-05-01T00:00:00+00:00"),
    ("UTC", "'16", "2016-01-01T00:00:00+00:00"),
    ("UTC", "2024-06-03 24:00", "2024-06-04T00:00:00+00:00"),
    ("America/New_York", "2024-06-03 10:00", "2024-06-03T10:00:00-04:00"),
    ("America/New_York", "2024-06-03 10:00 America/New_York", "2024-06-03T10:00:00-04:00"),
    ("America/New_York", "2019-03-10 02:30:00", "2019-03-10T03:30:00-04:00"),  # inside the DST gap: moved on
    ("America/New_York", "2024-06-03T10:00:00Z", "2024-06-03T06:00:00-04:00"),
    ("Asia/Kolkata", "2025-01-29 18:15:32 +0530", "2025-01-29T18:15:32+05:30"),
]


@pytest.mark.parametrize(("zone", "text", "expected"), RUBY_TIMES)
def test_dates_are_read_as_ruby_time_parse_reads_them(zone: str, text: str, expected: str) -> None:
    assert ruby_time_parse(text, ZoneInfo(zone), NOW).isoformat() == expected


@pytest.mark.parametrize("text", ["not a date at all", "2024-13-01", "2024-02-32", "2016", ""])
def test_text_ruby_cannot_read_as_a_date_is_an_error(text: str) -> None:
    with pytest.raises(RubyDateError):
        ruby_time_parse(text, ZoneInfo("UTC"), NOW)


def test_yaml_date_values_follow_psych() -> None:
    new_york = ZoneInfo("America/New_York")
    # date-only: local midnight; timestamp without offset: UTC (Psych); with offset: that instant
    assert jekyll.parse_date(date(2024, 1, 2), new_york).isoformat() == "2024-01-02T00:00:00-05:00"
    assert jekyll.parse_date(datetime(2024, 1, 2, 10), new_york).isoformat() == "2024-01-02T05:00:00-05:00"
    assert jekyll.parse_date("2024-01-02 10:00", new_york).isoformat() == "2024-01-02T10:00:00-05:00"
    with pytest.raises(ValueError, match="YAML boolean"):
        jekyll.parse_date(True, new_york)


@pytest.mark.parametrize(("text", "mode", "cased", "expected"), [
    ("Hello, World!", "default", False, "hello-world"),
    ("three-ways-to manage", "pretty", True, "three-ways-to-manage"),
    ("Custom Slug!", "pretty", True, "Custom-Slug!"),
    ("Custom Slug!", "default", False, "custom-slug"),
    ("a_b  c", "default", False, "a-b-c"),
    ("Café crème", "latin", False, "cafe-creme"),
    ("Café crème", "default", False, "café-crème"),
    ("Café crème", "ascii", False, "caf-cr-me"),
    ("  a  b ", "raw", False, "a-b"),
    ("Keep Me", "none", True, "Keep Me"),
])
def test_slugify_modes(text: str, mode: str, cased: bool, expected: str) -> None:
    assert jekyll.slugify(text, mode, cased=cased) == expected


def _url(template: str, **overrides: Any) -> str:
    values: dict[str, Any] = {"when": datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC), "slug": "my post",
                              "categories": ["News", "Big Things"], "path": "_posts/2024-03-05-my post.md"}
    values.update(overrides)
    return jekyll.permalink(jekyll.permalink_template(template), jekyll.url_placeholders(**values))


@pytest.mark.parametrize(("style", "expected"), [
    ("date", "/news/big%20things/2024/03/05/my-post.html"),
    ("pretty", "/news/big%20things/2024/03/05/my-post/"),
    ("ordinal", "/news/big%20things/2024/065/my-post.html"),
    ("weekdate", "/news/big%20things/2024/W10/Tue/my-post.html"),
    ("none", "/news/big%20things/my-post.html"),
    ("/:year/:i_month/:i_day/:slug", "/2024/3/5/my-post"),
    ("/:slugified_categories/:short_month/:long_day/:hour:minute:second/", "/news/big-things/Mar/Tuesday/070809/"),
    ("/:path/", "/2024-03-05-my%20post/"),
    ("/:name:output_ext", "/2024-03-05-my-post.html"),
    ("/:title_/x/", "/my-post_/x/"),  # a trailing underscore may close a placeholder
])
def test_permalink_styles_and_placeholders(style: str, expected: str) -> None:
    assert _url(style) == expected


def test_unknown_permalink_placeholder_is_an_error_like_jekyll() -> None:
    with pytest.raises(jekyll.PermalinkError, match=":foo"):
        _url("/:foo/:title/")


def test_post_id_joins_the_url_folder_and_the_raw_slug() -> None:
    assert jekyll.post_id("/2024/01/14/space-in-name.html", "space in name") == "/2024/01/14/space in name"
    assert jekyll.post_id("/blog/2024/1/x/", "x") == "/blog/2024/1/x"
    assert jekyll.post_id("/x.html", "x") == "/x"


def test_categories_merge_like_jekyll() -> None:
    assert jekyll.merge_categories([{}, {"categories": "a  b", "category": "Big News"}], ["news"]) == [
        "news", "a", "b", "Big News"]
    assert jekyll.merge_categories([{"categories": ["d"]}, {"categories": ["a", "d"]}], []) == ["d", "a"]
    assert jekyll.merge_categories([{}, {"categories": None, "category": None}], []) == []
    assert jekyll.merge_tags([{}, {"tags": "b a b"}]) == ["b", "a", "b"]
    assert jekyll.merge_tags([{"tags": ["x"]}, {"tag": "solo tag", "tags": ["y"]}]) == ["solo tag"]


def test_file_names() -> None:
    assert jekyll.parse_post_filename("2024-1-5-one-digit-day.md") == ("2024-1-5", "one-digit-day", ".md")
    assert jekyll.parse_post_filename("2024-02-08-trailing-dot...md") == ("2024-02-08", "trailing-dot", ".md")
    assert jekyll.parse_post_filename("notes.md") is None
    assert jekyll.title_from_slug("missing-title-from-slug") == "Missing Title From Slug"


def test_the_api_serves_the_fields_jekyll_agrees_on(make_app: Any) -> None:
    client = make_app(EDGE / "jekyll-site").test_client()
    body = client.get("/api/posts/space in name").get_json()
    assert (body["id"], body["slug"], body["title"]) == ("/2024/01/14/space in name", "space in name", "Space in name")
    assert body["url"].endswith("/2024/01/14/space-in-name.html")
    body = client.get("/api/posts/category-and-categories").get_json()
    assert [c["name"] for c in body["categories"]] == ["alpha", "beta", "Big News"]
    assert body["date"] == "2024-01-22T00:00:00+00:00"
    slugs = {item["slug"] for item in client.get("/api/posts?per_page=100").get_json()["items"]}
    assert "published-false" not in slugs and "future-dated" not in slugs and "published-text-false" in slugs


def test_defaults_timezone_and_relative_permalink_agree_with_jekyll(tmp_path: Path) -> None:
    """Jekyll 4.3.1 on this site printed the URLs, dates, categories and visibility asserted below."""
    (tmp_path / "_config.yml").write_text(
        "timezone: Europe/Berlin\npermalink: blog/:year/:title\ndefaults:\n"
        "  - scope: {path: \"_posts/hidden\"}\n    values: {published: false}\n"
        "  - scope: {path: \"blog\"}\n    values: {categories: \"from defaults\", category: Solo}\n")
    files = {
        "_posts/hidden/2024-05-01-hidden-by-default.md": "title: Hidden by default",
        "blog/_posts/2024-05-02-defaults-merge.md": "title: Defaults merge\ncategories: [mine]",
        "_posts/2024-07-01-summer-time.md": "title: Summer time\ndate: 2024-07-01 23:30",
        "_posts/2024-01-01-winter-yaml-timestamp.md": "title: Winter YAML timestamp\ndate: 2024-01-01 23:30:00",
    }
    for rel, matter in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"---\n{matter}\n---\nx\n", encoding="utf-8")
    everything = load_content(tmp_path, preview=True, now=NOW)
    shown = {p.path for p in load_content(tmp_path, now=NOW).posts}
    got = {p.path: (p.url, p.date.isoformat(), p.categories, p.path in shown)
           for p in everything.posts + everything.hidden}
    assert got == {
        "_posts/2024-07-01-summer-time.md": ("/blog/2024/summer-time", "2024-07-01T23:30:00+02:00", [], True),
        "blog/_posts/2024-05-02-defaults-merge.md": ("/blog/2024/defaults-merge", "2024-05-02T00:00:00+02:00",
                                                     ["blog", "from", "defaults", "mine", "Solo"], True),
        "_posts/hidden/2024-05-01-hidden-by-default.md": ("/blog/2024/hidden-by-default",
                                                          "2024-05-01T00:00:00+02:00", [], False),
        # an unquoted YAML timestamp without an offset is UTC: 23:30 UTC is 00:30 the next day in Berlin
        "_posts/2024-01-01-winter-yaml-timestamp.md": ("/blog/2024/winter-yaml-timestamp",
                                                       "2024-01-02T00:30:00+01:00", [], True),
    }
