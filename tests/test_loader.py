"""Reading post files into Post objects: the seed post, broken files, and what stays hidden."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.content.files import SourceFile
from service.content.loader import load_content, load_post
from service.content.site import SiteConfig
from tests.conftest import shared_path, write_post

SEED = "2022-12-29-3commas-data-breach-being-investigated-by-fbi.md"


def test_seed_post_loads_exactly() -> None:
    path = shared_path("seeds", SEED)
    post, problems = load_post(SourceFile(f"_posts/{SEED}", path), SiteConfig())
    assert post is not None, problems
    assert [p for p in problems if p.severity == "error"] == []
    assert post.title == "3Commas Data Breach being investigated by FBI"
    assert post.date.isoformat() == "2022-12-29T17:00:00+00:00"
    assert post.categories == ["3Commas", "Investigation"]
    assert post.slug == "3commas-data-breach-being-investigated-by-fbi"
    assert post.url == "/3commas/investigation/2022/12/29/3commas-data-breach-being-investigated-by-fbi.html"
    assert post.id == "/3commas/investigation/2022/12/29/3commas-data-breach-being-investigated-by-fbi"
    assert post.image is not None and post.image.src == "/assets/images/logo3com.jpg"
    assert post.image.url == "/media/assets/images/logo3com.jpg"
    assert [q.attribution for q in post.quotes] == [
        "3commas CEO Yuriy Sorokin statement on leak of API keys",
        "tweet from Binance CEO Changpeng Zhao.",
    ]
    assert post.quotes[0].text.startswith("3Commas stresses that it has found no evidence")
    assert post.quotes[0].text.endswith("notify law enforcement authorities accordingly.")
    assert post.quotes[1].text == ("I am reasonably sure there are wide spread API key leaks from 3Commas. If you have "
                                   "ever put an API key in 3Commas (from any exchange), please disable it immediately. "
                                   "Stay #SAFU.")
    for quote in post.quotes:
        assert quote.attribution not in quote.text
    assert [link.domain for link in post.links] == ["coindesk.com", "twitter.com"]
    assert post.links[0].url.startswith("https://www.coindesk.com/business/2022/12/29/fbi-investigating-3commas")
    assert post.excerpt.startswith("Coindesk said that two 3Commas users informed them")
    assert post.word_count > 250 and post.reading_time == 2


def test_date_from_filename_when_front_matter_has_none(content_dir: Path) -> None:
    write_post(content_dir, "2021-03-04-no-date.md", "title: No date", "Body.\n")
    result = load_content(content_dir)
    assert result.posts[0].date.isoformat() == "2021-03-04T00:00:00+00:00"
    assert result.posts[0].slug == "no-date"


def test_broken_files_are_reported_and_the_rest_served(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-good.md", "title: Good", "Fine.\n")
    write_post(content_dir, "2024-01-02-bad-yaml.md", "title: Bad\ncategories: [unclosed", "Body.\n")
    write_post(content_dir, "2024-01-03-bad-date.md", "title: Bad date\ndate: not a date at all", "Body.\n")
    write_post(content_dir, "2024-01-04-bad-title.md", "title:\n  nested: mapping", "Body.\n")
    (content_dir / "_posts" / "notes.md").write_text("---\ntitle: x\n---\nno date in name\n")
    result = load_content(content_dir)
    assert [p.slug for p in result.posts] == ["good"]
    by_file = {p.path: p for p in result.errors}
    assert by_file["_posts/2024-01-02-bad-yaml.md"].line == 3
    assert "not valid YAML" in by_file["_posts/2024-01-02-bad-yaml.md"].message
    assert by_file["_posts/2024-01-03-bad-date.md"].line == 3
    assert "date" in by_file["_posts/2024-01-03-bad-date.md"].message
    assert "title" in by_file["_posts/2024-01-04-bad-title.md"].message
    assert "YYYY-MM-DD" in by_file["_posts/notes.md"].message


def test_future_unpublished_and_drafts_are_hidden_unless_preview(content_dir: Path) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    write_post(content_dir, "2024-01-01-shown.md", "title: Shown", "Body.\n")
    write_post(content_dir, f"{future}-future.md", "title: Future", "Body.\n")
    write_post(content_dir, "2024-01-02-unpublished.md", "title: Off\npublished: false", "Body.\n")
    write_post(content_dir, "a-draft.md", "title: Draft", "Body.\n", folder="_drafts")
    assert [p.slug for p in load_content(content_dir).posts] == ["shown"]
    assert {p.slug for p in load_content(content_dir, preview=True).posts} == {"shown", "future", "unpublished",
                                                                                "a-draft"}


def test_unknown_front_matter_is_kept_under_meta(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-meta.md", "title: M\nlayout: post\nauthor: Sam\nrating: 4", "Body.\n")
    post = load_content(content_dir).posts[0]
    assert post.meta == {"author": "Sam", "rating": 4, "layout": "post"}


def test_sample_content_loads_without_errors() -> None:
    result = load_content(Path(__file__).resolve().parents[1] / "content")
    assert result.errors == []
    assert len(result.posts) >= 8
    assert len({c for p in result.posts for c in p.categories}) >= 4
    assert sum(1 for p in result.posts if any(q.attribution for q in p.quotes)) >= 3


def test_seed_copied_into_a_site_indexes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    shutil.copy(shared_path("seeds", SEED), site / "_posts" / SEED)
    result = load_content(site)
    assert [p.slug for p in result.posts] == ["3commas-data-breach-being-investigated-by-fbi"]
