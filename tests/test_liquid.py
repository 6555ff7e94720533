"""The Liquid posts contain: raw, comment, highlight, post_url, link, site/page values, and what gets dropped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.bodycompare import compare
from service.content.liquid import LinkTable, render_liquid
from service.indexing import reindex
from tests.helpers import indexed_app

SITE = {"title": "oracle", "url": "https://example.org", "baseurl": "/blog", "author": {"name": "Ada"}}
LINKS = LinkTable([("_posts/2024-01-21-categories-string.md", "/blog/release/notes/2024/01/21/categories-string.html"),
                   ("news/_posts/2024-02-14-folder-above-posts.md", "/blog/news/2024/02/14/folder-above-posts.html")],
                  "/blog")


def _render(body: str, page: dict[str, object] | None = None) -> tuple[str, list[str]]:
    warnings: list[str] = []
    return render_liquid(body, SITE, LINKS, warnings.append, page), warnings


def test_raw_keeps_liquid_as_text_and_comment_disappears() -> None:
    text, warnings = _render("{% raw %}{{ kept }} {% tag %}{% endraw %}{% comment %}gone{% endcomment %}")
    assert (text, warnings) == ("{{ kept }} {% tag %}", [])


def test_highlight_becomes_a_fenced_code_block_and_liquid_inside_renders() -> None:
    # Jekyll 4.3.1 renders `puts "{{ not liquid }}"` in a highlight block as `puts ""` (see the edge-case fixture).
    text, _ = _render('Intro\n{% highlight ruby linenos %}\nputs "{{ not liquid }}"\n{% endhighlight %}\n')
    assert text == 'Intro\n```ruby\nputs ""\n```\n'


def test_post_url_and_link_resolve_against_the_posts_being_loaded() -> None:
    text, warnings = _render("[a]({% post_url 2024-01-21-categories-string %}) "
                             "[b]({% post_url news/2024-02-14-folder-above-posts %}) "
                             "[c]({% link _posts/2024-01-21-categories-string.md %})")
    assert text == ("[a](/blog/release/notes/2024/01/21/categories-string.html) "
                    "[b](/blog/news/2024/02/14/folder-above-posts.html) "
                    "[c](/blog/release/notes/2024/01/21/categories-string.html)")
    assert warnings == []


def test_unresolvable_links_warn_and_fall_back() -> None:
    text, warnings = _render("[x]({% post_url 2001-01-01-nowhere %}) [y]({% link _docs/history.md %})")
    assert text == "[x](#) [y](/blog/docs/history.html)"  # a collection document's default URL
    assert len(warnings) == 2 and "2001-01-01-nowhere" in warnings[0] and "_docs/history.md" in warnings[1]


def test_site_and_page_values_and_url_filters() -> None:
    text, _ = _render("{{ site.title }} {{ site.author.name }} {{ page.title }} {{ site.missing }}|"
                      "{{ '/img/a.png' | relative_url }} {{ \"/img/a.png\" | absolute_url }}",
                      page={"title": "Liquid tags"})
    assert text == "oracle Ada Liquid tags |/blog/img/a.png https://example.org/blog/img/a.png"


def test_include_and_plugin_tags_are_dropped_with_a_warning_when_no_includes_folder_is_given() -> None:
    text, warnings = _render("Before {% include note.html %} and {% oembed https://example.com %} after.")
    assert text == "Before  and  after."
    assert warnings == [
        "{% include note.html %} was dropped: Broadsheet reads posts only, not includes",
        "Liquid tag {% oembed %} is not supported and was dropped (its contents are kept)",
    ]
    assert [w.line for w in warnings] == [1, 1]  # type: ignore[attr-defined]


def test_standard_liquid_runs_as_jekyll_runs_it() -> None:
    text, warnings = _render(
        '{% assign ids = "10|12" | split: "|" %}{% for id in ids %}[#{{ id }}]: {{ site.url }}/issues/{{ id }}\n'
        "{% endfor %}{% if site.title %}titled{% else %}untitled{% endif %} {% if nope %}hidden{% endif %}"
        "{% capture who %}{{ site.author.name | upcase }}{% endcapture %}{{ who }} {{ page.title | jekyll_only }}",
        page={"title": "Liquid tags"})
    assert text == ("[#10]: https://example.org/issues/10\n[#12]: https://example.org/issues/12\n"
                    "titled ADA Liquid tags")
    assert warnings == []


def test_liquid_that_cannot_be_parsed_is_dropped_with_a_warning() -> None:
    text, warnings = _render("A {% for %} {{ site.title }} {% endfor")
    assert "oracle" in text and "{% for %}" not in text
    assert len(warnings) == 1 and "could not be run" in warnings[0]


INCLUDES_SITE = Path(__file__).resolve().parent / "fixtures" / "liquid-includes"


def test_includes_render_as_jekyll_rendered_them_through_reindex_and_the_api(make_app: Any) -> None:
    jekyll = json.loads((INCLUDES_SITE / "expected.json").read_text(encoding="utf-8"))["posts"][0]["content"]
    body = make_app(INCLUDES_SITE).test_client().get("/api/posts/include-with-parameters").get_json()
    assert compare(jekyll, body["html"]).agrees, compare(jekyll, body["html"]).describe()
    # the nested include sees only its own parameters, as in Jekyll (`who` is empty inside inner.html)
    assert "<span>warm|</span>" in body["html"] and "<span>|</span>" in body["html"]


def test_a_missing_include_renders_as_nothing_and_is_reported_with_its_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(INCLUDES_SITE, site)
    result = reindex(site, tmp_path / "index")
    problems = [p for p in result.problems if "missing-file.html" in p.message]
    assert len(problems) == 1 and problems[0].path.endswith("2024-01-01-include-with-parameters.md")
    assert problems[0].line == 13  # the file's line of the tag (front matter counted)


def test_editing_an_include_re_renders_the_posts_on_the_next_reindex(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(INCLUDES_SITE, site)
    index = tmp_path / "index"
    reindex(site, index)
    (site / "_includes" / "inner.html").write_text("<span>changed {{ include.label }}</span>\n", encoding="utf-8")
    reindex(site, index)
    app = indexed_app(site, index, skip_reindex=True)
    assert "<span>changed warm</span>" in app.test_client().get("/api/posts/include-with-parameters").get_json()["html"]


def test_an_include_cannot_read_outside_the_includes_folder(tmp_path: Path) -> None:
    (tmp_path / "_includes").mkdir()
    (tmp_path / "secret.txt").write_text("do not show", encoding="utf-8")
    warnings: list[str] = []
    text = render_liquid("{% include ../secret.txt %}", {}, LinkTable([]), warnings.append, {},
                         includes=tmp_path / "_includes")
    assert "do not show" not in text
    assert warnings and "no such file in _includes/" in warnings[0]
