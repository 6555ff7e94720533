"""Finding posts without a search: as-you-type suggestions and a post's related posts, over an opened build."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import orjson
from whoosh.query import And, Query, Term

from service.search import vocabulary
from service.search.models import PostFilter
from service.search.whoosh.bits import Bits
from service.search.whoosh.clauses import Or
from service.search.whoosh.planner import MAX_COMPLETIONS
from service.search.whoosh.schema import COMMON_WORDS, FUNCTION_STEMS, typed_words
from service.search.whoosh.scoring import OPTIMIZE

RELATED_POOL = 40
RELATED_COMMON_SHARE = 0.05  # a word in more than this share of posts is no sign of relatedness


class Build(Protocol):
    """What suggestions and related posts need of an opened build (reader.WhooshIndex is one)."""

    def docsets(self) -> Any: ...
    def allowed(self, kind: str, filters: PostFilter) -> int: ...
    def top(self, q: Query, allowed: int, limit: int) -> list[tuple[int, float]]: ...
    def list_record(self, docnum: int, kind: str) -> dict[str, Any]: ...


def suggest(ix: Build, vocab: Mapping[str, vocabulary.Vocabulary], prefix: str, limit: int) -> list[dict[str, Any]]:
    """Complete what is being typed: titles that match it, then words that start like its last word."""
    typed = typed_words(prefix)  # cloud.g: one word being typed, not its parts
    if not typed:
        return []
    done, last = typed[:-1], typed[-1]
    finished = prefix[-1:].isspace()
    out: list[dict[str, Any]] = []
    titles = [last] if finished else vocab["titlew"].completions(last, MAX_COMPLETIONS)
    if titles:
        parts: list[Query] = [Term("titlew", w) for w in done]
        parts.append(Or([Term("titlew", w) for w in titles]))
        # top() orders equal scores newest first, as a fresh build and an incremental one agree on
        for docnum, _ in ix.top(And(parts), ix.allowed("post", PostFilter()), max(1, limit // 2 + 1)):
            summary = ix.list_record(docnum, "post")
            out.append({"text": summary["title"], "kind": "title", "slug": summary["slug"], "id": summary["id"],
                        **({"other_ids": summary["other_ids"]} if summary.get("other_ids") else {})})
    if not finished:
        head = " ".join(done)
        for word in vocab["words"].completions(last, limit * 2):
            if len(out) >= limit:
                break
            if word not in COMMON_WORDS and len(word) > 2 and word != last:
                out.append({"text": f"{head} {word}".strip(), "kind": "term"})
    return out[:limit]


def related(ix: Build, searcher: Any, docnum: int, limit: int) -> list[dict[str, Any]]:
    """Return the posts most like the post at docnum: shared words and categories."""
    record = orjson.loads(searcher.stored_fields(docnum)["record"])
    posts = Bits(ix.allowed("post", PostFilter()))
    # Words many posts use say little about this one, and their long postings make the query slow.
    common = max(3, int(len(posts) * RELATED_COMMON_SHARE))
    key_terms = [(t, w) for t, w in searcher.key_terms_from_text("body", record["text"], numterms=40)
                 if len(t) > 2 and t not in FUNCTION_STEMS and ix.docsets().frequency("body", t) <= common]
    text_scores: dict[int, float] = {}
    if key_terms:
        similar = searcher.search(Or([Term("body", t, boost=w) for t, w in key_terms[:12]]), filter=posts,
                                  limit=RELATED_POOL + 1, optimize=OPTIMIZE)
        text_scores = {hit.docnum: hit.score for hit in similar}
    # the post is most like itself: its own score says what "very similar" means for this post
    own = text_scores.pop(docnum, 0.0) or max(text_scores.values(), default=0.0) or 1.0
    categories = {c["slug"] for c in record.get("categories", [])}
    tags = {t["slug"] for t in record.get("tags", [])}
    labels = [Term("category", c) for c in categories] + [Term("tag", t) for t in tags]
    if labels and len(text_scores) < RELATED_POOL:  # few posts share words: fill up with the newest sharing labels
        sharing = searcher.search(Or(labels), filter=posts, limit=RELATED_POOL, sortedby="date", reverse=True)
        for hit in sharing:
            text_scores.setdefault(hit.docnum, 0.0)
    text_scores.pop(docnum, None)
    ranked = []
    for other, score in text_scores.items():
        summary = ix.list_record(other, "post")
        shared_categories = len(categories & {c["slug"] for c in summary.get("categories", [])})
        shared_tags = len(tags & {t["slug"] for t in summary.get("tags", [])})
        blended = (0.6 * min(1.0, score / own) + 0.3 * shared_categories / max(1, len(categories))
                   + 0.1 * shared_tags / max(1, len(tags)))
        ranked.append((blended, summary["date"], summary))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [summary for _, _, summary in ranked[:limit]]
