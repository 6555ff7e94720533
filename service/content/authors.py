"""Authors: the names posts give in `author`/`authors`, joined with the records the site keeps about them."""

from __future__ import annotations

from typing import Any

from service.content.jekyll import slugify
from service.content.site_models import Author, Document

_NAME_KEYS = ("display_name", "full_name", "name", "title")
_BIO_KEYS = ("bio", "description", "about", "summary")
_AVATAR_KEYS = ("avatar", "image", "picture", "photo")
_LINK_KEYS = ("url", "website", "web", "email", "twitter", "github", "linkedin", "mastodon", "facebook")


def post_author_names(matter: dict[str, Any]) -> list[str]:
    """The authors a post's front matter (after defaults) names: `authors`, else `author`; text, list or mapping."""
    value = matter.get("authors")
    if value is None or value == [] or value == "":
        value = matter.get("author")
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            found = next((item[k] for k in ("name", "handle", *_NAME_KEYS) if item.get(k)), None)
            if found is not None:
                names.append(str(found))
        elif item is not None and str(item).strip():
            names.append(str(item).strip())
    return list(dict.fromkeys(names))


def author_records(data: dict[str, Any], config: dict[str, Any], documents: list[Document]) -> list[Author]:
    """Every author record the site keeps: `_data/authors`, `authors:` in _config.yml, an `authors` collection."""
    found: dict[str, Author] = {}
    for source in (data.get("authors"), config.get("authors")):
        entries = source.items() if isinstance(source, dict) else (
            ((e.get("handle") or e.get("name"), e) for e in source if isinstance(e, dict))
            if isinstance(source, list) else ())
        for key, record in entries:
            if key is None:
                continue
            author = _author(str(key), record if isinstance(record, dict) else {"name": record})
            found.setdefault(author.slug, author)
    for doc in documents:
        if doc.collection != "authors":
            continue
        stem = doc.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        record = dict(doc.data)
        key = str(record.get("name") or stem) if not isinstance(record.get("name"), dict) else stem
        author = _author(key, record, url=doc.url if doc.output else None)  # output: false writes no page
        if author.bio is None and doc.text.strip():
            author.bio = doc.text.strip()
        kept = found.setdefault(author.slug, author)
        if kept.url is None and doc.output:  # a record kept in _data: this document is its page on the site
            kept.url = doc.url
    return list(found.values())


def _author(key: str, record: dict[str, Any], url: str | None = None) -> Author:
    """Make an author from a record; `key` is the handle posts use (or the display name, when keyed by it)."""
    name = next((str(record[k]) for k in _NAME_KEYS if isinstance(record.get(k), (str, int)) and str(record[k])
                 and not (k == "name" and str(record[k]) == key and record.get("full_name"))), key)
    links = {k: str(record[k]) for k in _LINK_KEYS if isinstance(record.get(k), str) and record[k]}
    if isinstance(record.get("links"), dict):
        links |= {str(k): str(v) for k, v in record["links"].items() if v}
    used = {*_NAME_KEYS, *_BIO_KEYS, *_AVATAR_KEYS, *_LINK_KEYS, "links"}
    return Author(
        slug=slugify(key) or key, name=name, handle=key,
        bio=next((str(record[k]) for k in _BIO_KEYS if isinstance(record.get(k), str) and record[k]), None),
        avatar=next((str(record[k]) for k in _AVATAR_KEYS if isinstance(record.get(k), str) and record[k]), None),
        url=url, links=links, meta={k: v for k, v in record.items() if k not in used})


class AuthorIndex:
    """Find the record a post's author name stands for: by handle, then display name, then slug."""

    def __init__(self, records: list[Author]) -> None:
        self.records = {a.slug: a for a in records}
        self._by = {}
        for author in records:
            for key in (author.handle, author.name, author.slug):
                if key:
                    self._by.setdefault(key.casefold(), author)

    def find(self, name: str) -> Author:
        """Return the record for a name, making a bare {name, slug} author when the site keeps none."""
        found = self._by.get(name.casefold()) or self._by.get((slugify(name) or name).casefold())
        if found is None:
            found = Author(slug=slugify(name) or name, name=name)
            self.records[found.slug] = found
            self._by[name.casefold()] = found
        return found
