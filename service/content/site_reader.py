"""Read the rest of a Jekyll site besides posts: pages, collections, data, authors, redirects and settings.

Called once per build after the posts are read (their URLs feed `{% link %}`, their front matter the authors).
Bodies go through the same Liquid and Markdown path as posts.
"""

from __future__ import annotations

import posixpath
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from service.content.archives import archive_pages
from service.content.authors import AuthorIndex, author_records, post_author_names
from service.content.collections import (
    document_id,
    document_key,
    document_url,
    file_date_and_slug,
    find_documents,
    site_collections,
    sort_documents,
)
from service.content.data import read_data
from service.content.entries import EntryFilter
from service.content.files import FrontMatterError, SourceFile, load_front_matter, read_source, split_front_matter
from service.content.jekyll import PermalinkError, parse_date, title_from_slug
from service.content.liquid import LinkTable, render_liquid
from service.content.loader import includes_dir
from service.content.markdown import html_to_text, render_markdown, sanitise
from service.content.models import Link, Post, Problem
from service.content.pages import MARKDOWN, find_pages, page_url, url_slug
from service.content.redirects import redirect_sources, redirect_target, redirects_for
from service.content.render import plain_values
from service.content.settings import public_settings
from service.content.site import SiteConfig, deep_merge, front_matter_defaults
from service.content.site_models import Collection, Document, SiteContent

# Liquid reaches `site.posts` by that name (also `paginator.posts`, `related_posts`) or through `site` itself used
# as a value: piped to a filter, looped over, subscripted, passed on, printed.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_READS_POSTS = re.compile(r"posts|\bsite\b\s*(?:[|,\[)]|[%}]\}|$)", re.MULTILINE)


def read_site(content_dir: Path, site: SiteConfig, posts: list[Post], now: datetime | None = None, *,
              preview: bool = False) -> SiteContent:
    """Read everything but posts; `posts` are the visible posts, newest first; preview keeps hidden files too."""
    now = now or datetime.now(UTC)
    keep = EntryFilter(site)
    data, data_files, problems = read_data(content_dir, site.values)
    content = SiteContent(settings=public_settings(site.values), data=plain_values(data), data_files=data_files,
                          problems=problems, collections=site_collections(site))
    style = str(site.values.get("permalink") or "date")
    pages = [p for p in (_read(content_dir, path, site, "pages", content.problems) for path in
                         find_pages(content_dir, keep)) if p is not None]
    for doc, _own, data_ in pages:
        doc.url = _url(lambda d=data_, p=doc.path: page_url(p, d.get("permalink"), style), doc, content.problems)
        doc.slug = url_slug(doc.url)
    documents: list[tuple[Document, dict[str, Any], dict[str, Any]]] = []
    for collection in content.collections:
        found = [d for d in (_read(content_dir, path, site, collection.label, content.problems, collection)
                             for path in find_documents(content_dir, collection, keep)) if d is not None]
        for doc, _own, data_ in found:
            when = doc.date or now
            doc.url = _url(lambda d=data_, p=doc.path, c=collection, w=when: document_url(p, c, d, w), doc,
                           content.problems)
            doc.id = document_id(doc.url, data_, doc.path)
            content.clock = content.clock or (doc.date is None and _takes_clock(doc.path, collection, data_, now))
            doc.slug = document_key(doc.path, collection)
        content.due = _first_due([d[0] for d in found], content.due, now)
        shown = [d for d in found if preview or _shown(d[0], site, now)]
        documents += [next(d for d in shown if d[0] is doc) for doc in sort_documents([d[0] for d in shown],
                                                                                      collection)]
    content.due = _first_due([p[0] for p in pages], content.due, now)
    pages = [p for p in pages if preview or _shown(p[0], site, now)]
    links = LinkTable([*((p.path, p.url) for p in posts), *((d.path, d.url) for d, _, _ in pages + documents)],
                      site.baseurl)
    includes = includes_dir(content_dir, site)
    bodies = content.reads_bodies = _reads_posts([d.html for d, _, _ in pages + documents], includes)
    values = {**site.values, "data": data, "posts": _liquid_posts(posts, bodies)}
    for doc, _own, data_ in pages + documents:
        _render(doc, data_, content_dir, values, links, site, content.problems)
    content.pages = sorted((p[0] for p in pages), key=lambda d: d.path)
    content.documents = [d[0] for d in documents]
    content.redirects = _redirects(posts, content, site)
    content.archives = archive_pages(site.values, posts)
    _join_authors(content, posts)
    return content


def _read(content_dir: Path, path: str, site: SiteConfig, kind: str, problems: list[Problem],
          collection: Collection | None = None) -> tuple[Document, dict[str, Any], dict[str, Any]] | None:
    """Read one page or document's front matter (defaults merged in); a broken file is reported and skipped."""
    text, raw, found = read_source(SourceFile(path, content_dir / path))
    problems.extend(found)
    if text is None:
        return None
    split = split_front_matter(text, raw)
    try:
        own = load_front_matter(split.front_matter)
    except FrontMatterError as exc:
        problems.append(Problem(path, exc.line, "error", str(exc)))
        return None
    if not isinstance(own, dict):
        problems.append(Problem(path, 2, "error", "front matter must be a mapping of keys to values"))
        return None
    data = deep_merge(front_matter_defaults(site, path, kind), own)
    doc = Document(kind="document" if collection else "page", path=path, url="", slug="",
                   title=None if data.get("title") is None else str(data["title"]),
                   collection=collection.label if collection else None,
                   layout=None if data.get("layout") is None else str(data["layout"]),
                   published=data.get("published") is not False,
                   output=collection.output if collection else True,
                   front_matter=plain_values(own), data=plain_values(data),
                   redirect_from=redirect_sources(data.get("redirect_from")),
                   redirect_to=redirect_target(data.get("redirect_to")))
    doc.html = split.body  # the source until _render replaces it
    if collection is not None:
        date_text, slug = file_date_and_slug(path)
        source = data.get("date") if data.get("date") is not None else date_text
        if source is not None:
            try:
                doc.date = parse_date(source, site.tz)
            except ValueError as exc:
                problems.append(Problem(path, None, "error", str(exc)))
                return None
        if doc.title is None:  # Document#populate_title
            doc.title = title_from_slug(slug)
        if data.get("slug") is None or data.get("slug") is False:  # ...which then sets `slug` from the file name
            data["slug"] = slug
    return doc, own, data


def _url(make: Any, doc: Document, problems: list[Problem]) -> str:
    try:
        return make()
    except PermalinkError as exc:
        problems.append(Problem(doc.path, None, "error", str(exc)))
        return "/" + doc.path


def _takes_clock(path: str, collection: Collection, data: dict[str, Any], now: datetime) -> bool:
    """Say whether an undated document's URL follows the build's clock (its permalink names date parts)."""
    try:
        return document_url(path, collection, data, now) != document_url(path, collection, data, _EPOCH)
    except PermalinkError:
        return True


def _first_due(docs: list[Document], due: datetime | None, now: datetime) -> datetime | None:
    """Return the earliest date after now among docs and due: when a reindex must decide visibility again."""
    later = [d.date for d in docs if d.date is not None and int(d.date.timestamp()) > int(now.timestamp())]
    return min([*later, *([due] if due else [])], default=None)


def _shown(doc: Document, site: SiteConfig, now: datetime) -> bool:
    """Publisher#publish?: not `published: false` (unless `unpublished`), not dated in the future (unless `future`)."""
    if not doc.published and not site.unpublished:
        return False
    return doc.date is None or site.future or int(doc.date.timestamp()) <= int(now.timestamp())


def _render(doc: Document, data: dict[str, Any], content_dir: Path, values: dict[str, Any], links: LinkTable,
            site: SiteConfig, problems: list[Problem]) -> None:
    """Render a body as a post's is: Liquid, then Markdown for Markdown files (HTML files are only sanitised)."""
    warnings: list[str] = []
    page = {**data, "url": doc.url, "path": doc.path, "title": doc.title, "name": posixpath.basename(doc.path)}
    body = render_liquid(doc.html, values, links, warnings.append, page, includes=includes_dir(content_dir, site))
    if posixpath.splitext(doc.path)[1].lower() in MARKDOWN:
        rendered = render_markdown(body, site.markdown)
        doc.html, doc.text, doc.toc = rendered.html, rendered.text, list(rendered.toc)
        doc.images = [{"src": i.src, "alt": i.alt, "title": i.title} for i in rendered.images]
        doc.links = [Link(url=link.url, text=link.text, domain=_domain(link.url)) for link in rendered.links]
    else:
        doc.html = sanitise(body)
        doc.text = html_to_text(doc.html)
    problems.extend(Problem(doc.path, None, "warning", w) for w in dict.fromkeys(warnings))


def _reads_posts(sources: list[str], includes: Path | None) -> bool:
    """Say whether a body or include could read `site.posts`: by name, or through `site` as a whole value."""
    texts = list(sources)
    for file in sorted(includes.rglob("*")) if includes is not None else []:
        try:
            texts.append(file.read_text(encoding="utf-8", errors="replace") if file.is_file() else "")
        except OSError:
            return True
    return any(_READS_POSTS.search(text) for text in texts)


def _liquid_posts(posts: list[Post], bodies: bool = True) -> list[dict[str, Any]]:
    """Return `site.posts` as a page's Liquid sees it in Jekyll: newest first, with rendered content and excerpt.

    Without bodies (no page can read them) the posts' bodies are left out: a cached post's body is then never read.
    """
    return [{**p.meta, "title": p.title, "url": p.url, "id": p.id, "slug": p.slug, "date": p.date, "path": p.path,
             "categories": p.categories, "tags": p.tags, **({"excerpt": p.excerpt_html, "content": p.html}
                                                            if bodies else {})}
            for p in posts]


def _redirects(posts: list[Post], content: SiteContent, site: SiteConfig) -> list[Any]:
    """Every pair of the documents jekyll-redirect-from visits: written documents (posts first), then pages."""
    written = [*((p.url, p.meta, p.path) for p in posts)]
    written += [(d.url, d.data, d.path) for d in content.documents if d.output]
    written += [(d.url, d.data, d.path) for d in content.pages]
    pairs = []
    for url, data, path in written:
        pairs += redirects_for(url, redirect_sources(data.get("redirect_from")),
                               redirect_target(data.get("redirect_to")), path, site.url, site.baseurl)
    return pairs


def _join_authors(content: SiteContent, posts: list[Post]) -> None:
    """Give every visible post its authors, and every author the posts naming them (newest first)."""
    index = AuthorIndex(author_records(content.data, content.settings, content.documents))
    for post in posts:
        slugs = []
        for name in post_author_names(post.meta):
            author = index.find(name)
            slugs.append(author.slug)
            author.posts.append(post.id)  # ids: a slug may be shared
        content.post_authors[post.path] = list(dict.fromkeys(slugs))
    content.authors = sorted(index.records.values(), key=lambda a: a.slug)


def _domain(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host[4:] if host.startswith("www.") else host
