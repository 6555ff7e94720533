"""Read a content folder into Post objects, reporting every file it cannot use."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from marshmallow import ValidationError

from service.content import jekyll
from service.content.files import (
    FrontMatterError,
    SourceFile,
    find_post_files,
    load_front_matter,
    read_source,
    split_front_matter,
)
from service.content.liquid import render_liquid
from service.content.markdown import Rendered, html_to_text, render_markdown
from service.content.models import Heading, Image, Link, Post, PostRef, Problem, Quote
from service.content.site import SiteConfig, load_site_config
from service.schemas.front_matter import FRONT_MATTER

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
) -> LoadResult:
    """Read every post under content_dir; hidden posts are kept apart unless preview is on."""
    site, problems = load_site_config(content_dir)
    result = LoadResult(site=site, problems=list(problems))
    sources = find_post_files(content_dir, drafts=preview or site.show_drafts)
    result.files = len(sources)
    now = now or datetime.now(UTC)
    by_slug: dict[str, Post] = {}
    for done, source in enumerate(sources, 1):
        post, file_problems = load_post(source, site)
        result.problems.extend(file_problems)
        if progress:
            progress(done, len(sources))
        if post is None:
            continue
        if post.slug in by_slug:
            other = by_slug[post.slug]
            result.problems.append(Problem(post.path, None, "error", f"duplicate slug {post.slug!r}: {other.path} already uses it"))
            continue
        by_slug[post.slug] = post
        visible = (
            preview
            or (post.published and (not post.draft or site.show_drafts) and (post.date <= now or site.future))
            or (not post.published and site.unpublished)
        )
        (result.posts if visible else result.hidden).append(post)
    result.posts.sort(key=lambda p: (p.date, p.slug), reverse=True)
    return result


def load_post(source: SourceFile, site: SiteConfig) -> tuple[Post | None, list[Problem]]:
    """Read one post file; on an error return None and the problems that explain it."""
    text, raw, problems = read_source(source)
    if text is None:
        return None, problems
    split = split_front_matter(text, raw)
    name = PurePosixPath(source.path).name
    parts = jekyll.parse_post_filename(name)
    if parts is None and not source.draft:
        return None, [*problems, Problem(source.path, None, "error", "file name is not YYYY-MM-DD-slug.ext, so Jekyll does not read it as a post")]
    try:
        raw_matter = load_front_matter(split.front_matter)
    except FrontMatterError as exc:
        return None, [*problems, Problem(source.path, exc.line, "error", str(exc))]
    try:
        matter = FRONT_MATTER.load(_with_defaults(raw_matter, source.path, site))
    except ValidationError as exc:
        return None, [*problems, *_schema_problems(source.path, exc, split.front_matter or "")]

    warnings: list[str] = []
    date_text, file_slug, ext = parts or ("", PurePosixPath(name).stem, PurePosixPath(name).suffix)
    slug = matter["slug"] or file_slug
    try:
        if matter["date"] is None and not date_text:  # a draft without a date: Jekyll uses the file's mtime
            date_text = datetime.fromtimestamp(source.abs_path.stat().st_mtime, site.tz).isoformat()
        when = jekyll.parse_date(matter["date"] if matter["date"] is not None else date_text, site.tz)
    except ValueError as exc:
        return None, [*problems, Problem(source.path, _key_line(split.front_matter or "", "date"), "error", str(exc))]

    categories = jekyll.merge_categories(matter, _categories_before_posts(source.path))
    tags = jekyll.merge_tags(matter)
    title = matter["title"] if matter["title"] is not None else jekyll.title_from_slug(slug)
    url = matter["permalink"] or jekyll.permalink(site.permalink, when=when, slug=slug, categories=categories)
    if site.baseurl:
        url = site.baseurl + url
    post_id = jekyll.post_id(url, slug)
    ref = PostRef(slug=slug, title=title.strip(), url=url)

    body = render_liquid(split.body, site.values, lambda name: None, warnings.append)
    rendered = render_markdown(body)
    separator = matter["excerpt_separator"] or site.excerpt_separator
    excerpt_html, excerpt_text = _excerpt(matter["excerpt"], body, separator)
    words = len(rendered.text.split())
    cover = _image(matter["image"], ref, f"{slug}-cover", "cover") if matter["image"] else None
    post = Post(
        path=source.path,
        id=post_id,
        slug=slug,
        title=title,
        date=when,
        url=url,
        categories=categories,
        tags=tags,
        excerpt_html=excerpt_html,
        excerpt=excerpt_text,
        html=rendered.html,
        text=rendered.text,
        word_count=words,
        reading_time=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        image=cover,
        quotes=_quotes(rendered, ref, slug, categories),
        images=[
            _image({"src": i.src, "alt": i.alt, "title": i.title}, ref, f"{slug}-img{n}", "inline")
            for n, i in enumerate(rendered.images, 1)
        ],
        links=[Link(url=link.url, text=link.text, domain=_domain(link.url)) for link in rendered.links],
        toc=[Heading(h.level, h.text, h.anchor) for h in rendered.toc],
        meta=_plain(matter["meta"] | {k: matter[k] for k in ("layout", "description") if matter[k] is not None}),
        published=matter["published"] is not False,
        draft=source.draft,
        content_hash=split.raw_hash,
    )
    problems.extend(Problem(source.path, None, "warning", w) for w in warnings)
    return post, problems


def _with_defaults(matter: Any, path: str, site: SiteConfig) -> Any:
    if not isinstance(matter, dict) or not site.defaults:
        return matter
    merged: dict[str, Any] = {}
    for rule in site.defaults:
        scope = rule.get("scope") or {}
        scope_path = str(scope.get("path") or "")
        scope_type = scope.get("type")
        if scope_type not in (None, "posts") or not path.startswith(scope_path.strip("/")):
            continue
        values = rule.get("values")
        if isinstance(values, dict):
            merged.update(values)
    return {**merged, **matter}


def _categories_before_posts(path: str) -> list[str]:
    parts = PurePosixPath(path).parts
    cut = parts.index("_posts") if "_posts" in parts else parts.index("_drafts") if "_drafts" in parts else 0
    return list(parts[:cut])


def _excerpt(explicit: str | None, body: str, separator: str) -> tuple[str, str]:
    source = explicit if explicit is not None else body.split(separator, 1)[0] if separator else body
    html = render_markdown(source.strip("\n")).html
    return html, html_to_text(html)


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


def _schema_problems(path: str, exc: ValidationError, matter: str) -> list[Problem]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    problems = []
    for key, errors in messages.items():
        text = "; ".join(str(e) for e in (errors if isinstance(errors, list) else [errors]))
        label = "front matter" if key == "_schema" else f"front matter `{key}`"
        problems.append(Problem(path, _key_line(matter, key), "error", f"{label} {text}"))
    return problems


def _key_line(matter: str, key: str) -> int | None:
    for number, line in enumerate(matter.splitlines(), 2):
        if line.startswith(f"{key}:"):
            return number
    return None


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
