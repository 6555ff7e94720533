"""Turn the Liquid a Jekyll post may contain into plain Markdown before rendering.

Jekyll's own tags are handled here (`raw`, `highlight`, `post_url`, `link`, and `include` of the site's
`_includes/` files with Jekyll's `name=value` parameters read as `include.name`); tags from plugins, and `include`
when no `_includes/` folder is given, are dropped with a warning that names the tag. What remains is standard
Liquid (`if`, `for`, `assign`, `capture`, `{{ site.* }}`, `{{ page.* }}`, filters), which python-liquid renders in
lax mode, as Jekyll's Liquid does; a Jekyll filter it does not know passes its input through, as Liquid does
when filters are not strict.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from service.content.jekyll import slugify
from service.content.kramdown.options import markdown_options
from service.content.markdown import render_markdown

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
# Jekyll 4.3 still renders Liquid inside a highlight block, so only its markers are replaced here.
_HIGHLIGHT = re.compile(
    r"(?P<open>^[ \t]*)?\{%-?\s*highlight\s+(?P<lang>[\w+#.-]+)[^%]*?-?%\}(?P<code>.*?)"
    r"\{%-?\s*endhighlight\s*-?%\}",
    re.DOTALL | re.MULTILINE,
)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_POST_URL = re.compile(r"\{%-?\s*post_url\s+(\S+?)\s*-?%\}")
_LINK = re.compile(r"\{%-?\s*link\s+(.+?)\s*-?%\}", re.DOTALL)
_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.DOTALL)
_OUTPUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_STRING = re.compile(r"""\A(?:"([^"]*)"|'([^']*)')\Z""")
_PLACEHOLDER = "\x00liquid{}\x00"
# Tags standard Liquid knows (python-liquid renders them); any other tag comes from a plugin or is Jekyll's.
_STANDARD_TAGS = frozenset({
    "if", "elsif", "else", "endif", "unless", "endunless", "for", "endfor", "break", "continue", "case", "when",
    "endcase", "assign", "capture", "endcapture", "increment", "decrement", "cycle", "tablerow", "endtablerow",
    "liquid", "echo", "comment", "endcomment",
})  # fmt: skip
_SITE: ContextVar[dict[str, Any]] = ContextVar("site", default={})  # noqa: B039 - never mutated
# The site's _includes/ folder and the warning sink of the render under way (the engine is shared by every site).
_INCLUDES: ContextVar[tuple[Path, Callable[[str, str], None]] | None] = ContextVar("includes", default=None)
_INCLUDE = re.compile(r"\{%(-?)\s*include\s+(.*?)\s*(-?)%\}", re.DOTALL)
_INCLUDE_ARG = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'%]+)""")
_INCLUDE_VAR = re.compile(r"\binclude\.([\w-]+)")
MAX_INCLUDE_BYTES = 1_000_000


class _PassThroughFilters(dict[str, Any]):
    """Filters by name; an unknown one (a Jekyll or plugin filter) returns its input unchanged."""

    def __missing__(self, name: str) -> Callable[..., Any]:
        return lambda value, *args, **kwargs: value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name]


def _relative_url(value: Any) -> str:
    text, baseurl = str(value or ""), str(_SITE.get().get("baseurl") or "").rstrip("/")
    return text if re.match(r"^[a-z][a-z0-9+.-]*:", text) else f"{baseurl}/{text.lstrip('/')}"


def _absolute_url(value: Any) -> str:
    text = _relative_url(value)
    return text if re.match(r"^[a-z][a-z0-9+.-]*:", text) else str(_SITE.get().get("url") or "").rstrip("/") + text


def _slugify(value: Any, mode: Any = "default") -> str:
    return slugify("" if value is None else str(value), str(mode)) or ""


def _markdownify(value: Any) -> str:
    """Jekyll's markdownify: the site's kramdown, here through the same renderer as bodies."""
    return render_markdown("" if value is None else str(value), markdown_options(_SITE.get().get("kramdown"))[0]).html


def _include_var(depth: int, name: str) -> str:
    return f"__include{depth}_" + name.replace("-", "_")


def jekyll_includes(text: str, depth: int = 0) -> str:
    """Rewrite Jekyll's `{% include file.html a="x" b=page.y %}` as the standard Liquid include of that file.

    Jekyll hands the parameters to the included file as `include.a`, and a nested include sees only its own;
    standard Liquid has no such object, so a parameter becomes a variable named after its include depth
    (`__include1_a`), the file is loaded as `file.html@1`, and the loaded file's `include.a` reads that name.
    """
    def rewrite(match: re.Match[str]) -> str:
        name, rest = (re.split(r"\s+", match.group(2), maxsplit=1) + [""])[:2]
        if "{{" in name or not name:
            return match.group(0)  # a computed file name: left to the warning path
        args = "".join(f", {_include_var(depth + 1, k)}: {v}" for k, v in _INCLUDE_ARG.findall(rest))
        return f'{{%{match.group(1)} include "{name}@{depth + 1}"{args} {match.group(3)}%}}'

    return _INCLUDE.sub(rewrite, text)


def _drop_plugin_tags(text: str) -> str:
    """Drop from an included file the tags standard Liquid cannot run (Jekyll's and plugins'), keeping include."""
    return _TAG.sub(lambda m: m.group(0) if m.group(1) in _STANDARD_TAGS or m.group(1) == "include" else "", text)


@functools.cache
def _engine() -> Any:
    """Make the Liquid environment on first use: python-liquid's import (~0.1 s) is skipped by a build whose
    changed files hold no Liquid (the parse cache answers for the rest)."""
    from liquid import Environment, Mode
    from liquid.loader import BaseLoader, TemplateSource

    class _IncludesLoader(BaseLoader):
        """Load `_includes/<name>` of the site being rendered; a missing file renders as nothing, with a warning."""

        def get_source(self, env: Any, template_name: str, **kwargs: object) -> TemplateSource:
            name, _, at = template_name.rpartition("@")
            depth = int(at) if at.isdigit() else 1
            found = _INCLUDES.get()
            text = ""
            if found is not None:
                root, say = found
                path = (root / name).resolve()
                try:
                    inside = path.is_relative_to(root.resolve()) and path.is_file()
                    if inside and path.stat().st_size <= MAX_INCLUDE_BYTES:
                        text = path.read_text(encoding="utf-8", errors="replace")
                    else:
                        say(f"{{% include {name} %}}: no such file in _includes/ (Jekyll stops the build on this); "
                            "rendered as nothing", f"{{% include {name}")
                except OSError as exc:
                    say(f"{{% include {name} %}} could not be read ({exc}); rendered as nothing", f"{{% include {name}")
            text = jekyll_includes(_drop_plugin_tags(text), depth)
            text = _INCLUDE_VAR.sub(lambda m: _include_var(depth, m.group(1)), text)
            return TemplateSource(text, name, None, None)

    engine = Environment(tolerance=Mode.LAX, loader=_IncludesLoader())
    engine.filters = _PassThroughFilters(engine.filters)
    engine.filters.update(relative_url=_relative_url, absolute_url=_absolute_url, slugify=_slugify,
                          markdownify=_markdownify)
    return engine


class LiquidWarning(str):
    """A warning's text, which also carries the body line (1-based) of the tag it is about."""

    line: int | None = None

    def __new__(cls, message: str, line: int | None = None) -> LiquidWarning:
        made = super().__new__(cls, message)
        made.line = line
        return made


class Resolver(Protocol):
    def post_url(self, name: str) -> str | None: ...

    def link(self, path: str) -> str | None: ...


class LinkTable:
    """Every post's URL by its file path, so `post_url` and `link` resolve against the posts being loaded."""

    def __init__(self, posts: Iterable[tuple[str, str]], baseurl: str = "") -> None:
        self._urls = dict(posts)  # content-relative path -> URL (baseurl included)
        self._baseurl = baseurl

    def post_url(self, name: str) -> str | None:
        """Find a post named like `2024-01-02-slug` or `folder/2024-01-02-slug` (Jekyll's PostComparer)."""
        match = re.match(r"^(.+/)*(\d+-\d+-\d+)-(.*)$", name.lstrip("/"))
        if not match:
            return None
        folder = match.group(1) or ""
        stem = re.escape(f"{match.group(2)}-{match.group(3)}")
        pattern = re.compile(rf"^(?:_posts/{re.escape(folder)}{stem}|{re.escape(folder)}_posts/?{stem})\.[^.]+$")
        for path, url in self._urls.items():
            if pattern.match(path):
                return url
        return None

    def link(self, path: str) -> str | None:
        """Find the post at a site-relative file path, as `{% link _posts/2024-01-02-slug.md %}` names it."""
        return self._urls.get(posixpath.normpath(path.strip().lstrip("/")))

    def guess(self, path: str) -> str:
        """Guess a page's URL from its path, as Jekyll's default permalinks would make it.

        A page keeps its path; a document of a collection (`_docs/x.md`) goes under the collection's name.
        """
        stem, ext = posixpath.splitext(path.strip().lstrip("/"))
        stem = stem[1:] if stem.startswith("_") and "/" in stem else stem
        ext = ".html" if ext.lower() in {".md", ".markdown", ".html", ".htm"} else ext
        return f"{self._baseurl}/{stem}{ext}"


def render_liquid(
    body: str,
    site: dict[str, Any],
    resolve_post: Callable[[str], str | None] | Resolver,
    warn: Callable[[str], None],
    page: dict[str, Any] | None = None,
    includes: Path | None = None,
) -> str:
    """Replace the Liquid Jekyll users write in posts and pages (includes from `includes`); drop the rest, warning."""
    kept: list[str] = []

    def line_of(tag: str) -> int | None:
        at = body.find(tag)
        return body.count("\n", 0, at) + 1 if at >= 0 else None

    def say(message: str, tag: str) -> None:
        warn(LiquidWarning(message, line_of(tag)))

    def keep(text: str) -> str:
        kept.append(text)
        return _PLACEHOLDER.format(len(kept) - 1)

    def highlight(match: re.Match[str]) -> str:
        code = match.group("code").strip("\r\n")
        fence = "~~~" if "```" in code else "```"
        lead = "" if match.group("open") is not None else "\n"
        return f"{lead}{fence}{match.group('lang')}\n{code}\n{fence}"

    text = _RAW.sub(lambda m: keep(m.group(1)), body)
    text = _COMMENT.sub("", text)
    text = _HIGHLIGHT.sub(highlight, text)
    resolver = resolve_post if not callable(resolve_post) else None
    lookup = resolver.post_url if resolver is not None else resolve_post  # type: ignore[union-attr]

    def post_url(match: re.Match[str]) -> str:
        url = lookup(match.group(1))  # type: ignore[operator]
        if url is None:
            say(f"{{% post_url {match.group(1)} %}} names no post in this site (Jekyll stops the build on this)",
                match.group(0))
            return "#"
        return url

    def link(match: re.Match[str]) -> str:
        path = _OUTPUT.sub(lambda m: _output(m.group(1), site, page), match.group(1)).strip()
        path = _value(path, site, page) if _STRING.match(path) else path
        url = resolver.link(path) if resolver is not None else None
        if url is None:
            guess = resolver.guess(path) if isinstance(resolver, LinkTable) else "/" + path.lstrip("/")
            say(f"{{% link {path} %}} names no post in this site; linked to {guess}", match.group(0))
            return guess
        return url

    text = _POST_URL.sub(post_url, text)
    text = _LINK.sub(link, text)

    def drop_tag(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _STANDARD_TAGS or (name == "include" and includes is not None):
            return match.group(0)
        if name in ("include", "include_relative", "render", "include_cached"):
            say(f"{{% {name}{match.group(2).rstrip()} %}} was dropped: Broadsheet reads posts only, not includes",
                match.group(0))
        elif not name.startswith("end"):
            say(f"Liquid tag {{% {name} %}} is not supported and was dropped (its contents are kept)", match.group(0))
        return ""

    text = _TAG.sub(drop_tag, text)
    if includes is not None:
        text = jekyll_includes(text)
    if "{" in text:
        text = _standard_liquid(text, site, page, say, includes)
    return re.sub(r"\x00liquid(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _standard_liquid(text: str, site: dict[str, Any], page: dict[str, Any] | None,
                     say: Callable[[str, str], None], includes: Path | None = None) -> str:
    """Render standard Liquid; if it cannot be parsed, drop its tags and fill in plain values instead."""
    engine = _engine()
    from liquid.exceptions import LiquidError  # imported by _engine() above: only a lookup

    token = _SITE.set(site)
    folder = _INCLUDES.set((includes, say) if includes is not None else None)
    try:
        return engine.from_string(text).render(site=site, page=page or {}, post=page or {})
    except (LiquidError, RecursionError, ValueError, TypeError) as exc:
        say(f"Liquid in this post could not be run ({exc}); its tags were dropped", "{%")
        text = _TAG.sub("", text)
        return _OUTPUT.sub(lambda m: _output(m.group(1), site, page), text)
    finally:
        _SITE.reset(token)
        _INCLUDES.reset(folder)


def _output(expression: str, site: dict[str, Any], page: dict[str, Any] | None) -> str:
    """Evaluate `{{ value | filter ... }}` for the values and URL filters Jekyll posts use."""
    value, *filters = [part.strip() for part in expression.split("|")]
    text = _value(value, site, page)
    for spec in filters:
        name, _, argument = spec.partition(":")
        name, arg = name.strip(), _value(argument.strip(), site, page) if argument else ""
        baseurl = str(site.get("baseurl") or "").rstrip("/")
        if name == "relative_url":
            text = f"{baseurl}/{text.lstrip('/')}" if not re.match(r"^[a-z][a-z0-9+.-]*:", text) else text
        elif name == "absolute_url":
            text = f"{str(site.get('url') or '').rstrip('/')}{baseurl}/{text.lstrip('/')}"
        elif name == "append":
            text += arg
        elif name == "prepend":
            text = arg + text
    return text


def _value(expression: str, site: dict[str, Any], page: dict[str, Any] | None) -> str:
    """Read a quoted string, `site.*` or `page.*`/`post.*`; anything else is empty, as Liquid's nil prints."""
    if literal := _STRING.match(expression.strip()):
        return literal.group(1) if literal.group(1) is not None else literal.group(2)
    parts = expression.strip().split(".")
    scopes = {"site": site, "page": page or {}, "post": page or {}}
    value: Any = scopes.get(parts[0])
    for part in parts[1:]:
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None or isinstance(value, (dict, list)) else str(value)
