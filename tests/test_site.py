"""Reading _config.yml: the keys Broadsheet honours, front matter defaults, and a config that is broken."""

from __future__ import annotations

from pathlib import Path

from service.content.kramdown.options import MarkdownOptions
from service.content.site import front_matter_defaults, load_site_config


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "_config.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_a_config(tmp_path: Path) -> None:
    site, problems = load_site_config(tmp_path)
    assert problems == []
    assert (site.permalink, site.baseurl, site.timezone, site.excerpt_separator) == ("date", "", "UTC", "\n\n")
    assert not (site.future or site.show_drafts or site.unpublished)


def test_honoured_keys(tmp_path: Path) -> None:
    site, problems = load_site_config(_config(tmp_path, (
        "permalink: pretty\nbaseurl: /blog/\nurl: https://example.org/\ntimezone: Europe/Paris\n"
        "excerpt_separator: <!--more-->\nfuture: true\nshow_drafts: true\nunpublished: true\n"
        "exclude: [old]\ntitle: My blog\n")))
    assert problems == []
    assert site.permalink == "pretty" and site.baseurl == "/blog" and site.url == "https://example.org"
    assert site.timezone == "Europe/Paris" and site.excerpt_separator == "<!--more-->"
    assert site.future and site.show_drafts and site.unpublished and site.exclude == ("old",)
    assert site.values["title"] == "My blog"


def test_collections_posts_permalink_wins_and_null_separator_means_no_excerpt(tmp_path: Path) -> None:
    site, _ = load_site_config(_config(tmp_path, (
        "permalink: pretty\ncollections:\n  posts:\n    permalink: /:title/\nexcerpt_separator:\n")))
    assert site.permalink == "/:title/" and site.excerpt_separator == ""


def test_unknown_timezone_and_broken_config_are_reported(tmp_path: Path) -> None:
    site, problems = load_site_config(_config(tmp_path, "timezone: Mars/Olympus\n"))
    assert site.timezone == "UTC"
    assert [p.severity for p in problems] == ["error"] and "Mars/Olympus" in problems[0].message
    site, problems = load_site_config(_config(tmp_path, "title: [unclosed\n"))
    assert problems[0].path == "_config.yml" and problems[0].severity == "error"


def test_front_matter_defaults_follow_scope_precedence(tmp_path: Path) -> None:
    site, _ = load_site_config(_config(tmp_path, """
defaults:
  - scope: {path: ""}
    values: {layout: base, author: everyone}
  - scope: {path: "news", type: posts}
    values: {layout: news}
  - scope: {path: "", type: posts}
    values: {author: poster}
  - scope: {path: "", type: pages}
    values: {author: page-person}
  - scope: {path: "news/_posts/2024-*"}
    values: {glob: yes}
"""))
    assert front_matter_defaults(site, "_posts/2024-01-01-a.md") == {"layout": "base", "author": "poster"}
    # Once the longer "news" scope has applied, a later shorter scope only fills gaps (has_precedence? is false),
    # so author stays "everyone" from the first rule.
    assert front_matter_defaults(site, "news/_posts/2024-01-01-a.md") == {
        "layout": "news", "author": "everyone", "glob": True}


def test_kramdown_options_that_change_output_are_read(tmp_path: Path) -> None:
    text = ("kramdown:\n  input: kramdown\n  auto_ids: false\n  auto_id_prefix: h-\n  parse_block_html: true\n"
            "  smart_quotes: lsaquo,rsaquo,laquo,raquo\n  hard_wrap: true\n")
    site = load_site_config(_config(tmp_path, text))[0]
    assert site.markdown == MarkdownOptions(input="kramdown", auto_ids=False, auto_id_prefix="h-",
                                            parse_block_html=True, smart_quotes=("‹", "›", "«", "»"),
                                            hard_wrap=True)
    assert load_site_config(tmp_path)[1] == []
    (tmp_path / "plain").mkdir()
    assert load_site_config(_config(tmp_path / "plain", "title: x\n"))[0].markdown == MarkdownOptions()


def test_unusable_kramdown_options_are_warnings_and_defaults_stay(tmp_path: Path) -> None:
    write = tmp_path / "_config.yml"
    write.write_text("kramdown:\n  input: Markdown\n  smart_quotes: nope,nope\n", encoding="utf-8")
    site, problems = load_site_config(tmp_path)
    assert site.markdown == MarkdownOptions()
    assert [p.severity for p in problems] == ["warning", "warning"]
    assert "input 'Markdown'" in problems[0].message and "smart_quotes" in problems[1].message
