"""Read a content folder into Post objects, reporting every file it cannot use."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from service.content.excerpt import excerpt_source
from service.content.files import SourceFile, find_post_files
from service.content.header import PostHeader, read_header
from service.content.images import DEFAULT_WIDTHS, annotate_images, link_usage
from service.content.liquid import LinkTable, render_liquid
from service.content.markdown import Rendered, html_to_text, render_markdown
from service.content.models import Image, Link, Post, PostRef, Problem, Quote
from service.content.site import SiteConfig, load_site_config
from service.content.visibility import is_visible

WORDS_PER_MINUTE = 200


@dataclass
class LoadResult:
    site: SiteConfig
    posts: list[Post] = field(default_factory=list)  # visible posts, newest first
    hidden: list[Post] = field(default_factory=list)  # drafts, future and unpublished posts
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_content(
    content_dir: Path,
    *,
    preview: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
) -> LoadResult:
    """Read every post under content_dir; hidden posts are kept apart unless preview is on.

    Two passes, as Jekyll reads every post before it renders any: the first reads front matter and works out
    each post's URL, so `{% post_url %}` and `{% link %}` in the second (rendering) pass can point at them.
    """
    site, problems = load_site_config(content_dir)
    result = LoadResult(site=site, problems=list(problems))
    sources = find_post_files(content_dir, drafts=preview or site.show_drafts, exclude=site.exclude)
    result.files = len(sources)
    now = now or datetime.now(UTC)
    headers: list[PostHeader] = []
    for source in sources:
        header, file_problems = read_header(source, site, now=now)
        result.problems.extend(file_problems)
        if header is not None:
            headers.append(header)
    links = LinkTable(((h.source.path, h.url) for h in headers), site.baseurl)
    by_slug: dict[str, Post] = {}
    for done, header in enumerate(headers, 1):
        post, file_problems = render_post(header, site, links, content_dir, image_widths)
        result.problems.extend(file_problems)
        if progress:
            progress(done, len(headers))
        place_post(result, post, by_slug, now, preview=preview)
    result.posts.sort(key=lambda p: (p.date, p.slug), reverse=True)
    link_usage(result.posts)  # only visible posts: /api/images must not name hidden ones
    return result


def place_post(result: LoadResult, post: Post, by_slug: dict[str, Post], now: datetime, *, preview: bool) -> None:
    """File a loaded post as visible or hidden, warning when another post already has its slug.

    Jekyll keeps both posts of a shared slug (their URLs differ), so both are kept; the API finds posts by slug.
    Incremental builds call this too, so both paths apply the same rules.
    """
    if post.slug in by_slug:
        result.problems.append(duplicate_slug(post, by_slug[post.slug]))
    by_slug.setdefault(post.slug, post)
    (result.posts if is_visible(post, result.site, now, preview=preview) else result.hidden).append(post)


def duplicate_slug(post: Post, first: Post) -> Problem:
    """Report a second post with a slug already taken: Jekyll keeps both, the API (keyed by slug) serves the first."""
    return Problem(post.path, None, "warning", f"duplicate slug {post.slug!r}: also used by {first.path}; Jekyll "
                   f"keeps both (their URLs differ), /api/posts/{post.slug} serves only {first.path}")


def link_table(sources: list[SourceFile], site: SiteConfig) -> LinkTable:
    """Work out every post's URL from its front matter alone, for `post_url` and `link` (first pass)."""
    headers = (read_header(source, site)[0] for source in sources)
    return LinkTable(((h.source.path, h.url) for h in headers if h is not None), site.baseurl)


_SITE_LINKS: dict[Path, tuple[tuple[Any, ...], LinkTable]] = {}


def site_links(content_dir: Path, site: SiteConfig) -> LinkTable:
    """Return the link table of a whole content folder, remembered until a post file or the config changes.

    For a post loaded on its own (incremental builds) that uses `post_url` or `link`.
    """
    sources = find_post_files(content_dir, drafts=True, exclude=site.exclude)
    stamps = []
    for source in sources:
        try:
            stat = source.abs_path.stat()
            stamps.append((source.path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((source.path, 0, 0))
    key = (repr(site), *stamps)
    cached = _SITE_LINKS.get(content_dir)
    if cached is None or cached[0] != key:
        _SITE_LINKS[content_dir] = cached = (key, link_table(sources, site))
    return cached[1]


def load_post(
    source: SourceFile,
    site: SiteConfig,
    image_widths: tuple[int, ...] = DEFAULT_WIDTHS,
    *,
    links: LinkTable | None = None,
    now: datetime | None = None,
) -> tuple[Post | None, list[Problem]]:
    """Read one post file (post_url/link resolve against its content folder); None and the problems on error."""
    header, problems = read_header(source, site, now=now)
    if header is None:
        return None, problems
    content_dir = source.abs_path.parents[len(PurePosixPath(source.path).parts) - 1]
    if links is None:
        uses_links = "post_url" in header.body or re.search(r"\{%-?\s*link\s", header.body)
        links = site_links(content_dir, site) if uses_links else LinkTable([], site.baseurl)
    post, more = render_post(header, site, links, content_dir, image_widths)
    return post, [*problems, *more]


def render_post(header: PostHeader, site: SiteConfig, links: LinkTable, content_dir: Path,
                image_widths: tuple[int, ...] = DEFAULT_WIDTHS) -> tuple[Post, list[Problem]]:
    """Render a post's body (Liquid, then Markdown) and pull out its excerpt, quotes, images and links."""
    warnings: list[str] = []
    matter, slug, path = header.matter, header.slug, header.source.path
    ref = PostRef(slug=slug, title=header.title.strip(), url=header.url)
    page = {**matter["meta"], "title": header.title, "url": header.url, "slug": slug, "id": header.id,
            "date": header.date.strftime("%Y-%m-%d %H:%M:%S %z"), "categories": header.categories, "tags": header.tags}
    includes = includes_dir(content_dir, site)
    body = render_liquid(header.body, site.values, links, warnings.append, page, includes=includes)
    rendered = render_markdown(body, site.markdown)
    excerpt_html, excerpt_text = _excerpt(header, site, links, page, includes)
    words = len(rendered.text.split())
    cover = _image(matter["image"], ref, f"{slug}-cover", "cover") if matter["image"] else None
    post = Post(
        path=path,
        id=header.id,
        slug=slug,
        title=header.title,
        date=header.date,
        url=header.url,
        categories=header.categories,
        tags=header.tags,
        excerpt_html=excerpt_html,
        excerpt=excerpt_text,
        html=rendered.html,
        text=rendered.text,
        word_count=words,
        reading_time=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        image=cover,
        quotes=_quotes(rendered, ref, slug, header.categories),
        images=[
            _image({"src": i.src, "alt": i.alt, "title": i.title}, ref, f"{slug}-img{n}", "inline")
            for n, i in enumerate(rendered.images, 1)
        ],
        links=[Link(url=link.url, text=link.text, domain=_domain(link.url)) for link in rendered.links],
        toc=list(rendered.toc),
        meta=_plain(matter["meta"] | {k: matter[k] for k in ("layout", "description") if matter[k] is not None}),
        published=header.published,
        draft=header.source.draft,
        content_hash=header.content_hash,
    )
    problems = [Problem(path, _body_line(header, w), "warning", w) for w in dict.fromkeys(warnings)]
    problems.extend(annotate_images([post.image, *post.images], content_dir, path, image_widths))
    return post, problems


def includes_dir(content_dir: Path, site: SiteConfig) -> Path | None:
    """Return the site's `_includes` folder (Jekyll's `includes_dir`), if it has one."""
    folder = content_dir / str(site.values.get("includes_dir") or "_includes")
    return folder if folder.is_dir() else None


def _excerpt(header: PostHeader, site: SiteConfig, links: LinkTable, page: dict[str, Any],
             includes: Path | None = None) -> tuple[str, str]:
    """Jekyll's excerpt: front matter `excerpt` as written (Jekyll does not render it), else the body's head."""
    explicit = header.matter["excerpt"]
    if explicit is not None:
        return render_markdown(explicit, site.markdown).html, html_to_text(explicit)
    separator = header.matter["excerpt_separator"]
    source = excerpt_source(header.body, separator if separator is not None else site.excerpt_separator,
                            crlf=header.crlf)
    if source is None:
        return "", ""
    html = render_markdown(render_liquid(source, site.values, links, lambda _: None, page, includes=includes),
                           site.markdown).html
    return html, html_to_text(html)


def _body_line(header: PostHeader, warning: str) -> int | None:
    line = getattr(warning, "line", None)
    return header.body_line + line - 1 if line else None


def _quotes(rendered: Rendered, ref: PostRef, slug: str, categories: list[str]) -> list[Quote]:
    return [
        Quote(id=f"{slug}-q{n}", text=q.text, html=q.html, attribution=q.attribution, post=ref, categories=categories)
        for n, q in enumerate(rendered.quotes, 1)
        if q.text.strip()
    ]


def _image(spec: dict[str, Any], ref: PostRef, image_id: str, role: str) -> Image:
    src = spec["src"]
    for prefix in ("{{ site.baseurl }}", "{{site.baseurl}}", "{{ site.url }}", "{{site.url}}"):
        src = src.replace(prefix, "")
    parsed = urlparse(src)
    remote = bool(parsed.scheme or src.startswith("//"))
    local = None if remote else PurePosixPath(parsed.path.lstrip("/")).as_posix()
    url = src if remote else f"/media/{local}"
    return Image(
        id=image_id,
        src=spec["src"],
        url=url,
        alt=spec.get("alt") or "",
        title=spec.get("title"),
        local_path=local,
        post=ref,
        role=role,
    )


def _domain(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def _plain(value: Any) -> Any:
    """Make front matter values JSON-friendly (YAML dates become ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
