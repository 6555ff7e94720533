"""Generate deterministic corpora of Jekyll posts shaped like the seed post, for the benchmarks.

Every word is made here from syllables, so no text is copied from anywhere; word frequencies follow Zipf's
law as natural language does, which matters for search: a few terms match most posts, most terms match few.
Each post has its own seeded random generator, so post i is the same whatever the corpus size and corpora
can be written in parallel.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

GENERATOR_VERSION = "1"  # bump when the output changes, so cached corpora are rebuilt
DEFAULT_SEED = 7
CACHE = Path(__file__).resolve().parent / ".cache"
COMPLETE = ".complete"
EDITING = ".editing"  # names the post a benchmark has changed, so a killed run's edit is undone next time

# Short words written by hand: in real prose these take the top ranks of the frequency table.
_FUNCTION_TEXT = (
    "the of and to a in is that for it on was with as by at be this from or are have an not but had they "
    "which one were all we when there can been has more their if will would who so out up about into than "
    "them its only also after over two new some could these other may then most first"
)
FUNCTION_WORDS = tuple(_FUNCTION_TEXT.split())
_ONSET_TEXT = "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr r s sc sh sl sp st str t th tr v w z"
_ONSETS = tuple(_ONSET_TEXT.split())
_NUCLEI = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "oa", "ou", "ie"]
_CODAS = ["", "", "", "n", "r", "l", "s", "t", "nd", "rt", "st", "m", "ck", "ng", "x"]
_SUFFIXES = ["", "", "", "", "s", "ed", "ing", "er", "ly", "ment", "tion", "ness"]
_ROLES = (
    "spokesperson for",
    "director of",
    "a researcher at",
    "founder of",
    "chair of",
    "an analyst at",
    "a volunteer with",
    "head of policy at",
)
_OFFSETS = ("+0000", "+0000", "+0000", "-0500", "-0800", "+0100", "+0200", "+0530", "+0900", "-0300")
_TLDS = (".com", ".org", ".net", ".io", ".news")
VOCABULARY_SIZE = 6000
CATEGORY_COUNT = 24
TAG_COUNT = 240
IMAGE_COUNT = 40
ZIPF_S = 1.05


@dataclass(frozen=True)
class Vocabulary:
    """Ranked words (most frequent first) and the cumulative Zipf weights to draw them with."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    domains: tuple[str, ...]

    @property
    def content_words(self) -> tuple[str, ...]:
        """Return the ranked words a reader would search for: the generated ones, not the function words."""
        return self.words[len(FUNCTION_WORDS) :]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        """Draw k words with Zipf-distributed frequencies."""
        total = self.cumulative[-1]
        cum, words, pick = self.cumulative, self.words, bisect.bisect
        return [words[pick(cum, rng.random() * total)] for _ in range(k)]


def _syllable(rng: random.Random) -> str:
    return rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)


def _make_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        word = "".join(_syllable(rng) for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))) + rng.choice(_SUFFIXES)
        if 4 <= len(word) <= 14 and word not in taken:
            taken.add(word)
            out.append(word)
    return out


@cache
def vocabulary(seed: int = DEFAULT_SEED) -> Vocabulary:
    """Build the seeded vocabulary, category, tag and domain names a corpus is written with."""
    rng = random.Random(f"vocabulary:{seed}")
    taken = set(FUNCTION_WORDS)
    # Frequent words are short in every language (Zipf's law of abbreviation): rank the made-up ones by length.
    words = list(FUNCTION_WORDS) + sorted(_make_words(rng, VOCABULARY_SIZE - len(FUNCTION_WORDS), taken), key=len)
    weights = [1.0 / (rank**ZIPF_S) for rank in range(1, len(words) + 1)]
    names = _make_words(rng, CATEGORY_COUNT + TAG_COUNT + 60, taken)
    categories = [n.capitalize() for n in names[:CATEGORY_COUNT]]
    tags = names[CATEGORY_COUNT : CATEGORY_COUNT + TAG_COUNT]
    domains = [n + rng.choice(_TLDS) for n in names[CATEGORY_COUNT + TAG_COUNT :]]
    return Vocabulary(
        tuple(words), tuple(itertools.accumulate(weights)), tuple(categories), tuple(tags), tuple(domains)
    )


def zipf_pick(rng: random.Random, items: Sequence[str], s: float = ZIPF_S) -> str:
    """Pick one item, the first ones far more often than the last (rank^-s)."""
    cum = list(itertools.accumulate(1.0 / (r**s) for r in range(1, len(items) + 1)))
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def _sentence(rng: random.Random, vocab: Vocabulary, low: int = 8, high: int = 22) -> str:
    words = vocab.draw(rng, rng.randint(low, high))
    if len(words) > 10 and rng.random() < 0.4:
        words[rng.randint(3, len(words) - 4)] += ","
    return " ".join(words).capitalize() + rng.choice(".........?!")


def _name(rng: random.Random) -> str:
    return f"{_syllable(rng).capitalize()}{_syllable(rng)} {(_syllable(rng) + _syllable(rng)).capitalize()}"


def _link(rng: random.Random, vocab: Vocabulary, text: str) -> str:
    domain = zipf_pick(rng, vocab.domains)
    path = "/".join(vocab.draw(rng, rng.randint(1, 3)))
    url = f"https://{domain}/{rng.randint(2010, 2025)}/{path}"
    if rng.random() < 0.3:
        url += f"?utm_source=feed&id={rng.randint(1000, 999999)}"
    return f"[**{text}**]({url})" if rng.random() < 0.3 else f"[{text}]({url})"


def _paragraph(rng: random.Random, vocab: Vocabulary) -> tuple[str, int]:
    sentences = [_sentence(rng, vocab) for _ in range(rng.randint(2, 6))]
    if rng.random() < 0.5:  # a link over a few words of one sentence, as news posts cite sources
        n = rng.randrange(len(sentences))
        parts = sentences[n].split(" ")
        at = rng.randrange(max(1, len(parts) - 3))
        span = rng.randint(1, 3)
        parts[at : at + span] = [_link(rng, vocab, " ".join(parts[at : at + span]).rstrip(",.?!"))]
        sentences[n] = " ".join(parts)
    text = " ".join(sentences)
    return text, len(text.split())


def _quote(rng: random.Random, vocab: Vocabulary) -> str:
    lines = [_sentence(rng, vocab) for _ in range(rng.randint(1, 4))]
    quote = "> " + " ".join(lines)
    if rng.random() < 0.8:  # the seed's attribution: a nested blockquote line in bold italics
        who = _name(rng)
        if rng.random() < 0.4:
            who += f", {rng.choice(_ROLES)} {zipf_pick(rng, vocab.categories)}"
        quote += f"\n>\n> > **_{who}_**"
    return quote


def _image_path(rng: random.Random) -> str:
    n = rng.randrange(IMAGE_COUNT)
    return f"/assets/images/bench-{n:02d}.{'jpg' if n % 2 else 'png'}"


def post_text(i: int, seed: int = DEFAULT_SEED) -> tuple[str, str]:
    """Return the file name and the text of post number i of the seeded corpus."""
    rng = random.Random(f"post:{seed}:{i}")
    vocab = vocabulary(seed)
    title_words = vocab.draw(rng, rng.randint(4, 9))
    title = " ".join(w.capitalize() if n == 0 or len(w) > 3 else w for n, w in enumerate(title_words))
    slug = "-".join(title_words[:6]) + f"-{i:x}"  # the suffix keeps slugs unique, as a real blog's are
    start = datetime(2011, 1, 1, tzinfo=UTC)
    moment = start + timedelta(seconds=rng.randrange(int(timedelta(days=365 * 14).total_seconds())))
    offset = rng.choice(_OFFSETS)
    tz = timezone(timedelta(hours=int(offset[:3]), minutes=int(offset[0] + offset[3:])))
    local = moment.astimezone(tz).replace(second=0)
    categories = sorted({zipf_pick(rng, vocab.categories) for _ in range(rng.choice((1, 1, 2, 2, 3)))})
    tags = sorted({zipf_pick(rng, vocab.tags) for _ in range(rng.choice((0, 1, 2, 3, 4)))})
    front = ["---", "layout: post", f"title: {title}", "categories:", *[f"- {c}" for c in categories]]
    if tags:
        front += ["tags:", *[f"- {t}" for t in tags]]
    if rng.random() < 0.85:
        front.append(f'image: "{_image_path(rng)}"')
    front += [f"date: {local:%Y-%m-%d %H:%M:%S} {offset}", "", "---"]
    blocks: list[str] = []
    target = int(rng.gauss(600, 120))
    written = 0
    while written < target:
        roll = rng.random() if blocks and not blocks[-1].startswith(("#", ">", "!")) else 1.0
        if roll < 0.08:
            blocks.append(f"## {_sentence(rng, vocab, 2, 6).rstrip('.?!')}")
        elif roll < 0.16:
            blocks.append(_quote(rng, vocab))
        elif roll < 0.21:
            alt = " ".join(vocab.draw(rng, rng.randint(3, 8))).capitalize()
            caption = f' "{" ".join(vocab.draw(rng, 3)).capitalize()}"' if rng.random() < 0.5 else ""
            blocks.append(f"![{alt}]({_image_path(rng)}{caption})")
        else:
            text, n = _paragraph(rng, vocab)
            blocks.append(text)
            written += n
    name = f"{local:%Y-%m-%d}-{slug}.md"
    return name, "\n".join(front) + "\n" + "\n\n".join(blocks) + "\n"


def _write_range(out: str, seed: int, start: int, stop: int) -> None:
    posts = Path(out) / "_posts"
    for i in range(start, stop):
        name, text = post_text(i, seed)
        (posts / name).write_text(text, encoding="utf-8")


def _write_images(images: Path, seed: int) -> None:
    """Write small real images so image metadata (dimensions, placeholders) has something to read."""
    from PIL import Image  # Pillow is a runtime dependency of the service already

    images.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"images:{seed}")
    for n in range(IMAGE_COUNT):
        size = (rng.choice((320, 480, 640, 800)), rng.choice((200, 240, 360, 450)))
        colour = tuple(rng.randrange(256) for _ in range(3))
        image = Image.new("RGB", size, colour)
        for y in range(0, size[1], 8):  # stripes, so the files are not trivially compressible
            image.paste(tuple(rng.randrange(256) for _ in range(3)), (0, y, size[0], y + 3))
        image.save(images / f"bench-{n:02d}.{'jpg' if n % 2 else 'png'}", quality=70)


def generate(out: Path, count: int, seed: int = DEFAULT_SEED, jobs: int | None = None) -> Path:
    """Write a content folder of count posts (and its images) into out, replacing what was there."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "_posts").mkdir(parents=True)
    _write_images(out / "assets" / "images", seed)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or count < 2 * jobs:
        _write_range(str(out), seed, 0, count)
    else:
        step = -(-count // (jobs * 4))
        with ProcessPoolExecutor(jobs) as pool:
            starts = range(0, count, step)
            list(
                pool.map(
                    _write_range,
                    [str(out)] * len(starts),
                    [seed] * len(starts),
                    starts,
                    [min(s + step, count) for s in starts],
                )
            )
    (out / COMPLETE).write_text(f"{count} posts, seed {seed}, generator {GENERATOR_VERSION}\n")
    return out


def _restore(corpus: Path, name: str, seed: int) -> None:
    number = int(Path(name).stem.rsplit("-", 1)[1], 16)  # post i's slug ends in i, in hex
    _, text = post_text(number, seed)
    (corpus / "_posts" / name).write_text(text, encoding="utf-8")


@contextmanager
def edited_post(
    corpus: Path, seed: int = DEFAULT_SEED, sentence: str = "An added closing sentence, so this post changed."
) -> Iterator[Path]:
    """Append a sentence to one post for the block (an author's small edit), then put it back."""
    victim = sorted((corpus / "_posts").iterdir())[len(list((corpus / "_posts").iterdir())) // 2]
    (corpus / EDITING).write_text(victim.name)
    with victim.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{sentence}\n")
    try:
        yield victim
    finally:
        _restore(corpus, victim.name, seed)
        (corpus / EDITING).unlink()


def cached_corpus(count: int, seed: int = DEFAULT_SEED, cache_dir: Path = CACHE) -> tuple[Path, bool]:
    """Return the cached corpus of that size and seed, generating it first if needed; and whether it was reused."""
    out = cache_dir / f"corpus-{count}-seed{seed}-v{GENERATOR_VERSION}"
    if (out / EDITING).is_file():  # a run was killed while a post was edited
        _restore(out, (out / EDITING).read_text().strip(), seed)
        (out / EDITING).unlink()
    if (out / COMPLETE).is_file():
        return out, True
    return generate(out, count, seed), False


def main() -> None:
    """Generate a corpus from the command line: python -m bench.corpus 10000 [--out DIR]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="folder to write (default: the cache under bench/.cache)")
    args = parser.parse_args()
    path = generate(args.out, args.count, args.seed) if args.out else cached_corpus(args.count, args.seed)[0]
    print(path)


if __name__ == "__main__":
    main()
