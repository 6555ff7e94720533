"""The site reader against Jekyll: each tiny fixture site in tests/fixtures/site/ beside what Jekyll made of it.

Everything goes through the real `reindex` and the served API; `<case>.jekyll.json` is Jekyll 4.3.1's answer,
made by tests/fixtures/site/regenerate.sh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bench.bodycompare import compare
from tests.helpers import FIXTURES, site_oracle_differences

SITES = FIXTURES / "site"
CASES = sorted(p.name for p in SITES.iterdir() if p.is_dir())


def oracle(case: str) -> dict[str, Any]:
    return json.loads((SITES / f"{case}.jekyll.json").read_text(encoding="utf-8"))


@pytest.fixture
def site_client(make_app: Callable[..., Any]) -> Callable[[str], Any]:
    return lambda case: make_app(SITES / case, SITE_URL="https://site.test").test_client()


def test_every_case_has_jekylls_answer() -> None:
    assert CASES and all((SITES / f"{case}.jekyll.json").is_file() for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_site_reads_as_jekyll_does(case: str, site_client: Callable[[str], Any]) -> None:
    assert site_oracle_differences(site_client(case), oracle(case), "https://site.test") == []


def test_pretty_permalinks_apply_to_pages(site_client: Callable[[str], Any]) -> None:
    client = site_client("page-permalink-pretty")
    urls = {p["path"]: p["url"] for p in client.get("/api/pages").get_json()["items"]}
    assert urls == {"about.md": "https://site.test/about/", "custom.md": "https://site.test/elsewhere/custom/",
                    "guides/setup.html": "https://site.test/guides/setup/"}  # plain.md has no front matter


def test_index_md_and_index_html_are_folder_urls(site_client: Callable[[str], Any]) -> None:
    client = site_client("index-html-vs-md")
    assert client.get("/api/pages/docs").get_json()["path"] == "docs/index.md"
    assert client.get("/api/pages/index").get_json()["path"] == "index.html"
    for path in ("/docs/", "/docs/index.html", "/docs"):
        assert client.get("/api/resolve", query_string={"path": path}).get_json()["item"]["path"] == "docs/index.md"


def test_output_false_collection_is_listed_but_not_at_a_url(site_client: Callable[[str], Any]) -> None:
    client = site_client("collection-output-false")
    notes = client.get("/api/collections/notes/documents").get_json()["items"]
    assert [n["path"] for n in notes] == ["_notes/first.md"]
    assert client.get("/api/resolve", query_string={"path": "/notes/first.html"}).status_code == 404
    assert client.get("/api/resolve", query_string={"path": "/old-note/"}).status_code == 404
    recipes = client.get("/api/collections/recipes/documents").get_json()["items"]
    assert [r["title"] for r in recipes] == ["Bread", "Soup"]  # sort_by: rank; cake is unpublished
    assert client.get("/api/collections/recipes/documents/cake").status_code == 404
    assert client.get("/api/collections/recipes/documents/soup").get_json()["html"] == "<p>Hot.</p>\n"


def test_unpublished_page_and_its_redirect_are_never_served(site_client: Callable[[str], Any]) -> None:
    client = site_client("page-unpublished")
    assert [p["path"] for p in client.get("/api/pages").get_json()["items"]] == ["public.md"]
    assert client.get("/api/pages/draft").status_code == 404
    for path in ("/draft.html", "/was-draft/"):
        assert client.get("/api/resolve", query_string={"path": path}).status_code == 404
    assert client.get("/api/redirects").get_json()["total"] == 0


def test_csv_tsv_and_nested_data(site_client: Callable[[str], Any]) -> None:
    client = site_client("data-csv-nested")
    assert client.get("/api/data/people").get_json()[1] == {"name": "Bo", "role": None, "email": "bo@example.com"}
    assert client.get("/api/data/team/lead/name").get_json() == "Ann"
    assert client.get("/api/data/team/nothing").status_code == 404
    assert client.get("/api/pages/index").get_json()["html"] == "<p>Ann</p>\n"  # {{ site.data... }} renders


def test_secret_named_config_keys_are_never_served(site_client: Callable[[str], Any]) -> None:
    body = site_client("secret-config-key").get("/api/site").get_json()
    text = json.dumps(body)
    assert "abc123" not in text and "ghp_secret" not in text and "hush" not in text
    assert body["settings"]["keywords"] == ["one", "two"] and body["settings"]["analytics"] == {"id": "UA-1"}
    assert body["baseurl"] == "/blog" and body["description"] == "A site with secrets in its config"


def test_author_map_keyed_by_display_name(site_client: Callable[[str], Any]) -> None:
    client = site_client("author-map-display-name")
    jane = client.get("/api/authors/jane-doe").get_json()
    assert (jane["name"], jane["bio"], jane["avatar"]) == ("Jane Doe", "Writes things.", "/img/jane.png")
    assert [p["slug"] for p in jane["posts"]["items"]] == ["hello"]
    two = client.get("/api/posts/two").get_json()
    assert two["authors"] == [{"name": "John Roe", "slug": "jdoe2"}, {"name": "Nobody Known", "slug": "nobody-known"}]
    assert client.get("/api/authors/nobody-known").get_json()["bio"] is None


def test_redirect_to_an_external_url(site_client: Callable[[str], Any]) -> None:
    client = site_client("redirect-external")
    answer = client.get("/api/resolve", query_string={"path": "/gone.html"}).get_json()
    assert answer == {"type": "redirect", "url": "https://site.test/gone.html",
                      "location": "https://elsewhere.example.com/new/", "status": 301}
    assert client.get("/api/resolve", query_string={"path": "/old-kept"}).get_json()["location"] == \
        "https://example.org/kept.html"


@pytest.mark.parametrize("path", ["/café/menü/", "/caf%C3%A9/men%C3%BC/", "/café/menü/index.html"])
def test_non_ascii_redirect_source(path: str, site_client: Callable[[str], Any]) -> None:
    answer = site_client("redirect-non-ascii").get("/api/resolve", query_string={"path": path}).get_json()
    assert answer["location"] == "https://example.org/cafe/"


def test_unknown_path_is_a_404_problem(site_client: Callable[[str], Any]) -> None:
    response = site_client("redirect-external").get("/api/resolve", query_string={"path": "/nowhere/"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert site_client("redirect-external").get("/api/resolve").status_code == 400


def test_a_page_lists_site_posts_as_jekyll_renders_it(site_client: Callable[[str], Any]) -> None:
    jekyll = oracle("page-lists-site-posts")["pages"][0]["content"]
    body = site_client("page-lists-site-posts").get("/api/pages/recent").get_json()
    assert compare(jekyll, body["html"]).agrees, (jekyll, body["html"])
    assert body["html"].index("Second wind") < body["html"].index("First light")  # newest first, as site.posts
    assert "There are 2 posts." in body["html"]


def archives(case: str) -> list[dict[str, Any]]:
    """The category/tag pages jekyll-archives wrote for a case (tests/fixtures/site/archives.sh)."""
    return json.loads((SITES / f"{case}.archives.json").read_text(encoding="utf-8"))


def test_every_archive_page_jekyll_writes_resolves_to_its_label(site_client: Callable[[str], Any]) -> None:
    client = site_client("archives-categories-tags")
    written = {page["url"]: page for page in archives("archives-categories-tags")}  # a later page wins a URL
    assert {"/tag/c/", "/tag/foo-bar/", "/category/release-notes/"} <= set(written)
    for url, page in written.items():
        answer = client.get("/api/resolve", query_string={"path": url}).get_json()
        assert answer["type"] == page["type"] and answer["url"] == "https://site.test" + url
        plural = "categories" if page["type"] == "category" else "tags"
        label = client.get(f"/api/{plural}/{answer['item']['slug']}").get_json()[page["type"]]
        assert answer["item"] == label
        names = {p["title"].lower() for p in written.values() if p["url"] == url}
        assert label["name"].lower() in names
        assert label["count"] == len({post for p in archives("archives-categories-tags") if p["url"] == url
                                      for post in p["posts"]})


@pytest.mark.parametrize("path", ["/tag/ünïcode-tag/", "/tag/%C3%BCn%C3%AFcode-tag/index.html", "/tag/foo-bar"])
def test_archive_paths_match_as_jekyll_writes_them(path: str, site_client: Callable[[str], Any]) -> None:
    answer = site_client("archives-categories-tags").get("/api/resolve", query_string={"path": path}).get_json()
    assert answer["type"] == "tag"


def test_no_archive_pages_without_the_plugin(site_client: Callable[[str], Any]) -> None:
    client = site_client("page-lists-site-posts")
    labels = client.get("/api/tags").get_json()["items"] + client.get("/api/categories").get_json()["items"]
    assert labels
    for label in labels:
        for path in (f"/tag/{label['slug']}/", f"/category/{label['slug']}/"):
            assert client.get("/api/resolve", query_string={"path": path}).status_code == 404


@pytest.mark.parametrize("path", ["/author/jane/", "/author/jane/index.html", "/author/jane"])
def test_an_authors_collection_document_resolves_as_its_author(path: str,
                                                               site_client: Callable[[str], Any]) -> None:
    client = site_client("authors-collection")
    [doc] = next(c for c in oracle("authors-collection")["collections"] if c["label"] == "authors")["docs"]
    assert doc["url"] == "/author/jane/"
    answer = client.get("/api/resolve", query_string={"path": path}).get_json()
    author = client.get("/api/authors/jane").get_json()
    assert answer["type"] == "author" and answer["url"] == "https://site.test" + doc["url"]
    assert answer["item"] == {k: v for k, v in author.items() if k != "posts"}
    assert (answer["item"]["name"], answer["item"]["post_count"]) == ("Jane Doe", 1)
