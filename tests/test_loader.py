"""Reading post files into Post objects: the seed post, broken files, and what stays hidden."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from service.content.files import SourceFile
from service.content.loader import load_content, load_post
from service.content.site import SiteConfig
from tests.helpers import FIXTURES, shared_path, write_post

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
    # Jekyll silently ignores a file in _posts without a date in its name: a warning, not an error.
    assert "_posts/notes.md" not in by_file
    notes = [p for p in result.problems if p.path == "_posts/notes.md"]
    assert [p.severity for p in notes] == ["warning"] and "YYYY-MM-DD" in notes[0].message


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


BROKEN = FIXTURES / "edge-cases" / "broken"
# What Jekyll 4.3.1 does with each broken fixture, and what Broadsheet reports instead (severity, line, words).
BROKEN_CASES = {
    # Jekyll: "YAML Exception reading ..." and keeps a post dated now, without a title.
    "2024-03-01-invalid-yaml.md": ("error", 3, "not valid YAML"),
    # Jekyll: "Invalid date 'not a date at all' ... does not have a valid date": the whole build stops.
    "2024-03-02-unreadable-date.md": ("error", 3, "cannot read date 'not a date at all'"),
    # Jekyll: "invalid byte sequence in UTF-8" and skips the file; Broadsheet replaces the bytes and says so.
    "2024-03-03-latin-1-bytes.md": ("warning", 4, "not valid UTF-8"),
    # Jekyll (libyaml): "found character that cannot start any token" at line 4.
    "2024-03-04-tab-indentation.md": ("error", 4, "never tabs"),
    # Jekyll: 'Could not find post "2001-01-01-nowhere" in tag post_url': the build stops.
    "2024-03-05-post-url-to-missing-post.md": ("warning", 4, "2001-01-01-nowhere"),
    # Jekyll: "The URL template doesn't have foo keys": the build stops.
    "2024-03-06-unknown-permalink-placeholder.md": ("error", 3, ":foo"),
    # Jekyll keeps a mapping as the title; Broadsheet needs text to show.
    "2024-03-07-title-mapping.md": ("error", 2, "`title` must be text"),
    # Jekyll: "undefined method `key?' for [...]:Array".
    "2024-03-08-front-matter-list.md": ("error", 2, "must be a mapping"),
    # Jekyll: "Invalid date '2024-13-45'": the build stops.
    "2024-03-09-impossible-month.md": ("error", 3, "month must be 1..12"),
    # Jekyll: "found unexpected end of stream while scanning a quoted scalar at line 3".
    "2024-03-10-unclosed-quote.md": ("error", 3, "quoted scalar"),
    # Jekyll ignores files in _posts without a date in the name.
    "notes-without-date.md": ("warning", None, "YYYY-MM-DD"),
}


def test_broken_fixtures_are_each_reported_with_line_and_reason() -> None:
    result = load_content(BROKEN)
    got = {p.path.removeprefix("_posts/"): p for p in result.problems}
    assert set(got) == set(BROKEN_CASES)
    for name, (severity, line, words) in BROKEN_CASES.items():
        assert (got[name].severity, got[name].line) == (severity, line), got[name]
        assert words in got[name].message, got[name]
    assert {p.slug for p in result.posts} == {"latin-1-bytes", "post-url-to-missing-post"}


def test_content_check_names_every_problem_and_exits_non_zero(make_app: Callable[..., Any]) -> None:
    runner = make_app(BROKEN, skip_reindex=True).test_cli_runner()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert "_posts/2024-03-02-unreadable-date.md:3: error: front matter `date`: cannot read date" in result.output
    assert lines[-1] == "11 files checked: 2 posts served, 0 hidden, 0 pages, 0 documents, 0 data files, 8 errors, " \
                        "3 warnings"
    as_json = orjson.loads(runner.invoke(args=["content", "check", "--json"]).output)
    assert (as_json["errors"], as_json["warnings"], as_json["posts"]) == (8, 3, 2)
    assert {"path", "line", "severity", "message"} <= set(as_json["problems"][0])


def test_content_check_passes_on_the_edge_case_site(make_app: Callable[..., Any]) -> None:
    site = FIXTURES / "edge-cases" / "jekyll-site"
    result = make_app(site, skip_reindex=True).test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    expected = "_posts/2024-02-12-include-and-plugin-tags.md:4: warning: {% include note.html %} was dropped"
    assert expected in result.output


def test_config_turns_hidden_posts_on(content_dir: Path) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    write_post(content_dir, f"{future}-future.md", "title: Future", "Body.\n")
    write_post(content_dir, "2024-01-02-unpublished.md", "title: Off\npublished: false", "Body.\n")
    write_post(content_dir, "2024-01-03-null.md", "title: Null\npublished:", "Body.\n")
    write_post(content_dir, "a-draft.md", "title: Draft", "Body.\n", folder="_drafts")
    assert load_content(content_dir).posts == []
    (content_dir / "_config.yml").write_text("future: true\n")
    assert [p.slug for p in load_content(content_dir).posts] == ["future"]
    (content_dir / "_config.yml").write_text("unpublished: true\nshow_drafts: true\n")
    assert {p.slug for p in load_content(content_dir).posts} == {"unpublished", "null", "a-draft"}


def test_excerpt_html_text_and_separator_override(content_dir: Path) -> None:
    (content_dir / "_config.yml").write_text("excerpt_separator: <!--more-->\n")
    write_post(content_dir, "2024-01-01-a.md", "title: A", "One *two*.\n\nThree.\n<!--more-->\nFour.\n")
    write_post(content_dir, "2024-01-02-b.md", "title: B\nexcerpt_separator: ''", "One.\n\nTwo.\n")
    write_post(content_dir, "2024-01-03-c.md", "title: C\nexcerpt: 'Given *as is*'", "Body.\n")
    posts = {p.slug: p for p in load_content(content_dir).posts}
    assert posts["a"].excerpt_html == "<p>One <em>two</em>.</p>\n<p>Three.</p>\n"
    assert posts["a"].excerpt == "One two.\n\nThree."
    assert (posts["b"].excerpt, posts["b"].excerpt_html) == ("", "")
    assert posts["c"].excerpt == "Given *as is*"  # Jekyll shows a front matter excerpt unrendered
    assert posts["c"].excerpt_html == "<p>Given <em>as is</em></p>\n"


def test_quote_conventions_survive_kramdown_typography(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-q.md", "title: Q", (
        "> It's all \"fine\".\n>\n> -- Ada Lovelace\n\n"
        "> Words.\n> <cite>A Source</cite>\n\n"
        "> Said it.\n>\n> > **_Grace Hopper, on ships_**\n\n"
        "> Keep going.\n>\n> \u2014 Maya Angelou\n\n"
        "<blockquote><p>Stay.</p><footer>A Person</footer></blockquote>\n"))
    quotes = load_content(content_dir).posts[0].quotes
    assert [(q.text, q.attribution) for q in quotes] == [
        ("It\u2019s all \u201cfine\u201d.", "Ada Lovelace"),
        ("Words.", "A Source"),
        ("Said it.", "Grace Hopper, on ships"),
        ("Keep going.", "Maya Angelou"),
        ("Stay.", "A Person"),
    ]
    for quote in quotes:
        assert quote.attribution not in quote.text


def test_footnotes_tables_math_and_attribute_lists_survive(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-m.md", "title: M", (
        "Energy $$E = m*c^2$$ costs $5.\n{: .lead}\n\n"
        "$$\n\\sum_{i=1}^n a_i * b_i\n$$\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: The note.\n"))
    post = load_content(content_dir).posts[0]
    assert '<p class="lead">Energy \\(E = m*c^2\\) costs $5.</p>' in post.html  # kramdown's MathJax delimiters
    assert "<p>\\[\\sum_{i=1}^n a_i * b_i\\]</p>" in post.html
    assert "<td>1</td>" in post.html and 'id="fn:1"' in post.html
    assert "{:" not in post.html and "{:" not in post.text


def test_a_post_loaded_alone_still_resolves_post_url(content_dir: Path) -> None:
    write_post(content_dir, "2024-01-01-target.md", "title: T\ncategories: news", "Body.\n")
    path = write_post(content_dir, "2024-01-02-linker.md", "title: L", "See [t]({% post_url 2024-01-01-target %}).\n")
    post, problems = load_post(SourceFile("_posts/2024-01-02-linker.md", path), SiteConfig())
    assert post is not None and problems == []
    assert [link.url for link in post.links] == ["/news/2024/01/01/target.html"]
    path.write_text(path.read_text().replace("2024-01-01-target", "2024-01-01-gone"))
    post, problems = load_post(SourceFile("_posts/2024-01-02-linker.md", path), SiteConfig())
    assert post is not None and "2024-01-01-gone" in problems[0].message


def test_reindex_reports_the_same_problems_and_skips_only_errors(make_app: Callable[..., Any]) -> None:
    app = make_app(BROKEN, skip_reindex=True)
    runner = app.test_cli_runner()
    checked = {line for line in runner.invoke(args=["content", "check"]).output.splitlines() if ": " in line
               and line.startswith("_posts/")}
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    reported = {line for line in result.output.splitlines() if line.startswith("_posts/")}
    assert reported == checked
    assert "2 posts indexed" in result.output.splitlines()[-1]


def test_posts_sharing_a_slug_keep_apart_quote_and_image_ids(content_dir: Path) -> None:
    body = "> A quote.\n\n![alt](https://img.example/a.png)\n"
    write_post(content_dir, "2024-01-01-same.md", "title: Old\nimage: https://img.example/c.png", body)
    write_post(content_dir, "2024-02-01-same.md", "title: New\nimage: https://img.example/c.png", body)
    old, new = sorted(load_content(content_dir).posts, key=lambda p: p.date)
    assert [q.id for q in new.quotes] == ["same-q1"] and [q.id for q in old.quotes] == ["same~2-q1"]
    assert [new.image.id, *(i.id for i in new.images)] == ["same-cover", "same-img1"]  # type: ignore[union-attr]
    assert [old.image.id, *(i.id for i in old.images)] == ["same~2-cover", "same~2-img1"]  # type: ignore[union-attr]


def test_many_posts_render_in_workers_as_they_do_here(tmp_path: Path, monkeypatch: Any) -> None:
    """Past PARALLEL_FROM files the bodies are rendered by forked workers: the same posts, problems, order."""
    from bench.corpus import generate
    from service.content import pool

    corpus = generate(tmp_path / "corpus", pool.PARALLEL_FROM + 50, seed=5, jobs=1)
    write_post(corpus, "2020-01-01-broken.md", "title: [unclosed", "A body.\n")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    monkeypatch.setattr(pool, "PROCS", 1)
    here = load_content(corpus, now=now)
    monkeypatch.setattr(pool, "PROCS", 2)
    assert threading.active_count() == 1, "a process with other threads renders everything itself"
    forked = load_content(corpus, now=now)
    assert len(here.posts) > pool.PARALLEL_FROM and here.problems
    assert [p.__dict__ for p in here.posts] == [p.__dict__ for p in forked.posts]
    assert here.problems == forked.problems and here.parsed == forked.parsed
