"""Second pass over a post: render its body (Liquid, then Markdown) and pull out excerpt, quotes, images, links."""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from service.content.excerpt import excerpt_source
from service.content.header import PostHeader
from service.content.images import DEFAULT_WIDTHS, annotate_images
from service.content.liquid import LinkTable, render_liquid
from service.content.markdown import Rendered, html_to_text, render_markdown
from service.content.models import Image, Link, Post, PostRef, Problem, Quote
from service.content.site import SiteConfig

WORDS_PER_MINUTE = 200


def render_post(header: PostHeader, site: SiteConfig, links: LinkTable, content_dir: Path,
                image_widths: tuple[int, ...] = DEFAULT_WIDTHS) -> tuple[Post, list[Problem]]:
    """Render a post's body (Liquid, then Markdown) and pull out its excerpt, quotes, images and links."""
    warnings: list[str] = []
    matter, slug, path = header.matter, header.slug, header.source.path
    ref = PostRef(slug=slug, title=header.title.strip(), url=header.url, id=header.id)
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
        meta=plain_values(matter["meta"] | {k: matter[k] for k in ("layout", "description") if matter[k] is not None}),
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


def plain_values(value: Any) -> Any:
    """Make front matter values JSON-friendly (YAML dates become ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain_values(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
