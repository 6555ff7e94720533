"""Known-item queries made from real posts, the same for every engine: seeded, so every run asks the same things.

For each post: 2-3 distinctive title words; the same with two letters swapped; the last of them cut short as while
typing; a harder typo (a letter dropped or replaced); 2-3 rare consecutive words from the body. Words are taken as
a reader would type them (split at spaces, outer punctuation stripped), so `4.4.1`, `cloud.gov` and
`evidence-based` stay whole. Rarity is counted here, over the posts' own words, with no engine's analysis.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

FORMS = ("title", "title_swapped", "title_prefix", "title_typo", "body")
FORM_NAMES = {
    "title": "title words",
    "title_swapped": "title, swapped letters",
    "title_prefix": "title, last word cut short",
    "title_typo": "title, dropped/replaced letter",
    "body": "rare body words",
}
DEFAULT_SEED = 15
# Common English words: never "distinctive", whatever their count in one blog.
_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before being below between both but
by can could did do does doing down during each few for from further had has have having he her here hers him his how
i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own same
she should so some such than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours new how via vs get got use using
"""
STOP = frozenset(_STOP_TEXT.split())
_EDGE = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class PostLike(Protocol):
    """What the generator reads of a post (service.content.models.Post has it)."""

    path: str
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class KnownItem:
    """One query and the post it must find."""

    form: str
    q: str
    target: str  # the post's Jekyll id
    split: str  # "dev" (weights were chosen on these) or "held-out"


def display_text(title: str) -> str:
    """Return a title as a browser shows it: Jekyll writes titles into pages as HTML."""
    return html.unescape(re.sub(r"<[^>]*>", "", title))


def typed_words(text: str) -> list[str]:
    """Split text into words as a reader types them: at spaces, without the punctuation around a word."""
    words = []
    for raw in text.split():
        word = _EDGE.sub("", raw)
        if word and any(ch.isalnum() for ch in word):
            words.append(word)
    return words


def split_of(post_path: str) -> str:
    """Put a post in the dev or held-out half by a hash of its file name (the same in every copy of a blog)."""
    name = post_path.rsplit("/", 1)[-1]
    return "dev" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "held-out"


def document_frequencies(texts: Iterable[str]) -> Counter[str]:
    """Count in how many texts each lower-cased typed word occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({w.lower() for w in typed_words(text)})
    return counts


def _eligible(word: str) -> bool:
    return word.lower() not in STOP and len(word) >= 2


def _distinctive(title: str, df: Counter[str], rng: random.Random) -> list[str]:
    """Return 2-3 of the title's rarest words, in title order (fewer if the title has fewer)."""
    words = []
    for w in typed_words(title):
        if _eligible(w) and w.lower() not in {x.lower() for x in words}:
            words.append(w)
    want = min(len(words), rng.choice((2, 3)))
    ranked = sorted(range(len(words)), key=lambda i: (df[words[i].lower()], rng.random()))[:want]
    return [words[i] for i in sorted(ranked)]


def _swap(word: str, rng: random.Random) -> str | None:
    spots = [i for i in range(len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha()
             and word[i].lower() != word[i + 1].lower()]
    if len(word) < 4 or not spots:
        return None
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _typo(word: str, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(word) if ch.isalpha()]
    if sum(1 for ch in word if ch.isalpha()) < 5 or not spots:
        return None
    i = rng.choice(spots)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1:]
    letter = rng.choice([c for c in _LETTERS if c != word[i].lower()])
    return word[:i] + letter + word[i + 1:]


Change = Callable[[str, random.Random], str | None]


def _with_one_changed(words: list[str], change: Change, rng: random.Random) -> str | None:
    order = list(range(len(words)))
    rng.shuffle(order)
    for i in order:
        changed = change(words[i], rng)
        if changed:
            return " ".join(words[:i] + [changed] + words[i + 1:])
    return None


def _cut_short(words: list[str], rng: random.Random) -> str | None:
    last = words[-1]
    if len(last) < 4:
        return None
    keep = rng.randint(3, len(last) - 1)
    return " ".join(words[:-1] + [last[:keep]])


def _body_run(text: str, df: Counter[str], rng: random.Random) -> str | None:
    """Return 2-3 consecutive plain words of the body whose commonest word is as rare as possible."""
    tokens = text.split()
    size = rng.choice((2, 3))
    best: tuple[tuple[int, int, float], str] | None = None
    for start in range(len(tokens) - size + 1):
        window = tokens[start:start + size]
        # consecutive as typed: no sentence or clause break inside the window
        if any(not re.fullmatch(r"[A-Za-z][A-Za-z'’-]*", _EDGE.sub("", t) or "-") for t in window):
            continue
        if any(t[-1] in ".,;:!?)" for t in window[:-1]):
            continue
        words = [_EDGE.sub("", t) for t in window]
        if any(not _eligible(w) or len(w) < 3 for w in words):
            continue
        key = (max(df[w.lower()] for w in words), sum(df[w.lower()] for w in words), rng.random())
        if best is None or key < best[0]:
            best = (key, " ".join(words))
    return best[1] if best else None


def known_items(posts: Sequence[PostLike], seed: int = DEFAULT_SEED) -> list[KnownItem]:
    """Return every form of known-item query for each post (a form is skipped when a post cannot make it)."""
    df = document_frequencies(f"{display_text(p.title)}\n{p.text}" for p in posts)
    items: list[KnownItem] = []
    for post in posts:
        rng = random.Random(f"{seed}:{post.path}")
        split = split_of(post.path)
        title = _distinctive(display_text(post.title), df, rng)
        made: dict[str, str | None] = {}
        if title:
            made["title"] = " ".join(title)
            made["title_swapped"] = _with_one_changed(title, _swap, rng)
            made["title_prefix"] = _cut_short(title, rng)
            made["title_typo"] = _with_one_changed(title, _typo, rng)
        made["body"] = _body_run(post.text, df, rng)
        for form in FORMS:
            q = made.get(form)
            if q:
                items.append(KnownItem(form, q, post.id, split))
    return items


def title_words_alone(posts: Sequence[PostLike]) -> list[tuple[str, str, int]]:
    """Return (word, post id, titles holding it) for every title word of every post, each typed alone."""
    holders: Counter[str] = Counter()
    for post in posts:
        holders.update({w.lower() for w in typed_words(display_text(post.title)) if _eligible(w)})
    out = []
    for post in posts:
        seen: set[str] = set()
        for word in typed_words(display_text(post.title)):
            if _eligible(word) and word.lower() not in seen:
                seen.add(word.lower())
                out.append((word, post.id, holders[word.lower()]))
    return out
