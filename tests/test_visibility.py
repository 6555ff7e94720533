"""What is served is what Jekyll publishes, for every combination of `future`, `unpublished`, `show_drafts` (+PREVIEW).

The fixture site (tests/fixtures/visibility) holds a post of each kind: plain, future, unpublished, both, a draft,
a future draft, an unpublished draft, one in an excluded folder, one in a folder the exclude prefix also catches
and one in an `_`-folder that `include` lets in; each has its own word in its title, text, quote, image,
category and tag. expected.json is what Jekyll 4.3.1 published under each combination (settle.sh regenerates
it). Each combination goes through the real reindex and is read back through the API: a hidden post's word must
be nowhere.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from service.content.loader import load_content
from service.content.models import Post
from service.content.site import SiteConfig
from service.content.visibility import is_visible
from service.indexing import reindex
from tests.helpers import FIXTURES, indexed_app, listed_posts, served_client, word_answers

SITE = FIXTURES / "visibility"
EXPECTED = orjson.loads((SITE / "expected.json").read_bytes())["published"]
ALL_ON = "future=true unpublished=true show_drafts=true"


def _word(path: Path) -> str:
    return re.search(r"^title: (\w+) post$", path.read_text(encoding="utf-8"), re.MULTILINE).group(1)  # type: ignore[union-attr]


WORDS = {p.relative_to(SITE).as_posix(): _word(p) for p in SITE.rglob("*.md")}


def _site(tmp_path: Path, combination: str) -> Path:
    """Copy the fixture with the combination's settings appended to its _config.yml."""
    site = tmp_path / "site"
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("expected.json", "settle.sh"))
    with (site / "_config.yml").open("a", encoding="utf-8") as config:
        config.write("".join(f"{pair.replace('=', ': ')}\n" for pair in combination.split()))
    return site


def test_the_fixture_covers_every_kind_and_combination() -> None:
    assert len(EXPECTED) == 8 and len(WORDS) == 10 and len(set(WORDS.values())) == 10
    assert set(EXPECTED[ALL_ON]) == set(WORDS) - {"old/_posts/2020-05-01-excluded.md",
                                                  "older/_posts/2020-07-01-prefix-excluded.md"}


# PREVIEW shows what Jekyll reads with every setting on, whatever the settings say (all off, here).
CASES = [(combination, False) for combination in sorted(EXPECTED)] + [(sorted(EXPECTED)[0], True)]


@pytest.mark.parametrize(("combination", "preview"), CASES,
                         ids=[f"{c}{' PREVIEW' if p else ''}".replace(" ", ",") for c, p in CASES])
def test_reindex_serves_what_jekyll_publishes(tmp_path: Path, combination: str, preview: bool) -> None:
    site = _site(tmp_path, combination)
    summary = reindex(site, tmp_path / "index", preview=preview)
    client = served_client(site, tmp_path / "index", PREVIEW=preview)
    published = EXPECTED[ALL_ON if preview else combination]
    shown = {WORDS[path] for path in published}
    hidden = set(WORDS.values()) - shown
    served = listed_posts(client)
    assert sorted(p["title"].split()[0] for p in served) == sorted(shown)
    assert summary.posts == len(published) and summary.problems == []
    assert load_content(site, preview=preview).problems == []  # `content check` reads the same site the same way
    for word in shown:
        answers = word_answers(client, word)
        assert any(word in text for url, text in answers.items() if "/api/search?" in url), word
    for word in hidden:
        for url, text in word_answers(client, word).items():
            assert word not in text.lower(), f"{combination}: hidden {word!r} is served by {url}"
    for path in set(WORDS) - set(published):
        slug = re.sub(r"^\d{4}-\d\d-\d\d-", "", Path(path).stem)
        assert client.get(f"/api/posts/{slug}").status_code == 404, path


def test_the_archive_counts_only_published_months(tmp_path: Path) -> None:
    site = _site(tmp_path, "future=false unpublished=true show_drafts=false")
    archive = indexed_app(site, tmp_path / "index").test_client().get("/api/archive?per_page=100").get_json()["items"]
    # aardvark 2020-01, cassowary 2020-02, jacana 2020-08 (dates are in Pacific/Auckland: the 1st at noon)
    months = [(year["year"], month["month"], month["count"]) for year in archive for month in year["months"]]
    assert months == [(2020, 8, 1), (2020, 2, 1), (2020, 1, 1)] and [y["count"] for y in archive] == [3]


def _post(when: datetime, *, published: bool = True, draft: bool = False) -> Post:
    return Post(path="_posts/x.md", id="/x", slug="x", title="x", date=when, url="/x", categories=[], tags=[],
                excerpt_html="", excerpt="", html="", text="", word_count=0, reading_time=1, image=None, quotes=[],
                images=[], links=[], toc=[], meta={}, published=published, draft=draft)


def test_the_future_starts_one_whole_second_after_now() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, 900_000, tzinfo=UTC)
    site = SiteConfig()
    assert is_visible(_post(now.replace(microsecond=999_999)), site, now)  # the same second: Jekyll shows it
    assert not is_visible(_post(datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC)), site, now)


def test_a_post_crosses_the_future_boundary_as_time_passes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "_posts" / "2030-01-01-soon.md").write_text("---\ntitle: Soon\ndate: 2030-01-01 00:00:00 +0000\n---\n"
                                                        "Quetzal.\n", encoding="utf-8")
    before = reindex(site, tmp_path / "index", now=datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC))
    client = served_client(site, tmp_path / "index")
    assert before.posts == 0 and client.get("/api/search?q=quetzal").get_json()["total"] == 0
    after = reindex(site, tmp_path / "index", now=datetime(2030, 1, 1, tzinfo=UTC))
    assert (after.posts, after.parsed, after.mode) == (1, 0, "incremental")  # no new parse: only the clock moved
    assert [h["slug"] for h in client.get("/api/search?q=quetzal").get_json()["items"]] == ["soon"]
