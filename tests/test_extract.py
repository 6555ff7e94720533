"""Quote attribution: each convention, through the HTML helpers and through the Markdown renderer."""

from __future__ import annotations

from service.content.extract import find_quotes, parse_html, split_attribution, to_html
from service.content.markdown import render_markdown


def only_quote(source: str):
    quotes = render_markdown(source).quotes
    assert len(quotes) == 1
    return quotes[0]


def test_nested_blockquote_in_bold_italics_is_the_attribution() -> None:
    quote = only_quote("> Quoted words here.\n>\n> > **_Jane Doe, in a press release_**\n")
    assert quote.attribution == "Jane Doe, in a press release"
    assert quote.text == "Quoted words here."
    assert quote.html == "<p>Quoted words here.</p>"


def test_nested_attribution_with_italic_outside_bold() -> None:
    quote = only_quote("> Quoted words.\n>\n> > _**Jane Doe**_\n")
    assert quote.attribution == "Jane Doe"
    assert "Jane" not in quote.text and "Jane" not in quote.html


def test_nested_attribution_may_be_plain_when_short() -> None:
    assert only_quote("> Quoted words.\n>\n> > Jane Doe\n").attribution == "Jane Doe"


def test_long_plain_nested_quote_at_the_end_is_quoted_text_not_an_attribution() -> None:
    reply = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    quote = only_quote(f"> I disagree with this:\n>\n> > {reply}\n")
    assert quote.attribution is None
    assert quote.text == f"I disagree with this:\n\n{reply}"


def test_nested_blockquote_in_the_middle_stays_part_of_the_text() -> None:
    quote = only_quote("> Start.\n>\n> > **_Inner_**\n>\n> End.\n")
    assert quote.attribution is None
    assert quote.text == "Start.\n\nInner\n\nEnd."
    assert "<blockquote>" in quote.html


def test_blockquote_holding_only_the_attribution_has_empty_text() -> None:
    quote = only_quote("> > **_Just A Name_**\n")
    assert quote.attribution == "Just A Name"
    assert quote.text == ""
    assert quote.html == ""


def test_em_dash_on_the_last_line_of_the_paragraph() -> None:
    quote = only_quote("> Imagination is the discovering faculty.\n> — Ada Lovelace, 1843\n")
    assert quote.attribution == "Ada Lovelace, 1843"
    assert quote.text == "Imagination is the discovering faculty."
    assert "Ada" not in quote.html


def test_double_hyphen_in_its_own_paragraph() -> None:
    quote = only_quote("> First paragraph.\n>\n> Second   paragraph\n> wraps here.\n>\n> -- Someone\n")
    assert quote.attribution == "Someone"
    assert quote.text == "First paragraph.\n\nSecond paragraph wraps here."


def test_horizontal_bar_and_markup_in_the_attribution() -> None:
    quote = only_quote("> Words.\n>\n> ― *[Ada](https://example.org/ada)*, notes\n")
    assert quote.attribution == "Ada, notes"
    assert quote.text == "Words."


def test_dash_inside_a_sentence_is_not_an_attribution() -> None:
    quote = only_quote("> I went there -- and it was great.\n")
    assert quote.attribution is None
    assert quote.text == "I went there \u2013 and it was great."  # kramdown's typography: -- is an en dash


def test_dash_after_a_closing_quote_mark_on_the_same_line() -> None:
    quote = only_quote('> "The Hackathon was great!" -- Ken Ambrose, Health and Human Services\n')
    assert quote.attribution == "Ken Ambrose, Health and Human Services"
    assert quote.text == "\u201cThe Hackathon was great!\u201d"  # kramdown's smart quotes


def test_dash_after_a_quoted_word_inside_prose_is_left_alone() -> None:
    assert only_quote('> He said "no" -- and left.\n').attribution is None


def test_cite_inside_an_html_blockquote() -> None:
    quote = only_quote("<blockquote><p>Be yourself.</p><cite>Oscar Wilde</cite></blockquote>\n")
    assert quote.attribution == "Oscar Wilde"
    assert quote.text == "Be yourself."
    assert "cite" not in quote.html


def test_footer_inside_an_html_blockquote_loses_its_dash() -> None:
    source = "<blockquote>\n<p>Simple is better.</p>\n<footer>— <cite>Tim Peters</cite></footer>\n</blockquote>\n"
    quote = only_quote(source)
    assert quote.attribution == "Tim Peters"
    assert quote.text == "Simple is better."
    assert "footer" not in quote.html


def test_cite_at_the_end_of_a_markdown_quote() -> None:
    quote = only_quote("> Stay hungry.\n> <cite>Steve Jobs</cite>\n")
    assert quote.attribution == "Steve Jobs"
    assert quote.text == "Stay hungry."


def test_cite_in_the_middle_of_a_sentence_is_text() -> None:
    quote = only_quote("<blockquote><p>As <cite>The Book</cite> says, read it.</p></blockquote>\n")
    assert quote.attribution is None
    assert quote.text == "As The Book says, read it."


def test_embedded_tweet_dash_after_the_paragraph() -> None:
    source = (
        '<blockquote class="twitter-tweet"><p lang="en">Great tool from <a href="https://twitter.com/18F">'
        '@18F</a></p>&mdash;\nCIO Council (@ciodotgov) <a\nhref="https://twitter.com/x/status/1">July 9,\n'
        '2015</a></blockquote>\n<script async src="https://platform.twitter.com/widgets.js"></script>\n'
    )
    quote = only_quote(source)
    assert quote.attribution == "CIO Council (@ciodotgov) July 9, 2015"
    assert quote.text == "Great tool from @18F"


def test_html_blockquote_wrapping_markdown_across_blank_lines() -> None:
    # kramdown reads Markdown inside block HTML only when asked (markdown="1"); otherwise it stays raw.
    quote = only_quote('<blockquote markdown="1">\n\n*Markdown inside*\n\n— Someone\n\n</blockquote>\n\nAfter.\n')
    assert quote.attribution == "Someone"
    assert quote.text == "Markdown inside"
    assert quote.html == "<p><em>Markdown inside</em></p>"


def test_quote_without_any_attribution() -> None:
    quote = only_quote("> Just a quote\n> over two lines.\n>\n> And a second paragraph.\n")
    assert quote.attribution is None
    assert quote.text == "Just a quote over two lines.\n\nAnd a second paragraph."


def test_only_top_level_quotes_are_listed_in_order() -> None:
    source = "> One\n\nBetween.\n\n> Two\n>\n> > Nested, not at the end\n>\n> tail\n\n- item\n\n  > Three\n"
    quotes = render_markdown(source).quotes
    assert [q.text.split("\n")[0] for q in quotes] == ["One", "Two", "Three"]


def test_split_attribution_works_on_a_parsed_tree() -> None:
    root = parse_html("<blockquote><p>Body <b>bold</b></p><blockquote><p><em>Who</em></p></blockquote></blockquote>")
    body, attribution = split_attribution(root.children[0])  # type: ignore[arg-type]
    assert attribution == "Who"
    assert to_html(body) == "<p>Body <b>bold</b></p>"


def test_find_quotes_ignores_blockquotes_nested_in_a_quote_and_finds_those_in_divs() -> None:
    html = "<div><blockquote><p>A</p><blockquote><p>B</p></blockquote><p>C</p></blockquote></div><p>x</p>"
    assert find_quotes(html) == [("<p>A</p><blockquote><p>B</p></blockquote><p>C</p>", None)]
